"""An export's record (`core.exports.records`): one unfinished export a person; one nothing
will finish (no job, and a day old) gives way, failed; the hourly sweep expires what is past
its days and fails what was abandoned, removing their files; its runs are one an hour however
many processes schedule them."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from pnyx.core import accounts
from pnyx.core.errors import Invalid
from pnyx.core.exports import records
from pnyx.core.media_store import store_for
from pnyx.db.tables import account_exports, jobs


@pytest.fixture
def alice(db) -> int:
    return db.run_sync(
        lambda tx: accounts.create_local(tx, "alice", "alice@example.com", "correct horse b")[0]
    )


def _age(db, export_id: int, days: int) -> None:
    db.run_sync(
        lambda tx: tx.execute(
            account_exports.update()
            .where(account_exports.c.id == export_id)
            .values(created_at=tx.now - timedelta(days=days))
        )
    )


def test_one_unfinished_export_at_a_time(db, alice):
    first = db.run_sync(records.request, alice)
    assert first.state == records.QUEUED and first.key_prefix.startswith(f"exports/{first.id}-")
    assert len(first.key_prefix) > len(f"exports/{first.id}-") + 20  # not guessable
    with pytest.raises(Invalid, match="already being prepared"):
        db.run_sync(records.request, alice)
    job = db.run_sync(
        lambda tx: tx.one_or_none(sa.select(jobs).where(jobs.c.kind == records.BUILD_JOB))
    )
    assert job.payload == {"export_id": first.id} and job.max_attempts == records.MAX_ATTEMPTS


def test_an_abandoned_export_gives_way(db, alice):
    # A `pnyx export` run that died: no job will finish it.
    stuck = db.run_sync(records.request, alice, by_job=False)
    with pytest.raises(Invalid):  # it might still be running
        db.run_sync(records.request, alice)
    _age(db, stuck.id, days=2)
    fresh = db.run_sync(records.request, alice)
    assert fresh.id != stuck.id
    assert db.run_sync(records.get, stuck.id).state == records.FAILED


def test_the_sweep_expires_and_fails_and_removes_files(db, alice):
    store = store_for(db.settings)
    done = db.run_sync(records.request, alice, by_job=False)
    db.run_sync(records.start, done.id)
    key = f"{done.key_prefix}/part-1.zip"
    store.put(key, b"PK", "application/zip")
    db.run_sync(records.add_part, done.id, records.Part(1, 2, "00", key))
    assert db.run_sync(records.finish, done.id, 1) == []
    assert records.sweep(db) == 0  # not expired yet
    db.run_sync(
        lambda tx: tx.execute(
            account_exports.update()
            .where(account_exports.c.id == done.id)
            .values(expires_at=tx.now - timedelta(minutes=1))
        )
    )
    abandoned = db.run_sync(records.request, alice, by_job=False)
    other_key = f"{abandoned.key_prefix}/part-1.zip"
    store.put(other_key, b"PK", "application/zip")
    db.run_sync(records.add_part, abandoned.id, records.Part(1, 2, "00", other_key))
    _age(db, abandoned.id, days=2)
    assert records.sweep(db) == 2
    assert store.get(key) is None and store.get(other_key) is None
    assert db.run_sync(records.get, done.id).state == records.EXPIRED
    assert db.run_sync(records.get, abandoned.id).state == records.FAILED


def test_the_sweep_runs_once_an_hour_whoever_schedules_it(db):
    for _ in range(3):  # three processes starting
        db.run_sync(records.schedule)
    count = db.run_sync(
        lambda tx: tx.scalar(
            sa.select(sa.func.count()).select_from(jobs).where(jobs.c.kind == records.SWEEP_JOB)
        )
    )
    assert count == 1


def test_a_done_export_past_its_days_reads_expired(db, alice):
    export = db.run_sync(records.request, alice, by_job=False)
    db.run_sync(records.start, export.id)
    db.run_sync(records.finish, export.id, 0)
    found = db.run_sync(records.get, export.id)
    assert found.state == records.DONE
    assert found.expires_at - found.finished_at == timedelta(days=db.settings.export_days)
    assert records.state_of(records.DONE, found.expires_at, found.expires_at) == records.EXPIRED
