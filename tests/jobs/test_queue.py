"""The job queue on both databases: idempotent enqueue, failed jobs giving their key back,
queues, leases, and jobs put back without counting an attempt.

Jobs run through the real worker loop (`worker.run_one`, `worker.drain`) and real handlers.
"""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
import sqlalchemy as sa

from pnyx import registry
from pnyx.core import polls
from pnyx.db.engine import Database
from pnyx.db.tables import jobs
from pnyx.db.types import utcnow
from pnyx.jobs import queue, worker

NOOP = "mentions.resolve"  # a real handler that has nothing to do with an empty list of uris


def _jobs(db) -> list:
    return db.run_sync(lambda tx: tx.rows(sa.select(jobs).order_by(jobs.c.id)), write=False)


def _enqueue(db, kind: str, payload: dict, **kw) -> bool:
    return db.run_sync(lambda tx: queue.enqueue(tx, kind, payload, **kw))


def test_the_same_key_twice_gives_one_job(db):
    assert _enqueue(db, NOOP, {"status_id": 1, "uris": []}, unique_key="k")
    assert not _enqueue(db, NOOP, {"status_id": 2, "uris": []}, unique_key="k")
    assert [j.payload["status_id"] for j in _jobs(db)] == [1]


def test_two_concurrent_enqueues_of_one_key_give_one_job_and_no_error(db):
    """Two transactions add the same key at once: the second waits on the first (PostgreSQL
    locks the index entry) and then finds nothing to do, instead of an IntegrityError."""
    if db.is_sqlite:
        pytest.skip("SQLite runs one write transaction at a time: no race to lose")
    first_added = threading.Event()
    commit_first = threading.Event()
    outcome: dict[str, object] = {}

    def first():
        with db.transaction() as tx:
            outcome["first"] = queue.enqueue(tx, NOOP, {"n": 1}, unique_key="vote:1")
            first_added.set()
            commit_first.wait(30)

    def second():
        first_added.wait(30)
        try:
            outcome["second"] = db.run_sync(
                lambda tx: queue.enqueue(tx, NOOP, {"n": 2}, unique_key="vote:1")
            )
        except Exception as exc:  # noqa: BLE001 - the failure this test is about
            outcome["second"] = exc

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    first_added.wait(30)

    def second_is_waiting(tx) -> bool:
        return bool(
            tx.scalar(
                sa.text(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                    " AND wait_event_type = 'Lock' AND query LIKE 'INSERT INTO jobs%'"
                )
            )
        )

    for _ in range(3000):  # until the second insert waits on the first transaction's row
        if db.run_sync(second_is_waiting, write=False):
            break
        threading.Event().wait(0.01)
    else:
        pytest.fail("the second enqueue never waited on the first")
    commit_first.set()
    for thread in threads:
        thread.join(30)
    assert outcome == {"first": True, "second": False}
    assert [j.payload["n"] for j in _jobs(db)] == [1]


def test_a_job_that_failed_for_good_does_not_block_its_key(db):
    """A poll close (or backfill, erasure) that failed permanently is kept for inspection,
    and the same work enqueued again runs."""
    _enqueue(db, "no.such.kind", {}, unique_key="once")
    assert registry.drain(db) == 1  # no handler: failed for good
    (failed,) = _jobs(db)
    assert failed.failed_at is not None and failed.unique_key == "once"

    _enqueue(db, NOOP, {"status_id": 1, "uris": []}, unique_key="once")
    _enqueue(db, NOOP, {"status_id": 1, "uris": []}, unique_key="once")
    assert registry.drain(db) == 1  # the new job (one) runs, and completes
    assert [(j.kind, j.failed_at is not None) for j in _jobs(db)] == [("no.such.kind", True)]


def test_each_kind_goes_to_its_queue(db):
    kinds = ("deliver", "inbox.process", "account.backfill", "federate", polls.CLOSE_JOB)
    for kind in (*kinds, "made.up"):
        _enqueue(db, kind, {})
    assert {j.kind: j.queue for j in _jobs(db)} == {
        "deliver": "deliver",
        "inbox.process": "inbox",
        "account.backfill": "inbox",
        "federate": "default",
        polls.CLOSE_JOB: "default",
        "made.up": "default",  # a kind the queue does not name falls back to "default"
    }


def test_every_kind_given_a_queue_has_a_handler():
    """The queue names kinds as strings: a kind renamed where its handler is registered
    must be renamed here too, or its jobs would quietly land in "default"."""
    assert set(queue.QUEUES) <= set(registry.JOBS)


def test_a_burst_of_deliveries_does_not_hold_up_inbox_work(db):
    """Two hundred deliveries due before an incoming activity's job: the thread every
    process keeps for other work runs the inbox job next, and takes no delivery."""
    earlier = utcnow() - timedelta(minutes=5)
    for n in range(200):
        _enqueue(db, "deliver", {"inbox": f"https://x{n}.example/inbox"}, run_at=earlier)
    _enqueue(db, NOOP, {"status_id": 1, "uris": []})

    served = worker.thread_queues(4)
    assert served.count(queue.ALL_QUEUES) == 3
    (reserved,) = [q for q in served if q != queue.ALL_QUEUES]
    assert worker.run_one(db, "reserved-thread", registry.JOBS, reserved)
    left = _jobs(db)
    assert {j.kind for j in left} == {"deliver"} and len(left) == 200
    assert all(j.attempts == 0 and j.locked_by is None for j in left)
    assert not worker.run_one(
        db, "reserved-thread", registry.JOBS, reserved
    )  # deliveries are not its work


