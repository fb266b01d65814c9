"""Following: follows and follow requests, with their options and counters.

Every rule about who may follow whom lives here, so the Mastodon API, the web UI and (later)
incoming ActivityPub activities all go through the same functions. Local and remote accounts
are treated alike; the only difference is that following a remote account, like following a
locked one, creates a request that stays pending until the other side accepts (an ActivityPub
`Accept`, which the federation layer turns into `authorize_request`). Nothing here reaches the
network or enqueues jobs: callers that federate read the returned records and act on them.

Counters (`followers_count`, `following_count`) move in the same transaction as the rows, and
only when a row was really inserted or deleted, so retries and races never skew them.

The small helpers at the top (`graph_account`, `known_account`, `account_pair`) are shared by
blocks_mutes and relationships, the other two modules of the social graph.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

import sqlalchemy as sa
from sqlalchemy.engine import Row

from pnyx.core import account_moves, events, notifications, uris
from pnyx.core import accounts as core_accounts
from pnyx.core.account_visibility import KNOWN, LISTED, account_visible_condition
from pnyx.core.errors import Forbidden, Invalid, NotFound
from pnyx.db.engine import Tx
from pnyx.db.ids import new_id
from pnyx.db.insert_ignore import insert_ignore
from pnyx.db.tables import account_pins, accounts, blocks, follow_requests, follows

MAX_LANGUAGES = 100
MAX_LANGUAGE_CODE_CHARS = 16


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


# --- accounts of the social graph -----------------------------------------------------------


class GraphAccount(Protocol):
    """What graph_account reads of an account."""

    id: int
    username: str
    domain: str | None
    locked: bool
    suspended_at: datetime | None


class KnownAccount(Protocol):
    """What known_account reads of an account."""

    id: int
    domain: str | None
    suspended_at: datetime | None


def graph_account(tx: Tx, account_id: int) -> GraphAccount:
    """An account that may take part in the social graph: it exists, is not suspended and is
    not a sign-up still waiting for approval."""
    row = tx.one_or_none(
        sa.select(
            accounts.c.id,
            accounts.c.username,
            accounts.c.domain,
            accounts.c.locked,
            accounts.c.suspended_at,
        ).where(accounts.c.id == account_id, account_visible_condition(KNOWN))
    )
    if row is None or row.suspended_at is not None:
        raise NotFound()
    return row


def known_account(tx: Tx, account_id: int) -> KnownAccount:
    """An account row, suspended or not (undoing things works even on suspended accounts);
    a sign-up waiting for approval is not found."""
    row = tx.one_or_none(
        sa.select(accounts.c.id, accounts.c.domain, accounts.c.suspended_at).where(
            accounts.c.id == account_id, account_visible_condition(KNOWN)
        )
    )
    if row is None:
        raise NotFound()
    return row


def account_pair(table: sa.Table, account_id: int, target_id: int) -> sa.ColumnElement[bool]:
    return sa.and_(table.c.account_id == account_id, table.c.target_account_id == target_id)


def _bump(tx: Tx, account_id: int, column: str, delta: int) -> None:
    col = accounts.c[column]
    tx.execute(accounts.update().where(accounts.c.id == account_id).values({column: col + delta}))


def _blocks_between(tx: Tx, a: int, b: int) -> tuple[bool, bool]:
    """(a blocks b, b blocks a) in one query."""
    rows = tx.rows(
        sa.select(blocks.c.account_id).where(
            sa.or_(account_pair(blocks, a, b), account_pair(blocks, b, a))
        )
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


def delete_follow(tx: Tx, follower_id: int, target_id: int) -> bool:
    """Remove a follow and its notification, fixing both counters; True if there was one."""
    result = tx.execute(follows.delete().where(account_pair(follows, follower_id, target_id)))
    if result.rowcount != 1:
        return False
    _bump(tx, follower_id, "following_count", -1)
    _bump(tx, target_id, "followers_count", -1)
    notifications.withdraw(tx, target_id, follower_id, "follow")
    # As Mastodon: an endorsement (`core.endorsements`) lasts as long as the follow.
    tx.execute(account_pins.delete().where(account_pair(account_pins, follower_id, target_id)))
    return True


def delete_request(tx: Tx, follower_id: int, target_id: int) -> bool:
    """Remove a pending follow request and the notification that announced it."""
    result = tx.execute(
        follow_requests.delete().where(account_pair(follow_requests, follower_id, target_id))
    )
    if result.rowcount != 1:
        return False
    notifications.withdraw(tx, target_id, follower_id, "follow_request")
    return True


# --- following ----------------------------------------------------------------------------


def is_following(tx: Tx, follower_id: int, target_id: int) -> bool:
    return bool(
        tx.scalar(
            sa.select(follows.c.id).where(account_pair(follows, follower_id, target_id)).limit(1)
        )
    )


def follow_requests_count(tx: Tx, account_id: int) -> int:
    """Pending requests to follow `account_id` from accounts that are not suspended."""
    return int(
        tx.scalar(
            sa.select(sa.func.count())
            .select_from(
                follow_requests.join(accounts, accounts.c.id == follow_requests.c.account_id)
            )
            .where(
                follow_requests.c.target_account_id == account_id,
                account_visible_condition(LISTED),
            )
        )
        or 0
    )


def follow(
    tx: Tx,
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
    follower = graph_account(tx, follower_id)
    target = graph_account(tx, target_id)
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
    already = _update_existing(tx, follower_id, target_id, changes)
    if already is not None:
        return already
    account_moves.refuse_if_moved(tx, follower, target_id, uri)  # moved: not followed anew

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
        if insert_ignore(tx, follow_requests, values):
            # Elsewhere, the other server decides and answers with Accept or Reject.
            elsewhere = target.domain is not None
            requested = events.FollowRequested(
                follower_id, target_id, uri, tell_other_servers=elsewhere
            )
            events.record(tx, requested)
            return FollowResult(record_id, uri, pending=True, created=True)
    elif insert_ignore(tx, follows, values):
        _bump(tx, follower_id, "following_count", 1)
        _bump(tx, target_id, "followers_count", 1)
        # An open account accepts at once; a remote follower's server hears of it.
        accepted = events.FollowAccepted(
            follower_id,
            target_id,
            uri,
            at_once=True,
            tell_other_servers=follower.domain is not None,
        )
        events.record(tx, accepted)
        return FollowResult(record_id, uri, pending=False, created=True)
    # Someone else created the same row between our read and our insert: report theirs.
    return follow(tx, follower_id, target_id, reblogs, notify, langs, uri=uri)


def _update_existing(
    tx: Tx, follower_id: int, target_id: int, changes: dict[str, object]
) -> FollowResult | None:
    """Following again: the options sent (`changes`) are applied to the existing follow or
    pending request, which is returned; None when there is neither."""
    existing = tx.one_or_none(
        sa.select(follows.c.id, follows.c.uri).where(account_pair(follows, follower_id, target_id))
    )
    if existing is not None:
        if changes:
            tx.execute(follows.update().where(follows.c.id == existing.id).values(**changes))
        return FollowResult(existing.id, existing.uri, pending=False, created=False)
    pending_row = tx.one_or_none(
        sa.select(follow_requests.c.id, follow_requests.c.uri).where(
            account_pair(follow_requests, follower_id, target_id)
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
    return None


def unfollow(tx: Tx, follower_id: int, target_id: int) -> bool:
    """Stop following, or withdraw a pending request. True if anything was undone."""
    target = known_account(tx, target_id)
    uri = follow_uri(tx, follower_id, target_id)
    removed = delete_follow(tx, follower_id, target_id)
    withdrawn = delete_request(tx, follower_id, target_id)
    if removed or withdrawn:
        # The follower's feeds drop the posts; only a remote target's server is told.
        tell = target.domain is not None and core_accounts.is_local(tx, follower_id)
        events.record(tx, events.FollowUndone(follower_id, target_id, uri, tell_other_servers=tell))
    return removed or withdrawn


def follow_uri(tx: Tx, follower_id: int, target_id: int) -> str | None:
    """The ActivityPub id of the follow (or pending request) between these two."""
    for table in (follows, follow_requests):
        uri = tx.scalar(sa.select(table.c.uri).where(account_pair(table, follower_id, target_id)))
        if uri:
            return uri
    return None


# --- by ActivityPub id: what another server's Accept, Reject or Undo names -------------------


def target_of_follow(tx: Tx, follower_id: int, follow_uri: str | None) -> int | None:
    """Whom `follower_id` follows (or asked to) with the Follow activity `follow_uri`."""
    if not follow_uri:
        return None
    for table in (follows, follow_requests):
        target = tx.scalar(
            sa.select(table.c.target_account_id).where(
                table.c.account_id == follower_id, table.c.uri == follow_uri
            )
        )
        if target is not None:
            return target
    return None


def requesters_answered(
    tx: Tx, target_id: int, *, follow_uri: str | None, follower_id: int | None
) -> list[int]:
    """Who has a pending request to `target_id` that an Accept from it answers: the request
    made by the Follow `follow_uri`, or the one of the follower the Accept names (servers say
    one or the other)."""
    matches = []
    if follow_uri:
        matches.append(follow_requests.c.uri == follow_uri)
    if follower_id is not None:
        matches.append(follow_requests.c.account_id == follower_id)
    if not matches:
        return []
    return tx.scalars(
        sa.select(follow_requests.c.account_id).where(
            follow_requests.c.target_account_id == target_id, sa.or_(*matches)
        )
    )


def requester_of(tx: Tx, follow_uri: str) -> int | None:
    """Who sent the pending follow request made by the Follow activity `follow_uri`."""
    return tx.scalar(
        sa.select(follow_requests.c.account_id).where(follow_requests.c.uri == follow_uri)
    )


def _answer_remote(
    tx: Tx,
    answer: type[events.FollowAccepted | events.FollowRejected],
    target_id: int,
    requester_id: int,
    uri: str | None,
) -> None:
    """Tell a remote requester's server that its Follow was accepted or rejected."""
    if not core_accounts.is_local(tx, requester_id):
        events.record(tx, answer(requester_id, target_id, uri))
    elif answer is events.FollowAccepted:  # the requester's feed merges the target's posts
        events.record(tx, answer(requester_id, target_id, uri, tell_other_servers=False))


