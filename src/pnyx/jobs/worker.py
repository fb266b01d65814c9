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
"""

from __future__ import annotations

import logging
import threading
import time
import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from pnyx.db.engine import Database
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


def run_one(db: Database, name: str, handlers: Handlers) -> bool:
    """Run at most one due job. Returns whether there was one."""
    claimed = db.run_sync(queue.claim, name)
    if not claimed:
        return False
    job = claimed[0]
    handler = handlers.get(job.kind)
    if handler is None:
        log.error("no handler for job kind %r (job %s)", job.kind, job.id)
        db.run_sync(queue.fail, job, f"no handler for {job.kind}", permanent=True)
        return True
    try:
        if handler.network:
            handler.fn(db, job.payload)
            db.run_sync(queue.complete, job.id)
        else:
            with db.transaction() as tx:
                handler.fn(tx, job.payload)
                queue.complete(tx, job.id)
    except PermanentError as exc:
        log.warning("job %s (%s) failed permanently: %s", job.id, job.kind, exc)
        db.run_sync(queue.fail, job, str(exc), permanent=True)
    except Exception as exc:  # noqa: BLE001 - any failure is retried with backoff
        log.warning("job %s (%s) attempt %d failed: %s", job.id, job.kind, job.attempts, exc)
        db.run_sync(queue.fail, job, "".join(traceback.format_exception(exc))[-4000:])
    return True


def drain(db: Database, handlers: Handlers, name: str | None = None, max_jobs: int = 10_000) -> int:
    """Run due jobs until none is left; for tests and `pnyx worker --once`."""
    name = name or queue.worker_name()
    count = 0
    while count < max_jobs and run_one(db, name, handlers):
        count += 1
    return count


class WorkerThread(threading.Thread):
    """An in-process worker for `pnyx serve`: the embedded default needs no other service."""

    def __init__(self, db: Database, handlers: Handlers, idle_sleep: float = 0.5):
        super().__init__(name="pnyx-worker", daemon=True)
        self.db = db
        self.handlers = handlers
        self.idle_sleep = idle_sleep
        self.stopping = threading.Event()
        self.name_ = queue.worker_name()

    def run(self) -> None:
        while not self.stopping.is_set():
            try:
                if not run_one(self.db, self.name_, self.handlers):
                    self.stopping.wait(self.idle_sleep)
            except Exception:  # noqa: BLE001 - keep the loop alive, log loudly
                log.exception("worker loop error")
                time.sleep(1)

    def stop(self) -> None:
        self.stopping.set()
