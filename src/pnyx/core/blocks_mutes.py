"""Blocks and mutes: keeping an account away, or just out of sight.

A block ends follows and follow requests both ways and keeps them from coming back (see
follows.follow); a mute only hides, optionally for a while. Both are read back by the
visibility rules (pnyx.core.visibility) and the Relationship entity (pnyx.core.relationships).
"""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from pnyx.core import events, uris
from pnyx.core.errors import Invalid, NotFound
from pnyx.core.follows import (
    account_pair,
    delete_follow,
    delete_request,
    follow_uri,
    known_account,
)
from pnyx.db.engine import Tx
from pnyx.db.ids import new_id
from pnyx.db.insert_ignore import insert_ignore
from pnyx.db.tables import accounts, blocks, mutes

# Mute durations are seconds; about 68 years is "forever" for every practical purpose and keeps
# the arithmetic far away from datetime's limits.
MAX_MUTE_SECONDS = 2**31 - 1


def block(
    tx: Tx,
    account_id: int,
    target_id: int,
    *,
    uri: str | None = None,
    source_list_id: int | None = None,
) -> int:
    """Block: no follows either way, no pending requests either way. Returns the block's id.

    A local account blocking a remote one tells its server what Mastodon tells it, in this
    order: Undo of our Follow, Reject of theirs, then the Block (a server that reads only the
    Block, as Takahē does, would otherwise keep both follows). A block made by a block list
    (`source_list_id`, `core.moderation_lists`) sends no Block: list subscriptions are private;
    a block by hand of an account a list blocked makes it the person's own."""
    if account_id == target_id:
        raise Invalid("You cannot block yourself")
    blocker = tx.one_or_none(
        sa.select(accounts.c.username, accounts.c.domain).where(accounts.c.id == account_id)
    )
    if blocker is None:
        raise NotFound()
    target = known_account(tx, target_id)
    federates = blocker.domain is None and target.domain is not None
    tell_block = federates and source_list_id is None
    ours, theirs = follow_uri(tx, account_id, target_id), follow_uri(tx, target_id, account_id)
    if _end_follow(tx, account_id, target_id) and federates:
        events.record(tx, events.FollowUndone(account_id, target_id, ours))
    if _end_follow(tx, target_id, account_id) and federates:
        events.record(tx, events.FollowRejected(target_id, account_id, theirs))
    block_id = new_id()
    if uri is None and blocker.domain is None:
        uri = uris.activity_uri(tx.settings, blocker.username, "blocks", block_id)
    inserted = insert_ignore(
        tx,
        blocks,
        {
            "id": block_id,
            "account_id": account_id,
            "target_account_id": target_id,
            "uri": uri,
            "source_list_id": source_list_id,
            "created_at": tx.now,
        },
    )
    if inserted:  # blocking again changes nothing and sends nothing, as Mastodon
        # Feeds here drop each other's posts; only a remote target's server is told.
        events.record(
            tx, events.AccountBlocked(account_id, target_id, uri, tell_other_servers=tell_block)
        )
    elif source_list_id is None:  # now by hand: no list change undoes it
        tx.execute(
            blocks.update()
            .where(account_pair(blocks, account_id, target_id))
            .values(source_list_id=None)
        )
    return tx.scalar(sa.select(blocks.c.id).where(account_pair(blocks, account_id, target_id)))


def _end_follow(tx: Tx, follower_id: int, target_id: int) -> bool:
    """Remove the follow and the pending request from one to the other; True if any was."""
    removed = delete_follow(tx, follower_id, target_id)
    return delete_request(tx, follower_id, target_id) or removed


def unblock(tx: Tx, account_id: int, target_id: int) -> bool:
    target = known_account(tx, target_id)
    uri = tx.scalar(sa.select(blocks.c.uri).where(account_pair(blocks, account_id, target_id)))
    removed = (
        tx.execute(blocks.delete().where(account_pair(blocks, account_id, target_id))).rowcount == 1
    )
    if removed:  # feeds here take each other's posts back; a remote target's server is told
        tell = target.domain is not None
        events.record(tx, events.BlockUndone(account_id, target_id, uri, tell_other_servers=tell))
    return removed


def mute(
    tx: Tx,
    account_id: int,
    target_id: int,
    hide_notifications: bool = True,
    duration: int = 0,
    *,
    source_list_id: int | None = None,
) -> None:
    """Mute an account, hiding its notifications too unless told not to.

    `duration` is in seconds; 0 mutes until undone. Muting again replaces the options and the
    expiry, as in Mastodon. An expired mute is treated everywhere as no mute at all.
    """
    if account_id == target_id:
        raise Invalid("You cannot mute yourself")
    if duration is None:
        duration = 0
    if duration < 0 or duration > MAX_MUTE_SECONDS:
        raise Invalid(f"Duration must be between 0 and {MAX_MUTE_SECONDS} seconds")
    known_account(tx, target_id)
    expires_at = tx.now + timedelta(seconds=duration) if duration else None
    inserted = insert_ignore(
        tx,
        mutes,
        {
            "id": new_id(),
            "account_id": account_id,
            "target_account_id": target_id,
            "hide_notifications": bool(hide_notifications),
            "expires_at": expires_at,
            "source_list_id": source_list_id,
            "created_at": tx.now,
        },
    )
    if not inserted and source_list_id is None:  # by hand: replaces a list's mute too
        tx.execute(
            mutes.update()
            .where(account_pair(mutes, account_id, target_id))
            .values(
                hide_notifications=bool(hide_notifications),
                expires_at=expires_at,
                source_list_id=None,
            )
        )
    elif inserted:  # the muter's feeds drop the account's posts
        events.record(tx, events.AccountMuted(account_id, target_id))


def unmute(tx: Tx, account_id: int, target_id: int) -> bool:
    known_account(tx, target_id)
    removed = (
        tx.execute(mutes.delete().where(account_pair(mutes, account_id, target_id))).rowcount == 1
    )
    if removed:  # the feeds take the account's posts back
        events.record(tx, events.AccountUnmuted(account_id, target_id))
    return removed
