"""Shared block and mute lists (issue 12): anyone publishes a list of accounts with a
description; anyone, here or on another server, mutes or blocks by it.

- A subscription makes ordinary blocks and mutes (`core.blocks_mutes`), marked with the list
  that made them (`source_list_id`): every surface already honours them, the person sees which
  list caused each, and a change to the list undoes exactly what it did. A block or mute made
  by hand is never touched by a list; an account the subscriber exempts is kept out of every
  list they follow.
- A list's blocks send no Block to other servers: subscriptions are private to the
  subscriber. A server whose people subscribe to a list elsewhere asks for its changes the way
  it asks for a labeler's labels (its instance actor follows the keeper: `core.labels`).
- Lists of other servers are kept as their collection says (`store_remote`), and changed by
  the keeper's Add and Remove.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from pnyx.core import blocks_mutes, events, server_follows, uris
from pnyx.core.errors import Invalid, NotFound
from pnyx.db.engine import Tx
from pnyx.db.ids import new_id
from pnyx.db.insert_ignore import insert_ignore
from pnyx.db.tables import (
    accounts,
    blocks,
    moderation_list_exemptions,
    moderation_list_members,
    moderation_list_subscriptions,
    moderation_lists,
    mutes,
)

ACTIONS = ("mute", "block")
MAX_TITLE = 255
MAX_DESCRIPTION = 2000
MAX_MEMBERS = 5000


def _get(tx: Tx, list_id: int) -> Any:
    row = tx.one_or_none(sa.select(moderation_lists).where(moderation_lists.c.id == list_id))
    if row is None:
        raise NotFound()
    return row


def _own(tx: Tx, owner_id: int, list_id: int) -> Any:
    row = _get(tx, list_id)
    if row.account_id != owner_id:
        raise NotFound()
    return row


def get(tx: Tx, list_id: int) -> Any:
    return _get(tx, list_id)


def by_uri(tx: Tx, uri: str) -> Any | None:
    return tx.one_or_none(sa.select(moderation_lists).where(moderation_lists.c.uri == uri))


def _check(title: str, description: str) -> tuple[str, str]:
    title, description = (title or "").strip(), (description or "").strip()
    if not title:
        raise Invalid("Title can't be blank")
    if len(title) > MAX_TITLE or len(description) > MAX_DESCRIPTION:
        raise Invalid("Title or description is too long")
    return title, description


def create(tx: Tx, owner_id: int, title: str, description: str = "") -> int:
    """A new list of one's own (public, as its collection is)."""
    title, description = _check(title, description)
    username = tx.scalar(sa.select(accounts.c.username).where(accounts.c.id == owner_id))
    list_id = new_id()
    tx.execute(
        moderation_lists.insert().values(
            id=list_id,
            account_id=owner_id,
            uri=uris.moderation_list_uri(tx.settings, username, list_id),
            title=title,
            description=description,
            updated_at=tx.now,
            created_at=tx.now,
        )
    )
    return list_id


def of_owner(tx: Tx, owner_id: int) -> list[Any]:
    return tx.rows(
        sa.select(moderation_lists)
        .where(moderation_lists.c.account_id == owner_id)
        .order_by(moderation_lists.c.id)
    )


def member_ids(tx: Tx, list_id: int) -> list[int]:
    return list(
        tx.scalars(
            sa.select(moderation_list_members.c.account_id)
            .where(moderation_list_members.c.list_id == list_id)
            .order_by(moderation_list_members.c.created_at, moderation_list_members.c.account_id)
        )
    )


def add_member(tx: Tx, owner_id: int, list_id: int, target_id: int) -> None:
    """Put an account on one's list: its subscribers here mute or block it now; the servers
    that follow the keeper hear of it."""
    row = _own(tx, owner_id, list_id)
    if target_id == owner_id:
        raise Invalid("You cannot put yourself on your list")
    if tx.scalar(sa.select(accounts.c.id).where(accounts.c.id == target_id)) is None:
        raise NotFound()
    if _add(tx, row.id, target_id):
        events.record(tx, events.ModerationListChanged(row.id, target_id, True))


def remove_member(tx: Tx, owner_id: int, list_id: int, target_id: int) -> None:
    row = _own(tx, owner_id, list_id)
    if _remove(tx, row.id, target_id):
        events.record(tx, events.ModerationListChanged(row.id, target_id, False))


