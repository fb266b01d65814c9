"""The durable queue: jobs are rows, claimed with a lease, retried with exponential backoff.

A worker claims a job by setting `locked_until` in the future. If the worker dies, the lease
runs out and another worker claims the job again, so a crash loses nothing. The lease is short
(`job_lease_seconds`, a minute by default) and a live worker keeps extending it while a job
runs (`extend`, called by the worker's heartbeat), so a job outlives its lease only when its
worker is gone. On PostgreSQL the claim uses `FOR UPDATE SKIP LOCKED` so any number of workers
on any number of machines share the queue; on SQLite one writer at a time is the database's
own rule.

Every job belongs to a queue chosen from its kind (`QUEUES`): "inbox" (what other servers
send, and fetching what it refers to), "deliver" (outgoing deliveries) and "default"
(everything else). Workers can be told which queues to serve, so a burst of deliveries cannot
hold up processing what arrives.
"""

from __future__ import annotations

import os
import secrets
import socket
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from pnyx.db.ids import new_id
from pnyx.db.tables import jobs
from pnyx.db.types import utcnow

INBOX, DELIVER, DEFAULT = "inbox", "deliver", "default"
ALL_QUEUES = (INBOX, DEFAULT, DELIVER)
# The queue of each kind that is not "default". Kinds are named here as strings so that the
# queue does not import the modules that handle them.
QUEUES = {
    "inbox.process": INBOX,
    "inbox.fetch": INBOX,
    "mentions.resolve": INBOX,
    "mentions.lookup_handles": DEFAULT,  # a local post waits on it: not behind deliveries
    "account.backfill": INBOX,
    "deliver": DELIVER,
    "web_push.deliver": DELIVER,
}
# The longest wait between two attempts, however many failed or however long a server asks.
MAX_DELAY = timedelta(hours=12)
# Only jobs that have not failed hold their unique key (the partial index ux_jobs_unique_key).
LIVE = jobs.c.failed_at.is_(None)


_INSERT = jobs.insert()


def queue_for(kind: str) -> str:
    return QUEUES.get(kind, DEFAULT)


def parse_queues(text: str) -> tuple[str, ...]:
    """ "inbox,default" -> ("inbox", "default"); ValueError names an unknown queue."""
    names = tuple(dict.fromkeys(part.strip() for part in text.split(",") if part.strip()))
    unknown = [name for name in names if name not in ALL_QUEUES]
    if unknown or not names:
        raise ValueError(f"unknown queue {', '.join(unknown) or text!r}: use {ALL_QUEUES}")
    return names


@dataclass
class Job:
    id: int
    kind: str
    payload: dict
    attempts: int
    max_attempts: int
    worker: str = ""  # the worker holding the lease; updates are made only in its name


def enqueue(
    tx,
    kind: str,
    payload: dict,
    *,
    run_at: datetime | None = None,
    unique_key: str | None = None,
    max_attempts: int = 8,
) -> bool:
    """Record a job inside the caller's transaction: it exists only if the change commits.

    With a `unique_key`, nothing is added while a live job holds that key (returns False).
    The check and the insert are one statement (INSERT ... ON CONFLICT DO NOTHING on the
    partial unique index), so two transactions racing to add the same key give one job and
    no error, and a job that failed for good does not stop the same work from running again.
    """
    values = {
        "id": new_id(),
        "kind": kind,
        "queue": queue_for(kind),
        "payload": payload,
        "run_at": run_at or tx.now,
        "max_attempts": max_attempts,
        "unique_key": unique_key,
        "created_at": tx.now,
    }
    if unique_key is None:
        tx.execute(_INSERT, values)  # a prebuilt statement: the inbox adds one per POST
        return True
    dialect = postgresql if tx.is_postgres else sqlite
    statement = (
        dialect.insert(jobs)
        .values(**values)
        .on_conflict_do_nothing(index_elements=[jobs.c.unique_key], index_where=LIVE)
        .returning(jobs.c.id)
    )
    return tx.execute(statement).first() is not None


