"""An import from its file to its end: stored whole, run by a job, read back as progress.

`create` stores the import and one row per line of its file in one transaction, with the job
that runs it (`RUN_JOB`, handled by `federation.import_lookups`, which looks accounts and posts
up on their servers outside any transaction). The job prepares the import once (`overwrite`),
then takes the pending rows in file order, a batch at a time; each row is done or failed in
the same transaction as its effect (`csv_rows`), so after a crash the job resumes at the first
row still pending and nothing is done twice. The counters (total, processed, imported,
failed) move with the rows. An import is its owner's alone: anyone else gets 404.

States, as Mastodon's BulkImport: `scheduled` (stored, not started), `in_progress`,
`finished` (every row done or failed; rows of lists waiting for a follow's approval do not
hold it back).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Row

from pnyx.core import paging
from pnyx.core.errors import Invalid, NotFound
from pnyx.core.imports import csv_files
from pnyx.db.engine import Tx
from pnyx.db.ids import new_id
from pnyx.db.tables import account_import_rows, account_imports, accounts
from pnyx.jobs.queue import enqueue

RUN_JOB = "imports.run"
SCHEDULED, IN_PROGRESS, FINISHED = "scheduled", "in_progress", "finished"
PENDING, DONE, FAILED, WAITING = "pending", "done", "failed", "waiting"
MAX_FILENAME_CHARS = 255
INSERT_BATCH = 1_000  # rows inserted per statement


@dataclass(frozen=True)
class Failure:
    """A row that could not be imported: its row in the file, what it named, and why."""

    row: int
    value: str
    reason: str


@dataclass(frozen=True)
class ImportView:
    """An import as its owner sees it (the API's Import entity, the settings page)."""

    id: int
    type: str
    mode: str
    state: str
    filename: str
    total: int
    processed: int
    imported: int
    failed: int
    failures: list[Failure]
    created_at: datetime
    finished_at: datetime | None


# --- making one --------------------------------------------------------------------------------


def _check_follow_limit(tx: Tx, account_id: int, mode: str, rows: int) -> None:
    """Mastodon's check: the file may not take the account past its follow limit (in merge
    mode the follows it has count; overwrite replaces them)."""
    counts = tx.one_or_none(
        sa.select(accounts.c.following_count, accounts.c.followers_count).where(
            accounts.c.id == account_id
        )
    )
    if counts is None:
        raise NotFound()
    base = csv_files.follow_limit(counts.following_count, counts.followers_count)
    limit = base - (counts.following_count if mode == "merge" else 0)
    if rows > limit:
        raise Invalid(f"You cannot follow more than {base} people")


def create(
    tx: Tx,
    account_id: int,
    kind: str | None,
    mode: str | None,
    rows: Sequence[csv_files.Row],
    filename: str = "",
) -> int:
    """Store an import of `rows` (read by `csv_files.parse`) and schedule its run; its id."""
    kind = csv_files.check_type(kind)
    mode = csv_files.check_mode(mode)
    if kind == "following":
        _check_follow_limit(tx, account_id, mode, len(rows))
    import_id = new_id()
    tx.execute(
        account_imports.insert().values(
            id=import_id,
            account_id=account_id,
            type=kind,
            mode=mode,
            state=SCHEDULED,
            filename=(filename or "")[:MAX_FILENAME_CHARS],
            total=len(rows),
            created_at=tx.now,
        )
    )
    values = [
        {"id": new_id(), "import_id": import_id, "position": row.position, "data": row.data}
        for row in rows
    ]
    for start in range(0, len(values), INSERT_BATCH):
        tx.execute(account_import_rows.insert(), values[start : start + INSERT_BATCH])
    enqueue(tx, RUN_JOB, {"import_id": import_id}, unique_key=f"{RUN_JOB}:{import_id}")
    return import_id


# --- reading -----------------------------------------------------------------------------------


def _failures(tx: Tx, imports: Sequence[Row]) -> dict[int, list[Failure]]:
    kinds = {row.id: row.type for row in imports}
    found: dict[int, list[Failure]] = {row.id: [] for row in imports}
    if not found:
        return found
    failed = tx.rows(
        sa.select(
            account_import_rows.c.import_id,
            account_import_rows.c.position,
            account_import_rows.c.data,
            account_import_rows.c.reason,
        )
        .where(
            account_import_rows.c.import_id.in_(list(found)),
            account_import_rows.c.state == FAILED,
        )
        .order_by(account_import_rows.c.import_id, account_import_rows.c.position)
    )
    for row in failed:
        value = csv_files.value_of(kinds[row.import_id], row.data or {})
        found[row.import_id].append(Failure(row.position, value, row.reason or ""))
    return found


def _view(row: Row, failures: list[Failure]) -> ImportView:
    return ImportView(
        id=row.id,
        type=row.type,
        mode=row.mode,
        state=row.state,
        filename=row.filename,
        total=row.total,
        processed=row.processed,
        imported=row.imported,
        failed=row.failed,
        failures=failures,
        created_at=row.created_at,
        finished_at=row.finished_at,
    )


def get(tx: Tx, owner_id: int, import_id: int) -> ImportView:
    """The owner's import with its failures; NotFound for anyone else's."""
    row = tx.one_or_none(
        sa.select(account_imports).where(
            account_imports.c.id == import_id, account_imports.c.account_id == owner_id
        )
    )
    if row is None:
        raise NotFound()
    return _view(row, _failures(tx, [row])[row.id])


def page(tx: Tx, owner_id: int, wanted: paging.Page) -> list[ImportView]:
    """The owner's imports, newest first."""
    query = sa.select(account_imports).where(account_imports.c.account_id == owner_id)
    rows = paging.fetch(tx, query, account_imports.c.id, wanted)
    failures = _failures(tx, rows)
    return [_view(row, failures[row.id]) for row in rows]


def failed_rows(tx: Tx, owner_id: int, import_id: int) -> tuple[str, list[dict[str, Any]]]:
    """The import's type and its failed rows' data, in file order (NotFound for another's)."""
    kind = tx.scalar(
        sa.select(account_imports.c.type).where(
            account_imports.c.id == import_id, account_imports.c.account_id == owner_id
        )
    )
    if kind is None:
        raise NotFound()
    data = tx.scalars(
        sa.select(account_import_rows.c.data)
        .where(
            account_import_rows.c.import_id == import_id,
            account_import_rows.c.state == FAILED,
        )
        .order_by(account_import_rows.c.position)
    )
    return kind, [row or {} for row in data]


# --- running (the job in federation.import_lookups calls these) -----------------------------


@dataclass(frozen=True)
class Running:
    """What the job needs to know of the import it runs."""

    id: int
    account_id: int
    type: str
    mode: str
    prepared: bool


def start(tx: Tx, import_id: int) -> Running | None:
    """The import to run (now in progress), or None when it is gone or finished."""
    row = tx.one_or_none(sa.select(account_imports).where(account_imports.c.id == import_id))
    if row is None or row.state == FINISHED:
        return None
    if row.state == SCHEDULED:
        tx.execute(
            account_imports.update()
            .where(account_imports.c.id == import_id)
            .values(state=IN_PROGRESS)
        )
    return Running(row.id, row.account_id, row.type, row.mode, row.prepared)


def pending_rows(tx: Tx, import_id: int, limit: int) -> list[Row]:
    """The next rows to do, in file order (`id`, `position`, `data`, `target_id`)."""
    return tx.rows(
        sa.select(
            account_import_rows.c.id,
            account_import_rows.c.position,
            account_import_rows.c.data,
            account_import_rows.c.target_id,
        )
        .where(
            account_import_rows.c.import_id == import_id,
            account_import_rows.c.state == PENDING,
        )
        .order_by(account_import_rows.c.position)
        .limit(limit)
    )


def finish(tx: Tx, import_id: int) -> bool:
    """End the import if no row is pending (True then, or when it had ended already). The
    rows done are dropped, as Mastodon drops them: the failed ones are its report, the
    waiting ones still have a list to join."""
    state = tx.scalar(sa.select(account_imports.c.state).where(account_imports.c.id == import_id))
    if state is None or state == FINISHED:
        return True
    left = tx.scalar(
        sa.select(account_import_rows.c.id)
        .where(
            account_import_rows.c.import_id == import_id,
            account_import_rows.c.state == PENDING,
        )
        .limit(1)
    )
    if left is not None:
        return False
    tx.execute(
        account_imports.update()
        .where(account_imports.c.id == import_id)
        .values(state=FINISHED, finished_at=tx.now)
    )
    tx.execute(
        account_import_rows.delete().where(
            account_import_rows.c.import_id == import_id, account_import_rows.c.state == DONE
        )
    )
    return True


def continue_later(tx: Tx, import_id: int) -> None:
    """Queue the next batch of an import (a job runs a batch, so others' jobs run between)."""
    enqueue(tx, RUN_JOB, {"import_id": import_id})


def count(tx: Tx, import_id: int) -> dict[str, Any]:
    """The counters alone (the command line's progress bar reads them)."""
    row = tx.one_or_none(
        sa.select(
            account_imports.c.total,
            account_imports.c.processed,
            account_imports.c.imported,
            account_imports.c.failed,
            account_imports.c.state,
        ).where(account_imports.c.id == import_id)
    )
    return dict(row._mapping) if row is not None else {}
