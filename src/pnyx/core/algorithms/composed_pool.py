"""A composed feed's pool: its sources read for the reader, then its filters.

Each source is read as its own timeline, with that timeline's rules, for the reader:
`follows` is the reader's home (`pool.home_pool`), `lists` the owner's lists (their members'
posts as the owner's list timeline has them; the reader's own rules apply again when the
page is read), `hashtags` the public hashtag timelines, `local` and `federated` the public
timelines. Up to `PER_SOURCE` posts of each, merged newest first without duplicates, then
kept when they pass every filter.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pnyx.core import timelines
from pnyx.core.algorithms import pool as pools
from pnyx.core.algorithms import serving
from pnyx.core.paging import Page
from pnyx.db.engine import Tx

PER_SOURCE = 400
MAX_POOL = 800


def source_ids(tx: Tx, owner_id: int, reader_id: int, sources: dict[str, Any]) -> list[int]:
    """Status ids of every source, newest first, without duplicates."""
    found: set[int] = set()
    if sources.get("follows"):
        # Through `home_pool`, the one place that says where a home pool comes from.
        found.update(item.id for item in pools.home_pool(tx, reader_id, limit=PER_SOURCE))
    for list_id in sources.get("lists") or []:
        found.update(pools.walk(_list_source(tx, owner_id, int(list_id)), PER_SOURCE))
    for name in sources.get("hashtags") or []:
        found.update(pools.walk(_tag_source(tx, reader_id, str(name)), PER_SOURCE))
    if sources.get("local"):
        found.update(
            pools.walk(lambda page: timelines.public(tx, reader_id, page, local=True), PER_SOURCE)
        )
    if sources.get("federated"):
        found.update(pools.walk(lambda page: timelines.public(tx, reader_id, page), PER_SOURCE))
    return sorted(found, reverse=True)


def _list_source(tx: Tx, owner_id: int, list_id: int) -> Callable[[Page], timelines.Slice]:
    return lambda page: timelines.list_statuses(tx, owner_id, list_id, page)


def _tag_source(tx: Tx, reader_id: int, name: str) -> Callable[[Page], timelines.Slice]:
    return lambda page: timelines.tag(tx, reader_id, name, page)


def passes(item: pools.PoolItem, filters: dict[str, Any]) -> bool:
    """The published filters: languages, media only, no boosts, minimum interactions."""
    languages = filters.get("languages") or []
    if languages and item.language not in languages:
        return False
    if filters.get("media_only") and not item.has_media:
        return False
    if filters.get("no_boosts") and item.reblog_of_id is not None:
        return False
    return item.interactions >= int(filters.get("min_interactions") or 0)


def composed_pool(
    tx: Tx, owner_id: int, reader_id: int, sources: dict[str, Any], filters: dict[str, Any]
) -> list[pools.PoolItem]:
    """The pool, newest first: only posts the reader may see now (a list is read as its
    owner reads it), that pass the filters."""
    found = source_ids(tx, owner_id, reader_id, sources)
    shown = serving.visible(tx, reader_id, found)
    items = pools.load_items(tx, [i for i in found if i in shown])
    return [item for item in items if passes(item, filters)][:MAX_POOL]
