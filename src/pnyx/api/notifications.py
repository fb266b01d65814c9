"""Mastodon API: notifications (list, show, dismiss, clear, unread count)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.routing import Route

from pnyx.api.auth import require
from pnyx.api.http import JSON, Params, database, path_id, read_params
from pnyx.api.pagination import page_from, paginated
from pnyx.api.timelines import no_nul_list
from pnyx.core import notification_groups, notification_queries
from pnyx.core.errors import NotFound
from pnyx.db.ids import parse_id
from pnyx.presenters import entities, notification_entities


def _filters(params: Params) -> dict:
    return {
        "types": no_nul_list(params.list("types")),
        "exclude_types": no_nul_list(params.list("exclude_types")),
        "from_account_id": parse_id(params.str("account_id")) if params.has("account_id") else None,
        "include_filtered": bool(params.bool("include_filtered")),
    }


def _render(tx, found: notification_queries.NotificationPage) -> list[dict]:
    return [
        notification_entities.notification(
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


def _unread_count(count, read_filters):
    """`GET .../unread_count`: `count(tx, account_id, limit=..., **filters)` up to `limit`."""

    async def handle(request: Request):
        params = await read_params(request)
        limit = params.int("limit", 100)
        filters = read_filters(params)
        nobody = params.has("account_id") and filters["from_account_id"] is None

        def work(tx):
            viewer = require(tx, request, "read:notifications")
            if nobody:
                return {"count": 0}
            found = count(tx, viewer.account_id, limit=100 if limit is None else limit, **filters)
            return {"count": found}

        return JSON(await database(request).read(work))

    return handle


unread_count = _unread_count(notification_queries.unread_count, _filters)


# --- Grouped notifications (v2, Mastodon 4.3) ---------------------------------------------


def _grouped_filters(params: Params) -> dict:
    grouped = no_nul_list(params.list("grouped_types"))
    filters = _filters(params)
    if params.has("grouped_types") or params.has("grouped_types[]"):
        filters["grouped_types"] = [t for t in grouped if t in notification_groups.GROUPABLE]
    return filters


async def grouped_index(request: Request):
    params = await read_params(request)
    page = page_from(params, default=40, maximum=80)
    filters = _grouped_filters(params)
    nobody = params.has("account_id") and filters["from_account_id"] is None

    def work(tx):
        viewer = require(tx, request, "read:notifications")
        if nobody:
            return {"accounts": [], "statuses": [], "notification_groups": []}, []
        found = notification_groups.list_groups(
            tx,
            viewer.account_id,
            max_id=page.max_id,
            since_id=page.since_id,
            min_id=page.min_id,
            limit=page.limit,
            **filters,
        )
        return notification_entities.grouped_notifications(
            found, tx.settings, tx.now
        ), found.cursor_ids

    body, cursors = await database(request).read(work)
    if params.str("expand_accounts") == "partial_avatars":
        body["partial_accounts"] = []  # every account comes whole, in `accounts`
    return paginated(request, body, cursors)


async def grouped_show(request: Request):
    key = request.path_params["group_key"]

    def work(tx):
        viewer = require(tx, request, "read:notifications")
        found = notification_groups.get_group(tx, viewer.account_id, key)
        if found is None:
            raise NotFound()
        return notification_entities.grouped_notifications(found, tx.settings, tx.now)

    return JSON(await database(request).read(work))


async def grouped_accounts(request: Request):
    key = request.path_params["group_key"]

    def work(tx):
        viewer = require(tx, request, "read:notifications")
        found = notification_groups.get_group(tx, viewer.account_id, key)
        if found is None:
            raise NotFound()
        [group] = found.groups
        return [
            entities.account(
                found.found.accounts[r.from_account_id], tx.settings, found.found.extras
            )
            for r in group.rows
            if r.from_account_id in found.found.accounts
        ]

    return JSON(await database(request).read(work))


async def grouped_dismiss(request: Request):
    key = request.path_params["group_key"]

    def work(tx):
        viewer = require(tx, request, "write:notifications")
        notification_groups.dismiss_group(tx, viewer.account_id, key)
        return {}

    return JSON(await database(request).write(work))


grouped_unread_count = _unread_count(notification_groups.unread_group_count, _grouped_filters)


routes = [
    Route("/api/v1/notifications", index, methods=["GET"]),
    Route("/api/v1/notifications/unread_count", unread_count, methods=["GET"]),
    Route("/api/v1/notifications/clear", clear, methods=["POST"]),
    Route("/api/v1/notifications/{id:int}", show, methods=["GET"]),
    Route("/api/v1/notifications/{id:int}/dismiss", dismiss, methods=["POST"]),
    Route("/api/v2/notifications", grouped_index, methods=["GET"]),
    Route("/api/v2/notifications/unread_count", grouped_unread_count, methods=["GET"]),
    Route("/api/v2/notifications/{group_key}", grouped_show, methods=["GET"]),
    Route("/api/v2/notifications/{group_key}/accounts", grouped_accounts, methods=["GET"]),
    Route("/api/v2/notifications/{group_key}/dismiss", grouped_dismiss, methods=["POST"]),
]
