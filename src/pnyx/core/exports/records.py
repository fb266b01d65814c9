"""An export's life: requested, built (with progress), done with its parts, then expired.

A person asks (`request`): a row in `account_exports` and an `export.build` job, in one
transaction. One unfinished export per person (a partial unique index says so too, so two
requests at once cannot both pass). The build (`pnyx.portability.archive`) writes its progress
here in small transactions (`start`, `advance`, `add_part`, `finish`); a worker that dies
mid-way leaves the row running and the job to be claimed again, and the next attempt starts
over, writing its parts under the same keys. Done parts can be downloaded for
PNYX_EXPORT_DAYS; past that the row reads expired (`state_of`) and the periodic
`export.sweep` job removes the files and says so in the row.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from pnyx.core.errors import Invalid, NotFound
from pnyx.core.exports import contents
from pnyx.core.media_store import store_for
from pnyx.db.engine import Database, Tx
from pnyx.db.ids import new_id
from pnyx.db.insert_ignore import insert_ignore
from pnyx.db.tables import account_exports, jobs
from pnyx.jobs.queue import enqueue

BUILD_JOB = "export.build"
SWEEP_JOB = "export.sweep"
SWEEP_INTERVAL = timedelta(hours=1)
# Attempts of a build before the export is failed: the job's own limit, counted on the row too
# (a build that raises on its last attempt fails the export at once).
MAX_ATTEMPTS = 5
# An unfinished export with no live job (its job failed for good, or a `pnyx export` run was
# killed) stops blocking a new one after this long.
STALE_AFTER = timedelta(days=1)
QUEUED, RUNNING, DONE, FAILED, EXPIRED = "queued", "running", "done", "failed", "expired"
UNFINISHED = (QUEUED, RUNNING)
ALREADY_RUNNING = "An export is already being prepared: wait for it to finish"


@dataclass(frozen=True)
class Part:
    number: int
    size: int
    sha256: str
    key: str


@dataclass(frozen=True)
class Export:
    id: int
    account_id: int
    state: str  # as the person sees it: a done export past its expiry reads expired
    done: int
    total: int
    attempts: int
    key_prefix: str
    parts: tuple[Part, ...]
    error: str | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    expires_at: datetime | None


def _aware(moment: datetime | None) -> datetime | None:
    if moment is not None and moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment


def state_of(state: str, expires_at: datetime | None, now: datetime) -> str:
    """The state a person sees: done parts past their time are expired, even before the
    periodic sweep has removed them."""
    moment = _aware(expires_at)
    if state == DONE and moment is not None and moment <= now:
        return EXPIRED
    return state


def _parts(value: Any) -> tuple[Part, ...]:
    return tuple(
        Part(int(p["number"]), int(p["size"]), str(p["sha256"]), str(p["key"]))
        for p in (value or [])
    )


def _export(row: Any, now: datetime) -> Export:
    return Export(
        id=row.id,
        account_id=row.account_id,
        state=state_of(row.state, row.expires_at, now),
        done=row.done,
        total=row.total,
        attempts=row.attempts,
        key_prefix=row.key_prefix,
        parts=_parts(row.parts),
        error=row.error,
        created_at=_aware(row.created_at) or now,
        started_at=_aware(row.started_at),
        finished_at=_aware(row.finished_at),
        expires_at=_aware(row.expires_at),
    )


def _row(tx: Tx, export_id: int) -> Any:
    return tx.one_or_none(sa.select(account_exports).where(account_exports.c.id == export_id))


def get(tx: Tx, export_id: int) -> Export:
    row = _row(tx, export_id)
    if row is None:
        raise NotFound()
    return _export(row, tx.now)


def get_own(tx: Tx, account_id: int, export_id: int) -> Export:
    """An export of this account; anyone else's is NotFound, as one that does not exist."""
    found = get(tx, export_id)
    if found.account_id != account_id:
        raise NotFound()
    return found


def list_own(tx: Tx, account_id: int, limit: int = 20) -> list[Export]:
    rows = tx.rows(
        sa.select(account_exports)
        .where(account_exports.c.account_id == account_id)
        .order_by(account_exports.c.id.desc())
        .limit(limit)
    )
    return [_export(row, tx.now) for row in rows]


def _job_key(export_id: int) -> str:
    return f"{BUILD_JOB}:{export_id}"


