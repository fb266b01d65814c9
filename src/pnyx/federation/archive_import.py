"""The `import.archive` job: an archive's outbox, item by item, made into posts here.

`run(db, import_id, progress)` is the whole import, callable from the job, the command line
(`pnyx import archive`) and the benchmark alike. It is durable and restartable:

- the zip parts are copied from the media store to a folder of their own and read from there
  (`core.archive_import.archive_files`), outbox.json as a stream of items
  (`core.archive_import.outbox_items`): memory stays flat whatever the archive's size;
- items go in batches; a batch's posts and its counters commit together, so after a crash
  the import resumes at the first item not counted, and a post already imported is known by
  its original id (`imported_statuses`) and never made twice;
- a batch that cannot be stored is tried again item by item, so one bad item fails alone
  (counted, with its reason) instead of stopping the import.

Each item is read by `archive_objects` (the same reader and sanitizer as objects from other
servers) and stored by `core.archive_import.posts`, which records no event: nothing is
delivered, nobody is notified, no feed is touched.
"""

from __future__ import annotations

import functools
import itertools
import logging
import tempfile
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from pnyx.core import accounts as core_accounts
from pnyx.core import integrity_keys, pull_moves
from pnyx.core.archive_import import followers, outbox_items, posts, runs
from pnyx.core.archive_import.archive_files import (
    ACTOR,
    IDENTITY,
    OUTBOX,
    ArchiveFiles,
    ArchiveRefused,
)
from pnyx.core.media_store import store_for
from pnyx.core.rows import AccountRow
from pnyx.db.engine import Database, Tx
from pnyx.federation import data_integrity, identity_proofs
from pnyx.federation.archive_objects import Failed, Read, Skipped, read_item

log = logging.getLogger("pnyx.archive_import")

BATCH = 100  # items per transaction
FOLLOWERS_BATCH = 1000  # followers' addresses per transaction
Progress = Callable[[int, int], None]  # (items done, items in all)
Ready = list[tuple[posts.ArchivedPost, list[posts.StoredMedia]]]  # posts with their media


def job(db: Database, payload: dict[str, Any]) -> None:
    """The `import.archive` job: `{"import_id": ...}`."""
    run(db, int(payload["import_id"]))


def run(
    db: Database, import_id: int, progress: Progress | None = None, *, batch_size: int = BATCH
) -> Any:
    """Import what is left of the import `import_id`; its row once over (None when there
    was nothing to do). `progress(done, total)` is called after each batch."""
    row = db.run_sync(runs.start, import_id)
    if row is None:
        return None
    author = db.run_sync(core_accounts.get, row.account_id, write=False)
    done = row.imported + row.skipped + row.failed  # items counted before a restart
    error = None
    with tempfile.TemporaryDirectory(dir=runs.temporary_dir(db.settings)) as folder:
        try:
            paths = _copy_parts(db, row.upload_keys or [], Path(folder))
            with ArchiveFiles.open(paths) as archive:
                actor_uri = runs.actor_of(archive)
                carried = _carried_identity(archive, actor_uri)
                if carried is not None:
                    db.run_sync(integrity_keys.remember_carried, author.id, *carried)
                _keep_pull_move(db, archive, author.id, row.id, actor_uri, carried)
                actor = runs.read_json(archive, ACTOR)
                followers = http_or_none(actor.get("followers"))
                with archive.stream(OUTBOX) as fh:
                    items = itertools.islice(outbox_items.items(fh), done, None)
                    for batch in _batched(items, batch_size):
                        _import_batch(db, archive, author, row.id, actor_uri, followers, batch)
                        done += len(batch)
                        if progress is not None:
                            progress(done, row.total)
        except ArchiveRefused as exc:
            error = exc.message
    db.run_sync(_finish, row.id, author.id, error)
    return db.run_sync(runs.get, row.id, write=False)


def _carried_identity(archive: ArchiveFiles, actor_uri: str) -> tuple[str, bytes, bytes] | None:
    """(did, public key, private key) of a Pnyx export's identity.json, when its statement
    proves itself for the archive's author and the key matches it; else None (a Mastodon
    archive has none; a broken one is logged and left out, the posts still come)."""
    if IDENTITY not in archive.members:
        return None
    try:
        identity = runs.read_json(archive, IDENTITY)
        subject = identity_proofs.verified_subject(identity.get("statement"), actor_uri)
        private = identity_proofs.private_key_from_multikey(identity.get("secretKeyMultibase"))
    except (ArchiveRefused, ValueError, AttributeError) as exc:
        log.warning("archive of %s: identity.json left out: %s", actor_uri, exc)
        return None
    public = data_integrity.public_key_of(private)
    if subject is None or identity_proofs.did_key(public) != subject:
        log.warning(
            "archive of %s: identity.json left out: its key and statement disagree", actor_uri
        )
        return None
    return subject, public, private


