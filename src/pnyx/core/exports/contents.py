"""What an archive holds, read a page at a time: the person's posts and boosts, their media
files, the posts they liked and bookmarked. Keyset pages (by id) so that an account with tens
of thousands of posts is never read whole, and a page costs the same at the end as at the
start. Rendering all this as ActivityStreams is `pnyx.portability`'s."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from pnyx.core.rows import AccountRow
from pnyx.db.engine import Tx
from pnyx.db.tables import accounts, bookmarks, favourites, media_attachments, statuses

PAGE = 200
_original = statuses.alias("original")
_original_author = accounts.alias("original_author")


@dataclass(frozen=True)
class Boost:
    """What an Announce says: the boost, and the post and author it boosts."""

    id: int
    uri: str
    visibility: str
    created_at: Any
    object_uri: str
    object_author_uri: str


def local_account(tx: Tx, account_id: int) -> AccountRow | None:
    return tx.one_or_none(
        sa.select(accounts).where(accounts.c.id == account_id, accounts.c.domain.is_(None))
    )


def counts(tx: Tx, account_id: int) -> tuple[int, int]:
    """(statuses, media files) an archive of this account holds: its progress's total."""
    posts = tx.scalar(
        sa.select(sa.func.count()).select_from(statuses).where(statuses.c.account_id == account_id)
    )
    files = tx.scalar(
        sa.select(sa.func.count()).select_from(media_attachments).where(_attached(account_id))
    )
    return int(posts or 0), int(files or 0)


def status_page(tx: Tx, account_id: int, after_id: int, limit: int = PAGE) -> list[Any]:
    """(id, reblog_of_id) of the account's next statuses (posts and boosts, every
    visibility), oldest first."""
    return tx.rows(
        sa.select(statuses.c.id, statuses.c.reblog_of_id)
        .where(statuses.c.account_id == account_id, statuses.c.id > after_id)
        .order_by(statuses.c.id)
        .limit(limit)
    )


def boosts(tx: Tx, boost_ids: list[int]) -> dict[int, Boost]:
    if not boost_ids:
        return {}
    rows = tx.rows(
        sa.select(
            statuses.c.id,
            statuses.c.uri,
            statuses.c.visibility,
            statuses.c.created_at,
            _original.c.uri.label("object_uri"),
            _original_author.c.uri.label("object_author_uri"),
        )
        .join(_original, _original.c.id == statuses.c.reblog_of_id)
        .join(_original_author, _original_author.c.id == _original.c.account_id)
        .where(statuses.c.id.in_(boost_ids))
    )
    return {row.id: Boost(*row) for row in rows}


def _attached(account_id: int) -> sa.ColumnElement[bool]:
    return sa.and_(
        media_attachments.c.account_id == account_id,
        media_attachments.c.status_id.is_not(None),
        media_attachments.c.file_key.is_not(None),
    )


def media_of_statuses(tx: Tx, status_ids: list[int]) -> list[Any]:
    """(id, url, file_key) of the files attached to these statuses: where the archive's copy
    of each is."""
    if not status_ids:
        return []
    return tx.rows(
        sa.select(media_attachments.c.id, media_attachments.c.url, media_attachments.c.file_key)
        .where(
            media_attachments.c.status_id.in_(status_ids),
            media_attachments.c.file_key.is_not(None),
        )
        .order_by(media_attachments.c.id)
    )


def media_page(tx: Tx, account_id: int, after_id: int, limit: int = PAGE) -> list[Any]:
    """The account's next attached media files, by id: (id, url, file_key, file_size,
    content_type)."""
    return tx.rows(
        sa.select(
            media_attachments.c.id,
            media_attachments.c.url,
            media_attachments.c.file_key,
            media_attachments.c.file_size,
            media_attachments.c.content_type,
        )
        .where(_attached(account_id), media_attachments.c.id > after_id)
        .order_by(media_attachments.c.id)
        .limit(limit)
    )


def media_pages(tx: Tx, account_id: int) -> Iterator[list[Any]]:
    after = 0
    while page := media_page(tx, account_id, after):
        yield page
        after = page[-1].id


def _uris(tx: Tx, table: sa.Table, account_id: int) -> Iterator[str]:
    """The uris of the posts this account liked (favourites) or bookmarked, newest first."""
    before: int | None = None
    while True:
        statement = (
            sa.select(table.c.id, statuses.c.uri)
            .join(statuses, statuses.c.id == table.c.status_id)
            .where(table.c.account_id == account_id)
            .order_by(table.c.id.desc())
            .limit(1000)
        )
        if before is not None:
            statement = statement.where(table.c.id < before)
        rows = tx.rows(statement)
        for row in rows:
            yield row.uri
        if len(rows) < 1000:
            return
        before = rows[-1].id


def liked_uris(tx: Tx, account_id: int) -> Iterator[str]:
    return _uris(tx, favourites, account_id)


def bookmarked_uris(tx: Tx, account_id: int) -> Iterator[str]:
    return _uris(tx, bookmarks, account_id)
