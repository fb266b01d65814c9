"""Mastodon's admin API for trending posts (`/api/v1/admin/trends/statuses/:id/reject` and
`/approve`), for moderation apps: take a post out of the trends, or let it trend again.

Mastodon reviews what may trend and tells nobody; here a post taken out stays everywhere else,
and its author is told and can appeal (`core.post_moderation`, which logs it publicly). The
handlers check the token's `admin:write` scope and render the post as Mastodon's
Admin::Trends::Status: a Status with `requires_review` (always false here, nothing waits for a
review). Pnyx takes an optional `text`, the reason, which Mastodon has not got.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.routing import Route

from pnyx.api.admin_accounts import staff
from pnyx.api.http import JSON, database, path_id, read_params
from pnyx.core import post_moderation, status_views
from pnyx.core.errors import NotFound
from pnyx.presenters import entities

WRITE = "admin:write"


def _render(tx, status_id: int, viewer_id: int) -> dict:
    """The post as the staff member sees it, whoever else may (a trending post is public,
    but one may be named that is not)."""
    bundle = status_views.load(tx, [status_id], viewer_id)
    if status_id not in bundle.statuses:
        raise NotFound()
    return {**entities.status(bundle, status_id, tx.settings, tx.now), "requires_review": False}


def _review(name: str):
    """POST /api/v1/admin/trends/statuses/:id/<name>: reject (out of the trends) or approve
    (back in), then the post."""

    async def handler(request: Request):
        status_id = path_id(request)
        params = await read_params(request)
        reason = params.str("text", "", max_len=5000) or ""

        def work(tx):
            by = staff(tx, request, WRITE)
            if name == "reject":
                post_moderation.remove_from_trends(tx, by, status_id, reason)
            else:
                post_moderation.restore_to_trends(tx, by, status_id, reason)
            return _render(tx, status_id, by.account_id)

        return JSON(await database(request).write(work))

    return handler


_STATUS = "/api/v1/admin/trends/statuses/{id:int}"
routes = [
    Route(f"{_STATUS}/{name}", _review(name), methods=["POST"]) for name in ("reject", "approve")
]
