"""Deleting statuses: one's own post through the API or the web, a post deleted at its origin
(core.remote_store), a boost undone (core.interactions) and an erased account's posts
(core.erasure) all go the same way, each undoing the counters and notifications it moved."""

from __future__ import annotations

import sqlalchemy as sa

from pnyx.core import events, media, notifications, search_index, tombstones
from pnyx.core.rows import StatusRow
from pnyx.core.statuses import adjust_account_statuses, adjust_counter, counted, own_row
from pnyx.db.engine import Tx
from pnyx.db.tables import accounts, mentions, statuses


def delete_row(tx: Tx, status: StatusRow) -> None:
    """Remove one status and undo the counters it moved; dependent rows go by cascade."""
    if status.reblog_of_id:
        adjust_counter(tx, status.reblog_of_id, "reblogs_count", -1)
        notifications.withdraw(
            tx,
            _author_of(tx, status.reblog_of_id),
            status.account_id,
            "reblog",
            status.reblog_of_id,
        )
    if status.in_reply_to_id:
        adjust_counter(tx, status.in_reply_to_id, "replies_count", -1)
    if counted(status.visibility):
        adjust_account_statuses(tx, status.account_id, -1)
    if status.has_media:
        media.forget_files_of_status(tx, status.id)  # the rows go by cascade, the files after
    if not status.reblog_of_id:
        search_index.forget(tx, status.id)
    tx.execute(statuses.delete().where(statuses.c.id == status.id))


def _author_of(tx: Tx, status_id: int) -> int:
    return tx.scalar(sa.select(statuses.c.account_id).where(statuses.c.id == status_id)) or 0


def delete(tx: Tx, account_id: int, status_id: int, *, keep_media: bool = False) -> None:
    """Delete one's own post, its boosts by others (their counters too) and all it carries.

    `keep_media` (Mastodon 4.4's `delete_media=false`, the API's default) leaves its uploads
    to their owner, attached to nothing, so that "delete and redraft" can post them again;
    unused, they go with the day-old uploads (core.media_prune)."""
    status = own_row(tx, account_id, status_id)
    if keep_media and status.has_media:
        media.release_from_status(tx, status.id)
    # Who must hear of the deletion is read now: the mentions go with the post.
    mentioned = tx.scalars(
        sa.select(mentions.c.account_id)
        .join(accounts, accounts.c.id == mentions.c.account_id)
        .where(mentions.c.status_id == status.id, accounts.c.domain.is_not(None))
    )
    events.record(
        tx,
        events.StatusDeleted(
            account_id=account_id,
            uri=status.uri,
            visibility=status.visibility,
            reblog=bool(status.reblog_of_id),
            mentioned_account_ids=tuple(mentioned),
            in_reply_to_account_id=status.in_reply_to_account_id,
            status_id=status.id,
        ),
    )
    delete_with_boosts(tx, status)
    if not status.reblog_of_id:
        tombstones.leave(tx, status.uri)  # its address now answers 410 Gone


def delete_with_boosts(tx: Tx, status: StatusRow) -> None:
    """The one way a post goes, local or deleted at its origin: everyone's boosts of it and
    then the post, each undoing the counters (and notifications) it moved."""
    for boost in tx.rows(sa.select(statuses).where(statuses.c.reblog_of_id == status.id)):
        delete_row(tx, boost)
    delete_row(tx, status)
