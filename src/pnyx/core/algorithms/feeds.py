"""From a feed id to what serves it: a catalog algorithm (`diverse`) or a composed feed
(its numeric id)."""

from __future__ import annotations

from typing import Any

from pnyx.core.algorithms import catalog, composed, composed_pool, serving
from pnyx.core.errors import NotFound
from pnyx.db.engine import Tx


def algorithm_feed(algorithm: catalog.Algorithm) -> serving.Feed:
    return serving.Feed(
        algorithm.id, algorithm.version, algorithm.gather, algorithm.rank, algorithm.snapshot
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
    if feed_id.isdigit() and len(feed_id) < 20:
        return composed_feed(composed.get(tx, int(feed_id)))
    raise NotFound()
