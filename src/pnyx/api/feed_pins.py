"""Pnyx API: pinning a feed (it then shows in the viewer's Mastodon lists) and "why am I
seeing this".

    POST /api/v1/pnyx/feeds/:id/pin        pin (answers the List entity apps will see)
    POST /api/v1/pnyx/feeds/:id/unpin      unpin (answers {})
    GET  /api/v1/pnyx/statuses/:id/why     the reasons this viewer was shown the post

The rules live in `core.feed_pins` and `core.why_shown`.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.routing import Route

from pnyx.api.auth import require
from pnyx.api.http import JSON, database, path_id
from pnyx.core import feed_pins, why_shown
from pnyx.core.errors import NotFound


def _feed_id(request: Request) -> str:
    value = str(request.path_params["id"])
    if len(value) > 64:
        raise NotFound()
    return value


async def pin(request: Request) -> JSON:
    feed_id = _feed_id(request)

    def work(tx):
        viewer = require(tx, request, "write:lists")
        return feed_pins.pin(tx, viewer.account_id, feed_id).list_entity()

    return JSON(await database(request).write(work))


async def unpin(request: Request) -> JSON:
    feed_id = _feed_id(request)

    def work(tx):
        viewer = require(tx, request, "write:lists")
        feed_pins.unpin(tx, viewer.account_id, feed_id)
        return {}

    return JSON(await database(request).write(work))


async def why(request: Request) -> JSON:
    status_id = path_id(request)

    def work(tx):
        viewer = require(tx, request, "read:statuses")
        return why_shown.reasons(tx, viewer.account_id, status_id)

    return JSON(await database(request).read(work))


routes = [
    Route("/api/v1/pnyx/feeds/{id}/pin", pin, methods=["POST"]),
    Route("/api/v1/pnyx/feeds/{id}/unpin", unpin, methods=["POST"]),
    Route("/api/v1/pnyx/statuses/{id:int}/why", why, methods=["GET"]),
]
