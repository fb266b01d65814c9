"""The candidate pool an algorithm ranks: what the viewer's home would show, and the facts
about each post the algorithms read.

`home_pool` is the one place that decides where the pool comes from. Today it walks the
read-time home timeline (`timelines.home`, several pages, with all of home's rules); when the
per-viewer feed table lands, only this function changes. Items are plain data (`PoolItem`),
stored as they are in each snapshot's inputs so a ranking can be replayed without the
database.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from pnyx.core import timelines
from pnyx.core.paging import Page
from pnyx.db.engine import Tx
from pnyx.db.id_lists import in_ids
from pnyx.db.tables import statuses

POOL_LIMIT = 800  # as Mastodon keeps ~800 home entries
PAGE = 200  # statuses per walk of a source


@dataclass(frozen=True)
class PoolItem:
    """One post of the pool, with what the algorithms decide on."""

    id: int
    account_id: int  # who posted it (the booster, for a boost)
    author_id: int  # who wrote it (the original's author, for a boost)
    reblog_of_id: int | None
    in_reply_to_account_id: int | None
    language: str | None
    has_media: bool
    interactions: int  # favourites + boosts + replies of what it shows, as counted here

    def as_json(self) -> dict[str, Any]:
        # By hand: dataclasses.asdict deep-copies, and a pool is 800 of these per page.
        return {
            "id": self.id,
            "account_id": self.account_id,
            "author_id": self.author_id,
            "reblog_of_id": self.reblog_of_id,
            "in_reply_to_account_id": self.in_reply_to_account_id,
            "language": self.language,
            "has_media": self.has_media,
            "interactions": self.interactions,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> PoolItem:
        return cls(**data)


def walk(fetch: Callable[[Page], timelines.Slice], limit: int) -> list[int]:
    """Status ids of a timeline, newest first, up to `limit`, page after page."""
    ids: list[int] = []
    seen: set[int] = set()
    max_id: int | None = None
    while len(ids) < limit:
        page = fetch(Page(max_id=max_id, limit=min(PAGE, limit - len(ids))))
        fresh = [i for i in page.ids if i not in seen]
        ids.extend(fresh)
        seen.update(fresh)
        if not page.cursors or page.cursors[-1] == max_id:
            break
        max_id = page.cursors[-1]
    return ids[:limit]


def home_pool(tx: Tx, viewer_id: int, *, limit: int = POOL_LIMIT) -> list[PoolItem]:
    """The viewer's home as it reads now: up to `limit` posts, newest first, already past
    home's rules (visibility, blocks, mutes, follows' options). The one function to switch
    to the materialized feed table."""
    return load_items(tx, walk(lambda page: timelines.home(tx, viewer_id, page), limit))


def load_items(tx: Tx, ids: Sequence[int]) -> list[PoolItem]:
    """PoolItems for these ids, in the same order (those gone are left out); one query."""
    if not ids:
        return []
    original = statuses.alias("original")
    shown = sa.func.coalesce
    query = (
        sa.select(
            statuses.c.id,
            statuses.c.account_id,
            shown(original.c.account_id, statuses.c.account_id).label("author_id"),
            statuses.c.reblog_of_id,
            statuses.c.in_reply_to_account_id,
            shown(original.c.language, statuses.c.language).label("language"),
            shown(original.c.has_media, statuses.c.has_media).label("has_media"),
            (
                shown(original.c.favourites_count, statuses.c.favourites_count)
                + shown(original.c.reblogs_count, statuses.c.reblogs_count)
                + shown(original.c.replies_count, statuses.c.replies_count)
            ).label("interactions"),
        )
        .select_from(statuses.outerjoin(original, original.c.id == statuses.c.reblog_of_id))
        .where(in_ids(statuses.c.id, "ids"))
    )
    found = {
        r.id: PoolItem(
            r.id,
            r.account_id,
            r.author_id,
            r.reblog_of_id,
            r.in_reply_to_account_id,
            r.language,
            bool(r.has_media),
            int(r.interactions or 0),
        )
        for r in tx.execute(query, {"ids": list(ids)})
    }
    return [found[i] for i in ids if i in found]


def pool_json(pool: Sequence[PoolItem]) -> list[dict[str, Any]]:
    return [item.as_json() for item in pool]


def pool_from_json(rows: Sequence[dict[str, Any]]) -> list[PoolItem]:
    return [PoolItem.from_json(row) for row in rows]
