"""What people do to posts: favourite, boost, bookmark, pin, mute a conversation.

Each action is idempotent (doing it twice changes nothing), works only on posts the actor may
see (otherwise NotFound, as if the post did not exist), acts on the boosted post when given a
boost, and moves the post's counters in the same transaction.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from pnyx.core import events, notifications, uris, visibility
from pnyx.core.account_visibility import SHOWN, account_visible_condition
from pnyx.core.errors import Forbidden, Invalid, NotFound
from pnyx.core.rows import StatusRow
from pnyx.core.status_deletion import delete_row
from pnyx.core.statuses import (
    adjust_account_statuses,
    adjust_counter,
    counted,
    get_row,
    visible_original,
)
from pnyx.db.engine import Tx
from pnyx.db.ids import new_id
from pnyx.db.insert_ignore import insert_ignore
from pnyx.db.tables import (
    accounts,
    bookmarks,
    conversation_mutes,
    favourites,
    status_pins,
    statuses,
    users,
)

MAX_PINS = 5
REBLOG_VISIBILITIES = ("public", "unlisted", "private")


def _username(tx: Tx, account_id: int) -> str:
    return tx.scalar(sa.select(accounts.c.username).where(accounts.c.id == account_id))


# --- Favourites -------------------------------------------------------------------------------


def _domain(tx: Tx, account_id: int) -> str | None:
    return tx.scalar(sa.select(accounts.c.domain).where(accounts.c.id == account_id))


def favourite(tx: Tx, account_id: int, status_id: int, *, uri: str | None = None) -> int:
    """Returns the id of the favourited post (the original when given a boost). `uri` is the
    Like activity's id when the favourite comes from another server (None if it had none)."""
    status = visible_original(tx, account_id, status_id)
    favourite_id = new_id()
    # Who favourited decides where it comes from, not whether a uri came with it: another
    # server may send a Like without an id, which stays uri-less here (not one of ours).
    local = _domain(tx, account_id) is None
    if uri is None and local:
        uri = uris.activity_uri(tx.settings, _username(tx, account_id), "likes", favourite_id)
    inserted = insert_ignore(
        tx,
        favourites,
        {
            "id": favourite_id,
            "account_id": account_id,
            "status_id": status.id,
            "uri": uri,
            "created_at": tx.now,
        },
    )
    if inserted:
        adjust_counter(tx, status.id, "favourites_count", +1)
        elsewhere = local and _domain(tx, status.account_id) is not None
        events.record(
            tx, events.StatusFavourited(account_id, status.id, uri, tell_other_servers=elsewhere)
        )
    return status.id


def unfavourite(tx: Tx, account_id: int, status_id: int) -> int:
    status = visible_original(tx, account_id, status_id)
    uri = tx.scalar(
        sa.select(favourites.c.uri).where(
            favourites.c.account_id == account_id, favourites.c.status_id == status.id
        )
    )
    deleted = tx.execute(
        favourites.delete().where(
            favourites.c.account_id == account_id, favourites.c.status_id == status.id
        )
    ).rowcount
    if deleted:
        adjust_counter(tx, status.id, "favourites_count", -1)
        notifications.withdraw(tx, status.account_id, account_id, "favourite", status.id)
        if _domain(tx, account_id) is None and _domain(tx, status.account_id) is not None:
            events.record(tx, events.FavouriteUndone(account_id, status.id, uri))
    return status.id


def favourite_undone(
    tx: Tx, account_id: int, like_uri: str | None, status_id: int | None
) -> int | None:
    """The post of `account_id`'s favourite that an Undo from its server names: the one made
    by the Like activity `like_uri`, or the one of `status_id`. None when there is none."""
    named = []
    if like_uri is not None:  # never `uri IS NULL`: that would be any id-less Like of theirs
        named.append(favourites.c.uri == like_uri)
    if status_id is not None:
        named.append(favourites.c.status_id == status_id)
    if not named:
        return None
    return tx.scalar(
        sa.select(favourites.c.status_id)
        .where(favourites.c.account_id == account_id, sa.or_(*named))
        .limit(1)
    )


# --- Boosts ------------------------------------------------------------------------------------


def existing_reblog(tx: Tx, account_id: int, status_id: int) -> StatusRow | None:
    return tx.one_or_none(
        sa.select(statuses).where(
            statuses.c.account_id == account_id, statuses.c.reblog_of_id == status_id
        )
    )


def reblog(
    tx: Tx,
    account_id: int,
    status_id: int,
    *,
    visibility_name: str | None = None,
    application_id: int | None = None,
    uri: str | None = None,
    created_at: datetime | None = None,
) -> int:
    """Boost a post; returns the boost's id (the existing one if already boosted). `uri` is
    the Announce activity's id when the boost comes from another server.

    Public and unlisted posts may be boosted by anyone who sees them; a followers-only post
    only by its author (to their same followers); direct messages never.
    """
    status = visible_original(tx, account_id, status_id)
    if not visibility.may_boost(account_id, status):
        raise Forbidden()
    existing = existing_reblog(tx, account_id, status.id)
    if existing is not None:
        return existing.id
    if visibility_name is None:
        visibility_name = (
            tx.scalar(sa.select(users.c.default_visibility).where(users.c.account_id == account_id))
            or "public"
        )
        if visibility_name not in REBLOG_VISIBILITIES:
            visibility_name = "public"
    elif visibility_name not in REBLOG_VISIBILITIES:
        raise Invalid("Visibility is not included in the list")
    if status.visibility == "private":
        visibility_name = "private"  # the author's own followers-only post stays so
    local = uri is None
    created_at = min(created_at, tx.now) if created_at else tx.now
    reblog_id = new_id(created_at)
    if local:
        # A boost has no page of its own: like Mastodon, its url is its Announce activity's URI.
        uri = uris.status_uri(tx.settings, _username(tx, account_id), reblog_id) + "/activity"
    tx.execute(
        statuses.insert().values(
            id=reblog_id,
            uri=uri,
            url=uri,
            account_id=account_id,
            local=local,
            visibility=visibility_name,
            reblog_of_id=status.id,
            application_id=application_id,
            created_at=created_at,
        )
    )
    adjust_counter(tx, status.id, "reblogs_count", +1)
    if counted(visibility_name):
        adjust_account_statuses(tx, account_id, +1)
    events.record(tx, events.StatusBoosted(reblog_id, tell_other_servers=local))
    return reblog_id