def _add(tx: Tx, list_id: int, target_id: int) -> bool:
    count = tx.scalar(
        sa.select(sa.func.count()).where(moderation_list_members.c.list_id == list_id)
    )
    if (count or 0) >= MAX_MEMBERS:
        raise Invalid(f"A list holds at most {MAX_MEMBERS} accounts")
    added = insert_ignore(
        tx,
        moderation_list_members,
        {"list_id": list_id, "account_id": target_id, "created_at": tx.now},
    )
    if added:
        _touch(tx, list_id)
        for subscriber, action in _subscribers(tx, list_id):
            _apply(tx, subscriber, list_id, action, [target_id])
    return bool(added)


def _remove(tx: Tx, list_id: int, target_id: int) -> bool:
    done = tx.execute(
        moderation_list_members.delete().where(
            moderation_list_members.c.list_id == list_id,
            moderation_list_members.c.account_id == target_id,
        )
    )
    if not done.rowcount:
        return False
    _touch(tx, list_id)
    for subscriber, _action in _subscribers(tx, list_id):
        _undo(tx, subscriber, list_id, [target_id])
    return True


def _touch(tx: Tx, list_id: int) -> None:
    tx.execute(
        moderation_lists.update().where(moderation_lists.c.id == list_id).values(updated_at=tx.now)
    )


def _subscribers(tx: Tx, list_id: int) -> list[tuple[int, str]]:
    return [
        (r.account_id, r.action)
        for r in tx.rows(
            sa.select(
                moderation_list_subscriptions.c.account_id, moderation_list_subscriptions.c.action
            ).where(moderation_list_subscriptions.c.list_id == list_id)
        )
    ]


# --- Subscribing ----------------------------------------------------------------------------


def subscribe(tx: Tx, account_id: int, list_id: int, action: str) -> None:
    """Mute or block by a list (here or another server's, kept here): its members now, and
    whoever it holds later."""
    if action not in ACTIONS:
        raise Invalid("Action must be mute or block")
    row = _get(tx, list_id)
    if row.account_id == account_id:
        raise Invalid("You cannot subscribe to your own list")
    was_needed = server_follows.needed(tx, row.account_id)
    existing = tx.scalar(
        sa.select(moderation_list_subscriptions.c.action).where(
            moderation_list_subscriptions.c.account_id == account_id,
            moderation_list_subscriptions.c.list_id == list_id,
        )
    )
    if existing is not None:
        if existing == action:
            return
        _undo(tx, account_id, list_id, member_ids(tx, list_id))
        tx.execute(
            moderation_list_subscriptions.update()
            .where(
                moderation_list_subscriptions.c.account_id == account_id,
                moderation_list_subscriptions.c.list_id == list_id,
            )
            .values(action=action)
        )
    else:
        tx.execute(
            moderation_list_subscriptions.insert().values(
                account_id=account_id, list_id=list_id, action=action, created_at=tx.now
            )
        )
    _apply(tx, account_id, list_id, action, member_ids(tx, list_id))
    server_follows.started(tx, row.account_id, was_needed)


def unsubscribe(tx: Tx, account_id: int, list_id: int) -> None:
    """Stop muting or blocking by a list: what it made is undone (not what was done by hand)."""
    row = _get(tx, list_id)
    done = tx.execute(
        moderation_list_subscriptions.delete().where(
            moderation_list_subscriptions.c.account_id == account_id,
            moderation_list_subscriptions.c.list_id == list_id,
        )
    )
    if not done.rowcount:
        return
    _undo(tx, account_id, list_id, member_ids(tx, list_id))
    server_follows.maybe_ended(tx, row.account_id)


def _exempted(tx: Tx, account_id: int) -> set[int]:
    return set(
        tx.scalars(
            sa.select(moderation_list_exemptions.c.target_account_id).where(
                moderation_list_exemptions.c.account_id == account_id
            )
        )
    )


def _apply(tx: Tx, account_id: int, list_id: int, action: str, targets: list[int]) -> None:
    """Mute or block these members for the subscriber, unless exempted or themselves."""
    skip = _exempted(tx, account_id) | {account_id}
    for target in targets:
        if target in skip:
            continue
        if action == "block":
            blocks_mutes.block(tx, account_id, target, source_list_id=list_id)
        else:
            blocks_mutes.mute(tx, account_id, target, source_list_id=list_id)


