"""The social graph: follows, follow requests, blocks, mutes and private notes on accounts.

Every rule about who may follow whom lives here, so the Mastodon API, the web UI and (later)
incoming ActivityPub activities all go through the same functions. Local and remote accounts
are treated alike; the only difference is that following a remote account, like following a
locked one, creates a request that stays pending until the other side accepts (an ActivityPub
`Accept`, which the federation layer turns into `authorize_request`). Nothing here reaches the
network or enqueues jobs: callers that federate read the returned records and act on them.

Counters (`followers_count`, `following_count`) move in the same transaction as the rows, and
only when a row was really inserted or deleted, so retries and races never skew them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from pnyx.core import notifications, uris
from pnyx.core.errors import Forbidden, Invalid, NotFound
from pnyx.db.ids import new_id
from pnyx.db.tables import (
    account_notes,
    accounts,
    blocks,
    follow_requests,
    follows,
    mutes,
)

MAX_NOTE_CHARS = 2000
MAX_LANGUAGES = 100
MAX_LANGUAGE_CODE_CHARS = 16
# Mute durations are seconds; about 68 years is "forever" for every practical purpose and keeps
# the arithmetic far away from datetime's limits.
MAX_MUTE_SECONDS = 2**31 - 1


@dataclass
class Relationship:
    """How the viewer and one other account stand towards each other (Mastodon's entity)."""

    id: int
    following: bool = False
    showing_reblogs: bool = False
    notifying: bool = False
    languages: list[str] | None = None
    followed_by: bool = False
    blocking: bool = False
    blocked_by: bool = False
    muting: bool = False
    muting_notifications: bool = False
    requested: bool = False
    requested_by: bool = False
    note: str = ""


@dataclass(frozen=True)
class FollowResult:
    """What `follow` did, for callers that must tell another server about it.

    `pending` means a follow request awaits approval; `created` is False when an existing follow
    or request only had its options changed (nothing new to announce).
    """

    id: int
    uri: str | None
    pending: bool
    created: bool


@dataclass
class FamiliarFollowers:
    """Accounts the viewer follows that also follow `id`."""

    id: int
    accounts: list = field(default_factory=list)


# --- helpers ------------------------------------------------------------------------------


def _insert_ignoring_duplicates(tx, table: sa.Table, values: dict) -> bool:
    """INSERT ... ON CONFLICT DO NOTHING; True if the row was really inserted.

    Two requests racing to create the same follow must not both succeed, nor fail with a
    uniqueness error the client would see as a 500: the loser simply finds nothing to do.
    """
    dialect = postgresql if tx.is_postgres else sqlite
    key = table.c.target_account_id
    # RETURNING rather than rowcount: drivers need not report a row count for INSERTs.
    statement = dialect.insert(table).values(**values).on_conflict_do_nothing().returning(key)
    return tx.one_or_none(statement) is not None


def _account(tx, account_id: int):
    """An account that may take part in the social graph: it exists and is not suspended."""
    row = tx.one_or_none(
        sa.select(
            accounts.c.id,
            accounts.c.username,
            accounts.c.domain,
            accounts.c.locked,
            accounts.c.suspended_at,
        ).where(accounts.c.id == account_id)
    )
    if row is None or row.suspended_at is not None:
        raise NotFound()
    return row


def _existing(tx, account_id: int):
    """An account row, suspended or not; undoing things works even on suspended accounts."""
    row = tx.one_or_none(
        sa.select(accounts.c.id, accounts.c.suspended_at).where(accounts.c.id == account_id)
    )
    if row is None:
        raise NotFound()
    return row


def _bump(tx, account_id: int, column: str, delta: int) -> None:
    col = accounts.c[column]
    tx.execute(accounts.update().where(accounts.c.id == account_id).values({column: col + delta}))


def _pair(table: sa.Table, account_id: int, target_id: int):
    return sa.and_(table.c.account_id == account_id, table.c.target_account_id == target_id)


def _blocks_between(tx, a: int, b: int) -> tuple[bool, bool]:
    """(a blocks b, b blocks a) in one query."""
    rows = tx.rows(
        sa.select(blocks.c.account_id).where(sa.or_(_pair(blocks, a, b), _pair(blocks, b, a)))
    )
    owners = {r.account_id for r in rows}
    return a in owners, b in owners


def _clean_languages(languages: Iterable[str] | None) -> list[str] | None:
    """ISO 639 codes the follower wants to see; an empty list means every language."""
    if languages is None:
        return None
    cleaned: list[str] = []
    for code in languages:
        if not isinstance(code, str) or not code.strip():
            raise Invalid("Languages must be language codes")
        code = code.strip().lower()
        if len(code) > MAX_LANGUAGE_CODE_CHARS or not code.replace("-", "").isalnum():
            raise Invalid("Languages must be language codes")
        if code not in cleaned:
            cleaned.append(code)
    if len(cleaned) > MAX_LANGUAGES:
        raise Invalid(f"Languages has too many items (maximum is {MAX_LANGUAGES})")
    return cleaned


def _delete_follow(tx, follower_id: int, target_id: int) -> bool:
    """Remove a follow and its notification, fixing both counters; True if there was one."""
    result = tx.execute(follows.delete().where(_pair(follows, follower_id, target_id)))
    if result.rowcount != 1:
        return False
    _bump(tx, follower_id, "following_count", -1)
    _bump(tx, target_id, "followers_count", -1)
    notifications.withdraw(tx, target_id, follower_id, "follow")
    return True


def _delete_request(tx, follower_id: int, target_id: int) -> bool:
    """Remove a pending follow request and the notification that announced it."""
    result = tx.execute(
        follow_requests.delete().where(_pair(follow_requests, follower_id, target_id))
    )
    if result.rowcount != 1:
        return False
    notifications.withdraw(tx, target_id, follower_id, "follow_request")
    return True


# --- reading ------------------------------------------------------------------------------


def relationships(tx, viewer_id: int, target_ids: Sequence[int]) -> list[Relationship]:
    """The viewer's relationship to each target, in the order given, in five queries."""
    ids = list(dict.fromkeys(target_ids))
    if not ids:
        return []
    rels = {i: Relationship(id=i) for i in ids}

    for row in tx.rows(
        sa.select(
            follows.c.account_id,
            follows.c.target_account_id,
            follows.c.show_reblogs,
            follows.c.notify,
            follows.c.languages,
        ).where(
            sa.or_(
                sa.and_(follows.c.account_id == viewer_id, follows.c.target_account_id.in_(ids)),
                sa.and_(follows.c.target_account_id == viewer_id, follows.c.account_id.in_(ids)),
            )
        )
    ):
        if row.account_id == viewer_id and row.target_account_id in rels:
            rel = rels[row.target_account_id]
            rel.following = True
            rel.showing_reblogs = row.show_reblogs
            rel.notifying = row.notify
            rel.languages = row.languages or None
        if row.target_account_id == viewer_id and row.account_id in rels:
            rels[row.account_id].followed_by = True

    for row in tx.rows(
        sa.select(
            follow_requests.c.account_id,
            follow_requests.c.target_account_id,
            follow_requests.c.show_reblogs,
            follow_requests.c.notify,
            follow_requests.c.languages,
        ).where(
            sa.or_(
                sa.and_(
                    follow_requests.c.account_id == viewer_id,
                    follow_requests.c.target_account_id.in_(ids),
                ),
                sa.and_(
                    follow_requests.c.target_account_id == viewer_id,
                    follow_requests.c.account_id.in_(ids),
                ),
            )
        )
    ):
        if row.account_id == viewer_id and row.target_account_id in rels:
            rel = rels[row.target_account_id]
            rel.requested = True
            # Like Mastodon, a pending request shows the options it will be created with.
            if not rel.following:
                rel.showing_reblogs = row.show_reblogs
                rel.notifying = row.notify
                rel.languages = row.languages or None
        if row.target_account_id == viewer_id and row.account_id in rels:
            rels[row.account_id].requested_by = True

    for row in tx.rows(
        sa.select(blocks.c.account_id, blocks.c.target_account_id).where(
            sa.or_(
                sa.and_(blocks.c.account_id == viewer_id, blocks.c.target_account_id.in_(ids)),
                sa.and_(blocks.c.target_account_id == viewer_id, blocks.c.account_id.in_(ids)),
            )
        )
    ):
        if row.account_id == viewer_id and row.target_account_id in rels:
            rels[row.target_account_id].blocking = True
        if row.target_account_id == viewer_id and row.account_id in rels:
            rels[row.account_id].blocked_by = True

    for row in tx.rows(
        sa.select(mutes.c.target_account_id, mutes.c.hide_notifications).where(
            mutes.c.account_id == viewer_id,
            mutes.c.target_account_id.in_(ids),
            sa.or_(mutes.c.expires_at.is_(None), mutes.c.expires_at > tx.now),
        )
    ):
        rel = rels[row.target_account_id]
        rel.muting = True
        rel.muting_notifications = row.hide_notifications

    for row in tx.rows(
        sa.select(account_notes.c.target_account_id, account_notes.c.comment).where(
            account_notes.c.account_id == viewer_id,
            account_notes.c.target_account_id.in_(ids),
        )
    ):
        rels[row.target_account_id].note = row.comment

    return [rels[i] for i in ids]


def relationship(tx, viewer_id: int, target_id: int) -> Relationship:
    return relationships(tx, viewer_id, [target_id])[0]


def existing_account_ids(
    tx, account_ids: Sequence[int], *, with_suspended: bool = False
) -> list[int]:
    """The given ids that name accounts (not suspended, unless asked), in the order given."""
    ids = list(dict.fromkeys(account_ids))
    if not ids:
        return []
    query = sa.select(accounts.c.id).where(accounts.c.id.in_(ids))
    if not with_suspended:
        query = query.where(accounts.c.suspended_at.is_(None))
    found = set(tx.scalars(query))
    return [i for i in ids if i in found]


def is_following(tx, follower_id: int, target_id: int) -> bool:
    return bool(
        tx.scalar(sa.select(follows.c.id).where(_pair(follows, follower_id, target_id)).limit(1))
    )


def follow_requests_count(tx, account_id: int) -> int:
    """Pending requests to follow `account_id` from accounts that are not suspended."""
    return int(
        tx.scalar(
            sa.select(sa.func.count())
            .select_from(
                follow_requests.join(accounts, accounts.c.id == follow_requests.c.account_id)
            )
            .where(
                follow_requests.c.target_account_id == account_id,
                accounts.c.suspended_at.is_(None),
            )
        )
        or 0
    )


# --- following ----------------------------------------------------------------------------


def follow(
    tx,
    follower_id: int,
    target_id: int,
    reblogs: bool | None = None,
    notify: bool | None = None,
    languages: Iterable[str] | None = None,
    *,
    uri: str | None = None,
) -> FollowResult:
    """Follow `target_id`, or ask to when it is locked or lives on another server.

    `reblogs`, `notify` and `languages` left as None keep their current value on an existing
    follow or request (Mastodon's behaviour: following again only changes what was sent), and
    take the defaults (boosts shown, no post notifications, all languages) on a new one. An
    empty `languages` list means every language. `uri` is the ActivityPub id of the Follow
    activity when it came from another server; local follows get one of ours.
    """
    if follower_id == target_id:
        raise Invalid("You cannot follow yourself")
    follower = _account(tx, follower_id)
    target = _account(tx, target_id)
    follower_blocks, target_blocks = _blocks_between(tx, follower_id, target_id)
    if follower_blocks or target_blocks:
        raise Forbidden()
    langs = _clean_languages(languages)

    changes: dict = {}
    if reblogs is not None:
        changes["show_reblogs"] = bool(reblogs)
    if notify is not None:
        changes["notify"] = bool(notify)
    if langs is not None:
        changes["languages"] = langs or None

    existing = tx.one_or_none(
        sa.select(follows.c.id, follows.c.uri).where(_pair(follows, follower_id, target_id))
    )
    if existing is not None:
        if changes:
            tx.execute(follows.update().where(follows.c.id == existing.id).values(**changes))
        return FollowResult(existing.id, existing.uri, pending=False, created=False)
    pending_row = tx.one_or_none(
        sa.select(follow_requests.c.id, follow_requests.c.uri).where(
            _pair(follow_requests, follower_id, target_id)
        )
    )
    if pending_row is not None:
        if changes:
            tx.execute(
                follow_requests.update()
                .where(follow_requests.c.id == pending_row.id)
                .values(**changes)
            )
        return FollowResult(pending_row.id, pending_row.uri, pending=True, created=False)

    record_id = new_id()
    if uri is None and follower.domain is None:
        uri = uris.activity_uri(tx.settings, follower.username, "follows", record_id)
    values = {
        "id": record_id,
        "account_id": follower_id,
        "target_account_id": target_id,
        "show_reblogs": True if reblogs is None else bool(reblogs),
        "notify": False if notify is None else bool(notify),
        "languages": langs or None,
        "uri": uri,
        "created_at": tx.now,
    }
    pending = target.locked or target.domain is not None
    if pending:
        if _insert_ignoring_duplicates(tx, follow_requests, values):
            notifications.notify(tx, target_id, follower_id, "follow_request")
            return FollowResult(record_id, uri, pending=True, created=True)
    elif _insert_ignoring_duplicates(tx, follows, values):
        _bump(tx, follower_id, "following_count", 1)
        _bump(tx, target_id, "followers_count", 1)
        notifications.notify(tx, target_id, follower_id, "follow")
        return FollowResult(record_id, uri, pending=False, created=True)
    # Someone else created the same row between our read and our insert: report theirs.
    return follow(tx, follower_id, target_id, reblogs, notify, langs, uri=uri)


def unfollow(tx, follower_id: int, target_id: int) -> bool:
    """Stop following, or withdraw a pending request. True if anything was undone."""
    _existing(tx, target_id)
    removed = _delete_follow(tx, follower_id, target_id)
    withdrawn = _delete_request(tx, follower_id, target_id)
    return removed or withdrawn


def _pending_request(tx, target_id: int, requester_id: int):
    row = tx.one_or_none(
        sa.select(follow_requests).where(_pair(follow_requests, requester_id, target_id))
    )
    if row is None:
        raise NotFound()
    return row


def authorize_request(tx, target_id: int, requester_id: int) -> int:
    """The requested account accepts: the request becomes a follow. Returns the follow's id."""
    _account(tx, requester_id)
    request = _pending_request(tx, target_id, requester_id)
    _delete_request(tx, requester_id, target_id)
    values = {
        "id": new_id(),  # a new id: followers lists are ordered by when the follow began
        "account_id": requester_id,
        "target_account_id": target_id,
        "show_reblogs": request.show_reblogs,
        "notify": request.notify,
        "languages": request.languages,
        "uri": request.uri,
        "created_at": tx.now,
    }
    if _insert_ignoring_duplicates(tx, follows, values):
        _bump(tx, requester_id, "following_count", 1)
        _bump(tx, target_id, "followers_count", 1)
    return values["id"]


def reject_request(tx, target_id: int, requester_id: int) -> None:
    """The requested account declines; the requester is not told beyond the request vanishing."""
    _existing(tx, requester_id)
    _pending_request(tx, target_id, requester_id)
    _delete_request(tx, requester_id, target_id)


def authorize_all_requests(tx, target_id: int) -> int:
    """Accept every pending request (an account that stops being locked); returns how many."""
    requester_ids = tx.scalars(
        sa.select(follow_requests.c.account_id)
        .join(accounts, accounts.c.id == follow_requests.c.account_id)
        .where(follow_requests.c.target_account_id == target_id, accounts.c.suspended_at.is_(None))
    )
    for requester_id in requester_ids:
        authorize_request(tx, target_id, requester_id)
    return len(requester_ids)


def remove_from_followers(tx, account_id: int, follower_id: int) -> bool:
    """`follower_id` stops following `account_id`, at `account_id`'s wish (a soft block)."""
    _existing(tx, follower_id)
    return _delete_follow(tx, follower_id, account_id)


# --- blocks and mutes ---------------------------------------------------------------------


def block(tx, account_id: int, target_id: int, *, uri: str | None = None) -> int:
    """Block: no follows either way, no pending requests either way. Returns the block's id."""
    if account_id == target_id:
        raise Invalid("You cannot block yourself")
    blocker = tx.one_or_none(
        sa.select(accounts.c.username, accounts.c.domain).where(accounts.c.id == account_id)
    )
    if blocker is None:
        raise NotFound()
    _existing(tx, target_id)
    _delete_follow(tx, account_id, target_id)
    _delete_follow(tx, target_id, account_id)
    _delete_request(tx, account_id, target_id)
    _delete_request(tx, target_id, account_id)
    block_id = new_id()
    if uri is None and blocker.domain is None:
        uri = uris.activity_uri(tx.settings, blocker.username, "blocks", block_id)
    _insert_ignoring_duplicates(
        tx,
        blocks,
        {
            "id": block_id,
            "account_id": account_id,
            "target_account_id": target_id,
            "uri": uri,
            "created_at": tx.now,
        },
    )
    return tx.scalar(sa.select(blocks.c.id).where(_pair(blocks, account_id, target_id)))


def unblock(tx, account_id: int, target_id: int) -> bool:
    _existing(tx, target_id)
    return tx.execute(blocks.delete().where(_pair(blocks, account_id, target_id))).rowcount == 1


def mute(
    tx,
    account_id: int,
    target_id: int,
    hide_notifications: bool = True,
    duration: int = 0,
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
    _existing(tx, target_id)
    expires_at = tx.now + timedelta(seconds=duration) if duration else None
    inserted = _insert_ignoring_duplicates(
        tx,
        mutes,
        {
            "id": new_id(),
            "account_id": account_id,
            "target_account_id": target_id,
            "hide_notifications": bool(hide_notifications),
            "expires_at": expires_at,
            "created_at": tx.now,
        },
    )
    if not inserted:
        tx.execute(
            mutes.update()
            .where(_pair(mutes, account_id, target_id))
            .values(hide_notifications=bool(hide_notifications), expires_at=expires_at)
        )


def unmute(tx, account_id: int, target_id: int) -> bool:
    _existing(tx, target_id)
    return tx.execute(mutes.delete().where(_pair(mutes, account_id, target_id))).rowcount == 1


def set_note(tx, account_id: int, target_id: int, comment: str | None) -> None:
    """A private note about another account; a blank one removes the note."""
    _existing(tx, target_id)
    comment = comment or ""
    if len(comment) > MAX_NOTE_CHARS:
        raise Invalid(f"Comment is too long (maximum is {MAX_NOTE_CHARS} characters)")
    where = _pair(account_notes, account_id, target_id)
    if not comment.strip():
        tx.execute(account_notes.delete().where(where))
        return
    inserted = _insert_ignoring_duplicates(
        tx,
        account_notes,
        {"account_id": account_id, "target_account_id": target_id, "comment": comment},
    )
    if not inserted:
        tx.execute(account_notes.update().where(where).values(comment=comment))


# --- lists of accounts --------------------------------------------------------------------


def _account_page(tx, query, column, max_id, since_id, min_id, limit) -> list:
    """Mastodon's id pagination over `column`, newest first.

    A `min_id` page walks forward from that id, so it is fetched oldest first and turned
    around before it is returned.
    """
    if max_id is not None:
        query = query.where(column < max_id)
    if since_id is not None:
        query = query.where(column > since_id)
    if min_id is not None:
        rows = tx.rows(query.where(column > min_id).order_by(column.asc()).limit(limit))
        return list(reversed(rows))
    return tx.rows(query.order_by(column.desc()).limit(limit))


def _not_hidden_from(viewer_id: int, column, now):
    """Leave out accounts blocked either way with the viewer, or muted by the viewer."""
    return sa.and_(
        ~sa.exists().where(
            sa.or_(
                sa.and_(blocks.c.account_id == viewer_id, blocks.c.target_account_id == column),
                sa.and_(blocks.c.target_account_id == viewer_id, blocks.c.account_id == column),
            )
        ),
        ~sa.exists().where(
            mutes.c.account_id == viewer_id,
            mutes.c.target_account_id == column,
            sa.or_(mutes.c.expires_at.is_(None), mutes.c.expires_at > now),
        ),
    )


def _collection_hidden(tx, owner_id: int, viewer_id: int | None) -> bool:
    """Whether the owner's followers/following lists are hidden from this viewer.

    Mastodon hides them when the owner is suspended, chose to hide them (except from
    themselves), or blocks the viewer. Unknown accounts are 404.
    """
    owner = tx.one_or_none(
        sa.select(accounts.c.hide_collections, accounts.c.suspended_at).where(
            accounts.c.id == owner_id
        )
    )
    if owner is None:
        raise NotFound()
    if owner.suspended_at is not None:
        return True
    if viewer_id == owner_id:
        return False
    if owner.hide_collections:
        return True
    return viewer_id is not None and bool(
        tx.scalar(sa.select(blocks.c.id).where(_pair(blocks, owner_id, viewer_id)).limit(1))
    )


def _follow_list(
    tx,
    owner_id: int,
    viewer_id: int | None,
    *,
    owner_column,
    other_column,
    max_id=None,
    since_id=None,
    min_id=None,
    limit: int = 40,
) -> list:
    if _collection_hidden(tx, owner_id, viewer_id):
        return []
    query = (
        sa.select(accounts, follows.c.id.label("cursor_id"))
        .select_from(follows.join(accounts, accounts.c.id == other_column))
        .where(owner_column == owner_id, accounts.c.suspended_at.is_(None))
    )
    if viewer_id is not None and viewer_id != owner_id:
        query = query.where(_not_hidden_from(viewer_id, accounts.c.id, tx.now))
    return _account_page(tx, query, follows.c.id, max_id, since_id, min_id, limit)


def followers(tx, account_id: int, viewer_id: int | None, **page) -> list:
    """Accounts following `account_id`, newest follow first; rows carry `cursor_id`.

    `page` takes max_id, since_id, min_id and limit (ids of follow rows).
    """
    return _follow_list(
        tx,
        account_id,
        viewer_id,
        owner_column=follows.c.target_account_id,
        other_column=follows.c.account_id,
        **page,
    )


def following(tx, account_id: int, viewer_id: int | None, **page) -> list:
    """Accounts `account_id` follows, newest follow first; rows carry `cursor_id`."""
    return _follow_list(
        tx,
        account_id,
        viewer_id,
        owner_column=follows.c.account_id,
        other_column=follows.c.target_account_id,
        **page,
    )


def _own_list(
    tx,
    table: sa.Table,
    owner_column,
    other_column,
    owner_id: int,
    extra=(),
    *,
    max_id: int | None = None,
    since_id: int | None = None,
    min_id: int | None = None,
    limit: int = 40,
) -> list:
    """One of the owner's own lists (requests, blocks, mutes), paged by the list row's id."""
    query = (
        sa.select(accounts, table.c.id.label("cursor_id"), *extra)
        .select_from(table.join(accounts, accounts.c.id == other_column))
        .where(owner_column == owner_id, accounts.c.suspended_at.is_(None))
    )
    if table is mutes:
        query = query.where(sa.or_(mutes.c.expires_at.is_(None), mutes.c.expires_at > tx.now))
    return _account_page(tx, query, table.c.id, max_id, since_id, min_id, limit)


def pending_requests(tx, account_id: int, **page) -> list:
    """Accounts asking to follow `account_id`, newest request first; rows carry `cursor_id`."""
    return _own_list(
        tx,
        follow_requests,
        follow_requests.c.target_account_id,
        follow_requests.c.account_id,
        account_id,
        **page,
    )


def blocked_accounts(tx, account_id: int, **page) -> list:
    """Accounts `account_id` blocks, newest block first; rows carry `cursor_id`."""
    return _own_list(
        tx, blocks, blocks.c.account_id, blocks.c.target_account_id, account_id, **page
    )


def muted_accounts(tx, account_id: int, **page) -> list:
    """Accounts `account_id` mutes (unexpired); rows carry `cursor_id` and `mute_expires_at`."""
    return _own_list(
        tx,
        mutes,
        mutes.c.account_id,
        mutes.c.target_account_id,
        account_id,
        extra=(mutes.c.expires_at.label("mute_expires_at"),),
        **page,
    )


def familiar_followers(tx, viewer_id: int, target_ids: Sequence[int]) -> list[FamiliarFollowers]:
    """For each target: accounts the viewer follows that follow it too, in one query.

    Accounts that hide their collections are left out (saying they follow the target would
    reveal what they chose to hide), as are targets that hide theirs from other people.
    """
    ids = list(dict.fromkeys(target_ids))
    results = {i: FamiliarFollowers(i) for i in ids}
    if not ids:
        return []
    theirs = follows.alias("theirs")
    mine = follows.alias("mine")
    target = accounts.alias("target")
    rows = tx.rows(
        sa.select(accounts, theirs.c.target_account_id.label("familiar_target_id"))
        .select_from(
            theirs.join(mine, mine.c.target_account_id == theirs.c.account_id)
            .join(accounts, accounts.c.id == theirs.c.account_id)
            .join(target, target.c.id == theirs.c.target_account_id)
        )
        .where(
            mine.c.account_id == viewer_id,
            theirs.c.target_account_id.in_(ids),
            theirs.c.account_id != viewer_id,
            accounts.c.suspended_at.is_(None),
            accounts.c.hide_collections.is_(False),
            sa.or_(target.c.hide_collections.is_(False), target.c.id == viewer_id),
        )
        .order_by(theirs.c.id.desc())
    )
    for row in rows:
        results[row.familiar_target_id].accounts.append(row)
    return [results[i] for i in ids]
