"""The imports of archives: received, queued, run by a job, followed by their counters.

`receive` takes the uploaded zip parts (files on disk, already streamed there by the edge),
checks them whole before anything is kept (`archive_files`, and one pass over outbox.json to
count its items and make sure it is JSON), then keeps them in the media store and queues the
`import.archive` job in the transaction that records the import. A refused archive leaves
nothing: no row, no stored file.

The job (`federation.archive_import.run`, which reads the ActivityPub) reports its progress
here batch by batch (`advance`), in the transaction that stores the batch's posts, so the
counters never run ahead of what exists; and ends the import (`finish`), when the zip parts
are removed from the store (a job after commit).

One import at a time per person: a second archive waits until the first is over.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import orjson
import sqlalchemy as sa

from pnyx.config import Settings
from pnyx.core import media
from pnyx.core.archive_import import outbox_items
from pnyx.core.archive_import.archive_files import (
    ACTOR,
    MANIFEST,
    MAX_SMALL_JSON,
    OUTBOX,
    ArchiveFiles,
    ArchiveRefused,
)
from pnyx.core.errors import CoreError, NotFound
from pnyx.core.media_store import store_for
from pnyx.db.engine import Database, Tx
from pnyx.db.ids import new_id
from pnyx.db.tables import archive_imports
from pnyx.jobs.queue import enqueue

IMPORT_JOB = "import.archive"
QUEUED, RUNNING, FINISHED, FAILED = "queued", "running", "finished", "failed"
ACTIVE = (QUEUED, RUNNING)
MAX_FAILURES = 100  # failures kept with their reason; past these only counted
MAX_PARTS = 50
KEY_PREFIX = "archive_imports/"
ALREADY = "An import of an archive is already under way: wait until it is over."


def max_upload_bytes(settings: Settings) -> int:
    """PNYX_IMPORT_MAX_MB: the most an archive (all its parts together) may weigh."""
    return max(int(settings.import_max_mb), 1) << 20


def temporary_dir(settings: Settings) -> Path:
    """Where uploads and the parts of a running import are unpacked from: beside the data,
    not in /tmp (often memory on Linux, and too small for an archive)."""
    folder = Path(settings.data_dir).resolve() / "tmp"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


# --- Receiving an archive ---------------------------------------------------------------------


def check(settings: Settings, paths: Sequence[Path]) -> tuple[str, int]:
    """The archive's author (actor.json's `id`) and the number of items in its outbox, once
    its parts passed every check (ArchiveRefused says which failed)."""
    if not paths:
        raise ArchiveRefused("no file was sent")
    if len(paths) > MAX_PARTS:
        raise ArchiveRefused(f"more than {MAX_PARTS} parts")
    size = sum(os.path.getsize(p) for p in paths)
    limit = max_upload_bytes(settings)
    if size > limit:
        raise ArchiveRefused(f"it is larger than {limit >> 20} MB (PNYX_IMPORT_MAX_MB)")
    with ArchiveFiles.open(paths) as archive:
        actor_uri = actor_of(archive)
        _check_parts(archive, len(paths))
        with archive.stream(OUTBOX) as fh:
            total = outbox_items.count(fh)
    return actor_uri, total


def read_json(archive: ArchiveFiles, name: str) -> Any:
    try:
        return orjson.loads(archive.read(name, MAX_SMALL_JSON))
    except orjson.JSONDecodeError:
        raise ArchiveRefused(f"{name} is not valid JSON") from None


def actor_of(archive: ArchiveFiles) -> str:
    """The id of the archive's author, from actor.json."""
    actor = read_json(archive, ACTOR)
    uri = actor.get("id") if isinstance(actor, dict) else None
    if not isinstance(uri, str) or not uri.startswith(("https://", "http://")) or len(uri) > 2048:
        raise ArchiveRefused(f"{ACTOR} names no author (its id is not an address)")
    return uri


def _check_parts(archive: ArchiveFiles, sent: int) -> None:
    """A Pnyx export says how many parts it has: all of them must come together."""
    if MANIFEST not in archive.members:
        return
    manifest = read_json(archive, MANIFEST)
    if not isinstance(manifest, dict):
        return
    parts = manifest.get("parts") or manifest.get("part_count")
    if isinstance(parts, dict):
        parts = parts.get("of") or parts.get("total") or parts.get("count")
    if isinstance(parts, int) and not isinstance(parts, bool) and sent < parts <= MAX_PARTS:
        raise ArchiveRefused(f"this export has {parts} parts and {sent} were sent: send all")


