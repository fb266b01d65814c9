"""The zip parts of an archive, read as one archive, refusing what could hurt.

An archive is untrusted input. Before anything of it is stored or imported, every part is
checked (`ArchiveFiles.open`), from the zip's central directory alone (nothing decompressed):

- it is a zip at all;
- no member name climbs out (`..`, an absolute path, a drive letter, a backslash, a NUL);
- no zip bomb: the sizes its members declare stay under a total cap and no member declares
  far more than its compressed size (a ratio a real archive never has). Reading never gives
  more than a member declares (`zipfile` stops there and checks the CRC), so a lying header
  gains nothing;
- not too many members.

The archive's files are then found by name across the parts (a Pnyx export may put its media
in later parts), and a media file by the address an outbox attachment gives it (Mastodon
writes the path of the file's URL without `/system/`).
"""

from __future__ import annotations

import contextlib
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO
from urllib.parse import unquote, urlsplit

from pnyx.core.errors import CoreError

OUTBOX = "outbox.json"
ACTOR = "actor.json"
LIKES = "likes.json"
BOOKMARKS = "bookmarks.json"
MANIFEST = "pnyx-export.json"  # a Pnyx export's manifest (format, account, part n of N)
IDENTITY = "identity.json"  # a Pnyx export's key and FEP-c390 statement

MAX_MEMBERS = 500_000
MAX_NAME = 1_024
# A member declaring more than this many times its compressed size is a bomb; media (already
# compressed) is near 1, JSON 5 to 30.
MAX_RATIO = 200
RATIO_FLOOR = 1 << 20  # small members may compress as well as they like
# The uncompressed total, as a multiple of what was uploaded (at least this much in all).
UNCOMPRESSED_FACTOR = 10
MIN_UNCOMPRESSED = 256 << 20
MAX_SMALL_JSON = 16 << 20  # actor.json, likes.json, bookmarks.json, the manifest


class ArchiveRefused(CoreError):
    """The archive cannot be imported; the message says why, in words a person can act on."""

    def __init__(self, message: str) -> None:
        super().__init__(f"Archive refused: {message}")


@dataclass
class ArchiveFiles:
    """Open zip parts, with an index of their members by name."""

    parts: list[zipfile.ZipFile] = field(default_factory=list)
    members: dict[str, tuple[int, zipfile.ZipInfo]] = field(default_factory=dict)

    @classmethod
    @contextlib.contextmanager
    def open(cls, paths: Sequence[str | Path]) -> Iterator[ArchiveFiles]:
        """The parts at `paths`, checked (ArchiveRefused); closed at the end of the block."""
        archive = cls()
        try:
            declared = 0
            compressed = sum(Path(p).stat().st_size for p in paths)
            for number, path in enumerate(paths, start=1):
                part = _open_part(path, number, len(paths))
                archive.parts.append(part)
                declared += archive._index(part, len(archive.parts) - 1, number)
            cap = max(MIN_UNCOMPRESSED, UNCOMPRESSED_FACTOR * compressed)
            if declared > cap:
                raise ArchiveRefused(
                    f"its files would take {declared >> 20} MB once unpacked, more than "
                    f"{cap >> 20} MB (a zip bomb?)"
                )
            if OUTBOX not in archive.members:
                raise ArchiveRefused(f"no {OUTBOX} in it: is it an archive of posts?")
            if ACTOR not in archive.members:
                raise ArchiveRefused(f"no {ACTOR} in it: is it an archive of posts?")
            yield archive
        finally:
            for part in archive.parts:
                part.close()

    def _index(self, part: zipfile.ZipFile, index: int, number: int) -> int:
        """Check the members of one part and index them; returns their declared size."""
        infos = part.infolist()
        if len(self.members) + len(infos) > MAX_MEMBERS:
            raise ArchiveRefused(f"more than {MAX_MEMBERS} files")
        total = 0
        for info in infos:
            name = info.filename
            if not safe_name(name):
                raise ArchiveRefused(f"part {number} holds a file named {name[:100]!r}")
            if info.is_dir():
                continue
            if info.flag_bits & 0x1:
                raise ArchiveRefused(f"{name[:100]} is encrypted")
            if info.file_size > RATIO_FLOOR and info.file_size > MAX_RATIO * max(
                info.compress_size, 1
            ):
                raise ArchiveRefused(
                    f"{name[:100]} would unpack to {info.file_size >> 20} MB from "
                    f"{info.compress_size} bytes (a zip bomb?)"
                )
            total += info.file_size
            self.members.setdefault(name, (index, info))
        return total

    def size(self, name: str) -> int | None:
        found = self.members.get(name)
        return found[1].file_size if found else None

    @contextlib.contextmanager
    def stream(self, name: str) -> Iterator[IO[bytes]]:
        """A member's bytes as a stream, never more than it declares."""
        index, info = self.members[name]
        with self.parts[index].open(info) as fh:
            yield fh

    def read(self, name: str, limit: int) -> bytes:
        """A whole member, refused (ArchiveRefused) when it declares more than `limit`."""
        size = self.size(name)
        if size is None:
            raise KeyError(name)
        if size > limit:
            raise ArchiveRefused(f"{name[:100]} is larger than {limit >> 20} MB")
        with self.stream(name) as fh:
            return fh.read(limit + 1)[:limit]

    def media_name(self, address: str) -> str | None:
        """The member an attachment's `url` names: the path itself (Mastodon's archive), the
        path of a URL, or from `media_attachments/` on (a store under a prefix)."""
        if not isinstance(address, str) or len(address) > MAX_NAME * 2:
            return None
        path = unquote(urlsplit(address).path) if "://" in address else address
        candidates = [path.lstrip("/"), path.lstrip("/").removeprefix("system/")]
        if "media_attachments/" in path:
            candidates.append(path[path.index("media_attachments/") :])
        for candidate in candidates:
            if candidate in self.members and safe_name(candidate):
                return candidate
        return None


def _open_part(path: str | Path, number: int, count: int) -> zipfile.ZipFile:
    label = f"part {number} of {count}" if count > 1 else "the file"
    try:
        if not zipfile.is_zipfile(path):
            raise ArchiveRefused(f"{label} is not a zip archive")
        return zipfile.ZipFile(path)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError) as exc:
        raise ArchiveRefused(f"{label} is not a readable zip archive ({exc})") from None


def safe_name(name: str) -> bool:
    """A member name that stays inside the archive: relative, no `..`, no drive, no
    backslash, no NUL or control character."""
    if not name or len(name) > MAX_NAME or name.startswith("/") or "\\" in name:
        return False
    if any(ord(c) < 32 for c in name):
        return False
    if len(name) > 1 and name[1] == ":":
        return False
    return all(segment not in ("..", ".") for segment in name.rstrip("/").split("/"))