def claim(
    tx,
    worker_name: str,
    limit: int = 1,
    queues: Iterable[str] | None = None,
    kinds: Iterable[str] | None = None,
) -> list[Job]:
    """Lease up to `limit` due jobs (of `queues` and `kinds` only, when given), oldest due
    first."""
    now = utcnow()
    due = (
        sa.select(jobs.c.id)
        .where(LIVE, jobs.c.run_at <= now)
        .where(sa.or_(jobs.c.locked_until.is_(None), jobs.c.locked_until < now))
        .order_by(jobs.c.run_at)
        .limit(limit)
    )
    if queues is not None:
        due = due.where(jobs.c.queue.in_(list(queues)))
    if kinds is not None:
        due = due.where(jobs.c.kind.in_(list(kinds)))
    if tx.is_postgres:
        due = due.with_for_update(skip_locked=True)
    ids = tx.scalars(due)
    if not ids:
        return []
    tx.execute(
        jobs.update()
        .where(jobs.c.id.in_(ids))
        .values(
            locked_by=worker_name,
            locked_until=now + timedelta(seconds=tx.settings.job_lease_seconds),
            attempts=jobs.c.attempts + 1,
        )
    )
    rows = tx.rows(sa.select(jobs).where(jobs.c.id.in_(ids)))
    return [Job(r.id, r.kind, r.payload, r.attempts, r.max_attempts, worker_name) for r in rows]


def _held(job: Job):
    """Only the worker holding the job may finish it: one whose lease ran out (it stalled
    and another worker took the job over) must not delete or reschedule the other's run."""
    return sa.and_(jobs.c.id == job.id, jobs.c.locked_by == job.worker)


def complete(tx, job: Job) -> bool:
    """Delete a finished job; False when this worker no longer held it."""
    return tx.execute(jobs.delete().where(_held(job))).rowcount == 1


def extend(tx, held: Iterable[Job]) -> None:
    """Push the leases of jobs still running further: the worker's heartbeat."""
    until = utcnow() + timedelta(seconds=tx.settings.job_lease_seconds)
    for job in held:
        tx.execute(jobs.update().where(_held(job)).values(locked_until=until))


def backoff(attempts: int) -> timedelta:
    """Grows from seconds to hours: 15s, 1m, 4m, 16m ... capped at 12 hours, plus jitter."""
    seconds = min(15 * (4 ** max(attempts - 1, 0)), int(MAX_DELAY.total_seconds()))
    return timedelta(seconds=seconds + secrets.randbelow(max(seconds // 10, 1) + 1))


def fail(
    tx,
    job: Job,
    error: str,
    *,
    permanent: bool = False,
    not_before: datetime | None = None,
) -> None:
    """Schedule a retry, or keep the job with its last error once it is out of attempts.

    `not_before` is when the other side asked us to come back (Retry-After): the retry is
    not earlier, unless that is further away than `MAX_DELAY`, and never earlier than the
    backoff would have it.
    """
    now = utcnow()
    if permanent or job.attempts >= job.max_attempts:
        tx.execute(
            jobs.update()
            .where(_held(job))
            .values(failed_at=now, last_error=error[:4000], locked_until=None, locked_by=None)
        )
        return
    delay = backoff(job.attempts)
    if not_before is not None:
        delay = max(delay, min(not_before - now, MAX_DELAY))
    tx.execute(
        jobs.update()
        .where(_held(job))
        .values(run_at=now + delay, last_error=error[:4000], locked_until=None, locked_by=None)
    )


def reschedule(tx, job: Job, run_at: datetime) -> None:
    """Put a job back for `run_at` without counting this attempt: it did not really run
    (e.g. its server already had as many deliveries in flight as it gets)."""
    tx.execute(
        jobs.update()
        .where(_held(job))
        .values(run_at=run_at, attempts=jobs.c.attempts - 1, locked_until=None, locked_by=None)
    )


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"
