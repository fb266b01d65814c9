"""Fitting the bridging model: read the ratings, factorize, store each post's intercept.

The model and the rating rules are published in `bridging` (its parameters too); this is the
code that carries them out, and it is part of bridging's version. numpy is imported inside
`factorize` only: a web process that never fits does not load it.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa

from pnyx.core.algorithms import bridging
from pnyx.db.engine import Tx
from pnyx.db.id_lists import in_ids
from pnyx.db.ids import id_floor
from pnyx.db.tables import accounts, favourites, feed_scores, follows, statuses


@dataclass
class Ratings:
    """Ratings as three parallel lists: rater, post, value (1 or 0)."""

    raters: list[int]
    posts: list[int]
    values: list[float]


@dataclass
class Fit:
    mu: float
    intercepts: dict[int, float]  # post -> i_n
    factors: dict[int, float]  # post -> f_n
    positives: dict[int, int]  # post -> favourites and boosts counted


NO_FIT = Fit(0.0, {}, {}, {})


def _rated(floor: int) -> sa.ColumnElement[bool]:
    """The posts whose favourites and boosts count: originals, public or unlisted, posted
    within the window."""
    return sa.and_(
        statuses.c.id >= floor,
        statuses.c.reblog_of_id.is_(None),
        statuses.c.visibility.in_(("public", "unlisted")),
    )


def anything_rated(tx: Tx, params: bridging.Params = bridging.PARAMS) -> bool:
    """Whether any favourite or boost counts as a rating now: when none does, there is
    nothing to fit (and no child process to start)."""
    floor = id_floor(tx.now - timedelta(days=params.window_days))
    boosts = statuses.alias("boosts")
    favourited = sa.exists().where(favourites.c.status_id == statuses.c.id, _rated(floor))
    boosted = sa.exists().where(boosts.c.reblog_of_id == statuses.c.id, _rated(floor))
    return bool(tx.scalar(sa.select(sa.or_(favourited, boosted))))


def read_ratings(tx: Tx, params: bridging.Params = bridging.PARAMS) -> Ratings:
    """The ratings of the published rule: 1 for a favourite or boost, 0 for a local follower
    of the author, following when it was posted, who did neither."""
    floor = id_floor(tx.now - timedelta(days=params.window_days))
    rated = _rated(floor)
    boosts = statuses.alias("boosts")
    positive_queries = [
        sa.select(favourites.c.account_id, favourites.c.status_id)
        .join(statuses, statuses.c.id == favourites.c.status_id)
        .where(rated),
        sa.select(boosts.c.account_id, boosts.c.reblog_of_id)
        .join(statuses, statuses.c.id == boosts.c.reblog_of_id)
        .where(rated),
    ]
    positives: set[tuple[int, int]] = set()
    for query in positive_queries:
        for rater, post in tx.execute(query.limit(params.max_ratings)):
            positives.add((int(rater), int(post)))
    # Zeros only where they can inform the fit: posts that may be ranked (min_ratings) and
    # raters who favourited or boosted something (someone who never does says nothing).
    per_post = Counter(post for _, post in positives)
    ranked_posts = [post for post, count in per_post.items() if count >= params.min_ratings]
    raters = sorted({rater for rater, _ in positives})
    if not ranked_posts:
        return _as_ratings(positives, set())
    shown = (
        sa.select(follows.c.account_id, statuses.c.id)
        .join(statuses, statuses.c.account_id == follows.c.target_account_id)
        .join(accounts, accounts.c.id == follows.c.account_id)
        .where(
            in_ids(statuses.c.id, "posts"),
            in_ids(follows.c.account_id, "raters"),
            accounts.c.domain.is_(None),
            follows.c.created_at <= statuses.c.created_at,
        )
        .limit(params.max_ratings)
    )
    bound = {"posts": sorted(ranked_posts), "raters": raters}
    zeros = {(int(u), int(n)) for u, n in tx.execute(shown, bound)} - positives
    return _as_ratings(positives, zeros)


def _as_ratings(positives: set[tuple[int, int]], zeros: set[tuple[int, int]]) -> Ratings:
    pairs = sorted(positives) + sorted(zeros)
    return Ratings(
        [u for u, _ in pairs], [n for _, n in pairs], [1.0] * len(positives) + [0.0] * len(zeros)
    )


def factorize(ratings: Ratings, params: bridging.Params = bridging.PARAMS) -> Fit:
    """Alternating least squares for r = mu + i_u + i_n + f_u x f_n with the published
    regularization; each step is the exact minimizer of the loss in one group of
    parameters, so the loss never grows."""
    if not ratings.values:
        return NO_FIT
    import numpy as np

    user_ids, u = np.unique(np.array(ratings.raters, dtype=np.int64), return_inverse=True)
    post_ids, n = np.unique(np.array(ratings.posts, dtype=np.int64), return_inverse=True)
    r = np.array(ratings.values, dtype=np.float64)
    nu, nn = len(user_ids), len(post_ids)
    rng = np.random.default_rng(params.seed)
    fu = rng.normal(0.0, 0.1, nu)
    fn = rng.normal(0.0, 0.1, nn)
    iu = np.zeros(nu)
    i_n = np.zeros(nn)
    lam_i, lam_f = params.intercept_lambda, params.factor_lambda
    count_u = np.bincount(u, minlength=nu)
    count_n = np.bincount(n, minlength=nn)
    mu = float(r.mean())
    for _ in range(params.iterations):
        mu = float((r - iu[u] - i_n[n] - fu[u] * fn[n]).mean())
        rest = r - mu - i_n[n] - fu[u] * fn[n]
        iu = np.bincount(u, rest, nu) / (count_u + lam_i)
        rest = r - mu - iu[u] - fu[u] * fn[n]
        i_n = np.bincount(n, rest, nn) / (count_n + lam_i)
        rest = r - mu - iu[u] - i_n[n]
        fu = np.bincount(u, rest * fn[n], nu) / (np.bincount(u, fn[n] ** 2, nu) + lam_f)
        fn = np.bincount(n, rest * fu[u], nn) / (np.bincount(n, fu[u] ** 2, nn) + lam_f)
    positives = np.bincount(n, r, nn)
    return Fit(
        mu,
        {int(p): float(i_n[k]) for k, p in enumerate(post_ids)},
        {int(p): float(fn[k]) for k, p in enumerate(post_ids)},
        {int(p): int(positives[k]) for k, p in enumerate(post_ids)},
    )


def store(tx: Tx, fit: Fit, version: str) -> int:
    """Replace the stored bridging results with this fit's, marked with its version."""
    tx.execute(feed_scores.delete().where(feed_scores.c.algorithm == bridging.NAME))
    # A post deleted since the ratings were read is left out.
    alive = set(
        tx.scalars_of(
            sa.select(statuses.c.id).where(in_ids(statuses.c.id, "ids")),
            {"ids": list(fit.intercepts)},
        )
    )
    rows = [
        {
            "algorithm": bridging.NAME,
            "status_id": post,
            "version": version,
            "intercept": round(fit.intercepts[post], 9),
            "factor": round(fit.factors[post], 9),
            "ratings": fit.positives[post],
            "fitted_at": tx.now,
        }
        for post in fit.intercepts
        if post in alive
    ]
    if rows:
        tx.execute(feed_scores.insert(), rows)
    return len(rows)
