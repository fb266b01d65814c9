"""Pnyx API: community notes (issue 13). The rules live in `core.notes`.

    POST   /api/v1/pnyx/notes                  write a note (status_id, classification,
                                               reasons[], summary, trustworthy_sources)
    GET    /api/v1/pnyx/notes/queue            notes that need your rating
    GET    /api/v1/pnyx/notes/mine             the notes you wrote
    GET    /api/v1/pnyx/notes/:id              one note (with your own rating, if any)
    DELETE /api/v1/pnyx/notes/:id              take back a note you wrote
    POST   /api/v1/pnyx/notes/:id/rating       rate it (helpfulness_level, helpful_tags[],
                                               not_helpful_tags[]); again to change it
    DELETE /api/v1/pnyx/notes/:id/rating       take back your rating
    GET    /api/v1/pnyx/statuses/:id/notes     the notes on a post, with their statuses

A Status shows its notes too: `pnyx.notes`, and a note rated helpful as its `card`.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.routing import Route

from pnyx.api.auth import optional, require
from pnyx.api.http import JSON, database, path_id, read_params
from pnyx.core.errors import Invalid
from pnyx.core.notes import queries, writing
from pnyx.presenters import notes as presenter


def _with_own(tx, row, viewer_id: int | None) -> dict:
    """A Note entity, with what only the viewer may know: whether they wrote it, and how they
    rated it."""
    data = presenter.note(row, tx.settings)
    # How many, never how they answered: until the status settles, raters rate on their own
    # (the open data shows the answers 48 hours later).
    data["ratings_count"] = sum(queries.rating_counts(tx, row.id).values())
    if viewer_id is not None:
        data["own"] = row.author_account_id == viewer_id
        rating = writing.own_rating(tx, viewer_id, row.id)
        data["own_rating"] = (
            None
            if rating is None
            else {
                "helpfulness_level": rating.helpfulness_level,
                "helpful_tags": list(rating.helpful_tags or ()),
                "not_helpful_tags": list(rating.not_helpful_tags or ()),
            }
        )
        data["can_rate"] = (
            row.author_account_id != viewer_id and writing.refusal(tx, viewer_id) is None
        )
    return data


async def create(request: Request) -> JSON:
    params = await read_params(request)
    status_id = params.int("status_id", None, minimum=1)
    if status_id is None:
        raise Invalid("Validation failed: status_id can't be blank")
    trusted = params.bool("trustworthy_sources", True)
    data = writing.NoteInput(
        status_id=status_id,
        classification=params.str("classification", "", max_len=64) or "",
        reasons=params.list("reasons", max_items=20),
        summary=params.str("summary", "", max_len=4 * writing.MAX_SUMMARY) or "",
        trustworthy_sources=True if trusted is None else trusted,
    )

    def work(tx):
        viewer = require(tx, request, "write")
        note_id = writing.write(tx, viewer.account_id, data)
        return _with_own(tx, writing.get(tx, note_id), viewer.account_id)

    return JSON(await database(request).write(work))


async def show(request: Request) -> JSON:
    note_id = path_id(request)

    def work(tx):
        viewer = optional(tx, request, "read")
        viewer_id = viewer.account_id if viewer else None
        return _with_own(tx, writing.visible(tx, viewer_id, note_id), viewer_id)

    return JSON(await database(request).read(work))


async def delete(request: Request) -> JSON:
    note_id = path_id(request)

    def work(tx):
        viewer = require(tx, request, "write")
        writing.delete(tx, viewer.account_id, note_id)
        return {}

    return JSON(await database(request).write(work))


async def rate(request: Request) -> JSON:
    note_id = path_id(request)
    params = await read_params(request)
    data = writing.RatingInput(
        helpfulness_level=params.str("helpfulness_level", "", max_len=32) or "",
        helpful_tags=params.list("helpful_tags", max_items=20),
        not_helpful_tags=params.list("not_helpful_tags", max_items=20),
    )

    def work(tx):
        viewer = require(tx, request, "write")
        writing.rate(tx, viewer.account_id, note_id, data)
        return _with_own(tx, writing.get(tx, note_id), viewer.account_id)

    return JSON(await database(request).write(work))


async def unrate(request: Request) -> JSON:
    note_id = path_id(request)

    def work(tx):
        viewer = require(tx, request, "write")
        writing.unrate(tx, viewer.account_id, note_id)
        return _with_own(tx, writing.get(tx, note_id), viewer.account_id)

    return JSON(await database(request).write(work))


async def of_status(request: Request) -> JSON:
    status_id = path_id(request)

    def work(tx):
        viewer = optional(tx, request, "read")
        viewer_id = viewer.account_id if viewer else None
        rows = queries.of_status(tx, viewer_id, status_id)
        return [presenter.note(row, tx.settings) for row in rows]

    return JSON(await database(request).read(work))


async def queue(request: Request) -> JSON:
    params = await read_params(request)
    limit = params.int("limit", 20, minimum=1, maximum=40) or 20

    def work(tx):
        viewer = require(tx, request, "read")
        return [
            _with_own(tx, row, viewer.account_id)
            for row in queries.queue(tx, viewer.account_id, limit)
        ]

    return JSON(await database(request).read(work))


async def mine(request: Request) -> JSON:
    def work(tx):
        viewer = require(tx, request, "read")
        return [
            _with_own(tx, row, viewer.account_id)
            for row in queries.written_by(tx, viewer.account_id)
        ]

    return JSON(await database(request).read(work))


routes = [
    Route("/api/v1/pnyx/notes", create, methods=["POST"]),
    Route("/api/v1/pnyx/notes/queue", queue, methods=["GET"]),
    Route("/api/v1/pnyx/notes/mine", mine, methods=["GET"]),
    Route("/api/v1/pnyx/notes/{id:int}", show, methods=["GET"]),
    Route("/api/v1/pnyx/notes/{id:int}", delete, methods=["DELETE"]),
    Route("/api/v1/pnyx/notes/{id:int}/rating", rate, methods=["POST"]),
    Route("/api/v1/pnyx/notes/{id:int}/rating", unrate, methods=["DELETE"]),
    Route("/api/v1/pnyx/statuses/{id:int}/notes", of_status, methods=["GET"]),
]
