"""Mastodon API: direct conversations (list, mark read, remove)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.routing import Route

from pnyx.api.auth import require
from pnyx.api.http import JSON, database, path_id, read_params
from pnyx.api.pagination import page_from, paginated
from pnyx.core import account_extras, conversations
from pnyx.presenters import entities


def _render(tx, page: conversations.ConversationPage) -> list[dict]:
    extras = account_extras.load(tx, page.accounts.values(), page.bundle.account_extras)
    return [
        {
            "id": str(row.id),
            "unread": bool(row.unread),
            "accounts": [
                entities.account(page.accounts[i], tx.settings, extras)
                for i in (row.participant_ids or [])
                if i in page.accounts
            ],
            "last_status": entities.status(page.bundle, row.last_status_id, tx.settings, tx.now),
        }
        for row in page.rows
    ]


async def index(request: Request):
    params = await read_params(request)
    page = page_from(params, default=20, maximum=40)

    def work(tx):
        viewer = require(tx, request, "read:statuses")
        found = conversations.list_page(
            tx,
            viewer.account_id,
            max_id=page.max_id,
            since_id=page.since_id,
            min_id=page.min_id,
            limit=page.limit,
        )
        return _render(tx, found), found.cursor_ids

    items, cursors = await database(request).write(work)  # may tidy emptied conversations
    return paginated(request, items, cursors)


async def read(request: Request):
    conversation_id = path_id(request)

    def work(tx):
        viewer = require(tx, request, "write:conversations")
        return _render(tx, conversations.mark_read(tx, viewer.account_id, conversation_id))[0]

    return JSON(await database(request).write(work))


async def remove(request: Request):
    conversation_id = path_id(request)

    def work(tx):
        viewer = require(tx, request, "write:conversations")
        conversations.remove(tx, viewer.account_id, conversation_id)
        return {}

    return JSON(await database(request).write(work))


routes = [
    Route("/api/v1/conversations", index, methods=["GET"]),
    Route("/api/v1/conversations/{id:int}", remove, methods=["DELETE"]),
    Route("/api/v1/conversations/{id:int}/read", read, methods=["POST"]),
]
