"""Media as files under PNYX_DATA_DIR/media, served by Pnyx itself at /system/media/<key>.

Written to a temporary name and renamed, so a reader never sees half a file; keys are made by
core (ids and random tokens) and checked here so none can climb out of the folder.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO

from pnyx.config import Settings
from pnyx.core.media_store import CHUNK, LOCAL_PATH

_KEY = re.compile(r"^[A-Za-z0-9_-]+(?:/[A-Za-z0-9_.-]+)*$")


class LocalStore:
    def __init__(self, settings: Settings) -> None:
        self.root = Path(settings.data_dir).resolve() / "media"
        self.base = settings.base_url + LOCAL_PATH

    def path(self, key: str) -> Path:
        if not _KEY.match(key) or ".." in key.split("/"):
            raise ValueError(f"not a media key: {key!r}")
        return self.root / key

    def put(self, key: str, data: bytes, content_type: str) -> None:
        self._write(key, lambda fh: fh.write(data))

    def put_file(self, key: str, path: str | os.PathLike[str], content_type: str) -> None:
        with open(path, "rb") as source:
            self._write(key, lambda fh: shutil.copyfileobj(source, fh, CHUNK))

    def _write(self, key: str, fill: Callable[[BinaryIO], object]) -> None:
        target = self.path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=target.parent, prefix=".upload-")
        try:
            with os.fdopen(fd, "wb") as fh:
                fill(fh)
            os.replace(temporary, target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

    def get(self, key: str) -> bytes | None:
        try:
            return self.path(key).read_bytes()
        except (FileNotFoundError, ValueError):
            return None

    def open(self, key: str) -> Iterator[bytes] | None:
        try:
            fh = self.path(key).open("rb")
        except (FileNotFoundError, IsADirectoryError, ValueError):
            return None
        return _chunks(fh)

    def delete(self, key: str) -> None:
        target = self.path(key)
        target.unlink(missing_ok=True)
        # Remove the folders the key made, up to the root, while they are empty.
        parent = target.parent
        while parent != self.root and self.root in parent.parents:
            try:
                parent.rmdir()
            except OSError:
                break
            parent = parent.parent

    def url(self, key: str) -> str:
        return self.base + key


def _chunks(fh: BinaryIO) -> Iterator[bytes]:
    """A file's bytes chunk by chunk; the file is closed at its end, or when the reader stops
    early (the generator's close)."""
    with fh:
        while chunk := fh.read(CHUNK):
            yield chunk
