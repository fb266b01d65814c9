"""Mastodon API: posts scheduled for later (`scheduled_at` on POST /api/v1/statuses, and
/api/v1/scheduled_statuses to list, move and cancel them). The rules are in
pnyx.core.scheduled_statuses; this module reads times and renders the ScheduledStatus entity.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request
from starlette.routing import Route

from pnyx.api.auth import require
from pnyx.api.http import JSON, ApiError, database, path_id, read_params
from pnyx.api.pagination import page_from, paginated
from pnyx.core import scheduled_statuses as core
from pnyx.presenters import entities


def parse_time(raw: str | None) -> datetime | None:
    """An ISO 8601 time as apps send it (with `Z` or an offset; a naive time is UTC)."""
    if not raw:
        return None
    try:
        parsed = datetime.fromisoformat(raw.strip().replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise ApiError(422, "Validation failed: Scheduled at is invalid") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    try:
        return parsed.astimezone(UTC)
    except OverflowError:  # the year 9999 with an offset
        raise ApiError(422, "Validation failed: Scheduled at is invalid") from None


def scheduled_status(row: Any, attached: list[Any]) -> dict:
    """Mastodon's ScheduledStatus."""
    return {
        "id": str(row.id),
        "scheduled_at": entities.iso(row.scheduled_at),
        "params": row.params,
        "media_attachments": [entities.media_attachment(m) for m in attached],
    }


def render(tx, row: Any) -> dict:
    return scheduled_status(row, core.media_of(tx, [row]).get(row.id, []))


async def index(request: Request) -> JSON:
    params = await read_params(request)
    wanted = page_from(params, default=20, maximum=40)

    def work(tx):
        viewer = require(tx, request, "read:statuses")
        rows = core.page(tx, viewer.account_id, wanted)
        attached = core.media_of(tx, rows)
        return [scheduled_status(row, attached[row.id]) for row in rows], [r.id for r in rows]

    items, ids = await database(request).read(work)
    return paginated(request, items, ids)


async def show(request: Request) -> JSON:
    scheduled_id = path_id(request)

    def work(tx):
        viewer = require(tx, request, "read:statuses")
        return render(tx, core.own(tx, viewer.account_id, scheduled_id))

    return JSON(await database(request).read(work))


async def update(request: Request) -> JSON:
    scheduled_id = path_id(request)
    params = await read_params(request)
    when = parse_time(params.str("scheduled_at"))

    def work(tx):
        viewer = require(tx, request, "write:statuses")
        row = core.own(tx, viewer.account_id, scheduled_id)
        if when is not None:
            row = core.reschedule(tx, viewer.account_id, scheduled_id, when)
        return render(tx, row)

    return JSON(await database(request).write(work))


async def destroy(request: Request) -> JSON:
    scheduled_id = path_id(request)

    def work(tx):
        viewer = require(tx, request, "write:statuses")
        core.cancel(tx, viewer.account_id, scheduled_id)
        return {}

    return JSON(await database(request).write(work))


routes = [
    Route("/api/v1/scheduled_statuses", index, methods=["GET"]),
    Route("/api/v1/scheduled_statuses/{id:int}", show, methods=["GET"]),
    Route("/api/v1/scheduled_statuses/{id:int}", update, methods=["PUT"]),
    Route("/api/v1/scheduled_statuses/{id:int}", destroy, methods=["DELETE"]),
]
