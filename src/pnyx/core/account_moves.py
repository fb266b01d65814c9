"""Aliases and moving out: a local account names its other accounts, then moves to one.

This is Mastodon's account migration (`AccountAlias`, `AccountMigration`, `MoveService`), so
that a move between Pnyx and Mastodon works both ways:

- **Aliases** are the uris of the person's other accounts, kept in `accounts.also_known_as`
  and published as the actor's `alsoKnownAs` (an actor Update goes out, `AccountUpdated`).
  A new account names the old one as an alias *before* the old one moves: the receiving
  servers check that link, so nobody can move followers to an account that did not agree.
- **Moving out** needs the person's password, a target that names this account in its
  `alsoKnownAs` (the edge fetches a remote target fresh first, outside any transaction), not
  the account itself nor the one it already moved to, and no other move in the last
  `PNYX_MOVE_COOLDOWN_DAYS` days (Mastodon's 30). Then, in one transaction: the account
  points at its new home (`moved_to_account_id`, shown as `moved` and "has moved to"), the
  move is recorded (`account_moves`: the cooldown and the history), its followers here follow
  the new account (`AccountMoved`, handled by `core.moves`), the other servers get a `Move`
  (`AccountMovedOut`) and the actor with `movedTo` (`AccountUpdated`).

What a moved account may still do (as Mastodon): sign in, read, unfollow, export, change its
aliases, and move again once the cooldown is over. It cannot be followed anew
(`core.follows` refuses, and answers a Follow from elsewhere with a Reject).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

import sqlalchemy as sa

from pnyx.core import accounts as core_accounts
from pnyx.core import events
from pnyx.core.errors import Forbidden, Invalid, NotFound
from pnyx.core.passwords import verify_password
from pnyx.core.rows import AccountRow
from pnyx.db.engine import Tx
from pnyx.db.ids import new_id
from pnyx.db.tables import account_moves, accounts, blocks

# Enough for every account a person ever had; it bounds the actor document all servers read.
MAX_ALIASES = 20

NOT_FOUND = "The account could not be found"
OWN_ACCOUNT = "You cannot name your own account"
ALREADY_ALIAS = "This account is already an alias"
TOO_MANY = f"You can have at most {MAX_ALIASES} aliases"
NOT_AN_ALIAS = "This account is not one of your aliases"
WRONG_PASSWORD = "Current password is invalid"
MOVE_TO_SELF = "You cannot move to your own account"
NOT_LINKED = "@%(target)s does not name this account as an alias (alsoKnownAs): add @%(me)s as an alias on @%(target)s first"
ALREADY_MOVED = "You already moved to @%(target)s"
ON_COOLDOWN = "You moved less than %(days)s days ago: you can move again after %(when)s"

_MOVED = accounts.alias("moved_account")


class FollowerLike(Protocol):
    """What `refuse_if_moved` reads of the follower (`core.follows.GraphAccount` has it)."""

    @property
    def id(self) -> int: ...

    @property
    def domain(self) -> str | None: ...


@dataclass(frozen=True)
class Alias:
    """One of the uris in `alsoKnownAs`, with the account it names when it is known here."""

    uri: str
    account: AccountRow | None


@dataclass(frozen=True)
class Move:
    id: int
    target_uri: str
    target: AccountRow | None
    created_at: datetime


def acct_of(tx: Tx, row: AccountRow) -> str:
    """`name@domain`, the local domain included: what another server must be told to find."""
    return f"{row.username}@{row.domain or tx.settings.domain}"


def _local(tx: Tx, account_id: int) -> AccountRow:
    row = core_accounts.get(tx, account_id)
    if row.domain is not None:
        raise NotFound()
    return row


def _target(tx: Tx, target_id: int) -> AccountRow:
    try:
        row = core_accounts.get_public(tx, target_id)
    except NotFound:
        raise Invalid(NOT_FOUND) from None
    if row.suspended_at is not None:
        raise Invalid(NOT_FOUND)
    return row


# --- Aliases ---------------------------------------------------------------------------------


def aliases(tx: Tx, account_id: int) -> list[Alias]:
    """The account's aliases, newest first (as Mastodon lists them), each with its account."""
    uris = list(_local(tx, account_id).also_known_as or [])
    known = {}
    if uris:
        known = {r.uri: r for r in tx.rows(sa.select(accounts).where(accounts.c.uri.in_(uris)))}
    return [Alias(uri, known.get(uri)) for uri in reversed(uris)]


def add_alias(tx: Tx, account_id: int, target_id: int) -> Alias:
    """Name `target_id` as another account of this person; its uri joins `alsoKnownAs`."""
    me = _local(tx, account_id)
    target = _target(tx, target_id)
    if target.id == me.id:
        raise Invalid(OWN_ACCOUNT)
    current = list(me.also_known_as or [])
    if target.uri in current:
        raise Invalid(ALREADY_ALIAS)
    if len(current) >= MAX_ALIASES:
        raise Invalid(TOO_MANY)
    _set_aliases(tx, me.id, [*current, target.uri])
    return Alias(target.uri, target)


def remove_alias(tx: Tx, account_id: int, uri: str) -> None:
    """Take `uri` out of `alsoKnownAs`; NotFound when it is not there."""
    me = _local(tx, account_id)
    current = list(me.also_known_as or [])
    if uri not in current:
        raise NotFound(NOT_AN_ALIAS)
    _set_aliases(tx, me.id, [u for u in current if u != uri])


