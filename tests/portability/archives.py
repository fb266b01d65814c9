"""Reading an export's parts back, as someone who downloaded them would."""

from __future__ import annotations

import io
import json
import zipfile

from pnyx.core.exports import records
from pnyx.core.media_store import store_for
from pnyx.db.engine import Database


def part_bytes(db: Database, part: records.Part) -> bytes:
    chunks = store_for(db.settings).open(part.key)
    assert chunks is not None, f"part {part.number} is not in the store"
    return b"".join(chunks)


def unzip(data: bytes) -> dict[str, bytes]:
    archive = zipfile.ZipFile(io.BytesIO(data))
    assert archive.testzip() is None  # every entry's CRC holds
    return {name: archive.read(name) for name in archive.namelist()}


def parts_of(db: Database, export: records.Export) -> list[dict[str, bytes]]:
    return [unzip(part_bytes(db, part)) for part in export.parts]


def manifest(files: dict[str, bytes]) -> dict:
    return json.loads(files["pnyx-export.json"])
