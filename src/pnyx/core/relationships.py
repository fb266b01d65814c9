"""How accounts stand towards each other, and the lists of accounts that makes.

The Relationship entity (following, blocking, muting, requested, note ...) for many accounts
in a fixed number of queries; private notes on accounts; followers and following lists with
Mastodon's hiding rules; one's own follow requests, blocks and mutes; familiar followers. The
changes themselves live in pnyx.core.follows and pnyx.core.blocks_mutes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Row

from pnyx.core import decisions, endorsements, paging
from pnyx.core import user_domain_blocks as domain_blocks
from pnyx.core.account_visibility import (
    ACTIVE,
    BLOCKS_YOU,
    KNOWN,
    LISTED,
    PENDING,
    SHOWN,
    SUSPENDED,
    account_visible_condition,
    load_account_context,
    none_of,
)
from pnyx.core.errors import Invalid, NotFound
from pnyx.core.follows import account_pair, known_account
from pnyx.core.rows import ListedAccountRow
from pnyx.db.engine import Tx
from pnyx.db.insert_ignore import insert_ignore
from pnyx.db.tables import account_notes, accounts, blocks, follow_requests, follows, mutes

MAX_NOTE_CHARS = 2000


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
    domain_blocking: bool = False
    endorsed: bool = False
    note: str = ""


@dataclass
class FamiliarFollowers:
    """Accounts the viewer follows that also follow `id`."""

    id: int
    accounts: list = field(default_factory=list)


# --- reading ------------------------------------------------------------------------------


def _both_ways(
    tx: Tx, table: sa.Table, viewer_id: int, ids: list[int], columns: Sequence[str] = ()
) -> tuple[dict[int, Row], set[int]]:
    """Rows of a follows-shaped table between the viewer and `ids`, in one query:
    (the viewer's rows by target id, the ids that have a row towards the viewer)."""
    rows = tx.rows(
        sa.select(
            table.c.account_id, table.c.target_account_id, *(table.c[c] for c in columns)
        ).where(
            sa.or_(
                sa.and_(table.c.account_id == viewer_id, table.c.target_account_id.in_(ids)),
                sa.and_(table.c.target_account_id == viewer_id, table.c.account_id.in_(ids)),
            )
        )
    )
    outgoing = {r.target_account_id: r for r in rows if r.account_id == viewer_id}
    incoming = {r.account_id for r in rows if r.target_account_id == viewer_id}
    return outgoing, incoming


def relationships(tx: Tx, viewer_id: int, target_ids: Sequence[int]) -> list[Relationship]:
    """The viewer's relationship to each target, in the order given, in eight queries."""
    ids = list(dict.fromkeys(target_ids))
    if not ids:
        return []
    rels = {i: Relationship(id=i) for i in ids}

    options = ("show_reblogs", "notify", "languages")
    following, followers = _both_ways(tx, follows, viewer_id, ids, options)
    for target_id, row in following.items():
        rel = rels[target_id]
        rel.following = True
        rel.showing_reblogs = row.show_reblogs
        rel.notifying = row.notify
        rel.languages = row.languages or None
    for follower_id in followers:
        rels[follower_id].followed_by = True

    requested, requesters = _both_ways(tx, follow_requests, viewer_id, ids, options)
    for target_id, row in requested.items():
        rel = rels[target_id]
        rel.requested = True
        # Like Mastodon, a pending request shows the options it will be created with.
        if not rel.following:
            rel.showing_reblogs = row.show_reblogs
            rel.notifying = row.notify
            rel.languages = row.languages or None
    for requester_id in requesters:
        rels[requester_id].requested_by = True

    blocking, blocked_by = _both_ways(tx, blocks, viewer_id, ids)
    for target_id in blocking:
        rels[target_id].blocking = True
    for blocker_id in blocked_by:
        rels[blocker_id].blocked_by = True

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

    for target_id in endorsements.endorsed_ids(tx, viewer_id, ids):
        rels[target_id].endorsed = True
    domains = {
        row.id: row.domain
        for row in tx.rows(
            sa.select(accounts.c.id, accounts.c.domain).where(
                accounts.c.id.in_(ids), accounts.c.domain.is_not(None)
            )
        )
    }
    blocked = domain_blocks.blocked_domains(tx, viewer_id, sorted(set(domains.values())))
    for target_id, domain in domains.items():
        rels[target_id].domain_blocking = domain in blocked
    return [rels[i] for i in ids]


def relationship(tx: Tx, viewer_id: int, target_id: int) -> Relationship:
    return relationships(tx, viewer_id, [target_id])[0]


def existing_account_ids(
    tx: Tx, account_ids: Sequence[int], *, with_suspended: bool = False
) -> list[int]:
    """The given ids that name accounts (not suspended, unless asked), in the order given."""
    ids = list(dict.fromkeys(account_ids))
    if not ids:
        return []
    rule = KNOWN if with_suspended else ACTIVE
    query = sa.select(accounts.c.id).where(accounts.c.id.in_(ids), account_visible_condition(rule))
    found = set(tx.scalars(query))
    return [i for i in ids if i in found]


def set_note(tx: Tx, account_id: int, target_id: int, comment: str | None) -> None:
    """A private note about another account; a blank one removes the note."""
    known_account(tx, target_id)
    comment = comment or ""
    if len(comment) > MAX_NOTE_CHARS:
        raise Invalid(f"Comment is too long (maximum is {MAX_NOTE_CHARS} characters)")
    where = account_pair(account_notes, account_id, target_id)
    if not comment.strip():
        tx.execute(account_notes.delete().where(where))
        return
    inserted = insert_ignore(
        tx,
        account_notes,
        {"account_id": account_id, "target_account_id": target_id, "comment": comment},
    )
    if not inserted:
        tx.execute(account_notes.update().where(where).values(comment=comment))


# --- lists of accounts --------------------------------------------------------------------


def _account_page(
    tx: Tx,
    query: sa.Select,
    column: sa.ColumnElement[int],
    max_id: int | None,
    since_id: int | None,
    min_id: int | None,
    limit: int,
) -> Sequence[ListedAccountRow]:
    """Mastodon's id pagination over `column`, newest first."""
    return paging.fetch(tx, query, column, paging.Page(max_id, since_id, min_id, limit))


def _collection_hidden(tx: Tx, owner_id: int, viewer_id: int | None) -> bool:
    """Whether the owner's followers/following lists are hidden from this viewer.

    Mastodon hides them when the owner is suspended, chose to hide them (except from
    themselves), or blocks the viewer. Unknown accounts, and sign-ups waiting for approval,
    are 404.
    """
    hides = tx.scalar(sa.select(accounts.c.hide_collections).where(accounts.c.id == owner_id))
    if hides is None:
        raise NotFound()
    ctx = load_account_context(tx, viewer_id, [owner_id])
    decision = decisions.decide_account(_COLLECTION_OWNER, ctx, owner_id)
    if decision.reasons == ("pending",):
        raise NotFound()
    if decision.reasons == ("suspended",):
        return True
    if viewer_id == owner_id:
        return False
    return bool(hides) or not decision.shown


# Whose followers/following lists a viewer may read: not a pending sign-up (404), not
# suspended, not one that blocks the viewer. (Whether the owner hides them is its own choice.)
_COLLECTION_OWNER = (decisions.account_rule(none_of(PENDING, SUSPENDED, BLOCKS_YOU)),)


def _follow_list(
    tx: Tx,
    owner_id: int,
    viewer_id: int | None,
    *,
    owner_column: sa.Column[int],
    other_column: sa.Column[int],
    max_id: int | None = None,
    since_id: int | None = None,
    min_id: int | None = None,
    limit: int = 40,
) -> Sequence[ListedAccountRow]:
    if _collection_hidden(tx, owner_id, viewer_id):
        return []
    query = (
        sa.select(accounts, follows.c.id.label("cursor_id"))
        .select_from(follows.join(accounts, accounts.c.id == other_column))
        # The owner sees everyone in their own lists; anyone else not those they shut out.
        .where(
            owner_column == owner_id,
            account_visible_condition(
                LISTED if viewer_id == owner_id else SHOWN, accounts, viewer_id, tx.now
            ),
        )
    )
    return _account_page(tx, query, follows.c.id, max_id, since_id, min_id, limit)


def followers(
    tx: Tx, account_id: int, viewer_id: int | None, **page: Any
) -> Sequence[ListedAccountRow]:
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


def following(
    tx: Tx, account_id: int, viewer_id: int | None, **page: Any
) -> Sequence[ListedAccountRow]:
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
    tx: Tx,
    table: sa.Table,
    owner_column: sa.Column[int],
    other_column: sa.Column[int],
    owner_id: int,
    extra: Sequence[sa.ColumnElement[Any]] = (),
    *,
    max_id: int | None = None,
    since_id: int | None = None,
    min_id: int | None = None,
    limit: int = 40,
) -> Sequence[ListedAccountRow]:
    """One of the owner's own lists (requests, blocks, mutes), paged by the list row's id."""
    query = (
        sa.select(accounts, table.c.id.label("cursor_id"), *extra)
        .select_from(table.join(accounts, accounts.c.id == other_column))
        .where(owner_column == owner_id, account_visible_condition(LISTED))
    )
    if table is mutes:
        query = query.where(sa.or_(mutes.c.expires_at.is_(None), mutes.c.expires_at > tx.now))
    return _account_page(tx, query, table.c.id, max_id, since_id, min_id, limit)