def alias_uri_of(tx: Tx, account_id: int, target_id: int) -> str:
    """The alias a `DELETE /aliases/:id` names by its account's id."""
    uri = tx.scalar(sa.select(accounts.c.uri).where(accounts.c.id == target_id))
    if uri is None or uri not in (_local(tx, account_id).also_known_as or []):
        raise NotFound(NOT_AN_ALIAS)
    return uri


def _set_aliases(tx: Tx, account_id: int, uris: list[str]) -> None:
    tx.execute(accounts.update().where(accounts.c.id == account_id).values(also_known_as=uris))
    events.record(tx, events.AccountUpdated(account_id))  # the actor Update, alsoKnownAs in it


# --- Moving out ------------------------------------------------------------------------------


def check_password(tx: Tx, account_id: int, password: str) -> None:
    user = core_accounts.user_for_account(tx, account_id)
    if user is None or not password or not verify_password(user.password_hash, password):
        raise Invalid(WRONG_PASSWORD)


def cooldown_until(tx: Tx, account_id: int) -> datetime | None:
    """When the account may move again; None when it may now."""
    days = max(0, tx.settings.move_cooldown_days)
    last = tx.scalar(
        sa.select(sa.func.max(account_moves.c.created_at)).where(
            account_moves.c.account_id == account_id
        )
    )
    if last is None or days == 0:
        return None
    until = last + timedelta(days=days)
    return until if until > tx.now else None


def cooldown_refusal(tx: Tx, account_id: int) -> str | None:
    """Why the account may not move again yet; None when it may."""
    until = cooldown_until(tx, account_id)
    if until is None:
        return None
    when = until.strftime("%Y-%m-%d %H:%M UTC")
    return ON_COOLDOWN % {"days": tx.settings.move_cooldown_days, "when": when}


def refusal(tx: Tx, me: AccountRow, target: AccountRow) -> str | None:
    """Why `me` may not move to `target` now, in Mastodon's order of checks; None if it may."""
    waiting = cooldown_refusal(tx, me.id)
    if waiting is not None:
        return waiting
    if target.id == me.id:
        return MOVE_TO_SELF
    if me.moved_to_account_id == target.id:
        return ALREADY_MOVED % {"target": acct_of(tx, target)}
    if me.uri not in (target.also_known_as or []):
        return NOT_LINKED % {"target": acct_of(tx, target), "me": acct_of(tx, me)}
    return None


def move_out(tx: Tx, account_id: int, target_id: int, password: str) -> Move:
    """Move the account to `target_id` (read fresh by the caller when it lives elsewhere)."""
    me = _local(tx, account_id)
    check_password(tx, account_id, password)
    target = _target(tx, target_id)
    reason = refusal(tx, me, target)
    if reason is not None:
        raise Invalid(reason)
    move_id = new_id()
    tx.execute(
        account_moves.insert().values(
            id=move_id,
            account_id=me.id,
            target_account_id=target.id,
            target_uri=target.uri,
            created_at=tx.now,
        )
    )
    tx.execute(
        accounts.update().where(accounts.c.id == me.id).values(moved_to_account_id=target.id)
    )
    # Followers here follow the new account (core.moves, as for a move received from
    # elsewhere); the other servers get the actor with movedTo, and the Move.
    events.record(tx, events.AccountMoved(me.id, target.id, tell_other_servers=False))
    events.record(tx, events.AccountUpdated(me.id))
    events.record(tx, events.AccountMovedOut(me.id, target.id, move_id))
    return Move(move_id, target.uri, target, tx.now)


def moves(tx: Tx, account_id: int) -> list[Move]:
    """The account's moves, newest first."""
    rows = tx.rows(
        sa.select(account_moves)
        .where(account_moves.c.account_id == account_id)
        .order_by(account_moves.c.created_at.desc(), account_moves.c.id.desc())
    )
    ids = [r.target_account_id for r in rows if r.target_account_id is not None]
    found = {r.id: r for r in core_accounts.public_rows(tx, ids)}
    return [Move(r.id, r.target_uri, found.get(r.target_account_id), r.created_at) for r in rows]


def moved_to(tx: Tx, row: AccountRow) -> AccountRow | None:
    """The account `row` moved to, as others may see it; None if it has not moved."""
    if row.moved_to_account_id is None:
        return None
    found = core_accounts.public_rows(tx, [row.moved_to_account_id])
    return found[0] if found and found[0].suspended_at is None else None


def blocker_ids(tx: Tx, account_id: int) -> list[int]:
    """Accounts elsewhere that block this one: their servers hear of the move too (Mastodon
    sends them the Move, so that they carry their block over to the new account)."""
    return tx.scalars(
        sa.select(blocks.c.account_id)
        .join(accounts, accounts.c.id == blocks.c.account_id)
        .where(blocks.c.target_account_id == account_id, accounts.c.domain.is_not(None))
    )


# --- A moved account is not followed anew ----------------------------------------------------


def refuse_if_moved(tx: Tx, follower: FollowerLike, target_id: int, uri: str | None) -> None:
    """Called by `core.follows.follow` before a new follow: an account that moved cannot be
    followed any more (Mastodon's rule), with the new account named in the refusal. A Follow
    from elsewhere is answered with a Reject, so the other server does not wait forever."""
    moved = tx.one_or_none(
        sa.select(accounts.c.username, accounts.c.domain)
        .select_from(accounts.join(_MOVED, _MOVED.c.moved_to_account_id == accounts.c.id))
        .where(_MOVED.c.id == target_id)
    )
    if moved is None:
        return
    if follower.domain is not None:
        events.record(tx, events.FollowRejected(follower.id, target_id, uri))
    where = f"{moved.username}@{moved.domain or tx.settings.domain}"
    raise Forbidden(f"This account has moved to @{where}: follow that account instead")
