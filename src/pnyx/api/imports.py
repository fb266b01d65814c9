"""Pnyx API: importing Mastodon's CSV files (`/api/v1/pnyx/imports`).

Mastodon imports these files on its settings page only; Pnyx offers the same import to apps
too. `POST` takes the multipart fields Mastodon's form has (`type`, `mode`, `data`), checks the
file as Mastodon does (`core.imports.csv_files`) and answers 202 with the Import entity, whose
counters move as the `imports.run` job works through the rows; `GET` reads one's imports back
with every failed row and why. The scope is the one the same change needs through Mastodon's
API (`write:follows` to follow, `write:blocks` to block ...); an import is its owner's alone.
"""

from __future__ import annotations

from typing import Any

import anyio.to_thread
from starlette.requests import Request
from starlette.routing import Route

from pnyx.api.auth import require
from pnyx.api.http import JSON, ApiError, database, path_id, read_params
from pnyx.api.pagination import page_from, paginated
from pnyx.config import Settings
from pnyx.core import scopes as scope_rules
from pnyx.core.errors import Invalid
from pnyx.core.imports import csv_files, runs
from pnyx.presenters.entities import iso

PATH = "/api/v1/pnyx/imports"
# What each type changes, as Mastodon's API scopes it; a list import follows its members too.
SCOPES: dict[str, tuple[str, ...]] = {
    "following": ("write:follows",),
    "blocking": ("write:blocks",),
    "muting": ("write:mutes",),
    "domain_blocking": ("write:blocks",),
    "bookmarks": ("write:bookmarks",),
    "lists": ("write:lists", "write:follows"),
}
# Beside the file: the multipart envelope and the other fields, and room for a file a little
# over the limit, refused with its reason (422) rather than cut off (413).
FORM_SLACK = 1024 * 1024


def upload_limit(_settings: Settings | None = None) -> int:
    """The largest body POST accepts: Mastodon's file limit, and the form around it."""
    return csv_files.FILE_SIZE_LIMIT + FORM_SLACK


def entity(view: runs.ImportView) -> dict[str, Any]:
    """The Import entity."""
    return {
        "id": str(view.id),
        "type": view.type,
        "mode": view.mode,
        "state": view.state,
        "filename": view.filename,
        "total": view.total,
        "processed": view.processed,
        "imported": view.imported,
        "failed": view.failed,
        "failures": [
            {"row": failure.row, "value": failure.value, "reason": failure.reason}
            for failure in view.failures
        ],
        "created_at": iso(view.created_at),
        "finished_at": iso(view.finished_at),
    }


async def _content(upload: Any) -> tuple[bytes, str]:
    """The file's bytes (read no further than the limit allows) and its name; a text field
    is taken as the file's content (`curl -F data=<file`)."""
    if upload is None:
        raise Invalid("Data can't be blank")
    if isinstance(upload, str):
        return upload.encode(), ""
    if not hasattr(upload, "read"):
        raise Invalid("Data must be a file")
    content = await upload.read(csv_files.FILE_SIZE_LIMIT + 1)
    return content, str(upload.filename or "")


async def create(request: Request) -> JSON:
    params = await read_params(request, max_bytes=upload_limit())
    db = database(request)
    viewer = await db.read(lambda tx: require(tx, request))
    kind = csv_files.check_type(params.str("type"))
    if not all(scope_rules.grants(viewer.scopes, need) for need in SCOPES[kind]):
        raise ApiError(403, "This action is outside the authorized scopes")
    mode = csv_files.check_mode(params.str("mode"))
    content, filename = await _content(params.files.get("data") or params.raw("data"))
    rows = await anyio.to_thread.run_sync(csv_files.parse, kind, content)

    def work(tx):
        import_id = runs.create(tx, viewer.account_id, kind, mode, rows, filename)
        return entity(runs.get(tx, viewer.account_id, import_id))

    return JSON(await db.write(work), status_code=202)


async def index(request: Request) -> JSON:
    params = await read_params(request)
    wanted = page_from(params, default=20, maximum=40)

    def work(tx):
        viewer = require(tx, request, "read")
        views = runs.page(tx, viewer.account_id, wanted)
        return [entity(view) for view in views], [view.id for view in views]

    items, cursors = await database(request).read(work)
    return paginated(request, items, cursors)


async def show(request: Request) -> JSON:
    import_id = path_id(request)

    def work(tx):
        viewer = require(tx, request, "read")
        return entity(runs.get(tx, viewer.account_id, import_id))

    return JSON(await database(request).read(work))


routes = [
    Route(PATH, index, methods=["GET"]),
    Route(PATH, create, methods=["POST"]),
    Route(PATH + "/{id}", show, methods=["GET"]),
]