def _pending_request(tx: Tx, target_id: int, requester_id: int) -> Row:
    row = tx.one_or_none(
        sa.select(follow_requests).where(account_pair(follow_requests, requester_id, target_id))
    )
    if row is None:
        raise NotFound()
    return row


def authorize_request(tx: Tx, target_id: int, requester_id: int) -> int:
    """The requested account accepts: the request becomes a follow. Returns the follow's id."""
    graph_account(tx, requester_id)
    request = _pending_request(tx, target_id, requester_id)
    delete_request(tx, requester_id, target_id)
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
    if insert_ignore(tx, follows, values):
        _bump(tx, requester_id, "following_count", 1)
        _bump(tx, target_id, "followers_count", 1)
    _answer_remote(tx, events.FollowAccepted, target_id, requester_id, request.uri)
    return values["id"]


def reject_request(tx: Tx, target_id: int, requester_id: int) -> None:
    """The requested account declines; the requester is not told beyond the request vanishing."""
    known_account(tx, requester_id)
    request = _pending_request(tx, target_id, requester_id)
    delete_request(tx, requester_id, target_id)
    _answer_remote(tx, events.FollowRejected, target_id, requester_id, request.uri)


def authorize_all_requests(tx: Tx, target_id: int) -> int:
    """Accept every pending request (an account that stops being locked); returns how many."""
    requester_ids = tx.scalars(
        sa.select(follow_requests.c.account_id)
        .join(accounts, accounts.c.id == follow_requests.c.account_id)
        .where(follow_requests.c.target_account_id == target_id, account_visible_condition(LISTED))
    )
    for requester_id in requester_ids:
        authorize_request(tx, target_id, requester_id)
    return len(requester_ids)


def remove_from_followers(tx: Tx, account_id: int, follower_id: int) -> bool:
    """`follower_id` stops following `account_id`, at `account_id`'s wish (a soft block)."""
    known_account(tx, follower_id)
    uri = follow_uri(tx, follower_id, account_id)
    removed = delete_follow(tx, follower_id, account_id)
    if removed:
        _answer_remote(tx, events.FollowRejected, account_id, follower_id, uri)
    return removed
