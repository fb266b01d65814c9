"""Building an export: the `export.build` job, also run by `pnyx export` and the benchmark.

`build(db, export_id, progress=...)` writes the archive in zip parts of at most
PNYX_EXPORT_PART_MB, stores each in the media store as soon as it is finished, and records the
progress as it goes, in small transactions (every `PROGRESS_EVERY` posts, every
`MEDIA_PROGRESS_EVERY` files). Memory stays bounded whatever the account holds: posts are read
and written a page at a time into `outbox.json`, the lists and CSV files are streamed, media
files go from the store into the zip in chunks. The posts read and signed pass through the
process's caches of rows and proofs without filling them (`core.cache_bypass`): a running
server keeps its hot posts there, and its memory.

Part 1 holds the JSON documents, the CSV files, the avatar and header, and the media files
that fit; the parts after it hold media files only. Every part is a standalone zip with its
own manifest, `pnyx-export.json`, written last:

    {"format": "pnyx-export", "version": 1, "account": {"uri", "acct"}, "created_at",
     "part": n, "parts": count, "identity_proof": null,
     "files": [{"path", "size", "sha256", ("url", "media_type" for media files)}]}

The part count is in every manifest, the first included, so where the parts split is planned
before part 1 is closed: from the media files' recorded sizes, after the documents are
written (`_plan`); the media are then written by that plan. A file bigger than a part gets a
part of its own (and makes it bigger than the limit: files are never split).

A build that fails (or whose worker dies) is started over by the job's next attempt: the parts
are written again under the same keys, and parts an earlier attempt made beyond the new last
one are removed. `identity_proof` is left for the move's identity proof (FEP-c390) to fill.
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import orjson

from pnyx.core import cache_bypass
from pnyx.core.exports import contents, csv_files, records
from pnyx.core.media_store import MediaStore, store_for
from pnyx.db.engine import Database
from pnyx.federation import internal_to_as2 as as2
from pnyx.federation import object_proofs
from pnyx.portability import documents
from pnyx.portability.zip_parts import ClosedPart, PartWriter

log = logging.getLogger("pnyx.export")

FORMAT, VERSION = "pnyx-export", 1
PROGRESS_EVERY = 250
MEDIA_PROGRESS_EVERY = 20
# What a media file costs in a part beyond its bytes: its zip headers (local, ZIP64, central)
# and its line in the manifest; and what a part costs with no file in it.
ENTRY_COST = 600
PART_COST = 16 * 1024
Progress = Callable[[int, int], None]


def part_key(prefix: str, number: int) -> str:
    return f"{prefix}/part-{number}.zip"


def _entry_cost(path: str, size: int | None) -> int:
    return int(size or 0) + ENTRY_COST + 3 * len(path)


class _Builder:
    """One attempt at building an export's parts (see the module docstring)."""

    def __init__(
        self,
        db: Database,
        export: records.Export,
        progress: Progress | None,
        part_bytes: int,
        directory: Path,
    ) -> None:
        self.db = db
        self.export = export
        self.progress = progress
        self.limit = part_bytes
        self.directory = directory
        self.store: MediaStore = store_for(db.settings)
        self.done = 0
        self._reported = 0
        account = db.run_sync(contents.local_account, export.account_id, write=False)
        if account is None:
            raise LookupError(f"account {export.account_id} is not a local account")
        self.account = account
        self.acct = f"{account.username}@{db.settings.domain}"
        # The signing key, made here if the account has none yet: the reads after are reads.
        self.key = db.run_sync(object_proofs.key_of, account.id)
        self.writer: PartWriter | None = None
        self.identity: dict | None = None  # identity.json, once part 1 has it

    # --- progress --------------------------------------------------------------------------

    def _step(self, count: int, every: int) -> None:
        self.done += count
        if self.done - self._reported >= every:
            self._report()

    def _report(self) -> None:
        self._reported = self.done
        self.db.run_sync(records.advance, self.export.id, self.done)
        if self.progress is not None:
            self.progress(self.done, self.export.total)

    # --- parts -----------------------------------------------------------------------------

    def _open(self, number: int) -> PartWriter:
        self.writer = PartWriter(self.directory, number, self.export.created_at)
        return self.writer

    def _close(self, writer: PartWriter, count: int) -> None:
        manifest = {
            "format": FORMAT,
            "version": VERSION,
            "account": {"uri": self.account.uri, "acct": self.acct},
            "created_at": as2.iso(self.export.created_at),
            "part": writer.number,
            "parts": count,
            # The FEP-c390 statement tying the actor to its key (the key itself is in part 1's
            # identity.json): what a move from a server that is gone rests on.
            "identity_proof": self.identity["statement"] if self.identity else None,
        }
        closed = writer.close(manifest)
        self.writer = None
        self._keep(closed)

    def _keep(self, closed: ClosedPart) -> None:
        key = part_key(self.export.key_prefix, closed.number)
        self.store.put_file(key, closed.path, "application/zip")
        part = records.Part(closed.number, closed.size, closed.sha256, key)
        self.db.run_sync(records.add_part, self.export.id, part)
        closed.path.unlink(missing_ok=True)

    # --- part 1: the documents --------------------------------------------------------------

    def _json_stream(
        self, writer: PartWriter, name: str, head: dict, items: Iterator[bytes]
    ) -> None:
        """A collection written as Mastodon writes it: the head, then the items one by one."""
        before, _, after = orjson.dumps({**head, "orderedItems": [0]}).rpartition(b"[0]")
        with writer.entry(name) as write:
            write(before + b"[")
            for index, item in enumerate(items):
                write(b"," + item if index else item)
            write(b"]" + after)

    def _outbox_items(self) -> Iterator[bytes]:
        after = 0
        while True:

            def page(tx: Any, after: int = after) -> tuple[list[dict], int | None]:
                rows = contents.status_page(tx, self.account.id, after)
                items = documents.outbox_items(tx, self.account, self.key, rows)
                return items, (rows[-1].id if rows else None)

            items, last = self.db.run_sync(page, write=False)
            if last is None:
                return
            for item in items:
                yield orjson.dumps(item)
            self._step(len(items), PROGRESS_EVERY)
            after = last

    def _uris(self, read: Callable[[Any, int], Iterator[str]]) -> Iterator[bytes]:
        with self.db.transaction(write=False) as tx:
            for uri in read(tx, self.account.id):
                yield orjson.dumps(uri)

    def _documents(self, writer: PartWriter) -> None:
        posts, _files = self.db.run_sync(contents.counts, self.account.id, write=False)
        head = documents.collection_head(documents.OUTBOX, posts)
        self._json_stream(writer, documents.OUTBOX, head, self._outbox_items())
        for name, read in (
            (documents.LIKES, contents.liked_uris),
            (documents.BOOKMARKS, contents.bookmarked_uris),
        ):
            self._json_stream(writer, name, documents.collection_head(name, None), self._uris(read))
        for kind, spec in csv_files.FILES.items():
            with writer.entry(spec.name) as write, self.db.transaction(write=False) as tx:
                csv_files.write(tx, self.account.id, kind, _TextSink(write))
        self.identity = self.db.run_sync(documents.identity, self.account, self.export.created_at)
        with writer.entry(documents.IDENTITY) as write:
            write(orjson.dumps(self.identity))
        actor, images = self.db.run_sync(documents.actor, self.account)
        for name, key in images:
            self._copy(writer, name, key)
        with writer.entry(documents.ACTOR) as write:
            write(orjson.dumps(actor))

    # --- media ------------------------------------------------------------------------------

    def _copy(self, writer: PartWriter, name: str, key: str, **described: Any) -> bool:
        chunks = self.store.open(key)
        if chunks is None:
            log.warning("export %s: %s is not in the store (%s)", self.export.id, key, name)
            return False
        with writer.entry(name, compress=False, **described) as write:
            for chunk in chunks:
                write(chunk)
        return True

    def _media(self) -> Iterator[tuple[Any, str]]:
        with self.db.transaction(write=False) as tx:
            for page in contents.media_pages(tx, self.account.id):
                for row in page:
                    yield row, documents.media_path(row.id, row.file_key)

    def _plan(self, first_part_size: int) -> list[int]:
        """The ids of the media files that start a new part, by their recorded sizes."""
        starts: list[int] = []
        filled = first_part_size + PART_COST
        for row, path in self._media():
            cost = _entry_cost(path, row.file_size)
            # Every part holds something before this file: a file too big for an empty part
            # gets a part of its own.
            if filled + cost > self.limit:
                starts.append(row.id)
                filled = PART_COST
            filled += cost
        return starts

    def run(self) -> int:
        """Write and store every part; their count."""
        writer = self._open(1)
        self._documents(writer)
        starts = set(self._plan(writer.size))
        count = 1 + len(starts)
        for row, path in self._media():
            if row.id in starts:
                self._close(writer, count)
                writer = self._open(writer.number + 1)
            described = {"url": row.url, "media_type": row.content_type}
            if not self._copy(writer, path, row.file_key, **described):
                writer.files.append({"path": path, "missing": True, **described})
            self._step(1, MEDIA_PROGRESS_EVERY)
        while writer.number < count:  # files removed since the plan: the parts stay
            self._close(writer, count)
            writer = self._open(writer.number + 1)
        self._close(writer, count)
        self._report()
        return count

    def abandon(self) -> None:
        if self.writer is not None:
            self.writer.abandon()


