"""Mastodon API: polls (showing one, voting). Rules live in pnyx.core.polls."""

from __future__ import annotations

from starlette.requests import Request
from starlette.routing import Route

from pnyx.api.auth import optional, require
from pnyx.api.http import JSON, database, path_id, read_params, unprocessable
from pnyx.core import polls as core
from pnyx.presenters import entities


def render(tx, poll_id: int, viewer_id: int | None) -> dict:
    poll = core.visible_poll(tx, viewer_id, poll_id)
    own = core.own_votes(tx, poll.id, viewer_id)
    return entities.poll(poll, own, viewer_id, tx.now, core.option_emojis(tx, poll))


async def show(request: Request) -> JSON:
    poll_id = path_id(request)

    def work(tx):
        viewer = optional(tx, request, "read:statuses")
        return render(tx, poll_id, viewer.account_id if viewer else None)

    return JSON(await database(request).read(work))


async def vote(request: Request) -> JSON:
    poll_id = path_id(request)
    params = await read_params(request)
    choices = []
    for raw in params.list("choices", max_items=64):
        try:
            choices.append(int(str(raw).strip()))
        except ValueError:
            raise unprocessable("The chosen vote option does not exist") from None

    def work(tx):
        viewer = require(tx, request, "write:statuses")
        core.vote(tx, viewer.account_id, poll_id, choices)
        return render(tx, poll_id, viewer.account_id)

    return JSON(await database(request).write(work))


routes = [
    Route("/api/v1/polls/{id:int}", show, methods=["GET"]),
    Route("/api/v1/polls/{id:int}/votes", vote, methods=["POST"]),
]