def _job_alive(tx: Tx, export_id: int) -> bool:
    found = tx.scalar(
        sa.select(jobs.c.id).where(
            jobs.c.unique_key == _job_key(export_id), jobs.c.failed_at.is_(None)
        )
    )
    return found is not None


def _abandoned(tx: Tx, row: Any) -> bool:
    """An unfinished export nothing will finish: no live job, and long enough ago that no
    `pnyx export` run can still be at it."""
    since = _aware(row.started_at or row.created_at) or tx.now
    return not _job_alive(tx, row.id) and since < tx.now - STALE_AFTER


def _fail(tx: Tx, export_id: int, error: str) -> None:
    tx.execute(
        account_exports.update()
        .where(account_exports.c.id == export_id, account_exports.c.state.in_(UNFINISHED))
        .values(state=FAILED, error=error[:2000], finished_at=tx.now)
    )


def request(tx: Tx, account_id: int, *, by_job: bool = True) -> Export:
    """A new export of this account, queued for the `export.build` job (`by_job`: the CLI
    builds it itself). Invalid (422) while another one is unfinished."""
    unfinished = tx.one_or_none(
        sa.select(account_exports).where(
            account_exports.c.account_id == account_id,
            account_exports.c.state.in_(UNFINISHED),
        )
    )
    if unfinished is not None:
        if not _abandoned(tx, unfinished):
            raise Invalid(ALREADY_RUNNING)
        _fail(tx, unfinished.id, "The export stopped and was not finished")
    export_id = new_id()
    values = {
        "id": export_id,
        "account_id": account_id,
        "state": QUEUED,
        "key_prefix": f"exports/{export_id}-{secrets.token_urlsafe(18)}",
        "parts": [],
        "created_at": tx.now,
    }
    # The partial unique index on unfinished exports decides between two requests at once.
    if not insert_ignore(tx, account_exports, values):
        raise Invalid(ALREADY_RUNNING)
    if by_job:
        enqueue(
            tx,
            BUILD_JOB,
            {"export_id": export_id},
            unique_key=_job_key(export_id),
            max_attempts=MAX_ATTEMPTS,
        )
    return get(tx, export_id)


# --- The build's steps, each its own small transaction ------------------------------------


def start(tx: Tx, export_id: int) -> Export | None:
    """Begin (or begin again) a build: running, an attempt counted, progress at zero and the
    total counted (posts and boosts, then media files). None when there is nothing to build
    (done, failed, expired, or gone)."""
    row = _row(tx, export_id)
    if row is None or row.state not in UNFINISHED:
        return None
    posts, files = contents.counts(tx, row.account_id)
    tx.execute(
        account_exports.update()
        .where(account_exports.c.id == export_id)
        .values(
            state=RUNNING,
            attempts=account_exports.c.attempts + 1,
            started_at=tx.now,
            done=0,
            total=posts + files,
            error=None,
        )
    )
    return get(tx, export_id)


def advance(tx: Tx, export_id: int, done: int) -> None:
    tx.execute(
        account_exports.update()
        .where(account_exports.c.id == export_id, account_exports.c.state == RUNNING)
        .values(done=done)
    )


def _part_dicts(parts: tuple[Part, ...]) -> list[dict]:
    return [{"number": p.number, "size": p.size, "sha256": p.sha256, "key": p.key} for p in parts]


def add_part(tx: Tx, export_id: int, part: Part) -> None:
    """Record a stored part (replacing the one of the same number an earlier attempt made)."""
    row = _row(tx, export_id)
    if row is None:
        return
    kept = tuple(p for p in _parts(row.parts) if p.number != part.number)
    parts = tuple(sorted((*kept, part), key=lambda p: p.number))
    tx.execute(
        account_exports.update()
        .where(account_exports.c.id == export_id)
        .values(parts=_part_dicts(parts))
    )


def finish(tx: Tx, export_id: int, part_count: int) -> list[str]:
    """Done: downloadable until PNYX_EXPORT_DAYS from now. Returns the keys of parts an
    earlier attempt left beyond this build's last, for the caller to remove."""
    row = _row(tx, export_id)
    if row is None:
        return []
    parts = _parts(row.parts)
    kept = tuple(p for p in parts if p.number <= part_count)
    tx.execute(
        account_exports.update()
        .where(account_exports.c.id == export_id)
        .values(
            state=DONE,
            done=row.total,
            parts=_part_dicts(kept),
            finished_at=tx.now,
            expires_at=tx.now + timedelta(days=tx.settings.export_days),
            error=None,
        )
    )
    return [p.key for p in parts if p.number > part_count]


