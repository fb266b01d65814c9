"""Files that are too big to hold in memory (an export's zip parts, an archive being
imported) go in and out of both stores as a stream: `put_file` from disk, `open` in chunks."""

from __future__ import annotations

import os

import pytest

from pnyx.core.media_store import CHUNK
from pnyx.storage.local import LocalStore
from pnyx.storage.s3 import S3Store
from storage.test_s3 import BUCKET, bucket, s3_endpoint  # noqa: F401 - fixtures

SIZE = 2 * CHUNK + 12_345  # three chunks, the last one short


@pytest.fixture
def big_file(tmp_path):
    path = tmp_path / "big.bin"
    path.write_bytes(os.urandom(SIZE))
    return path


def _round_trip(store, big_file) -> None:
    store.put_file("exports/1-abc/part-1.zip", big_file, "application/zip")
    chunks = store.open("exports/1-abc/part-1.zip")
    assert chunks is not None
    received = list(chunks)
    assert [len(c) for c in received] == [CHUNK, CHUNK, 12_345]
    assert b"".join(received) == big_file.read_bytes()
    # A second put_file under the same key replaces the file (an export rebuilt after a crash).
    big_file.write_bytes(b"smaller")
    store.put_file("exports/1-abc/part-1.zip", big_file, "application/zip")
    assert b"".join(store.open("exports/1-abc/part-1.zip") or []) == b"smaller"
    store.delete("exports/1-abc/part-1.zip")
    assert store.open("exports/1-abc/part-1.zip") is None
    assert store.open("exports/never-written.zip") is None


def test_local_files_stream_in_and_out(settings, big_file):
    store = LocalStore(settings)
    _round_trip(store, big_file)
    # Nothing is left behind: no temporary file, no empty folder.
    assert not (store.root / "exports").exists()


def test_a_reader_that_stops_early_closes_the_file(settings, big_file):
    store = LocalStore(settings)
    store.put_file("exports/2-abc/part-1.zip", big_file, "application/zip")
    chunks = store.open("exports/2-abc/part-1.zip")
    assert chunks is not None
    assert len(next(iter(chunks))) == CHUNK
    chunks.close()  # type: ignore[attr-defined]
    assert store.get("exports/2-abc/part-1.zip") == big_file.read_bytes()


def test_s3_objects_stream_in_and_out(s3_endpoint, bucket, big_file):  # noqa: F811
    store = S3Store(bucket, BUCKET, f"{s3_endpoint}/{BUCKET}")
    store.put_file("exports/1-abc/part-1.zip", big_file, "application/zip")
    head = bucket.head_object(Bucket=BUCKET, Key="exports/1-abc/part-1.zip")
    assert head["ContentType"] == "application/zip"
    assert head["ContentLength"] == SIZE
    store.delete("exports/1-abc/part-1.zip")
    big_file.write_bytes(os.urandom(SIZE))
    _round_trip(store, big_file)
