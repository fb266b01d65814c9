"""Mastodon API: the notification policy and notification requests (Mastodon 4.3).

What someone's policy filters is kept aside per sender as a request (core.notification_policy);
apps show the requests in their own screen, with accept and dismiss.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.routing import Route

from pnyx.api.auth import require
from pnyx.api.http import JSON, database, path_id, read_params
from pnyx.api.pagination import page_from, paginated
from pnyx.core import account_extras, status_views
from pnyx.core import accounts as core_accounts
from pnyx.core import notification_policy as policy
from pnyx.db.ids import parse_id
from pnyx.presenters import entities


def _policy_entity(found: policy.Policy) -> dict:
    return {
        **{name: getattr(found, name) for name in policy.FIELDS},
        "summary": {
            "pending_requests_count": found.pending_requests_count,
            "pending_notifications_count": found.pending_notifications_count,
        },
    }


async def show_policy(request: Request):
    def work(tx):
        viewer = require(tx, request, "read:notifications")
        return _policy_entity(policy.get_policy(tx, viewer.account_id))

    return JSON(await database(request).read(work))


async def update_policy(request: Request):
    params = await read_params(request)
    changes = {name: params.str(name) for name in policy.FIELDS if params.has(name)}

    def work(tx):
        viewer = require(tx, request, "write:notifications")
        return _policy_entity(policy.update_policy(tx, viewer.account_id, changes))

    return JSON(await database(request).write(work))


def _render(tx, viewer_id: int, rows) -> list[dict]:
    """NotificationRequest entities: the sender, how many are held, the newest post."""
    status_ids = [r.last_status_id for r in rows if r.last_status_id is not None]
    bundle = status_views.load(tx, status_ids, viewer_id)
    found = {a.id: a for a in core_accounts.public_rows(tx, [r.from_account_id for r in rows])}
    extras = account_extras.load(tx, found.values(), bundle.account_extras)
    items = []
    for row in rows:
        sender = found.get(row.from_account_id) or core_accounts.get(tx, row.from_account_id)
        items.append(
            {
                "id": str(row.id),
                "created_at": entities.iso(row.created_at),
                "updated_at": entities.iso(row.updated_at),
                "account": entities.account(sender, tx.settings, extras),
                "notifications_count": str(row.notifications_count),  # a string in Mastodon
                "last_status": entities.status(bundle, row.last_status_id, tx.settings, tx.now)
                if row.last_status_id in bundle.visible
                else None,
            }
        )
    return items


async def index(request: Request):
    params = await read_params(request)
    page = page_from(params, default=40, maximum=80)

    def work(tx):
        viewer = require(tx, request, "read:notifications")
        rows = policy.requests_page(
            tx,
            viewer.account_id,
            max_id=page.max_id,
            since_id=page.since_id,
            min_id=page.min_id,
            limit=page.limit,
        )
        return _render(tx, viewer.account_id, rows), [r.id for r in rows]

    items, cursors = await database(request).read(work)
    return paginated(request, items, cursors)


async def show(request: Request):
    request_id = path_id(request)

    def work(tx):
        viewer = require(tx, request, "read:notifications")
        row = policy.get_request(tx, viewer.account_id, request_id)
        return _render(tx, viewer.account_id, [row])[0]

    return JSON(await database(request).read(work))


def _one(action):
    async def handle(request: Request):
        request_id = path_id(request)

        def work(tx):
            viewer = require(tx, request, "write:notifications")
            action(tx, viewer.account_id, request_id)
            return {}

        return JSON(await database(request).write(work))

    return handle


def _many(action):
    async def handle(request: Request):
        params = await read_params(request)
        ids = [i for i in (parse_id(v) for v in params.list("id")) if i is not None]

        def work(tx):
            viewer = require(tx, request, "write:notifications")
            action(tx, viewer.account_id, ids)
            return {}

        return JSON(await database(request).write(work))

    return handle


async def merged(request: Request):
    """Accepting a request brings its notifications back at once: always merged."""

    def work(tx):
        require(tx, request, "read:notifications")
        return {"merged": True}

    return JSON(await database(request).read(work))


routes = [
    Route("/api/v2/notifications/policy", show_policy, methods=["GET"]),
    Route("/api/v2/notifications/policy", update_policy, methods=["PATCH", "PUT"]),
    Route("/api/v1/notifications/requests", index, methods=["GET"]),
    Route("/api/v1/notifications/requests/merged", merged, methods=["GET"]),
    Route("/api/v1/notifications/requests/accept", _many(policy.accept_many), methods=["POST"]),
    Route("/api/v1/notifications/requests/dismiss", _many(policy.dismiss_many), methods=["POST"]),
    Route("/api/v1/notifications/requests/{id:int}", show, methods=["GET"]),
    Route("/api/v1/notifications/requests/{id:int}/accept", _one(policy.accept), methods=["POST"]),
    Route(
        "/api/v1/notifications/requests/{id:int}/dismiss", _one(policy.dismiss), methods=["POST"]
    ),
]