def pending_requests(tx: Tx, account_id: int, **page: Any) -> Sequence[ListedAccountRow]:
    """Accounts asking to follow `account_id`, newest request first; rows carry `cursor_id`."""
    return _own_list(
        tx,
        follow_requests,
        follow_requests.c.target_account_id,
        follow_requests.c.account_id,
        account_id,
        **page,
    )


def blocked_accounts(tx: Tx, account_id: int, **page: Any) -> Sequence[ListedAccountRow]:
    """Accounts `account_id` blocks, newest block first; rows carry `cursor_id`."""
    return _own_list(
        tx, blocks, blocks.c.account_id, blocks.c.target_account_id, account_id, **page
    )


def muted_accounts(tx: Tx, account_id: int, **page: Any) -> Sequence[ListedAccountRow]:
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


def familiar_followers(
    tx: Tx, viewer_id: int, target_ids: Sequence[int]
) -> list[FamiliarFollowers]:
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
            account_visible_condition(LISTED),
            accounts.c.hide_collections.is_(False),
            sa.or_(target.c.hide_collections.is_(False), target.c.id == viewer_id),
        )
        .order_by(theirs.c.id.desc())
    )
    for row in rows:
        results[row.familiar_target_id].accounts.append(row)
    return [results[i] for i in ids]
