"""The worker loop: claim a due job, run its handler in its own transaction, repeat.

The worker knows no job kind itself: it is handed a table (`Handlers`, kind -> `JobHandler`)
by the composition root, `pnyx.registry`, which is the one module that imports every handler.
So this package needs nothing above `db`, and core, which declares job functions, never
imports the worker.

Handlers must be idempotent: a job whose worker died after doing the work but before deleting
the row runs again. A handler runs inside one transaction (`fn(tx, payload)`), unless it talks
to the network: those are marked `network=True` and get the `Database` (`fn(db, payload)`),
opening short transactions themselves, so no transaction (and on SQLite no write lock) is held
while a remote server takes its time to answer.

A transactional handler's work and the deletion of its job commit together, and only while
this worker still holds the job's lease: a job runs to completion once, even when a stalled
worker's lease ran out and another took the job over. A network handler's effects reach
other servers at least once (a worker killed mid-request leaves the job to be run again).
"""

from __future__ import annotations

import logging
import threading
import time
import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from pnyx.db.engine import Database
from pnyx.db.types import utcnow
from pnyx.jobs import queue

log = logging.getLogger("pnyx.jobs")


@dataclass(frozen=True)
class JobHandler:
    """What runs a job kind: `fn(tx, payload)`, or `fn(db, payload)` when `network`."""

    fn: Callable[..., None]
    network: bool = False


Handlers = Mapping[str, JobHandler]


class PermanentError(Exception):
    """Raised by a handler when retrying cannot help (e.g. the target is gone)."""


class RetryAfter(Exception):
    """Raised by a handler whose attempt failed and who was told when to come back (an HTTP
    Retry-After): the retry waits until `not_before`, within the queue's longest delay."""

    def __init__(self, message: str, not_before: datetime):
        super().__init__(message)
        self.not_before = not_before


class Busy(Exception):
    """Raised by a handler that could not start yet (its server already has as many of our
    requests in flight as it gets): the job is put back `retry_in` later and the attempt is
    not counted, and the thread is free for other work at once."""

    def __init__(self, message: str, retry_in: timedelta):
        super().__init__(message)
        self.retry_in = retry_in


class LeaseLost(Exception):
    """This worker's lease ran out and another worker took the job over."""


# How many transactional jobs a job thread runs in one transaction (`run_one`'s `batch`), on
# SQLite only: there writers take turns anyway, and a batch saves a transaction per job. On
# PostgreSQL threads write side by side, and a batch would hold the row locks of many jobs
# (an author's counters ...) until its commit: the other threads would wait on them (the
# federation benchmark processed 3x fewer activities per second with batches there).
BATCH = 16


def run_one(
    db: Database,
    name: str,
    handlers: Handlers,
    queues: tuple[str, ...] | None = None,
    heartbeat: Heartbeat | None = None,
    batch: int = 1,
) -> bool:
    """Run at most one due job (of `queues` only, when given). Returns whether there was one.

    With `batch` > 1, when that job runs in a transaction, up to `batch - 1` more due jobs
    that do too are claimed with it and all run in one transaction (`run_together`): on
    SQLite, where writers take turns, a burst of incoming activities costs two transactions
    per batch instead of two per activity. Jobs that talk to the network are never batched.
    """
    claimed = db.run_sync(_claim, name, handlers, queues, batch)
    if not claimed:
        return False
    for job in claimed:
        if heartbeat is not None:
            heartbeat.hold(job)
    try:
        if len(claimed) == 1:
            run_claimed(db, claimed[0], handlers)
        else:
            run_together(db, claimed, handlers)
    finally:
        for job in claimed:
            if heartbeat is not None:
                heartbeat.release(job)
    return True


def _transactional(handlers: Handlers, kind: str) -> bool:
    handler = handlers.get(kind)
    return handler is not None and not handler.network


