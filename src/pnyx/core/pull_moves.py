"""Moving when the old server is gone: the new account tells the old account's followers
(FEP-7628's second sub-type of Move, sent by the new actor, checked by FEP-c390 proofs).

A Mastodon-style move is sent by the old account's server. When that server is gone (or will
not let the person leave), the person still has what an export gave them: their posts, the
key their old actor announced (identity.json) and the list of their followers (followers.csv).
Once an archive import kept that key here (`integrity_keys.remember_carried`) and the followers
(`keep_archive`, `keep_followers`), the new account can announce the move itself:

- `announce` checks the password, that the key was carried, the cooldown of moves
  (PNYX_MOVE_COOLDOWN_DAYS since the last announce, as for moving out), that the old actor,
  when known here, is known by that very key (`identity_links.linked`); then names the old
  actor in the account's `alsoKnownAs` (an actor Update goes out), moves the followers *here*
  at once (`remote_store.record_move`: the same effects as a received Move), and queues the
  `move.pull_announce` job;
- the job (`federation.pull_move_delivery`) finds each follower on its server (WebFinger,
  then the actor; `found` / `failed` per address, counted for the person to follow), then
  sends the Move `{actor: new, object: old, target: new}` to their inboxes (`finish` says to
  which accounts). Their servers accept it when the new actor's document proves a key the old
  actor was known by: the old server is never asked.

An old actor on this very server is refused: it moves out from its own settings.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from pnyx.core import account_moves, events, identity_links
from pnyx.core import accounts as core_accounts
from pnyx.core import remote_store as received
from pnyx.core.errors import Invalid, NotFound
from pnyx.db.engine import Tx
from pnyx.db.ids import new_id
from pnyx.db.insert_ignore import insert_ignore
from pnyx.db.tables import accounts, pull_move_followers, pull_moves
from pnyx.jobs.queue import enqueue

PULL_MOVE_JOB = "move.pull_announce"
READY, FINDING, SENT = "ready", "finding", "sent"
PENDING, FOUND, FAILED = "pending", "found", "failed"
MAX_FOLLOWERS = 100_000  # addresses kept from one followers.csv
MAX_ADDRESS = 512
MAX_ERROR = 500

NO_ARCHIVE = "Import the archive of your old account first: its followers and its key come from it"
NO_KEY = (
    "The archive of %(old)s carried no key of the old account (identity.json): only an "
    "export of Pnyx has one"
)
NOT_LINKED = (
    "This server knows %(old)s by another key than the one your archive carried: the "
    "followers' servers would refuse the move"
)
OLD_IS_HERE = "%(old)s is an account of this server: move it from its own settings"
UNDER_WAY = "The move is being announced: wait until it is over"
MOVED = "This account has moved: it cannot announce a move"
ON_COOLDOWN = "You announced a move less than %(days)s days ago: you can again after %(when)s"


# --- Kept at import time ---------------------------------------------------------------------


def keep_archive(
    tx: Tx, account_id: int, import_id: int, old_uri: str, subject: str | None
) -> int | None:
    """The pull move an imported archive makes possible (its old actor, the key it carried);
    its id. An archive of the account itself, or of an actor on this server, makes none."""
    me = core_accounts.get(tx, account_id)
    if old_uri == me.uri or _is_here(tx, old_uri):
        return None
    insert_ignore(
        tx,
        pull_moves,
        {
            "id": new_id(),
            "account_id": account_id,
            "old_uri": old_uri,
            "subject": subject,
            "import_id": import_id,
            "state": READY,
            "created_at": tx.now,
        },
    )
    row = tx.one_or_none(
        sa.select(pull_moves).where(
            pull_moves.c.account_id == account_id, pull_moves.c.old_uri == old_uri
        )
    )
    assert row is not None
    changes: dict[str, Any] = {"import_id": import_id}
    if subject is not None:
        changes["subject"] = subject  # a later archive's key is as good: the latest counts
    tx.execute(pull_moves.update().where(pull_moves.c.id == row.id).values(changes))
    return row.id


def keep_followers(tx: Tx, pull_move_id: int, addresses: Iterable[str]) -> int:
    """Add followers' addresses (name@server) to a pull move; how many were new."""
    count = _count(tx, pull_move_id, None)
    added = 0
    for address in addresses:
        if count + added >= MAX_FOLLOWERS:
            break
        row = {"id": new_id(), "pull_move_id": pull_move_id, "address": address[:MAX_ADDRESS]}
        if insert_ignore(tx, pull_move_followers, {**row, "state": PENDING}):
            added += 1
    if added:
        tx.execute(
            pull_moves.update()
            .where(pull_moves.c.id == pull_move_id)
            .values(followers=pull_moves.c.followers + added)
        )
    return added


