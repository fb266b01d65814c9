"""`bridging`: posts approved across different viewpoints, not the most popular ones.

The published model (the bridging idea of X's Community Notes, applied to ranking). Every
rating r of a post n by an account u on this server is explained as

    r = mu + i_u + i_n + f_u x f_n

with one factor: f_u places a rater on the axis that best separates how people rate, f_n
places a post on it. What a rater's side explains goes to f_u x f_n; what remains, approval
shared across the axis, is the post's intercept i_n, and posts rank by i_n alone. A post
favoured massively by one side is explained by its factor; one favoured on both sides can
only be explained by its intercept.

Ratings (`bridging_fit`), over the posts of the last `window_days` that are not boosts and
are public or unlisted:
- 1: the account favourited or boosted it;
- 0 (the implicit zeros): a local account that followed the author when it was posted (so
  it was in their home), that is not its author, and neither favourited nor boosted it;
  counted only for posts with at least `min_ratings` favourites or boosts (those that may
  be ranked) and for accounts that favourited or boosted something in the window (someone
  who never does tells the fit nothing).
Fit: alternating least squares minimizing the squared error plus
`intercept_lambda` x (sum of i_u^2 and i_n^2) + `factor_lambda` x (sum of f_u^2 and f_n^2):
intercepts are held back harder than factors (0.15 and 0.03, as Community Notes), so only
approval the factor cannot explain becomes intercept. Deterministic (a fixed seed), run by a
periodic job every `refit_minutes` and by `pnyx feeds fit-bridging`; each post's result is
stored with the version that produced it, and only this version's results are ranked.

The feed: posts with at least `min_ratings` favourites or boosts, by intercept, highest
first (then newest). Score terms: `intercept` (weight 1) and `factor` (weight 0: shown,
never rewarded). As a composed feed's order, its posts rank the same way, and a post without
a fit counts intercept 0.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from pnyx.core.algorithms import pool as pools
from pnyx.core.algorithms.terms import Ranked, Term, ranked
from pnyx.db.engine import Tx
from pnyx.db.id_lists import in_ids
from pnyx.db.tables import feed_scores


@dataclass(frozen=True)
class Params:
    intercept_lambda: float = 0.15
    factor_lambda: float = 0.03
    iterations: int = 200
    seed: int = 11
    window_days: int = 14
    max_ratings: int = 500_000  # read per fit: positives, then as many implicit zeros
    min_ratings: int = 2
    max_items: int = 800
    refit_minutes: int = 60


PARAMS = Params()
NAME = "bridging"
TITLE = "Bridging"
DESCRIPTION = (
    "Posts approved across different viewpoints: a one-factor matrix factorization of "
    "favourites and boosts on this server, ranking by each post's intercept (the approval "
    "its raters' side does not explain), not by raw popularity."
)
CHANGELOG = [("2026-12-05", "First published version: lambdas 0.15 (intercepts) / 0.03 (factors).")]


def scores(
    tx: Tx, version: str, status_ids: list[int] | None, params: Params = PARAMS
) -> dict[str, list[float]]:
    """{status id: [intercept, factor]} of this version's fit: for these posts, or the
    `max_items` with the highest intercepts and at least `min_ratings` ratings."""
    query = sa.select(feed_scores.c.status_id, feed_scores.c.intercept, feed_scores.c.factor).where(
        feed_scores.c.algorithm == NAME, feed_scores.c.version == version
    )
    bound: dict[str, Any] = {}
    if status_ids is None:
        query = query.where(feed_scores.c.ratings >= params.min_ratings)
        query = query.order_by(feed_scores.c.intercept.desc()).limit(params.max_items)
    else:
        query = query.where(in_ids(feed_scores.c.status_id, "ids"))
        bound["ids"] = status_ids
    return {str(r.status_id): [r.intercept, r.factor] for r in tx.execute(query, bound)}


def gather(tx: Tx, viewer_id: int, version: str, params: Params = PARAMS) -> dict[str, Any]:
    found = scores(tx, version, None, params)
    return {"keep_all": False, "candidates": [int(s) for s in found], "scores": found}


def over_pool(
    tx: Tx, viewer_id: int, pool: list[pools.PoolItem], version: str, params: Params = PARAMS
) -> dict[str, Any]:
    shown = {item.id: item.reblog_of_id or item.id for item in pool}
    found = scores(tx, version, sorted(set(shown.values())), params)
    return {
        "keep_all": True,
        "candidates": [item.id for item in pool],
        "scores": {str(i): found[str(t)] for i, t in shown.items() if str(t) in found},
    }


def rank(inputs: dict[str, Any], params: Params = PARAMS) -> list[Ranked]:
    items = []
    for sid in inputs["candidates"]:
        intercept, factor = inputs["scores"].get(str(sid), [0.0, 0.0])
        items.append(
            ranked(
                int(sid),
                (Term("intercept", 1.0, float(intercept)), Term("factor", 0.0, float(factor))),
            )
        )
    items.sort(key=lambda r: (-r.score, -r.status_id))
    return items
