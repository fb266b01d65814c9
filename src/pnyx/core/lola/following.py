"""Following the same accounts as the old account did: a separate step (LOLA).

LOLA asks the destination not to re-follow as part of the copy: the person may want to try
the new account and its copied posts first, and follows go out to other people. So the copy
only reads the old actor's `following` collection (with the token, which it then deletes)
and keeps the list here, one row per account; the person presses "Follow the same accounts"
when they are ready (`request`), and the `FOLLOW_JOB` (`federation.lola_copy.follow_job`)
looks each account up and follows it through `follows.follow`, as Mastodon's CSV import of
following_accounts.csv does: a Follow each, a request for a locked account. Each row is done
or failed in the transaction of its follow, so a job that dies resumes with the rows left.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from pnyx.core import follows
from pnyx.core.errors import CoreError, Invalid
from pnyx.core.imports.csv_files import follow_limit
from pnyx.core.lola import transfers
from pnyx.db.engine import Tx
from pnyx.db.ids import new_id
from pnyx.db.insert_ignore import insert_ignore
from pnyx.db.tables import accounts, lola_follows, lola_transfers
from pnyx.jobs.queue import enqueue

FOLLOW_JOB = "lola.follow"
PENDING, DONE, FAILED = "pending", "done", "failed"
MAX_FOLLOWS = 20_000  # rows kept from one `following` collection
NOTHING = "There is nobody to follow from this copy."
NOT_OVER = "The copy is not over yet: follow the same accounts once it is."
ASKED = "You already asked to follow the same accounts."


def add(tx: Tx, transfer_id: int, actor_uris: Sequence[str]) -> int:
    """Keep accounts the old actor follows (each once); how many were new."""
    found = tx.scalar(
        sa.select(lola_transfers.c.follows_found).where(lola_transfers.c.id == transfer_id)
    )
    room = MAX_FOLLOWS - (found or 0)
    added = 0
    for uri in list(dict.fromkeys(actor_uris))[: max(room, 0)]:
        added += insert_ignore(
            tx,
            lola_follows,
            {"id": new_id(), "transfer_id": transfer_id, "actor_uri": uri[:2048], "state": PENDING},
        )
    if added:
        tx.execute(
            lola_transfers.update()
            .where(lola_transfers.c.id == transfer_id)
            .values(follows_found=lola_transfers.c.follows_found + added)
        )
    return added


def request(tx: Tx, account_id: int, transfer_id: int) -> None:
    """The person asks to follow the same accounts: the job that does it is queued."""
    row = transfers.own(tx, account_id, transfer_id)
    if row.state != transfers.FINISHED:
        raise CoreError(NOT_OVER)
    if row.follows_requested_at is not None:
        raise CoreError(ASKED)
    if not row.follows_found:
        raise CoreError(NOTHING)
    counts = tx.one_or_none(
        sa.select(accounts.c.following_count, accounts.c.followers_count).where(
            accounts.c.id == account_id
        )
    )
    if counts is None:
        raise CoreError(NOTHING)
    limit = follow_limit(counts.following_count, counts.followers_count)
    if counts.following_count + row.follows_found > limit:
        raise Invalid(f"You cannot follow more than {limit} people")
    tx.execute(
        lola_transfers.update()
        .where(lola_transfers.c.id == transfer_id)
        .values(follows_requested_at=tx.now)
    )
    enqueue(tx, FOLLOW_JOB, {"transfer_id": transfer_id}, unique_key=f"{FOLLOW_JOB}:{transfer_id}")


def pending(tx: Tx, transfer_id: int, limit: int) -> list[Any]:
    return tx.rows(
        sa.select(lola_follows.c.id, lola_follows.c.actor_uri)
        .where(lola_follows.c.transfer_id == transfer_id, lola_follows.c.state == PENDING)
        .order_by(lola_follows.c.id)
        .limit(limit)
    )


def owner(tx: Tx, transfer_id: int) -> int | None:
    """The account that follows, while the step was asked for; None otherwise."""
    row = transfers.get(tx, transfer_id)
    if row is None or row.follows_requested_at is None:
        return None
    return row.account_id


def follow(tx: Tx, follow_row_id: int, account_id: int, target_id: int) -> bool:
    """Follow the row's account (CoreError when a rule refuses: nothing is then changed);
    False when the row was not pending any more."""
    claimed = tx.execute(
        lola_follows.update()
        .where(lola_follows.c.id == follow_row_id, lola_follows.c.state == PENDING)
        .values(state=DONE, target_account_id=target_id)
    ).rowcount
    if not claimed:
        return False
    follows.follow(tx, account_id, target_id)
    _count(tx, follow_row_id, "followed")
    return True


def fail(tx: Tx, follow_row_id: int, reason: str) -> None:
    claimed = tx.execute(
        lola_follows.update()
        .where(lola_follows.c.id == follow_row_id, lola_follows.c.state == PENDING)
        .values(state=FAILED, reason=reason[:500])
    ).rowcount
    if claimed:
        _count(tx, follow_row_id, "follows_failed")


def _count(tx: Tx, follow_row_id: int, column: str) -> None:
    transfer_id = tx.scalar(
        sa.select(lola_follows.c.transfer_id).where(lola_follows.c.id == follow_row_id)
    )
    tx.execute(
        lola_transfers.update()
        .where(lola_transfers.c.id == transfer_id)
        .values({column: lola_transfers.c[column] + 1})
    )


def failures(tx: Tx, transfer_id: int, limit: int = 100) -> list[Any]:
    """The accounts that could not be followed, and why."""
    return tx.rows(
        sa.select(lola_follows.c.actor_uri, lola_follows.c.reason)
        .where(lola_follows.c.transfer_id == transfer_id, lola_follows.c.state == FAILED)
        .order_by(lola_follows.c.id)
        .limit(limit)
    )


def explain(exc: CoreError) -> str:
    """Why a follow was refused, as the person reads it on their copy."""
    if exc.status == 403:
        return "You or they block the other"
    return exc.message