def _count(tx: Tx, pull_move_id: int, state: str | None) -> int:
    statement = sa.select(sa.func.count()).where(pull_move_followers.c.pull_move_id == pull_move_id)
    if state is not None:
        statement = statement.where(pull_move_followers.c.state == state)
    return int(tx.scalar(statement) or 0)


def _is_here(tx: Tx, uri: str) -> bool:
    base = tx.settings.base_url.rstrip("/")
    return uri == base or uri.startswith(base + "/")


# --- Reading ---------------------------------------------------------------------------------


def of_account(tx: Tx, account_id: int) -> list[Any]:
    """The person's possible and announced pull moves, newest first."""
    return tx.rows(
        sa.select(pull_moves)
        .where(pull_moves.c.account_id == account_id)
        .order_by(pull_moves.c.created_at.desc(), pull_moves.c.id.desc())
    )


def get(tx: Tx, pull_move_id: int) -> Any:
    return tx.one_or_none(sa.select(pull_moves).where(pull_moves.c.id == pull_move_id))


def own(tx: Tx, account_id: int, pull_move_id: int) -> Any:
    row = get(tx, pull_move_id)
    if row is None or row.account_id != account_id:
        raise NotFound()
    return row


def cooldown_until(tx: Tx, account_id: int) -> datetime | None:
    """When the account may announce a move again; None when it may now."""
    days = max(0, tx.settings.move_cooldown_days)
    last = tx.scalar(
        sa.select(sa.func.max(pull_moves.c.announced_at)).where(
            pull_moves.c.account_id == account_id
        )
    )
    if last is None or days == 0:
        return None
    until = last + timedelta(days=days)
    return until if until > tx.now else None


# --- Announcing --------------------------------------------------------------------------------


def _refusal(tx: Tx, me: Any, move: Any) -> str | None:
    """Why `me` may not announce `move` now; None when it may."""
    old = {"old": move.old_uri}
    if me.moved_to_account_id is not None:
        return MOVED
    if _is_here(tx, move.old_uri):
        return OLD_IS_HERE % old
    if move.subject is None or not identity_links.holds_carried(tx, me.id, move.subject):
        return NO_KEY % old
    if move.state == FINDING:
        return UNDER_WAY
    until = cooldown_until(tx, me.id)
    if until is not None:
        when = until.strftime("%Y-%m-%d %H:%M UTC")
        return ON_COOLDOWN % {"days": tx.settings.move_cooldown_days, "when": when}
    known = received.account_by_uri(tx, move.old_uri)
    if known is not None and not identity_links.linked(tx, known.id, me.id):
        return NOT_LINKED % old
    return None


def _chosen(tx: Tx, account_id: int, pull_move_id: int | None) -> Any:
    if pull_move_id is not None:
        return own(tx, account_id, pull_move_id)
    for row in of_account(tx, account_id):
        if row.subject is not None:
            return row
    raise Invalid(NO_ARCHIVE)


