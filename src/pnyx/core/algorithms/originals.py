"""`originals`: only posts written by the people you follow, newest first.

From the home pool it keeps a post when its author is someone the viewer follows, it is not
a boost, and it replies to nobody but its own author (a thread of their own). Gone are
boosts, replies to others, the viewer's own posts, and posts that came for a followed
hashtag or a mention from someone not followed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from pnyx.core.algorithms import pool as pools
from pnyx.core.algorithms.terms import Ranked, ranked
from pnyx.db.engine import Tx
from pnyx.db.id_lists import in_ids
from pnyx.db.tables import follows


@dataclass(frozen=True)
class Params:
    pool_limit: int = pools.POOL_LIMIT
    keep_self_replies: bool = True  # a thread's later posts are still the author's own


PARAMS = Params()
TITLE = "Originals"
DESCRIPTION = (
    "Only posts written by the people you follow: no boosts, no replies to others, newest "
    "first. A reply by someone to their own post (a thread) stays."
)
CHANGELOG = [("2026-12-05", "First published version.")]


def _followed_among(tx: Tx, viewer_id: int, accounts: set[int]) -> list[int]:
    if not accounts:
        return []
    return sorted(
        tx.scalars_of(
            sa.select(follows.c.target_account_id).where(
                follows.c.account_id == viewer_id, in_ids(follows.c.target_account_id, "ids")
            ),
            {"ids": list(accounts)},
        )
    )


def over_pool(
    tx: Tx, viewer_id: int, pool: list[pools.PoolItem], params: Params = PARAMS
) -> dict[str, Any]:
    """The inputs: the pool and which of its posters the viewer follows."""
    return {
        "pool": pools.pool_json(pool),
        "followed": _followed_among(tx, viewer_id, {i.account_id for i in pool}),
    }


def gather(tx: Tx, viewer_id: int, params: Params = PARAMS) -> dict[str, Any]:
    return over_pool(tx, viewer_id, pools.home_pool(tx, viewer_id, limit=params.pool_limit))


def is_original(item: pools.PoolItem, followed: set[int], params: Params = PARAMS) -> bool:
    if item.reblog_of_id is not None or item.account_id not in followed:
        return False
    target = item.in_reply_to_account_id
    if target is None:
        return True
    return params.keep_self_replies and target == item.account_id


def rank(inputs: dict[str, Any], params: Params = PARAMS) -> list[Ranked]:
    followed = set(inputs["followed"])
    kept = [i for i in pools.pool_from_json(inputs["pool"]) if is_original(i, followed, params)]
    return [ranked(i.id) for i in sorted(kept, key=lambda i: i.id, reverse=True)]
