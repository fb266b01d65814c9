"""Mastodon API: a user's own lists of things: favourites, bookmarks, and read markers."""

from __future__ import annotations

from starlette.requests import Request
from starlette.routing import Route

from pnyx.api.auth import require
from pnyx.api.http import JSON, database, read_params, unprocessable
from pnyx.api.pagination import page_from, paginated
from pnyx.core import notification_queries, status_views, timelines
from pnyx.db.ids import parse_id
from pnyx.presenters import entities


def _marker(row) -> dict:
    return {
        "last_read_id": str(row.last_read_id),
        "version": row.version,
        "updated_at": entities.iso(row.updated_at),
    }


async def get_markers(request: Request):
    params = await read_params(request)
    wanted = params.list("timeline")

    def work(tx):
        viewer = require(tx, request, "read:statuses")
        found = notification_queries.get_markers(tx, viewer.account_id, wanted)
        return {name: _marker(row) for name, row in found.items()}

    return JSON(await database(request).read(work))


async def save_markers(request: Request):
    params = await read_params(request)
    positions: dict[str, int] = {}
    for timeline in notification_queries.MARKER_TIMELINES:
        if not params.has(timeline):
            continue
        raw = params.sub(timeline).str("last_read_id")
        last_read_id = parse_id(raw)
        if last_read_id is None:
            raise unprocessable("Last read id can't be blank")
        positions[timeline] = last_read_id

    def work(tx):
        viewer = require(tx, request, "write:statuses")
        saved = notification_queries.save_markers(tx, viewer.account_id, positions)
        return {name: _marker(row) for name, row in saved.items()}

    return JSON(await database(request).write(work))


def _marked_list(finder, scope: str):
    async def handler(request: Request):
        params = await read_params(request)
        page = page_from(params)

        def work(tx):
            viewer = require(tx, request, scope)
            status_ids, cursors = finder(tx, viewer.account_id, page)
            bundle = status_views.load(tx, status_ids, viewer.account_id)
            return entities.statuses(bundle, tx.settings, tx.now), cursors

        items, cursors = await database(request).read(work)
        return paginated(request, items, cursors)

    return handler


routes = [
    Route("/api/v1/markers", get_markers, methods=["GET"]),
    Route("/api/v1/markers", save_markers, methods=["POST"]),
    Route(
        "/api/v1/favourites", _marked_list(timelines.favourited, "read:favourites"), methods=["GET"]
    ),
    Route(
        "/api/v1/bookmarks", _marked_list(timelines.bookmarked, "read:bookmarks"), methods=["GET"]
    ),
]