def _undo(tx: Tx, account_id: int, list_id: int, targets: list[int]) -> None:
    """Lift what this list made for the subscriber; another list of theirs that still holds
    the account makes it again."""
    if not targets:
        return
    for table, lift in ((blocks, blocks_mutes.unblock), (mutes, blocks_mutes.unmute)):
        made = tx.scalars(
            sa.select(table.c.target_account_id).where(
                table.c.account_id == account_id,
                table.c.source_list_id == list_id,
                table.c.target_account_id.in_(targets),
            )
        )
        for target in list(made):
            lift(tx, account_id, target)
    for other_id, action in _other_lists_holding(tx, account_id, list_id, targets):
        _apply(tx, account_id, other_id, action, targets)


def _other_lists_holding(
    tx: Tx, account_id: int, list_id: int, targets: list[int]
) -> list[tuple[int, str]]:
    rows = tx.rows(
        sa.select(moderation_list_subscriptions.c.list_id, moderation_list_subscriptions.c.action)
        .join(
            moderation_list_members,
            moderation_list_members.c.list_id == moderation_list_subscriptions.c.list_id,
        )
        .where(
            moderation_list_subscriptions.c.account_id == account_id,
            moderation_list_subscriptions.c.list_id != list_id,
            moderation_list_members.c.account_id.in_(targets),
        )
        .distinct()
    )
    return [(r.list_id, r.action) for r in rows]


def exempt(tx: Tx, account_id: int, target_id: int) -> None:
    """Keep an account out of every list one follows: what lists made for it is lifted."""
    insert_ignore(
        tx,
        moderation_list_exemptions,
        {"account_id": account_id, "target_account_id": target_id, "created_at": tx.now},
    )
    for table, lift in ((blocks, blocks_mutes.unblock), (mutes, blocks_mutes.unmute)):
        made = tx.scalar(
            sa.select(table.c.id).where(
                table.c.account_id == account_id,
                table.c.target_account_id == target_id,
                table.c.source_list_id.is_not(None),
            )
        )
        if made is not None:
            lift(tx, account_id, target_id)


@dataclass(frozen=True)
class Subscription:
    """A list someone follows, how, and the accounts it mutes or blocks for them now."""

    list: Any
    action: str
    caused: tuple[int, ...]


def subscriptions(tx: Tx, account_id: int) -> list[Subscription]:
    rows = tx.rows(
        sa.select(moderation_list_subscriptions)
        .where(moderation_list_subscriptions.c.account_id == account_id)
        .order_by(moderation_list_subscriptions.c.created_at)
    )
    found = []
    for row in rows:
        table = blocks if row.action == "block" else mutes
        caused = tx.scalars(
            sa.select(table.c.target_account_id)
            .where(table.c.account_id == account_id, table.c.source_list_id == row.list_id)
            .order_by(table.c.target_account_id)
        )
        found.append(Subscription(_get(tx, row.list_id), row.action, tuple(caused)))
    return found


# --- Lists of other servers -----------------------------------------------------------------


def store_remote(
    tx: Tx, owner_id: int, uri: str, title: str, description: str, members: list[int]
) -> int:
    """Keep another server's list as its collection says now (members added and removed to
    match, with their subscribers' blocks and mutes)."""
    title, description = _check(title[:MAX_TITLE] or uri, description[:MAX_DESCRIPTION])
    row = by_uri(tx, uri)
    if row is None:
        list_id = new_id()
        tx.execute(
            moderation_lists.insert().values(
                id=list_id,
                account_id=owner_id,
                uri=uri,
                title=title,
                description=description,
                updated_at=tx.now,
                created_at=tx.now,
            )
        )
    else:
        if row.account_id != owner_id:
            raise Invalid("This list belongs to another account")
        list_id = row.id
        tx.execute(
            moderation_lists.update()
            .where(moderation_lists.c.id == list_id)
            .values(title=title, description=description, updated_at=tx.now)
        )
    wanted = set(members[:MAX_MEMBERS]) - {owner_id}
    current = set(member_ids(tx, list_id))
    for target in sorted(current - wanted):
        _remove(tx, list_id, target)
    for target in sorted(wanted - current):
        _add(tx, list_id, target)
    return list_id


def remote_change(tx: Tx, owner_id: int, list_uri: str, target_id: int, added: bool) -> bool:
    """The keeper of a list elsewhere added or removed an account; False when the list is not
    one kept here (or not theirs)."""
    row = by_uri(tx, list_uri)
    if row is None or row.account_id != owner_id:
        return False
    if added:
        _add(tx, row.id, target_id)
    else:
        _remove(tx, row.id, target_id)
    return True
