"""`following`: everything from the accounts and hashtags you follow, newest first.

Today's home timeline, and the default: the home timeline of every app keeps serving it
(`timelines.home`). Nothing is scored; the order is the posts' ids (their time).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pnyx.core.algorithms import pool as pools
from pnyx.core.algorithms.terms import Ranked, ranked
from pnyx.db.engine import Tx


@dataclass(frozen=True)
class Params:
    pool_limit: int = pools.POOL_LIMIT  # posts read from home


PARAMS = Params()
TITLE = "Following"
DESCRIPTION = (
    "Everything from the accounts and hashtags you follow, newest first: the home timeline "
    "every app shows. Nothing is scored or reordered."
)
CHANGELOG = [("2026-12-05", "First published version: today's home timeline.")]


def gather(tx: Tx, viewer_id: int, params: Params = PARAMS) -> dict[str, Any]:
    """The inputs: the viewer's home pool."""
    return {"pool": pools.pool_json(pools.home_pool(tx, viewer_id, limit=params.pool_limit))}


def over_pool(
    tx: Tx, viewer_id: int, pool: list[pools.PoolItem], params: Params = PARAMS
) -> dict[str, Any]:
    """The inputs for ordering a composed feed's pool newest first."""
    return {"pool": pools.pool_json(pool)}


def rank(inputs: dict[str, Any], params: Params = PARAMS) -> list[Ranked]:
    """Newest first (ids are time-sortable)."""
    items = pools.pool_from_json(inputs["pool"])
    return [ranked(item.id) for item in sorted(items, key=lambda i: i.id, reverse=True)]