class _TextSink:
    """A text file object over a zip entry's `write`, for the csv module."""

    def __init__(self, write: Callable[[bytes], None]) -> None:
        self._write = write

    def write(self, text: str) -> int:
        self._write(text.encode("utf-8"))
        return len(text)


def part_limit(db: Database) -> int:
    return max(1, db.settings.export_part_mb) * 1024 * 1024


def build(
    db: Database,
    export_id: int,
    progress: Progress | None = None,
    *,
    part_bytes: int | None = None,
    workdir: str | Path | None = None,
) -> records.Export | None:
    """Build the export `export_id` now (see the module docstring): its record once done,
    None when there was nothing to build (already done, failed, expired, or gone). Raises
    what stopped it, after recording the error (the job tries again)."""
    export = db.run_sync(records.start, export_id)
    if export is None:
        return None
    store = store_for(db.settings)
    limit = part_bytes or part_limit(db)
    with tempfile.TemporaryDirectory(prefix="pnyx-export-", dir=workdir) as directory:
        builder: _Builder | None = None
        try:
            builder = _Builder(db, export, progress, limit, Path(directory))
            with cache_bypass.passing():  # every post once: not kept in the server's caches
                count = builder.run()
        except Exception as exc:
            if builder is not None:
                builder.abandon()
            for key in db.run_sync(
                records.failed_attempt, export_id, f"{type(exc).__name__}: {exc}"
            ):
                store.delete(key)
            raise
    for key in db.run_sync(records.finish, export_id, count):
        store.delete(key)
    return db.run_sync(records.get, export_id)


def build_job(db: Database, payload: dict[str, Any]) -> None:
    """The `export.build` job."""
    build(db, int(payload["export_id"]))