def test_one_thread_serves_every_queue():
    assert worker.thread_queues(1) == [queue.ALL_QUEUES]
    assert worker.thread_queues(2, ("deliver",)) == [("deliver",)] * 2
    assert worker.thread_queues(3, ("inbox", "default")) == [("inbox", "default")] * 3


def test_only_the_worker_holding_a_job_finishes_it(db):
    """A worker whose lease ran out and whose job another worker took over can neither
    delete nor reschedule the other's run."""
    _enqueue(db, NOOP, {"status_id": 1, "uris": []})
    (stale,) = db.run_sync(queue.claim, "stalled")
    db.run_sync(lambda tx: tx.execute(jobs.update().values(locked_until=utcnow())))
    (fresh,) = db.run_sync(queue.claim, "live")
    assert fresh.id == stale.id
    assert not db.run_sync(queue.complete, stale)
    db.run_sync(queue.fail, stale, "late")
    (row,) = _jobs(db)
    assert row.locked_by == "live" and row.last_error is None
    assert db.run_sync(queue.complete, fresh)
    assert _jobs(db) == []


def test_a_heartbeat_extends_the_lease_of_a_running_job(db):
    _enqueue(db, NOOP, {"status_id": 1, "uris": []})
    (job,) = db.run_sync(queue.claim, "w")
    db.run_sync(lambda tx: tx.execute(jobs.update().values(locked_until=utcnow())))
    db.run_sync(queue.extend, [job])
    (row,) = _jobs(db)
    assert row.locked_until > utcnow() + timedelta(seconds=db.settings.job_lease_seconds - 5)
    assert db.run_sync(queue.claim, "other") == []


def test_a_job_put_back_keeps_its_attempts(db):
    _enqueue(db, NOOP, {}, max_attempts=1)
    (job,) = db.run_sync(queue.claim, "w")
    later = utcnow() + timedelta(seconds=30)
    db.run_sync(queue.reschedule, job, later)
    (row,) = _jobs(db)
    assert row.attempts == 0 and row.failed_at is None and row.locked_by is None
    assert abs((row.run_at - later).total_seconds()) < 1


def test_a_retry_is_not_before_the_time_asked_nor_after_the_ceiling(db):
    _enqueue(db, NOOP, {})
    (job,) = db.run_sync(queue.claim, "w")
    db.run_sync(queue.fail, job, "busy", not_before=utcnow() + timedelta(seconds=100))
    (row,) = _jobs(db)
    assert row.run_at >= utcnow() + timedelta(seconds=95)  # not the 15 s of the first backoff
    db.run_sync(lambda tx: tx.execute(jobs.update().values(run_at=utcnow())))
    (job,) = db.run_sync(queue.claim, "w")
    db.run_sync(queue.fail, job, "busy", not_before=utcnow() + timedelta(days=30))
    (row,) = _jobs(db)
    assert row.run_at <= utcnow() + queue.MAX_DELAY
    assert row.run_at >= utcnow() + queue.MAX_DELAY - timedelta(minutes=1)


def test_the_pool_heartbeat_keeps_a_running_job_leased(settings):
    """A job running longer than its lease keeps it while its worker lives: the heartbeat
    (every quarter of a lease) pushes `locked_until` on, so no other worker takes it."""
    db = Database(settings.with_overrides(job_lease_seconds=4))
    try:
        _enqueue(db, NOOP, {})
        (job,) = db.run_sync(queue.claim, "long-job")
        db.run_sync(lambda tx: tx.execute(jobs.update().values(locked_until=utcnow())))
        beat = worker.Heartbeat(db)
        beat.hold(job)
        beat.start()
        try:
            for _ in range(200):  # a beat comes after a second; bounded at 20 s
                if _jobs(db)[0].locked_until > utcnow():
                    break
                threading.Event().wait(0.1)
            assert db.run_sync(queue.claim, "other") == []
        finally:
            beat.stop()
            beat.join(10)
    finally:
        db.dispose()


def _mark(tx, payload: dict) -> None:
    """A transactional job that leaves a trace (a job row of its own), or fails."""
    if payload.get("fail"):
        queue.enqueue(tx, "trace", {"n": payload["n"]})  # rolled back with its job
        raise ValueError("this one fails")
    queue.enqueue(tx, "trace", {"n": payload["n"]})


def _network(db, payload: dict) -> None:
    db.run_sync(lambda tx: queue.enqueue(tx, "trace", {"n": payload["n"]}))


def test_transactional_jobs_run_in_batches_and_fail_alone(db):
    """One claim and one transaction for several jobs; a failing one is rolled back alone and
    retried later, network jobs are never part of a batch."""
    handlers = {
        "mark": worker.JobHandler(_mark),
        "fetch": worker.JobHandler(_network, network=True),
    }
    for n in range(4):
        _enqueue(db, "mark", {"n": n, "fail": n == 2})
    _enqueue(db, "fetch", {"n": 9})
    assert worker.run_one(db, "batcher", handlers, batch=10)
    left = {j.kind: j for j in _jobs(db) if j.kind != "trace"}
    traces = sorted(j.payload["n"] for j in _jobs(db) if j.kind == "trace")
    assert traces == [0, 1, 3]
    assert set(left) == {"mark", "fetch"}
    assert left["mark"].payload["n"] == 2 and left["mark"].attempts == 1
    assert "this one fails" in left["mark"].last_error
    assert left["fetch"].attempts == 0  # not claimed with the batch