def receive(db: Database, account_id: int, paths: Sequence[Path]) -> int:
    """Check the parts, keep them, and queue their import; returns the import's id."""
    settings = db.settings
    if db.run_sync(_active, account_id, write=False):
        raise CoreError(ALREADY)
    actor_uri, total = check(settings, paths)
    import_id = new_id()
    store = store_for(settings)
    prefix = f"{KEY_PREFIX}{import_id}/{secrets.token_hex(8)}"
    keys: list[str] = []
    try:
        for number, path in enumerate(paths, start=1):
            keys.append(f"{prefix}/part-{number}.zip")
            store.put_file(keys[-1], path, "application/zip")
        db.run_sync(_record, import_id, account_id, keys, paths, actor_uri, total)
    except BaseException:
        for key in keys:
            store.delete(key)
        raise
    return import_id


def _active(tx: Tx, account_id: int) -> bool:
    return (
        tx.scalar(
            sa.select(archive_imports.c.id)
            .where(archive_imports.c.account_id == account_id)
            .where(archive_imports.c.state.in_(ACTIVE))
            .limit(1)
        )
        is not None
    )


def _record(
    tx: Tx,
    import_id: int,
    account_id: int,
    keys: list[str],
    paths: Sequence[Path],
    actor_uri: str,
    total: int,
) -> None:
    if _active(tx, account_id):  # another upload won the race
        raise CoreError(ALREADY)
    tx.execute(
        archive_imports.insert().values(
            id=import_id,
            account_id=account_id,
            state=QUEUED,
            actor_uri=actor_uri,
            total=total,
            skip_reasons={},
            failures=[],
            upload_keys=keys,
            upload_bytes=sum(os.path.getsize(p) for p in paths),
            created_at=tx.now,
        )
    )
    enqueue(tx, IMPORT_JOB, {"import_id": import_id}, unique_key=f"{IMPORT_JOB}:{import_id}")


# --- Reading ---------------------------------------------------------------------------------


def get(tx: Tx, import_id: int) -> Any:
    return tx.one_or_none(sa.select(archive_imports).where(archive_imports.c.id == import_id))


def own(tx: Tx, account_id: int, import_id: int) -> Any:
    """An import of `account_id`; anyone else's is not found."""
    row = get(tx, import_id)
    if row is None or row.account_id != account_id:
        raise NotFound()
    return row


def of_account(tx: Tx, account_id: int, limit: int = 20) -> list[Any]:
    """The person's imports, newest first."""
    return tx.rows(
        sa.select(archive_imports)
        .where(archive_imports.c.account_id == account_id)
        .order_by(archive_imports.c.id.desc())
        .limit(limit)
    )


# --- The job's steps -----------------------------------------------------------------------


def start(tx: Tx, import_id: int) -> Any:
    """The import's row as the job starts (again, after a crash); None when there is nothing
    left to do (gone, or over)."""
    row = get(tx, import_id)
    if row is None or row.state not in ACTIVE:
        return None
    values: dict[str, Any] = {"state": RUNNING}
    if row.started_at is None:
        values["started_at"] = tx.now
    tx.execute(archive_imports.update().where(archive_imports.c.id == import_id).values(values))
    return get(tx, import_id)


def advance(
    tx: Tx,
    import_id: int,
    *,
    imported: int = 0,
    skipped: dict[str, int] | None = None,
    failures: Sequence[tuple[str, str]] = (),
    notes: Sequence[tuple[str, str]] = (),
) -> None:
    """Count a batch: posts made, items skipped (by reason), items that failed (uri,
    reason); `notes` are kept with the failures but count no item (an attachment of an
    imported post that could not be imported)."""
    row = get(tx, import_id)
    if row is None:
        return
    reasons = dict(row.skip_reasons or {})
    for reason, n in (skipped or {}).items():
        reasons[reason] = reasons.get(reason, 0) + n
    kept = list(row.failures or [])
    room = MAX_FAILURES - len(kept)
    told = [*failures, *notes][: max(room, 0)]
    kept += [{"uri": uri, "reason": reason} for uri, reason in told]
    tx.execute(
        archive_imports.update()
        .where(archive_imports.c.id == import_id)
        .values(
            imported=archive_imports.c.imported + imported,
            skipped=archive_imports.c.skipped + sum((skipped or {}).values()),
            failed=archive_imports.c.failed + len(failures),
            skip_reasons=reasons,
            failures=kept,
        )
    )


def finish(tx: Tx, import_id: int, error: str | None = None) -> None:
    """The import is over (finished, or failed with `error`): its zip parts go."""
    row = get(tx, import_id)
    if row is None:
        return
    tx.execute(
        archive_imports.update()
        .where(archive_imports.c.id == import_id)
        .values(
            state=FAILED if error else FINISHED,
            error=error[:2000] if error else None,
            finished_at=tx.now,
            upload_keys=[],
        )
    )
    media.forget_keys(tx, list(row.upload_keys or []))
