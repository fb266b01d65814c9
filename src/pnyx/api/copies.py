"""Pnyx API: copy an account live from another server (LOLA, issue 14: this server is the
destination). The rules live in `core.lola`, the network in `federation.lola_client`.

    POST /api/v1/pnyx/copies                {source}: the old account (name@server, its URL,
                                            or its server); 200 {id, authorize_url}: open
                                            the URL in a browser, where the person allows the
                                            copy at their old server; 422 with the reason
                                            (not an address, no LOLA there, unreachable ...)
    GET  /api/v1/pnyx/copies                the person's copies, newest first
    GET  /api/v1/pnyx/copies/:id            one of them, with its progress
    POST /api/v1/pnyx/copies/:id/follow     follow the same accounts as the old account did
                                            (a separate step, once the copy is over)

The old server sends the browser back to this server's web callback
(`/settings/import/copy/callback`), which starts the copy: a copy started here finishes
there even in a browser not signed in to this server (the app holds the person's token and
started it; the `state` ties the answer to it).
"""

from __future__ import annotations

from typing import Any

import anyio.to_thread
from starlette.requests import Request
from starlette.routing import Route

from pnyx.api.auth import require
from pnyx.api.http import JSON, ApiError, database, path_id, read_params
from pnyx.core.lola import following, transfers
from pnyx.federation import lola_client
from pnyx.presenters.entities import iso

PATH = "/api/v1/pnyx/copies"


def copy_entity(row: Any) -> dict[str, Any]:
    """A copy as the API shows it: where it is, and its counters."""
    processed = row.imported + row.skipped + row.failed
    return {
        "id": str(row.id),
        "state": row.state,  # authorizing, queued, running, finished, failed, denied
        "phase": row.phase,  # content, liked, blocked, following, done
        "source": row.source,
        "actor_uri": row.source_actor_uri,
        "total": max(row.total, processed),
        "processed": processed,
        "imported": row.imported,
        "skipped": row.skipped,
        "failed": row.failed,
        "skipped_reasons": dict(row.skip_reasons or {}),
        "failures": [dict(f) for f in row.failures or []],
        "favourites": row.favourites,
        "blocks": row.blocks,
        "following": {
            "found": row.follows_found,
            "requested_at": iso(row.follows_requested_at),
            "followed": row.followed,
            "failed": row.follows_failed,
        },
        "error": row.error,
        "created_at": iso(row.created_at),
        "authorized_at": iso(row.authorized_at),
        "finished_at": iso(row.finished_at),
    }


async def create(request: Request) -> JSON:
    db = database(request)
    viewer = await db.read(lambda tx: require(tx, request, "write"))
    params = await read_params(request)
    source = params.str("source", max_len=500) or ""
    settings = request.app.state.settings
    try:
        transfer_id, url = await anyio.to_thread.run_sync(
            lambda: lola_client.prepare(db, settings, viewer.account_id, source, via="api")
        )
    except lola_client.LolaError as exc:
        raise ApiError(422, exc.message) from None
    return JSON({"id": str(transfer_id), "authorize_url": url})


async def index(request: Request) -> JSON:
    def work(tx):
        viewer = require(tx, request, "read")
        return [copy_entity(row) for row in transfers.of_account(tx, viewer.account_id)]

    return JSON(await database(request).read(work))


async def show(request: Request) -> JSON:
    transfer_id = path_id(request)

    def work(tx):
        viewer = require(tx, request, "read")
        return copy_entity(transfers.own(tx, viewer.account_id, transfer_id))

    return JSON(await database(request).read(work))


async def follow(request: Request) -> JSON:
    transfer_id = path_id(request)

    def work(tx):
        viewer = require(tx, request, "write:follows")
        following.request(tx, viewer.account_id, transfer_id)
        return copy_entity(transfers.get(tx, transfer_id))

    return JSON(await database(request).write(work))


routes = [
    Route(PATH, create, methods=["POST"]),
    Route(PATH, index, methods=["GET"]),
    Route(PATH + "/{id:int}", show, methods=["GET"]),
    Route(PATH + "/{id:int}/follow", follow, methods=["POST"]),
]