def _keep_pull_move(
    db: Database,
    archive: ArchiveFiles,
    account_id: int,
    import_id: int,
    actor_uri: str,
    carried: tuple[str, bytes, bytes] | None,
) -> None:
    """What moving from the old server needs once it is gone (`core.pull_moves`): the key
    carried (kept above) and the old account's followers (followers.csv), kept in batches."""
    subject = carried[0] if carried is not None else None
    if subject is None and followers.FOLLOWERS not in archive.members:
        return  # a Mastodon archive: nothing to announce from here
    pull_move_id = db.run_sync(pull_moves.keep_archive, account_id, import_id, actor_uri, subject)
    if pull_move_id is None:
        return
    for batch in _batched(followers.addresses(archive), FOLLOWERS_BATCH):
        db.run_sync(pull_moves.keep_followers, pull_move_id, batch)


def http_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) and value.startswith(("https://", "http://")) else None


def _finish(tx: Tx, import_id: int, account_id: int, error: str | None) -> None:
    posts.link_replies(tx, import_id, account_id)
    runs.finish(tx, import_id, error)


def _copy_parts(db: Database, keys: list[str], folder: Path) -> list[Path]:
    """The zip parts out of the media store into `folder`, chunk by chunk."""
    store = store_for(db.settings)
    paths = []
    for number, key in enumerate(keys, start=1):
        chunks = store.open(key)
        if chunks is None:
            raise ArchiveRefused(f"part {number} of the archive is no longer stored")
        path = folder / f"part-{number}.zip"
        with path.open("wb") as fh:
            for chunk in chunks:
                fh.write(chunk)
        paths.append(path)
    if not paths:
        raise ArchiveRefused("the archive is no longer stored")
    return paths


def _batched(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    iterator = iter(items)
    while batch := list(itertools.islice(iterator, size)):
        yield batch


def _import_batch(
    db: Database,
    archive: ArchiveFiles,
    author: AccountRow,
    import_id: int,
    actor_uri: str,
    followers: str | None,
    batch: list[Any],
) -> None:
    """Read a batch of items, process their media, and store the posts with the batch's
    counters in one transaction (item by item if that fails)."""
    skipped: Counter[str] = Counter()
    failed: list[tuple[str, str]] = []
    notes: list[tuple[str, str]] = []
    ready: Ready = []
    read = [read_item(item, actor_uri, followers, archive) for item in batch]
    uris = [found.post.origin_uri for found in read if isinstance(found, Read)]
    known = db.run_sync(posts.imported_among, author.id, uris, write=False)
    for found in read:
        if isinstance(found, Skipped):
            skipped[found.reason] += 1
        elif isinstance(found, Failed):
            failed.append((found.uri, found.reason))
        elif found.post.origin_uri in known:
            skipped["already_imported"] += 1
        else:
            stored, refused = posts.process_media(db.settings, archive, found.post.media)
            notes += [(found.post.origin_uri, r) for r in (*found.notes, *refused)]
            ready.append((found.post, stored))
    try:
        db.run_sync(_store_all, author, import_id, ready, skipped, failed, notes)
    except Exception:  # noqa: BLE001 - one bad item must not stop the import: find it
        log.warning("archive import %s: a batch failed, storing it item by item", import_id)
        _store_one_by_one(db, author, import_id, ready, skipped, failed, notes)


def _store_all(
    tx: Tx,
    author: AccountRow,
    import_id: int,
    ready: Ready,
    skipped: Counter[str],
    failed: list[tuple[str, str]],
    notes: list[tuple[str, str]],
) -> None:
    made = 0
    for post, stored in ready:
        if posts.store(tx, author, import_id, post, stored) is None:
            skipped["already_imported"] += 1
            tx.on_commit(functools.partial(posts.discard_media, tx.settings, stored))
        else:
            made += 1
    runs.advance(tx, import_id, imported=made, skipped=dict(skipped), failures=failed, notes=notes)


def _store_one_by_one(
    db: Database,
    author: AccountRow,
    import_id: int,
    ready: Ready,
    skipped: Counter[str],
    failed: list[tuple[str, str]],
    notes: list[tuple[str, str]],
) -> None:
    for post, stored in ready:
        try:
            db.run_sync(_store_all, author, import_id, [(post, stored)], Counter(), [], [])
        except Exception as exc:  # noqa: BLE001 - counted, with its reason
            posts.discard_media(db.settings, stored)
            failed.append((post.origin_uri, f"could not be stored ({type(exc).__name__})"))
    db.run_sync(
        lambda tx: runs.advance(tx, import_id, skipped=dict(skipped), failures=failed, notes=notes)
    )
