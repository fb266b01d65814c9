"""`catch-up`: what the people you follow engaged with most since your last visit.

The published formula. *Since your last visit* is after the viewer's home read marker (the
position apps save with `POST /api/v1/markers`; ids are time-ordered, so a favourite or post
made after the marked post counts), or the last `window_hours` without a marker. For each
post, counted over the accounts the viewer follows, in that span:

    score = favourite_weight x favourites + boost_weight x boosts + reply_weight x replies

(favourites, boosts of it, and replies to it). Posts rank by score, then newest first; a
post nobody followed engaged with is not in this feed. At most `max_rows` engagements of
each kind are read (the newest), so a busy day costs a bounded query.

Used as the order of a composed feed, the same score ranks that feed's own posts (for a
boost, its original's engagement), and those without any follow after them, newest first.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import sqlalchemy as sa

from pnyx.core.algorithms import pool as pools
from pnyx.core.algorithms.terms import Ranked, Term, ranked
from pnyx.db.engine import Tx
from pnyx.db.id_lists import in_ids
from pnyx.db.ids import id_floor
from pnyx.db.tables import favourites, follows, markers, statuses


@dataclass(frozen=True)
class Params:
    favourite_weight: float = 1.0
    boost_weight: float = 2.0
    reply_weight: float = 3.0
    window_hours: int = 24  # without a read marker
    max_rows: int = 20_000  # engagements read per kind
    max_items: int = 800


PARAMS = Params()
TITLE = "Catch-up"
DESCRIPTION = (
    "What the people you follow engaged with most since your last visit (your home read "
    "marker): score = 1 x their favourites + 2 x their boosts + 3 x their replies."
)
CHANGELOG = [("2026-12-05", "First published version: weights 1, 2, 3.")]
KINDS = ("favourites", "boosts", "replies")


def since_id(tx: Tx, viewer_id: int, params: Params = PARAMS) -> int:
    """Where "since your last visit" starts: the home marker, or `window_hours` ago."""
    marked = tx.scalar(
        sa.select(markers.c.last_read_id).where(
            markers.c.account_id == viewer_id, markers.c.timeline == "home"
        )
    )
    if marked is not None:
        return int(marked)
    return id_floor(tx.now - timedelta(hours=params.window_hours))


def _engagements(
    tx: Tx, viewer_id: int, since: int, params: Params, targets: list[int] | None
) -> dict[str, Counter[int]]:
    followed = sa.select(follows.c.target_account_id).where(follows.c.account_id == viewer_id)
    shapes = {
        "favourites": (favourites.c.status_id, favourites.c.id, favourites.c.account_id),
        "boosts": (statuses.c.reblog_of_id, statuses.c.id, statuses.c.account_id),
        "replies": (statuses.c.in_reply_to_id, statuses.c.id, statuses.c.account_id),
    }
    out: dict[str, Counter[int]] = {}
    for kind, (target, row_id, who) in shapes.items():
        query = sa.select(target).where(target.is_not(None), row_id > since, who.in_(followed))
        params_: dict[str, Any] = {}
        if targets is not None:
            query = query.where(in_ids(target, "targets"))
            params_["targets"] = targets
        query = query.order_by(row_id.desc()).limit(params.max_rows)
        out[kind] = Counter(int(t) for t in tx.scalars_of(query, params_))
    return out


def gather(tx: Tx, viewer_id: int, params: Params = PARAMS) -> dict[str, Any]:
    """The inputs: since when, and per engaged post its three counts."""
    since = since_id(tx, viewer_id, params)
    counts = _engagements(tx, viewer_id, since, params, None)
    engaged = set().union(*(set(c) for c in counts.values()))
    return {
        "since_id": since,
        "keep_all": False,
        "candidates": sorted(engaged, reverse=True),
        "counts": {str(s): [counts[k][s] for k in KINDS] for s in engaged},
    }


def over_pool(
    tx: Tx, viewer_id: int, pool: list[pools.PoolItem], params: Params = PARAMS
) -> dict[str, Any]:
    """The inputs for ordering a composed feed's pool by the same formula."""
    since = since_id(tx, viewer_id, params)
    shown = {item.id: item.reblog_of_id or item.id for item in pool}
    counts = _engagements(tx, viewer_id, since, params, sorted(set(shown.values())))
    return {
        "since_id": since,
        "keep_all": True,
        "candidates": [item.id for item in pool],
        "counts": {str(i): [counts[k][target] for k in KINDS] for i, target in shown.items()},
    }


def rank(inputs: dict[str, Any], params: Params = PARAMS) -> list[Ranked]:
    weights = (params.favourite_weight, params.boost_weight, params.reply_weight)
    items = []
    for sid in inputs["candidates"]:
        values = inputs["counts"].get(str(sid), [0, 0, 0])
        item = ranked(
            int(sid),
            tuple(Term(k, w, float(v)) for k, w, v in zip(KINDS, weights, values, strict=True)),
        )
        if item.score > 0 or inputs["keep_all"]:
            items.append(item)
    items.sort(key=lambda r: (-r.score, -r.status_id))
    return items[: params.max_items] if not inputs["keep_all"] else items