def failed_attempt(tx: Tx, export_id: int, error: str) -> list[str]:
    """A build raised: the error is kept; out of attempts, the export is failed and the keys
    of its parts are returned for the caller to remove."""
    row = _row(tx, export_id)
    if row is None:
        return []
    if row.attempts < MAX_ATTEMPTS:
        tx.execute(
            account_exports.update()
            .where(account_exports.c.id == export_id)
            .values(error=error[:2000])
        )
        return []
    _fail(tx, export_id, error)
    tx.execute(account_exports.update().where(account_exports.c.id == export_id).values(parts=[]))
    return [p.key for p in _parts(row.parts)]


def give_up(tx: Tx, export_id: int, error: str) -> list[str]:
    """Fail an unfinished export at once (a `pnyx export` run that stopped: nothing will try
    again); the keys of the parts it stored, for the caller to remove."""
    row = _row(tx, export_id)
    if row is None or row.state not in UNFINISHED:
        return []
    _fail(tx, export_id, error)
    tx.execute(account_exports.update().where(account_exports.c.id == export_id).values(parts=[]))
    return [p.key for p in _parts(row.parts)]


def file_name(username: str, export: Export, number: int) -> str:
    """What a downloaded part is called: whose, when asked for, which part."""
    return f"pnyx-export-{username}-{export.created_at:%Y%m%d-%H%M%S}-part-{number}.zip"


# --- Expiry ---------------------------------------------------------------------------------


def _expire(tx: Tx, limit: int) -> tuple[int, list[str]]:
    """Up to `limit` done exports past their time marked expired: (how many, their keys)."""
    rows = tx.rows(
        sa.select(account_exports.c.id, account_exports.c.parts)
        .where(account_exports.c.state == DONE, account_exports.c.expires_at <= tx.now)
        .limit(limit)
    )
    keys: list[str] = []
    for row in rows:
        keys += [p.key for p in _parts(row.parts)]
        tx.execute(
            account_exports.update()
            .where(account_exports.c.id == row.id, account_exports.c.state == DONE)
            .values(state=EXPIRED)
        )
    return len(rows), keys


def _fail_abandoned(tx: Tx, limit: int) -> list[str]:
    rows = tx.rows(
        sa.select(account_exports)
        .where(account_exports.c.state.in_(UNFINISHED))
        .order_by(account_exports.c.id)
        .limit(limit)
    )
    keys: list[str] = []
    for row in rows:
        if _abandoned(tx, row):
            _fail(tx, row.id, "The export stopped and was not finished")
            keys += [p.key for p in _parts(row.parts)]
    return keys


def sweep(db: Database, batch: int = 100) -> int:
    """Expire what is past its time and fail what was abandoned, removing their files after
    each batch commits. Returns how many files were removed."""
    store = store_for(db.settings)
    removed = 0
    while True:
        count, keys = db.run_sync(lambda tx: _expire(tx, batch))
        for key in keys:
            store.delete(key)
        removed += len(keys)
        if count < batch:
            break
    for key in db.run_sync(lambda tx: _fail_abandoned(tx, 1000)):
        store.delete(key)
        removed += 1
    return removed


def _slot(moment: datetime) -> int:
    return int(moment.timestamp() // SWEEP_INTERVAL.total_seconds())


def schedule(tx: Tx, *, after: datetime | None = None) -> None:
    """The next `export.sweep` run: now, or the hour after `after`; keyed by its hour, so
    every process that schedules it at start adds one run per hour between them."""
    if after is None:
        slot, run_at = _slot(tx.now), tx.now
    else:
        slot = _slot(after) + 1
        run_at = datetime.fromtimestamp(slot * SWEEP_INTERVAL.total_seconds(), tz=UTC)
    enqueue(tx, SWEEP_JOB, {}, run_at=run_at, unique_key=f"{SWEEP_JOB}:{slot}")


def sweep_job(db: Database, payload: dict[str, Any]) -> None:
    """The periodic `export.sweep` job: sweep, then schedule the next run."""
    sweep(db)
    db.run_sync(lambda tx: schedule(tx, after=tx.now))
