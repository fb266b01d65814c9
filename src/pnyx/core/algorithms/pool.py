"""The candidate pool an algorithm ranks: what the viewer's home would show, and the facts
about each post the algorithms read.

`home_pool` is the one place that decides where the pool comes from: the viewer's
materialized home feed read in one range read, with the pool's columns, and home's rules
applied to the whole batch at once (`timelines.feed_source.home_batch`: one load of the
rules' facts for 800 candidates); the walk of home's pages (`timelines.home`) only when the
feed is not built yet. Walking 4 pages of 200 cost 230-470 ms; the
batch read costs a fraction of that. `source_mark` is what a snapshot remembers of the pool's
source, so a reload can tell nothing new arrived. Items are plain data (`PoolItem`), stored
as they are in each snapshot's inputs so a ranking can be replayed without the database.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from pnyx.core import timelines
from pnyx.core.feeds import entries
from pnyx.core.paging import Page
from pnyx.core.timelines.feed_source import home_batch
from pnyx.db.engine import Tx
from pnyx.db.id_lists import in_ids
from pnyx.db.tables import feed_entries, statuses

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


def walk(
    fetch: Callable[[Page], timelines.Slice], limit: int, *, max_id: int | None = None
) -> list[int]:
    """Status ids of a timeline (under `max_id`), newest first, up to `limit`, page after
    page."""
    ids: list[int] = []
    seen: set[int] = set()
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
    home's rules (visibility, blocks, mutes, follows' options); a post boosted by several
    people is in it once. From the home feed when it is built: what it holds (up to
    `limit`, its size by default), not what is under its floor."""

    def page_of(page: Page) -> timelines.Slice:
        return timelines.home(tx, viewer_id, page)

    rows = home_batch(tx, viewer_id, limit)
    if rows is None:  # no feed built yet: the read-time walk
        return shown_once(load_items(tx, walk(page_of, limit)), viewer_id)
    return [
        PoolItem(
            r.id,
            r.account_id,
            r.author_id,
            r.reblog_of_id,
            r.in_reply_to_account_id,
            r.shown_language,
            bool(r.has_media),
            int(r.interactions or 0),
        )
        for r in rows
    ]


def shown_once(items: list[PoolItem], viewer_id: int) -> list[PoolItem]:
    """The pool with each boosted post once, by its newest boost (as home shows a post
    boosted by several people once within a page; a pool is ranked as a whole, so once in
    all of it). The viewer's own boosts stay, as in home."""
    shown: set[int] = set()
    out = []
    for item in items:
        if item.reblog_of_id is not None and item.account_id != viewer_id:
            if item.reblog_of_id in shown:
                continue
            shown.add(item.reblog_of_id)
        out.append(item)
    return out


def source_mark(tx: Tx, viewer_id: int) -> int | None:
    """What a snapshot remembers of its pool's source: the viewer's home feed's newest entry
    id plus its number of entries (one read of the primary key's range), so that a new post
    and a removed entry (an unfollow, a block, a deletion) both change it; None when the
    feed is not built (the pool was walked, and no snapshot of it is reused)."""
    row = tx.plain(_mark_statement(), {"viewer": viewer_id, "list_id": entries.HOME})[0]
    return int(row.newest) + int(row.held) if row.newest is not None else None


@functools.cache
def _mark_statement() -> sa.Select:
    return sa.select(
        sa.func.max(feed_entries.c.status_id).label("newest"),
        sa.func.count().label("held"),
    ).where(
        feed_entries.c.viewer_id == sa.bindparam("viewer", type_=sa.BigInteger),
        feed_entries.c.list_id == sa.bindparam("list_id", type_=sa.BigInteger),
    )


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
