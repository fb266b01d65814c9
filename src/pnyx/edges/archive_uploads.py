"""An archive's zip parts as a posted multipart form holds them, for the API and the web
page alike: copied to files on disk (python-multipart spooled them to disk already; nothing
is read whole into memory), then handed to `core.archive_import.runs.receive`."""

from __future__ import annotations

import functools
import shutil
import tempfile
from pathlib import Path
from typing import Any

import anyio
from starlette.requests import Request

from pnyx.core.archive_import import runs
from pnyx.core.errors import CoreError
from pnyx.db.engine import Database
from pnyx.edges.http import ApiError

# Where archives are posted: the API and the web's settings page (the app gives these paths
# a body limit of their own, `upload_limit`).
ARCHIVE_PATHS = ("/api/v1/pnyx/imports/archive", "/settings/import/archive")
FILE_FIELDS = ("file", "file[]", "files", "files[]", "parts[]")
NO_FILE = "Validation failed: File can't be blank"


def upload_limit(settings: Any) -> int:
    """The largest body an upload may have: the archive plus the form's framing."""
    return runs.max_upload_bytes(settings) + (1 << 20)


async def read_form(request: Request) -> Any:
    """The multipart form (400 if malformed; 413, raised by the body limit, past it)."""
    try:
        return await request.form(max_files=runs.MAX_PARTS + 1, max_fields=20)
    except ApiError:
        raise  # the body limit, raised while the form streamed in
    except Exception:  # noqa: BLE001 - a malformed body is the client's
        raise ApiError(400, "Malformed form body") from None


async def receive(db: Database, account_id: int, form: Any) -> int:
    """Check and keep the archive of a posted form; the import's id (CoreError if refused:
    then nothing is kept)."""
    with tempfile.TemporaryDirectory(dir=runs.temporary_dir(db.settings)) as folder:
        paths = await _parts(form, Path(folder))
        if not paths:
            raise CoreError(NO_FILE)
        return await anyio.to_thread.run_sync(
            functools.partial(runs.receive, db, account_id, paths)
        )


async def _parts(form: Any, folder: Path) -> list[Path]:
    """The form's zip parts, in order, each copied to a file of `folder`."""
    paths: list[Path] = []
    for key in FILE_FIELDS:
        for upload in form.getlist(key):
            if isinstance(upload, str) or not hasattr(upload, "file"):
                continue
            if len(paths) >= runs.MAX_PARTS:
                raise CoreError(f"Archive refused: more than {runs.MAX_PARTS} parts")
            path = folder / f"part-{len(paths) + 1}.zip"
            await anyio.to_thread.run_sync(_copy, upload.file, path)
            paths.append(path)
    return paths


def _copy(source: Any, target: Path) -> None:
    source.seek(0)
    with target.open("wb") as fh:
        shutil.copyfileobj(source, fh, 1 << 20)