def _claim(tx, name: str, handlers: Handlers, queues, batch: int) -> list[queue.Job]:
    claimed = queue.claim(tx, name, queues=queues)
    if batch > 1 and claimed and _transactional(handlers, claimed[0].kind):
        kinds = sorted(kind for kind in handlers if _transactional(handlers, kind))
        claimed += queue.claim(tx, name, batch - 1, queues, kinds)
    return claimed


def run_together(db: Database, claimed: list[queue.Job], handlers: Handlers) -> None:
    """Run claimed transactional jobs in one transaction, each in a savepoint of its own: a
    job that fails (or whose lease was lost) is rolled back alone and its outcome recorded
    after the others commit. Should the commit itself fail, each job runs again alone."""
    failures: list[tuple[queue.Job, Exception]] = []
    try:
        with db.transaction() as tx:
            for job in claimed:
                try:
                    with tx.conn.begin_nested():
                        handlers[job.kind].fn(tx, job.payload)
                        if not queue.complete(tx, job):
                            raise LeaseLost(f"job {job.id} ({job.kind}) was taken over")
                except Exception as exc:  # noqa: BLE001 - recorded below, like run_claimed
                    failures.append((job, exc))
    except Exception:  # noqa: BLE001 - nothing was kept: run them one by one
        log.exception("a batch of %d jobs could not commit: running them alone", len(claimed))
        for job in claimed:
            run_claimed(db, job, handlers)
        return
    for job, exc in failures:
        _record_failure(db, job, exc)


def run_claimed(db: Database, job: queue.Job, handlers: Handlers) -> None:
    """Run a claimed job's handler and record the outcome: done, retried, put back, failed."""
    handler = handlers.get(job.kind)
    if handler is None:
        log.error("no handler for job kind %r (job %s)", job.kind, job.id)
        db.run_sync(queue.fail, job, f"no handler for {job.kind}", permanent=True)
        return
    try:
        if handler.network:
            handler.fn(db, job.payload)
            if not db.run_sync(queue.complete, job):
                log.warning("job %s (%s) was taken over by another worker", job.id, job.kind)
        else:
            with db.transaction() as tx:
                handler.fn(tx, job.payload)
                if not queue.complete(tx, job):
                    raise LeaseLost(f"job {job.id} ({job.kind}) was taken over")
    except Exception as exc:  # noqa: BLE001 - any failure is recorded, retried with backoff
        _record_failure(db, job, exc)


def _record_failure(db: Database, job: queue.Job, exc: Exception) -> None:
    """What a handler's exception means for its job (see the module docstring)."""
    if isinstance(exc, LeaseLost):
        log.warning("%s: its work is rolled back, the other worker does it", exc)
    elif isinstance(exc, Busy):
        db.run_sync(queue.reschedule, job, utcnow() + exc.retry_in)
    elif isinstance(exc, PermanentError):
        log.warning("job %s (%s) failed permanently: %s", job.id, job.kind, exc)
        db.run_sync(queue.fail, job, str(exc), permanent=True)
    elif isinstance(exc, RetryAfter):
        log.warning("job %s (%s) attempt %d failed: %s", job.id, job.kind, job.attempts, exc)
        db.run_sync(queue.fail, job, str(exc), not_before=exc.not_before)
    else:
        log.warning("job %s (%s) attempt %d failed: %s", job.id, job.kind, job.attempts, exc)
        db.run_sync(queue.fail, job, "".join(traceback.format_exception(exc))[-4000:])


def drain(
    db: Database,
    handlers: Handlers,
    name: str | None = None,
    max_jobs: int = 10_000,
    queues: tuple[str, ...] | None = None,
    heartbeat: Heartbeat | None = None,
) -> int:
    """Run due jobs until none is left; for tests and `pnyx worker --once`."""
    name = name or queue.worker_name()
    count = 0
    while count < max_jobs and run_one(db, name, handlers, queues, heartbeat):
        count += 1
    return count


