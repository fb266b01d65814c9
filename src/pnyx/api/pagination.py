"""Mastodon's id pagination: max_id / since_id / min_id / limit in, Link header out."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from starlette.requests import Request

from pnyx.api.http import JSON, Params
from pnyx.db.ids import parse_id


@dataclass(frozen=True)
class Page:
    """Where a page starts and ends. `min_id` walks forward from an id (oldest first)."""

    max_id: int | None = None
    since_id: int | None = None
    min_id: int | None = None
    limit: int = 20


def page_from(params: Params, *, default: int = 20, maximum: int = 40) -> Page:
    limit = params.int("limit", default)
    limit = max(1, min(limit if limit is not None else default, maximum))
    return Page(
        max_id=parse_id(params.str("max_id")),
        since_id=parse_id(params.str("since_id")),
        min_id=parse_id(params.str("min_id")),
        limit=limit,
    )


def apply(query, column, page: Page):
    """Apply a Page to a select over `column` (a time-sortable id). Newest first, unless min_id."""
    if page.max_id is not None:
        query = query.where(column < page.max_id)
    if page.since_id is not None:
        query = query.where(column > page.since_id)
    if page.min_id is not None:
        return query.where(column > page.min_id).order_by(column.asc()).limit(page.limit)
    return query.order_by(column.desc()).limit(page.limit)


def in_display_order(ids_or_rows: list, page: Page) -> list:
    """min_id pages are fetched oldest first; clients want newest first."""
    return list(reversed(ids_or_rows)) if page.min_id is not None else ids_or_rows


def link_header(request: Request, newest: int | None, oldest: int | None) -> str | None:
    if newest is None or oldest is None:
        return None
    base = str(request.url.replace(query="")).rstrip("/")
    keep = [
        (k, v)
        for k, v in request.query_params.multi_items()
        if k not in ("max_id", "since_id", "min_id")
    ]
    nxt = urlencode(keep + [("max_id", str(oldest))])
    prev = urlencode(keep + [("min_id", str(newest))])
    return f'<{base}?{nxt}>; rel="next", <{base}?{prev}>; rel="prev"'


def paginated(request: Request, items: list, cursor_ids: list[int]) -> JSON:
    """A JSON list with its Link header; `cursor_ids` are the pagination ids, newest first."""
    response = JSON(items)
    if cursor_ids:
        link = link_header(request, cursor_ids[0], cursor_ids[-1])
        if link:
            response.headers["Link"] = link
    return response