def announce(tx: Tx, account_id: int, password: str, pull_move_id: int | None = None) -> Any:
    """Announce that the local account `account_id` is the old actor of one of its pull
    moves (the newest with a carried key, unless `pull_move_id` names one); its row."""
    me = core_accounts.get(tx, account_id)
    if me.domain is not None:
        raise NotFound()
    account_moves.check_password(tx, account_id, password)
    move = _chosen(tx, account_id, pull_move_id)
    reason = _refusal(tx, me, move)
    if reason is not None:
        raise Invalid(reason)
    _add_alias(tx, me, move.old_uri)
    tx.execute(
        pull_move_followers.update()
        .where(
            pull_move_followers.c.pull_move_id == move.id,
            pull_move_followers.c.state == FAILED,
        )
        .values(state=PENDING, error=None)  # tried again: their servers may be back
    )
    tx.execute(
        pull_moves.update()
        .where(pull_moves.c.id == move.id)
        .values(
            state=FINDING,
            announced_at=tx.now,
            sent_at=None,
            found=_count(tx, move.id, FOUND),
            failed=0,
            inboxes=0,
        )
    )
    # The followers here move at once, as they would on a Move received from elsewhere.
    old = received.account_by_uri(tx, move.old_uri)
    if old is not None:
        received.record_move(tx, old.id, me.id)
    enqueue(tx, PULL_MOVE_JOB, {"pull_move_id": move.id}, unique_key=f"{PULL_MOVE_JOB}:{move.id}")
    return get(tx, move.id)


def _add_alias(tx: Tx, me: Any, uri: str) -> None:
    """Name the old actor in `alsoKnownAs` (as Mastodon's aliases), unless it is already."""
    current = list(me.also_known_as or [])
    if uri in current:
        return
    if len(current) >= account_moves.MAX_ALIASES:
        raise Invalid(account_moves.TOO_MANY)
    tx.execute(
        accounts.update().where(accounts.c.id == me.id).values(also_known_as=[*current, uri])
    )
    events.record(tx, events.AccountUpdated(me.id))  # the actor Update, alsoKnownAs in it


# --- The job's steps ---------------------------------------------------------------------------


def pending(tx: Tx, pull_move_id: int, limit: int) -> list[Any]:
    """Addresses still to be found, in the order they were kept."""
    return tx.rows(
        sa.select(pull_move_followers.c.id, pull_move_followers.c.address)
        .where(
            pull_move_followers.c.pull_move_id == pull_move_id,
            pull_move_followers.c.state == PENDING,
        )
        .order_by(pull_move_followers.c.id)
        .limit(limit)
    )


def found(tx: Tx, pull_move_id: int, row_id: int, follower_id: int) -> None:
    _settle(tx, pull_move_id, row_id, FOUND, follower_id=follower_id)


def failed(tx: Tx, pull_move_id: int, row_id: int, reason: str) -> None:
    _settle(tx, pull_move_id, row_id, FAILED, error=reason[:MAX_ERROR])


def _settle(tx: Tx, pull_move_id: int, row_id: int, state: str, **values: Any) -> None:
    done = tx.execute(
        pull_move_followers.update()
        .where(pull_move_followers.c.id == row_id, pull_move_followers.c.state == PENDING)
        .values(state=state, **values)
    )
    if done.rowcount:
        column = pull_moves.c.found if state == FOUND else pull_moves.c.failed
        tx.execute(
            pull_moves.update()
            .where(pull_moves.c.id == pull_move_id)
            .values({column.name: column + 1})
        )


def finish(tx: Tx, pull_move_id: int) -> list[int]:
    """The move's followers are all looked up: the accounts elsewhere to send the Move to
    (those here moved when it was announced)."""
    return tx.scalars(
        sa.select(accounts.c.id)
        .join(pull_move_followers, pull_move_followers.c.follower_id == accounts.c.id)
        .where(
            pull_move_followers.c.pull_move_id == pull_move_id,
            pull_move_followers.c.state == FOUND,
            accounts.c.domain.is_not(None),
        )
    )


def sent(tx: Tx, pull_move_id: int, inboxes: int) -> None:
    tx.execute(
        pull_moves.update()
        .where(pull_moves.c.id == pull_move_id)
        .values(state=SENT, sent_at=tx.now, inboxes=inboxes)
    )


def failures(tx: Tx, pull_move_id: int, limit: int = 100) -> list[Any]:
    """The addresses that could not be found, with why (the first `limit`)."""
    return tx.rows(
        sa.select(pull_move_followers.c.address, pull_move_followers.c.error)
        .where(
            pull_move_followers.c.pull_move_id == pull_move_id,
            pull_move_followers.c.state == FAILED,
        )
        .order_by(pull_move_followers.c.id)
        .limit(limit)
    )
