"""Mastodon API: announcements from the staff, with read state and reactions per person.
The rules are in pnyx.core.announcements; staff write them in the web admin (/admin)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.routing import Route

from pnyx.api.auth import require
from pnyx.api.http import JSON, database, path_id
from pnyx.core import announcements as core
from pnyx.presenters.announcements import announcement


async def index(request: Request) -> JSON:
    def work(tx):
        viewer = require(tx, request, "read")
        return [announcement(item, tx.settings) for item in core.shown(tx, viewer.account_id)]

    return JSON(await database(request).read(work))


async def dismiss(request: Request) -> JSON:
    announcement_id = path_id(request)

    def work(tx):
        viewer = require(tx, request, "write:accounts")
        core.dismiss(tx, viewer.account_id, announcement_id)
        return {}

    return JSON(await database(request).write(work))


def _reacting(act):
    async def handler(request: Request) -> JSON:
        announcement_id = path_id(request)
        name = request.path_params["name"]

        def work(tx):
            viewer = require(tx, request, "write:favourites")
            act(tx, viewer.account_id, announcement_id, name)
            return {}

        return JSON(await database(request).write(work))

    return handler


REACTION = "/api/v1/announcements/{id:int}/reactions/{name}"
routes = [
    Route("/api/v1/announcements", index, methods=["GET"]),
    Route("/api/v1/announcements/{id:int}/dismiss", dismiss, methods=["POST"]),
    Route(REACTION, _reacting(core.react), methods=["PUT"]),
    Route(REACTION, _reacting(core.unreact), methods=["DELETE"]),
]
