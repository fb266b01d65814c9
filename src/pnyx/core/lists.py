"""Lists: a person's own groups of followed accounts, each with a timeline of its own.

As Mastodon has them: a title, a replies policy (which replies of members the list shows:
to anyone the owner follows, to members of the list, or to nobody but the owner) and
`exclusive` (members' posts then leave the owner's home timeline). Only accounts the owner
follows may be members (and the owner themselves); a membership hangs on its follow, so an
unfollow, a block, an Undo from elsewhere or an erasure ends it with the follow (a foreign key
with ON DELETE CASCADE, in the same statement).

A list is its owner's alone: anyone else asking for it gets 404, as if it did not exist. The
list timeline itself is `timelines.list_statuses`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Row

from pnyx.core import events, paging
from pnyx.core.account_visibility import LISTED, account_visible_condition
from pnyx.core.errors import Invalid, NotFound
from pnyx.core.follows import known_account
from pnyx.core.rows import ListedAccountRow
from pnyx.db.engine import Tx
from pnyx.db.ids import new_id
from pnyx.db.insert_ignore import insert_ignore
from pnyx.db.tables import accounts, feed_entries, feed_states, follows, list_accounts, lists

MAX_LISTS = 50  # Mastodon's List::PER_ACCOUNT_LIMIT
MAX_TITLE_CHARS = 256
REPLIES_POLICIES = ("followed", "list", "none")
MAX_MEMBERS_AT_ONCE = 250  # account_ids in one request


def _title(title: str | None) -> str:
    title = (title or "").strip()
    if not title:
        raise Invalid("Title can't be blank")
    if len(title) > MAX_TITLE_CHARS:
        raise Invalid(f"Title is too long (maximum is {MAX_TITLE_CHARS} characters)")
    return title


def _policy(policy: str) -> str:
    if policy not in REPLIES_POLICIES:
        raise Invalid("Replies policy is not included in the list")
    return policy


def owned(tx: Tx, owner_id: int) -> Sequence[Row]:
    """The owner's lists, oldest first (Mastodon's order)."""
    return tx.rows(sa.select(lists).where(lists.c.account_id == owner_id).order_by(lists.c.id))


def owns(tx: Tx, owner_id: int, list_id: int) -> bool:
    return (
        tx.scalar(
            sa.select(lists.c.id).where(lists.c.id == list_id, lists.c.account_id == owner_id)
        )
        is not None
    )


def get(tx: Tx, owner_id: int, list_id: int) -> Row:
    """The owner's list; NotFound for an unknown list and for someone else's."""
    row = tx.one_or_none(
        sa.select(lists).where(lists.c.id == list_id, lists.c.account_id == owner_id)
    )
    if row is None:
        raise NotFound()
    return row


def create(
    tx: Tx, owner_id: int, title: str | None, replies_policy: str = "list", exclusive: bool = False
) -> Row:
    title = _title(title)
    _policy(replies_policy)
    count = tx.scalar(sa.select(sa.func.count()).where(lists.c.account_id == owner_id)) or 0
    if count >= MAX_LISTS:
        raise Invalid("You have reached the maximum number of lists")
    list_id = new_id()
    tx.execute(
        lists.insert().values(
            id=list_id,
            account_id=owner_id,
            title=title,
            replies_policy=replies_policy,
            exclusive=bool(exclusive),
            created_at=tx.now,
        )
    )
    return get(tx, owner_id, list_id)


def update(
    tx: Tx,
    owner_id: int,
    list_id: int,
    *,
    title: str | None = None,
    replies_policy: str | None = None,
    exclusive: bool | None = None,
) -> Row:
    """Change what was sent; what was not keeps its value."""
    get(tx, owner_id, list_id)
    changes: dict[str, Any] = {}
    if title is not None:
        changes["title"] = _title(title)
    if replies_policy is not None:
        changes["replies_policy"] = _policy(replies_policy)
    if exclusive is not None:
        changes["exclusive"] = bool(exclusive)
    if changes:
        tx.execute(lists.update().where(lists.c.id == list_id).values(**changes))
    return get(tx, owner_id, list_id)


def delete(tx: Tx, owner_id: int, list_id: int) -> None:
    get(tx, owner_id, list_id)
    tx.execute(lists.delete().where(lists.c.id == list_id))
    # Its materialized feed (core.feeds) has no foreign key to the list: it goes with it.
    mine = sa.and_(feed_states.c.viewer_id == owner_id, feed_states.c.list_id == list_id)
    tx.execute(feed_states.delete().where(mine))
    tx.execute(
        feed_entries.delete().where(
            feed_entries.c.viewer_id == owner_id, feed_entries.c.list_id == list_id
        )
    )


def members(tx: Tx, owner_id: int, list_id: int, page: paging.Page) -> Sequence[ListedAccountRow]:
    """The list's accounts, newest membership first; rows carry `cursor_id` (the membership's
    id, what the Link header pages by). Suspended accounts stay listed, as in one's follows."""
    get(tx, owner_id, list_id)
    query = (
        sa.select(accounts, list_accounts.c.id.label("cursor_id"))
        .select_from(list_accounts.join(accounts, accounts.c.id == list_accounts.c.account_id))
        .where(list_accounts.c.list_id == list_id, account_visible_condition(LISTED))
    )
    return paging.fetch(tx, query, list_accounts.c.id, page)


