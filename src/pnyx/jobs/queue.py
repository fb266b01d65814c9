"""The durable queue: jobs are rows, claimed with a lease, retried with exponential backoff.

A worker claims a job by setting `locked_until` in the future. If the worker dies, the lease
runs out and another worker claims the job again, so a crash loses nothing. On PostgreSQL the
claim uses `FOR UPDATE SKIP LOCKED` so any number of workers on any number of machines share the
queue; on SQLite one writer at a time is the database's own rule.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa

from pnyx.db.ids import new_id
from pnyx.db.tables import jobs
from pnyx.db.types import utcnow


@dataclass
class Job:
    id: int
    kind: str
    payload: dict
    attempts: int
    max_attempts: int


def enqueue(
    tx,
    kind: str,
    payload: dict,
    *,
    run_at: datetime | None = None,
    unique_key: str | None = None,
    max_attempts: int = 8,
) -> None:
    """Record a job inside the caller's transaction: it exists only if the change commits."""
    if unique_key is not None:
        exists = tx.scalar(sa.select(jobs.c.id).where(jobs.c.unique_key == unique_key))
        if exists:
            return
    tx.execute(
        jobs.insert().values(
            id=new_id(),
            kind=kind,
            payload=payload,
            run_at=run_at or tx.now,
            max_attempts=max_attempts,
            unique_key=unique_key,
            created_at=tx.now,
        )
    )


def claim(tx, worker_name: str, limit: int = 1) -> list[Job]:
    now = utcnow()
    due = (
        sa.select(jobs.c.id)
        .where(jobs.c.failed_at.is_(None), jobs.c.run_at <= now)
        .where(sa.or_(jobs.c.locked_until.is_(None), jobs.c.locked_until < now))
        .order_by(jobs.c.run_at)
        .limit(limit)
    )
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
    return [Job(r.id, r.kind, r.payload, r.attempts, r.max_attempts) for r in rows]


def complete(tx, job_id: int) -> None:
    tx.execute(jobs.delete().where(jobs.c.id == job_id))


def backoff(attempts: int) -> timedelta:
    """Grows from seconds to hours: 15s, 1m, 4m, 16m ... capped at 12 hours, plus jitter."""
    seconds = min(15 * (4 ** max(attempts - 1, 0)), 12 * 3600)
    return timedelta(seconds=seconds + secrets.randbelow(max(seconds // 10, 1) + 1))


def fail(tx, job: Job, error: str, *, permanent: bool = False) -> None:
    """Schedule a retry, or keep the job with its last error once it is out of attempts."""
    now = utcnow()
    if permanent or job.attempts >= job.max_attempts:
        tx.execute(
            jobs.update()
            .where(jobs.c.id == job.id)
            .values(failed_at=now, last_error=error[:4000], locked_until=None, locked_by=None)
        )
        return
    tx.execute(
        jobs.update()
        .where(jobs.c.id == job.id)
        .values(
            run_at=now + backoff(job.attempts),
            last_error=error[:4000],
            locked_until=None,
            locked_by=None,
        )
    )


def worker_name() -> str:
    import os
    import socket

    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"
