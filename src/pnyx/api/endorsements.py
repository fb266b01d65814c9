"""Mastodon API: endorsements (accounts featured on a profile). Rules in
pnyx.core.endorsements; pin and unpin answer with the Relationship, as Mastodon does."""

from __future__ import annotations

from starlette.requests import Request
from starlette.routing import Route

from pnyx.api.auth import optional, require
from pnyx.api.http import JSON, database, path_id, read_params
from pnyx.api.pagination import page_from, paginated
from pnyx.core import endorsements
from pnyx.core import relationships as graph
from pnyx.core.follows import known_account
from pnyx.presenters import entities, shown_accounts

PAGE = {"default": 40, "maximum": 80}


def _change(act):
    async def handler(request: Request) -> JSON:
        target_id = path_id(request)

        def work(tx):
            viewer = require(tx, request, "write:accounts")
            act(tx, viewer.account_id, target_id)
            return entities.relationship(graph.relationship(tx, viewer.account_id, target_id))

        return JSON(await database(request).write(work))

    return handler


async def own(request: Request) -> JSON:
    """GET /api/v1/endorsements: whom the viewer endorses."""
    params = await read_params(request)
    wanted = page_from(params, **PAGE)

    def work(tx):
        viewer = require(tx, request, "read:accounts")
        rows = endorsements.endorsed(tx, viewer.account_id, viewer.account_id, wanted)
        return shown_accounts.many(tx, rows), [r.cursor_id for r in rows]

    items, cursors = await database(request).read(work)
    return paginated(request, items, cursors)


async def of_account(request: Request) -> JSON:
    """GET /api/v1/accounts/:id/endorsements: whom an account endorses (Mastodon 4.4)."""
    owner_id = path_id(request)
    params = await read_params(request)
    wanted = page_from(params, **PAGE)

    def work(tx):
        viewer = optional(tx, request, "read:accounts")
        known_account(tx, owner_id)
        viewer_id = viewer.account_id if viewer else None
        rows = endorsements.endorsed(tx, owner_id, viewer_id, wanted)
        return shown_accounts.many(tx, rows), [r.cursor_id for r in rows]

    items, cursors = await database(request).read(work)
    return paginated(request, items, cursors)


routes = [
    Route("/api/v1/endorsements", own, methods=["GET"]),
    Route("/api/v1/accounts/{id:int}/endorsements", of_account, methods=["GET"]),
    Route("/api/v1/accounts/{id:int}/pin", _change(endorsements.endorse), methods=["POST"]),
    Route("/api/v1/accounts/{id:int}/unpin", _change(endorsements.unendorse), methods=["POST"]),
    # Mastodon 4.4's names for the same.
    Route("/api/v1/accounts/{id:int}/endorse", _change(endorsements.endorse), methods=["POST"]),
    Route("/api/v1/accounts/{id:int}/unendorse", _change(endorsements.unendorse), methods=["POST"]),
]
