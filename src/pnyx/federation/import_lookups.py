"""The job that runs an import of Mastodon's CSV files (`core.imports.runs.RUN_JOB`).

An import's rows name accounts by address (`name@server`) and posts by URI; the ones not
known here are looked up on their servers (WebFinger, then the actor; the post's document),
as search does (`federation.resolve`), outside any transaction. Each row is then applied by
core in a transaction of its own (`core.imports.csv_rows.apply`), which marks it done with
its effect, or recorded as failed with the reason (`csv_rows.fail`).

A server that does not answer (a network error, no address, past the deadline) is not asked
again for the rest of the batch: its other rows fail at once with the same reason, as Mastodon's
stoplight has them fail, instead of each waiting out the timeouts.

A run prepares the import (overwrite's removals, `core.imports.overwrite`), then does up to
`BATCH` rows in file order and queues the next run, so one person's long import does not hold
a worker thread for an hour, and other jobs run between its batches. A run that dies mid-way
(a crash, a stop) leaves its job to run again once its lease runs out: it starts at the first
row still pending. Two runs of one import at once (the command line beside a worker) share the
rows: a row done by one is not done again by the other.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from urllib.parse import urlsplit

from sqlalchemy.engine import Row

from pnyx.config import Settings
from pnyx.core.errors import CoreError
from pnyx.core.imports import csv_rows, overwrite, runs
from pnyx.db.engine import Database
from pnyx.federation import resolve

log = logging.getLogger("pnyx.federation.import_lookups")

BATCH = 50  # rows per run of the job


class RowFailed(Exception):
    """A row that cannot be applied, with the reason recorded for it."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


# What a fetch says when the server never answered (as opposed to an answer we refuse).
UNANSWERED = ("network error", "deadline", "cannot resolve", "has no address")


class Lookups:
    """Finding what a batch's rows name. A server that does not answer is not asked again
    for the rest of the batch (as Mastodon's stoplight does): its other rows fail at once with
    the same reason, rather than each waiting out the network's timeouts."""

    def __init__(self, db: Database, settings: Settings):
        self.db = db
        self.settings = settings
        self.silent: dict[str, str] = {}  # server -> why it did not answer

    def _ask(self, host: str, failure: str, lookup: Callable[[], int | None]) -> int | None:
        if host in self.silent:
            raise RowFailed(csv_rows.reason(failure, f"{host} did not answer: {self.silent[host]}"))
        try:
            return lookup()
        except resolve.ResolveError as exc:
            if any(word in exc.reason for word in UNANSWERED):
                self.silent[host] = exc.reason
            detail = None if exc.reason == "no such local account" else exc.reason
            raise RowFailed(csv_rows.reason(failure, detail)) from None

    def account(self, acct: str | None) -> int:
        acct = (acct or "").strip().removeprefix("@")
        if not acct:
            raise RowFailed(csv_rows.NO_ADDRESS)
        handle = acct if "@" in acct else f"{acct}@{self.settings.domain}"
        if not resolve.HANDLE.match(handle):
            raise RowFailed(csv_rows.NOT_AN_ADDRESS)
        host = handle.rsplit("@", 1)[1].lower()
        found = self._ask(
            host,
            csv_rows.ACCOUNT_NOT_FOUND,
            lambda: resolve.resolve_handle(self.db, self.settings, handle),
        )
        if found is None:
            raise RowFailed(csv_rows.ACCOUNT_NOT_FOUND)
        return found

    def post(self, uri: str | None) -> int:
        uri = (uri or "").strip()
        host = urlsplit(uri).netloc.lower() if uri.startswith(("https://", "http://")) else ""
        if not host:
            raise RowFailed(csv_rows.NO_POST_ADDRESS)
        found = self._ask(
            host,
            csv_rows.POST_NOT_FOUND,
            lambda: resolve.fetch_status(self.db, self.settings, uri),
        )
        if found is None:
            raise RowFailed(csv_rows.POST_NOT_FOUND)
        return found

    def target_of(self, kind: str, row: Row) -> int | None:
        """The account or post a row names (known here, or looked up on its server); None
        for a server block. `RowFailed` when it cannot be found."""
        if row.target_id is not None:
            return row.target_id
        data = row.data or {}
        if kind in csv_rows.ACCOUNT_KINDS:
            return self.account(data.get("acct"))
        if kind == "bookmarks":
            return self.post(data.get("uri"))
        return None


def _process(lookups: Lookups, job: runs.Running, row: Row) -> None:
    db = lookups.db
    try:
        target = lookups.target_of(job.type, row)
    except RowFailed as exc:
        db.run_sync(csv_rows.fail, row.id, exc.reason)
        return
    try:
        db.run_sync(csv_rows.apply, row.id, target)
    except CoreError as exc:
        db.run_sync(csv_rows.fail, row.id, csv_rows.explain(job.type, exc))


def run_batch(
    db: Database, import_id: int, batch: int = BATCH, progress: Callable[[], None] | None = None
) -> bool:
    """Prepare the import if it is not, then do up to `batch` pending rows (calling
    `progress` after each); True while rows remain."""
    job = db.run_sync(runs.start, import_id)
    if job is None:
        return False
    while not db.run_sync(overwrite.prepare_step, import_id):
        pass
    lookups = Lookups(db, db.settings)
    for row in db.run_sync(runs.pending_rows, import_id, batch, write=False):
        _process(lookups, job, row)
        if progress is not None:
            progress()
    return not db.run_sync(runs.finish, import_id)


def run_import(db: Database, payload: dict) -> None:
    """The `imports.run` job: a batch, and the next run queued while rows remain."""
    import_id = payload.get("import_id")
    if not isinstance(import_id, int):
        log.warning("dropped an import job without an import: %r", payload)
        return
    if run_batch(db, import_id):
        db.run_sync(runs.continue_later, import_id)


def run_to_the_end(
    db: Database, import_id: int, progress: Callable[[], None] | None = None
) -> None:
    """Every batch, one after the other (the command line, which shows a progress bar)."""
    while run_batch(db, import_id, progress=progress):
        pass
