"""Where media files live, as core sees it: one small interface, whatever the store.

Core decides what a file is called and when it is written or removed; it never knows whether
the bytes go to a folder or to an S3-compatible bucket. The implementations live in
`pnyx.storage` (local files, boto3 for S3), which core does not import (an import-linter
contract says so): the composition root installs the factory (`install`), as it installs the
dispatcher of events, so that core stays free of boto3 and testable with any store.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import Protocol

from pnyx.config import Settings


class MediaStore(Protocol):
    """Files by key (`media_attachments/<id>/<token>/original.jpg`): write, read, remove, and
    the URL browsers fetch them from."""

    def put(self, key: str, data: bytes, content_type: str) -> None: ...

    def put_file(self, key: str, path: str | os.PathLike[str], content_type: str) -> None:
        """Store a file from disk without reading it into memory (an export's zip part is
        hundreds of megabytes)."""
        ...

    def get(self, key: str) -> bytes | None: ...

    def open(self, key: str) -> Iterator[bytes] | None:
        """The stored bytes as chunks of at most `CHUNK` bytes, None when there is no such
        file: big files are streamed (to a download, into a zip), never held whole."""
        ...

    def delete(self, key: str) -> None: ...

    def url(self, key: str) -> str: ...


# The size of the chunks `open` gives.
CHUNK = 1 << 20

# Where Pnyx serves the files of a local store (a store elsewhere has URLs of its own).
LOCAL_PATH = "/system/media/"

StoreFactory = Callable[[Settings], MediaStore]
_factory: list[StoreFactory] = []


def install(factory: StoreFactory) -> None:
    """Name the function that makes the store of a Settings (`pnyx.registry` does)."""
    _factory[:] = [factory]


def store_for(settings: Settings) -> MediaStore:
    if not _factory:
        raise RuntimeError("no media store installed: import pnyx.registry first")
    return _factory[0](settings)
