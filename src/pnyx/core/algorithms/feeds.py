"""From a feed id to what serves it: a catalog algorithm (`diverse`) or a composed feed
(its numeric id)."""

from __future__ import annotations

from typing import Any

from pnyx.core.algorithms import catalog, composed, composed_pool, serving
from pnyx.core.algorithms import pool as pools
from pnyx.core.errors import NotFound
from pnyx.db.engine import Tx
from pnyx.db.ids import parse_id


def algorithm_feed(algorithm: catalog.Algorithm) -> serving.Feed:
    return serving.Feed(
        algorithm.id,
        algorithm.version,
        algorithm.gather,
        algorithm.rank,
        algorithm.snapshot,
        pools.source_mark if algorithm.from_home_pool else None,
    )


def composed_feed(feed: composed.ComposedFeed) -> serving.Feed:
    order = feed.order
    recipe = feed.recipe

    def gather(tx: Tx, viewer_id: int) -> dict[str, Any]:
        pool = composed_pool.composed_pool(
            tx, feed.account_id, viewer_id, recipe.sources, recipe.filters
        )
        return order.over_pool(tx, viewer_id, pool)

    return serving.Feed(str(feed.id), feed.version, gather, order.rank)


def resolve(tx: Tx, feed_id: str) -> serving.Feed:
    """The feed to serve; NotFound for an unknown id."""
    algorithm = catalog.get(feed_id)
    if algorithm is not None:
        return algorithm_feed(algorithm)
    number = composed_number(feed_id)
    if number is None:
        raise NotFound()
    return composed_feed(composed.get(tx, number))


def composed_number(feed_id: str) -> int | None:
    """A composed feed's id from its text, or None when it cannot be one."""
    return parse_id(feed_id) if feed_id.isdigit() else None