def add_members(tx: Tx, owner_id: int, list_id: int, account_ids: Sequence[int]) -> None:
    """Add accounts the owner follows (or the owner). Adding a member again changes nothing.

    All or nothing: an unknown account is 404 and one the owner does not follow is refused
    (422), with none of the others added.
    """
    get(tx, owner_id, list_id)
    ids = list(dict.fromkeys(account_ids))
    if not ids:
        return
    if len(ids) > MAX_MEMBERS_AT_ONCE:
        raise Invalid(f"Account ids has too many items (maximum is {MAX_MEMBERS_AT_ONCE})")
    for account_id in ids:
        known_account(tx, account_id)
    follow_ids = dict(
        tx.execute(
            sa.select(follows.c.target_account_id, follows.c.id).where(
                follows.c.account_id == owner_id, follows.c.target_account_id.in_(ids)
            )
        ).all()
    )
    for account_id in ids:
        if account_id != owner_id and account_id not in follow_ids:
            raise Invalid("Account must be followed before it is added to a list")
    added = [
        account_id
        for account_id in ids
        if insert_ignore(
            tx,
            list_accounts,
            {
                "id": new_id(),
                "list_id": list_id,
                "account_id": account_id,
                "follow_id": follow_ids.get(account_id),
            },
        )
    ]
    if added:  # the list's feed merges their posts
        events.record(tx, events.ListMembersChanged(list_id, owner_id, tuple(added), added=True))


def remove_members(tx: Tx, owner_id: int, list_id: int, account_ids: Sequence[int]) -> None:
    get(tx, owner_id, list_id)
    if not account_ids:
        return
    removed = tx.scalars(
        sa.select(list_accounts.c.account_id).where(
            list_accounts.c.list_id == list_id, list_accounts.c.account_id.in_(list(account_ids))
        )
    )
    tx.execute(
        list_accounts.delete().where(
            list_accounts.c.list_id == list_id, list_accounts.c.account_id.in_(list(account_ids))
        )
    )
    if removed:  # the list's feed drops their posts
        events.record(tx, events.ListMembersChanged(list_id, owner_id, tuple(removed), added=False))


def containing(tx: Tx, owner_id: int, account_id: int) -> Sequence[Row]:
    """The owner's lists that `account_id` is a member of (NotFound for an unknown account)."""
    known_account(tx, account_id)
    return tx.rows(
        sa.select(lists)
        .join(list_accounts, list_accounts.c.list_id == lists.c.id)
        .where(lists.c.account_id == owner_id, list_accounts.c.account_id == account_id)
        .order_by(lists.c.id)
    )
