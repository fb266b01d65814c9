"""Zip parts written one after the other on disk, each a standalone archive.

Entries are written as streams (`entry` gives a `write` function), so no file of the archive
is ever held whole in memory: the outbox of tens of thousands of posts and each media file go
through in chunks. Each entry's size and SHA-256 are taken on the way and listed, so the part's
manifest can name every file it holds. ZIP64 is used for every entry: an outbox or a video may
pass 4 GB, and the size of a stream is not known when its entry starts.
"""

from __future__ import annotations

import contextlib
import hashlib
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, BinaryIO

import orjson

MANIFEST = "pnyx-export.json"
READ_CHUNK = 1 << 20


@dataclass(frozen=True)
class ClosedPart:
    number: int
    path: Path
    size: int
    sha256: str


def file_digest(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(READ_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


class PartWriter:
    """The zip part being written: entries go in one at a time; `close` adds the manifest
    (last, so that it can list what came before) and hands the finished file on."""

    def __init__(self, directory: Path, number: int, stamp: datetime) -> None:
        self.number = number
        self.path = directory / f"part-{number}.zip"
        self._file: BinaryIO = self.path.open("w+b")
        self._zip = zipfile.ZipFile(self._file, "w")
        self._date_time = stamp.timetuple()[:6]
        self.files: list[dict[str, Any]] = []

    @property
    def size(self) -> int:
        """Bytes written so far (the central directory and the manifest are still to come)."""
        return self._file.tell()

    @contextmanager
    def entry(
        self, name: str, *, compress: bool = True, **described: Any
    ) -> Iterator[Callable[[bytes], None]]:
        """Write one file of the part through the `write` function this yields; once done it
        is listed with its size, SHA-256 and the `described` keys."""
        info = zipfile.ZipInfo(name, date_time=self._date_time)
        info.compress_type = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
        info.external_attr = 0o444 << 16  # read-only, as Mastodon's archive entries
        digest = hashlib.sha256()
        count = 0
        with self._zip.open(info, "w", force_zip64=True) as out:

            def write(data: bytes) -> None:
                nonlocal count
                digest.update(data)
                count += len(data)
                out.write(data)

            yield write
        self.files.append({"path": name, "size": count, "sha256": digest.hexdigest(), **described})

    def close(self, manifest: dict[str, Any]) -> ClosedPart:
        """Add the manifest, with the list of this part's files, and finish the zip."""
        document = {**manifest, "files": self.files}
        info = zipfile.ZipInfo(MANIFEST, self._date_time)
        info.compress_type = zipfile.ZIP_DEFLATED
        with self._zip.open(info, "w") as out:
            out.write(orjson.dumps(document, option=orjson.OPT_INDENT_2))
        self._zip.close()
        size = self._file.tell()
        self._file.close()
        return ClosedPart(self.number, self.path, size, file_digest(self.path))

    def abandon(self) -> None:
        """Stop without finishing (the build failed): close and remove the file."""
        with contextlib.suppress(Exception):  # half a zip is removed anyway
            self._zip.close()
        self._file.close()
        self.path.unlink(missing_ok=True)
