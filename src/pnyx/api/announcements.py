"""Mastodon API: announcements from the staff, with read state and reactions per person.
The rules are in pnyx.core.announcements; staff write them in the web admin (/admin)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.routing import Route

from pnyx.api.auth import require
from pnyx.api.http import JSON, database, path_id
from pnyx.config import Settings
from pnyx.core import announcements as core
from pnyx.core import uris
from pnyx.presenters import entities


def _reaction(reaction: core.Reaction) -> dict:
    data: dict = {"name": reaction.name, "count": reaction.count, "me": reaction.me}
    if reaction.url:
        data["url"] = reaction.url
        data["static_url"] = reaction.static_url or reaction.url
    return data


def announcement(item: core.Shown, settings: Settings) -> dict:
    """Mastodon's Announcement."""
    row = item.row
    return {
        "id": str(row.id),
        "content": item.content,
        "starts_at": entities.iso(row.starts_at),
        "ends_at": entities.iso(row.ends_at),
        "all_day": row.all_day,
        "published": True,
        "published_at": entities.iso(row.published_at),
        "updated_at": entities.iso(row.updated_at),
        "read": item.read,
        "mentions": [
            {
                "id": str(m.id),
                "username": m.username,
                "url": m.url or m.uri,
                "acct": m.username if m.domain is None else f"{m.username}@{m.domain}",
            }
            for m in item.mentions
        ],
        "statuses": [],
        "tags": [{"name": t, "url": uris.tag_url(settings, t)} for t in item.tags],
        "emojis": [],
        "reactions": [_reaction(r) for r in item.reactions],
    }


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
