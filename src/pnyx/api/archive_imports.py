"""Pnyx API: import an archive's posts (issue 14). The rules live in `core.archive_import`.

    POST /api/v1/pnyx/imports/archive       upload the archive: one or more zip parts,
                                            multipart (`file`, or `file[]` several times);
                                            202 with the import, queued; 422 with the
                                            reason when the archive is refused
    GET  /api/v1/pnyx/imports/archive       the person's imports, newest first
    GET  /api/v1/pnyx/imports/archive/:id   one of them, with its progress

The parts are streamed to files on disk as they arrive (never held in memory), checked whole,
and kept in the media store until the import is over. The body may be as large as
PNYX_IMPORT_MAX_MB allows (the app's body limit gives these paths that much).
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.routing import Route

from pnyx.api.auth import require
from pnyx.api.http import JSON, ApiError, database, path_id, read_params
from pnyx.core.archive_import import runs
from pnyx.edges import archive_uploads
from pnyx.presenters.archive_imports import archive_import

PATH = "/api/v1/pnyx/imports/archive"


async def create(request: Request) -> JSON:
    db = database(request)
    viewer = await db.read(lambda tx: require(tx, request, "write"))
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if ctype != "multipart/form-data":
        await read_params(request)  # any other body: read (and bounded) like the others
        raise ApiError(422, archive_uploads.NO_FILE)
    form = await archive_uploads.read_form(request)
    try:
        import_id = await archive_uploads.receive(db, viewer.account_id, form)
    finally:
        await form.close()
    row = await db.read(lambda tx: runs.own(tx, viewer.account_id, import_id))
    return JSON(archive_import(row), status_code=202)


async def index(request: Request) -> JSON:
    def work(tx):
        viewer = require(tx, request, "read")
        return [archive_import(row) for row in runs.of_account(tx, viewer.account_id)]

    return JSON(await database(request).read(work))


async def show(request: Request) -> JSON:
    import_id = path_id(request)

    def work(tx):
        viewer = require(tx, request, "read")
        return archive_import(runs.own(tx, viewer.account_id, import_id))

    return JSON(await database(request).read(work))


routes = [
    Route(PATH, create, methods=["POST"]),
    Route(PATH, index, methods=["GET"]),
    Route(PATH + "/{id:int}", show, methods=["GET"]),
]
