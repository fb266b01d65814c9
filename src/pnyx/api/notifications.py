"""Mastodon API: notifications (list, show, dismiss, clear, unread count)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.routing import Route

from pnyx.api.auth import require
from pnyx.api.http import JSON, Params, database, path_id, read_params
from pnyx.api.pagination import page_from, paginated
from pnyx.api.timelines import no_nul_list
from pnyx.core import notification_queries
from pnyx.db.ids import parse_id
from pnyx.presenters import entities


def _filters(params: Params) -> dict:
    return {
        "types": no_nul_list(params.list("types")),
        "exclude_types": no_nul_list(params.list("exclude_types")),
        "from_account_id": parse_id(params.str("account_id")) if params.has("account_id") else None,
    }


def _render(tx, found: notification_queries.NotificationPage) -> list[dict]:
    return [
        entities.notification(
            row, found.accounts[row.from_account_id], found.bundle, tx.settings, tx.now, found
        )
        for row in found.rows
        if row.from_account_id in found.accounts
    ]


async def index(request: Request):
    params = await read_params(request)
    page = page_from(params, default=40, maximum=80)
    filters = _filters(params)
    nobody = params.has("account_id") and filters["from_account_id"] is None

    def work(tx):
        viewer = require(tx, request, "read:notifications")
        if nobody:
            return [], []
        found = notification_queries.list_page(
            tx,
            viewer.account_id,
            max_id=page.max_id,
            since_id=page.since_id,
            min_id=page.min_id,
            limit=page.limit,
            **filters,
        )
        return _render(tx, found), found.cursor_ids

    items, cursors = await database(request).read(work)
    return paginated(request, items, cursors)


async def show(request: Request):
    notification_id = path_id(request)

    def work(tx):
        viewer = require(tx, request, "read:notifications")
        found = notification_queries.get_one(tx, viewer.account_id, notification_id)
        return _render(tx, found)[0]

    return JSON(await database(request).read(work))


async def dismiss(request: Request):
    notification_id = path_id(request)

    def work(tx):
        viewer = require(tx, request, "write:notifications")
        notification_queries.dismiss(tx, viewer.account_id, notification_id)
        return {}

    return JSON(await database(request).write(work))


async def clear(request: Request):
    def work(tx):
        viewer = require(tx, request, "write:notifications")
        notification_queries.clear(tx, viewer.account_id)
        return {}

    return JSON(await database(request).write(work))


async def unread_count(request: Request):
    params = await read_params(request)
    limit = params.int("limit", 100)
    filters = _filters(params)
    nobody = params.has("account_id") and filters["from_account_id"] is None

    def work(tx):
        viewer = require(tx, request, "read:notifications")
        if nobody:
            return {"count": 0}
        count = notification_queries.unread_count(
            tx, viewer.account_id, limit=limit if limit is not None else 100, **filters
        )
        return {"count": count}

    return JSON(await database(request).read(work))


routes = [
    Route("/api/v1/notifications", index, methods=["GET"]),
    Route("/api/v1/notifications/unread_count", unread_count, methods=["GET"]),
    Route("/api/v1/notifications/clear", clear, methods=["POST"]),
    Route("/api/v1/notifications/{id:int}", show, methods=["GET"]),
    Route("/api/v1/notifications/{id:int}/dismiss", dismiss, methods=["POST"]),
]
