"""Pnyx API: exports of everything a person has here (issue 14). The rules live in
`core.exports`; the archive is built by `portability.archive` (the `export.build` job).

    POST /api/v1/pnyx/exports                  ask for an export: 202 and the Export (422 while
                                               another one is unfinished)
    GET  /api/v1/pnyx/exports                  yours, newest first
    GET  /api/v1/pnyx/exports/:id              one, with its progress and its parts once done
    GET  /api/v1/pnyx/exports/:id/parts/:n     a part's zip, streamed (410 once expired)
    GET  /api/v1/pnyx/exports/csv/:kind.csv    one of Mastodon's CSV files, made now: following,
                                               followers, lists, blocks, mutes, domain_blocks,
                                               bookmarks

Only the owner reaches an export: anyone else gets 404, as for one that does not exist. The
downloads (parts and CSV files) also take the web session, so the settings page links to them
directly.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

import anyio.to_thread
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from pnyx.api.auth import bearer_token, require
from pnyx.api.http import JSON, ApiError, database, path_id
from pnyx.config import Settings
from pnyx.core import accounts
from pnyx.core.exports import csv_files, records
from pnyx.core.media_store import store_for
from pnyx.core.oauth import session_user
from pnyx.db.engine import Tx

# The web UI's session cookie (`web.session.SESSION_COOKIE`): its download links use it.
SESSION_COOKIE = "pnyx_session"
EXPIRED = "This export has expired"


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat().replace("+00:00", "Z")


def part_url(settings: Settings, export_id: int, number: int) -> str:
    return f"{settings.base_url}/api/v1/pnyx/exports/{export_id}/parts/{number}"


def entity(settings: Settings, export: records.Export) -> dict:
    """The Export entity (docs/api.md, "Export")."""
    downloadable = export.state == records.DONE
    return {
        "id": str(export.id),
        "state": export.state,
        "progress": {"done": export.done, "total": export.total},
        "created_at": _iso(export.created_at),
        "finished_at": _iso(export.finished_at),
        "expires_at": _iso(export.expires_at),
        "parts": [
            {"number": p.number, "size": p.size, "url": part_url(settings, export.id, p.number)}
            for p in (export.parts if downloadable else ())
        ],
    }


def _owner(tx: Tx, request: Request) -> int:
    """Whose downloads these are: the token's account (with `read`), or the web session's."""
    if bearer_token(request) is None:
        user = session_user(tx, request.cookies.get(SESSION_COOKIE))
        if user is not None:
            return user.account_id
    return require(tx, request, "read").account_id


async def create(request: Request) -> JSON:
    settings = request.app.state.settings

    def work(tx: Tx) -> dict:
        viewer = require(tx, request, "write:accounts")
        return entity(settings, records.request(tx, viewer.account_id))

    return JSON(await database(request).write(work), status_code=202)


async def index(request: Request) -> JSON:
    settings = request.app.state.settings

    def work(tx: Tx) -> list[dict]:
        viewer = require(tx, request, "read")
        return [entity(settings, e) for e in records.list_own(tx, viewer.account_id)]

    return JSON(await database(request).read(work))


async def show(request: Request) -> JSON:
    export_id = path_id(request)
    settings = request.app.state.settings

    def work(tx: Tx) -> dict:
        viewer = require(tx, request, "read")
        return entity(settings, records.get_own(tx, viewer.account_id, export_id))

    return JSON(await database(request).read(work))


async def part(request: Request) -> Response:
    """A part's zip, streamed from the media store (never read whole)."""
    export_id = path_id(request)
    number = path_id(request, "n")

    def work(tx: Tx) -> tuple[records.Export, str]:
        account_id = _owner(tx, request)
        export = records.get_own(tx, account_id, export_id)
        return export, accounts.get(tx, account_id).username

    export, username = await database(request).read(work)
    if export.state == records.EXPIRED:
        raise ApiError(410, EXPIRED)
    found = [p for p in export.parts if p.number == number]
    if export.state != records.DONE or not found:
        raise ApiError(404, "Record not found")
    store = store_for(request.app.state.settings)
    chunks: Iterator[bytes] | None = await anyio.to_thread.run_sync(store.open, found[0].key)
    if chunks is None:
        raise ApiError(410, EXPIRED)
    headers = {
        "Content-Length": str(found[0].size),
        "Content-Disposition": f'attachment; filename="{records.file_name(username, export, number)}"',
        "Cache-Control": "private, no-store",
        "X-Content-Type-Options": "nosniff",
    }
    return StreamingResponse(chunks, media_type="application/zip", headers=headers)


async def csv_file(request: Request) -> Response:
    kind = request.path_params["kind"]
    spec = csv_files.FILES.get(kind)
    if spec is None:
        raise ApiError(404, "Record not found")

    def work(tx: Tx) -> str:
        return csv_files.text(tx, _owner(tx, request), kind)

    body = await database(request).read(work)
    headers = {
        "Content-Disposition": f'attachment; filename="{spec.name}"',
        "Cache-Control": "private, no-store",
    }
    return Response(body, media_type="text/csv; charset=utf-8", headers=headers)


routes = [
    Route("/api/v1/pnyx/exports", create, methods=["POST"]),
    Route("/api/v1/pnyx/exports", index, methods=["GET"]),
    Route("/api/v1/pnyx/exports/csv/{kind:str}.csv", csv_file, methods=["GET"]),
    Route("/api/v1/pnyx/exports/{id:int}", show, methods=["GET"]),
    Route("/api/v1/pnyx/exports/{id:int}/parts/{n:int}", part, methods=["GET"]),
]