def thread_queues(count: int, queues: tuple[str, ...] = queue.ALL_QUEUES) -> list[tuple[str, ...]]:
    """The queues each of `count` job threads serves.

    Deliveries are most of the work and can be slow (remote servers take their time), so when
    a process serves them with other work and has two threads or more, a quarter of its
    threads (at least one) never take deliveries: however many are due, what other servers
    send and the local housekeeping still run at once.
    """
    others = tuple(name for name in queues if name != queue.DELIVER)
    if count < 2 or queue.DELIVER not in queues or not others:
        return [queues] * count
    reserved = max(1, count // 4)
    return [others] * reserved + [queues] * (count - reserved)


class Heartbeat(threading.Thread):
    """Extends the leases of the jobs this process is running, every quarter of a lease.

    Why a heartbeat rather than a lease longer than any job: a job's lease is how long it
    waits after its worker died (kill -9, a lost machine) before another worker takes it over.
    With a heartbeat that wait is one short lease (`job_lease_seconds`, a minute by default)
    while a long job (a backfill, an erasure, a slow server) keeps its lease as long as its
    worker lives. Per-kind leases would still have to be as long as the slowest job of a kind.
    """

    def __init__(self, db: Database):
        super().__init__(name="pnyx-heartbeat", daemon=True)
        self.db = db
        self.interval = max(1.0, db.settings.job_lease_seconds / 4)
        self.stopping = threading.Event()
        self._held: dict[int, queue.Job] = {}
        self._lock = threading.Lock()

    def hold(self, job: queue.Job) -> None:
        with self._lock:
            self._held[job.id] = job

    def release(self, job: queue.Job) -> None:
        with self._lock:
            self._held.pop(job.id, None)

    def run(self) -> None:
        while not self.stopping.wait(self.interval):
            with self._lock:
                held = list(self._held.values())
            if not held:
                continue
            try:
                self.db.run_sync(queue.extend, held)
            except Exception:  # noqa: BLE001 - try again at the next beat
                log.exception("could not extend job leases")

    def stop(self) -> None:
        self.stopping.set()


class WorkerThread(threading.Thread):
    """One job thread: claims a due job of its queues (a batch of them when they run in a
    transaction), runs it, repeats."""

    def __init__(
        self,
        db: Database,
        handlers: Handlers,
        idle_sleep: float = 0.5,
        queues: tuple[str, ...] | None = None,
        heartbeat: Heartbeat | None = None,
        batch: int | None = None,
    ):
        super().__init__(name="pnyx-worker", daemon=True)
        self.db = db
        self.handlers = handlers
        self.idle_sleep = idle_sleep
        self.queues = queues
        self.heartbeat = heartbeat
        self.batch = batch if batch is not None else (BATCH if db.is_sqlite else 1)
        self.stopping = threading.Event()
        self.name_ = queue.worker_name()

    def run(self) -> None:
        while not self.stopping.is_set():
            try:
                if not run_one(
                    self.db, self.name_, self.handlers, self.queues, self.heartbeat, self.batch
                ):
                    self.stopping.wait(self.idle_sleep)
            except Exception:  # noqa: BLE001 - keep the loop alive, log loudly
                log.exception("worker loop error")
                time.sleep(1)

    def stop(self) -> None:
        self.stopping.set()


class Pool:
    """The job threads of one process and their heartbeat: what `pnyx serve` runs in-process
    (the embedded default needs no other service) and what `pnyx worker` runs alone."""

    def __init__(
        self,
        db: Database,
        handlers: Handlers,
        threads: int,
        queues: tuple[str, ...] = queue.ALL_QUEUES,
    ):
        self.heartbeat = Heartbeat(db)
        self.threads = [
            WorkerThread(db, handlers, queues=served, heartbeat=self.heartbeat)
            for served in thread_queues(threads, queues)
        ]

    def start(self) -> Pool:
        self.heartbeat.start()
        for thread in self.threads:
            thread.start()
        return self

    def is_alive(self) -> bool:
        return any(thread.is_alive() for thread in self.threads)

    def stop(self, timeout: float = 5) -> None:
        for thread in self.threads:
            thread.stop()
        for thread in self.threads:
            thread.join(timeout=timeout)
        self.heartbeat.stop()