def unreblog(tx: Tx, account_id: int, status_id: int) -> int:
    """Undo a boost; returns the original post's id."""
    status = visible_original(tx, account_id, status_id)
    existing = existing_reblog(tx, account_id, status.id)
    if existing is not None:
        delete_row(tx, existing)
        if existing.local:
            undone = events.BoostUndone(
                account_id=account_id,
                status_id=status.id,
                uri=existing.uri,
                visibility=existing.visibility,
                published=existing.created_at,
                boost_id=existing.id,
            )
            events.record(tx, undone)
    return status.id


# --- Bookmarks ---------------------------------------------------------------------------------


def bookmark(tx: Tx, account_id: int, status_id: int) -> int:
    status = visible_original(tx, account_id, status_id)
    insert_ignore(
        tx,
        bookmarks,
        {"id": new_id(), "account_id": account_id, "status_id": status.id, "created_at": tx.now},
    )
    return status.id


def unbookmark(tx: Tx, account_id: int, status_id: int) -> int:
    status = visible_original(tx, account_id, status_id)
    tx.execute(
        bookmarks.delete().where(
            bookmarks.c.account_id == account_id, bookmarks.c.status_id == status.id
        )
    )
    return status.id


# --- Pins ---------------------------------------------------------------------------------------


def pin(tx: Tx, account_id: int, status_id: int) -> int:
    """Pin one's own post to the profile (Mastodon's rules and wording, at most 5)."""
    row = get_row(tx, status_id)
    if row is None or not visibility.may_see_one(tx, account_id, row):
        raise NotFound()
    refusal = visibility.pin_refusal(account_id, row, is_boost=row.reblog_of_id is not None)
    if refusal is not None:
        raise Invalid(refusal)
    already = tx.scalar(
        sa.select(status_pins.c.id).where(
            status_pins.c.account_id == account_id, status_pins.c.status_id == row.id
        )
    )
    if already:
        return row.id
    count = tx.scalar(
        sa.select(sa.func.count())
        .select_from(status_pins)
        .where(status_pins.c.account_id == account_id)
    )
    if count >= MAX_PINS:
        raise Invalid("You have already pinned the maximum number of posts")
    insert_ignore(
        tx,
        status_pins,
        {"id": new_id(), "account_id": account_id, "status_id": row.id, "created_at": tx.now},
    )
    return row.id


def unpin(tx: Tx, account_id: int, status_id: int) -> int:
    row = get_row(tx, status_id)
    if row is None or not visibility.may_see_one(tx, account_id, row):
        raise NotFound()
    tx.execute(
        status_pins.delete().where(
            status_pins.c.account_id == account_id, status_pins.c.status_id == row.id
        )
    )
    return row.id


# --- Conversation mutes --------------------------------------------------------------------------


def mute_conversation(tx: Tx, account_id: int, status_id: int) -> int:
    """Stop notifications about a thread (replies, favourites, boosts of any post in it)."""
    status = visible_original(tx, account_id, status_id)
    insert_ignore(
        tx,
        conversation_mutes,
        {"account_id": account_id, "conversation_id": status.conversation_id or status.id},
    )
    return status.id


def unmute_conversation(tx: Tx, account_id: int, status_id: int) -> int:
    status = visible_original(tx, account_id, status_id)
    tx.execute(
        conversation_mutes.delete().where(
            conversation_mutes.c.account_id == account_id,
            conversation_mutes.c.conversation_id == (status.conversation_id or status.id),
        )
    )
    return status.id


# --- Who favourited / boosted -------------------------------------------------------------------


def favourited_by_query(
    viewer_id: int | None, status_id: int, now: datetime
) -> tuple[sa.Select, sa.Column[int]]:
    """(cursor id, account row) pairs; the caller pages on favourites.id. Accounts the
    viewer may not see in a list of other people (`account_visibility.SHOWN`: suspended,
    blocked either way, muted) are left out."""
    return (
        sa.select(favourites.c.id.label("cursor_id"), accounts)
        .join(accounts, accounts.c.id == favourites.c.account_id)
        .where(
            favourites.c.status_id == status_id,
            account_visible_condition(SHOWN, accounts, viewer_id, now),
        )
    ), favourites.c.id


def reblogged_by_query(
    viewer_id: int | None, status_id: int, now: datetime
) -> tuple[sa.Select, sa.Column[int]]:
    """(cursor id, account row) pairs; the caller pages on the boost's id.

    Only public and unlisted boosts are listed, as in Mastodon: a followers-only boost (an
    author boosting their own followers-only post) is not announced to anyone this way."""
    return (
        sa.select(statuses.c.id.label("cursor_id"), accounts)
        .join(accounts, accounts.c.id == statuses.c.account_id)
        .where(
            statuses.c.reblog_of_id == status_id,
            statuses.c.visibility.in_(visibility.PUBLIC_VISIBILITIES),
            account_visible_condition(SHOWN, accounts, viewer_id, now),
        )
    ), statuses.c.id
