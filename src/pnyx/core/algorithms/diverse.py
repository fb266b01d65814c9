"""`diverse`: newest first, but nobody takes more than a published share of a page.

The published rule. The home pool is laid out newest first in pages of `page_size` posts.
A post's *sources* are its author and, for a boost, the account that boosted it. A post goes
on the page being filled only while each of its sources has fewer than
`floor(page_size * max_share)` posts on that page; otherwise it waits, in its place among
the waiting posts, for the next page. A page that only waiting posts could fill closes
early, so the cap holds on every page.

So someone who posts all day shows at most the cap per page, and the posts of people who
post rarely move up into the places their extra posts would have taken: the rare poster is
not buried. Score terms: `page` (weight -1, value = the page the post landed on), so the
score is minus the page; within a page the order is newest first.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from pnyx.core.algorithms import pool as pools
from pnyx.core.algorithms.terms import Ranked, Term, ranked
from pnyx.db.engine import Tx


@dataclass(frozen=True)
class Params:
    pool_limit: int = pools.POOL_LIMIT
    page_size: int = 20
    max_share: float = 0.25  # of a page, per author and per boost source


PARAMS = Params()
TITLE = "Diverse"
DESCRIPTION = (
    "Newest first, but no author or booster takes more than a quarter of a page of 20: "
    "their further posts move to later pages, so people who post rarely are not buried by "
    "those who post all day."
)
CHANGELOG = [("2026-12-05", "First published version: 25% of a page of 20 per source.")]


def gather(tx: Tx, viewer_id: int, params: Params = PARAMS) -> dict[str, Any]:
    return {"pool": pools.pool_json(pools.home_pool(tx, viewer_id, limit=params.pool_limit))}


def over_pool(
    tx: Tx, viewer_id: int, pool: list[pools.PoolItem], params: Params = PARAMS
) -> dict[str, Any]:
    return {"pool": pools.pool_json(pool)}


def cap(params: Params = PARAMS) -> int:
    return max(1, math.floor(params.page_size * params.max_share))


def _sources(item: pools.PoolItem) -> set[int]:
    return {item.author_id, item.account_id}


def pages(items: list[pools.PoolItem], params: Params = PARAMS) -> list[list[pools.PoolItem]]:
    """The pool laid out in pages by the rule above."""
    waiting = sorted(items, key=lambda i: i.id, reverse=True)
    limit = cap(params)
    out: list[list[pools.PoolItem]] = []
    while waiting:
        page: list[pools.PoolItem] = []
        counts: dict[int, int] = {}
        rest: list[pools.PoolItem] = []
        for index, item in enumerate(waiting):
            if len(page) == params.page_size:
                rest.extend(waiting[index:])  # the page is full: the others wait as they are
                break
            sources = _sources(item)
            if all(counts.get(s, 0) < limit for s in sources):
                page.append(item)
                for s in sources:
                    counts[s] = counts.get(s, 0) + 1
            else:
                rest.append(item)
        out.append(page)
        waiting = rest
    return out


def rank(inputs: dict[str, Any], params: Params = PARAMS) -> list[Ranked]:
    out: list[Ranked] = []
    for number, page in enumerate(pages(pools.pool_from_json(inputs["pool"]), params)):
        out.extend(ranked(item.id, (Term("page", -1.0, float(number)),)) for item in page)
    return out
