"""Mastodon API: trends (hashtags, posts, links) and follow suggestions. The formulas are in
pnyx.core.trends and pnyx.core.suggestions (and docs/api.md); this module pages and renders.

Trends are kept per process for a while (`trends.Cache`, one per app); each reader then gets
them through their own visibility pipeline. Pages are by `offset`, with a Link header to the
next one, as Mastodon pages trends.
"""

from __future__ import annotations

from urllib.parse import urlencode

from starlette.requests import Request
from starlette.routing import Route

from pnyx.api.auth import optional, require
from pnyx.api.http import JSON, database, path_id, read_params
from pnyx.core import (
    account_extras,
    discovery_about,
    hashtags,
    preview_cards,
    status_views,
    suggestions,
    trends,
)
from pnyx.core import accounts as core_accounts
from pnyx.edges.http import trends_cache
from pnyx.presenters import collections, entities, shown_accounts

# Mastodon 4.3's v2 `source`, from the sources it replaces.
LEGACY_SOURCE = {"friends_of_friends": "past_interactions", "most_followed": "global"}


def _window(params, default: int, maximum: int) -> tuple[int, int]:
    limit = params.int("limit", default)
    offset = params.int("offset", 0)
    return max(0, offset or 0), max(1, min(limit or default, maximum))


def _with_next(request: Request, items: list, offset: int, limit: int, more: bool) -> JSON:
    response = JSON(items)
    if more:
        keep = [(k, v) for k, v in request.query_params.multi_items() if k != "offset"]
        base = str(request.url.replace(query="")).rstrip("/")
        query = urlencode([*keep, ("offset", str(offset + limit))])
        response.headers["Link"] = f'<{base}?{query}>; rel="next"'
    return response


async def tags(request: Request) -> JSON:
    params = await read_params(request)
    offset, limit = _window(params, 10, 20)
    cache = trends_cache(request)

    def work(tx):
        viewer = optional(tx, request, "read")
        rows = trends.trending_tag_rows(tx, cache, offset, limit + 1)
        viewer_id = viewer.account_id if viewer else None
        views = hashtags.views(tx, viewer_id, rows[:limit])
        signed_in = viewer is not None
        return [collections.tag(v, tx.settings, signed_in=signed_in) for v in views], len(rows)

    items, found = await database(request).read(work)
    return _with_next(request, items, offset, limit, found > limit)


async def statuses(request: Request) -> JSON:
    params = await read_params(request)
    offset, limit = _window(params, 20, 40)
    cache = trends_cache(request)

    def work(tx):
        viewer = optional(tx, request, "read:statuses")
        viewer_id = viewer.account_id if viewer else None
        ranked = trends.trending_status_ids(tx, cache)
        bundle = status_views.load(tx, ranked, viewer_id, hide_muted=True, filter_context="public")
        shown = bundle.visible[offset : offset + limit + 1]
        items = [entities.status(bundle, sid, tx.settings, tx.now) for sid in shown[:limit]]
        return items, len(shown)

    items, found = await database(request).read(work)
    return _with_next(request, items, offset, limit, found > limit)


async def links(request: Request) -> JSON:
    """Trends::Link entities: a PreviewCard with its week of use."""
    params = await read_params(request)
    offset, limit = _window(params, 10, 20)
    cache = trends_cache(request)

    def work(tx):
        optional(tx, request, "read")
        found = trends.trending_links(tx, cache, offset, limit + 1)
        credited = [card.author_account_id for card, _ in found[:limit] if card.author_account_id]
        authors = {row.id: row for row in core_accounts.public_rows(tx, credited)}
        extras = account_extras.load(tx, authors.values())
        items = []
        for card, trend in found[:limit]:
            author = authors.get(card.author_account_id)
            allowed = preview_cards.credits(card.url, author)
            shown = entities.account(author, tx.settings, extras) if allowed else None
            items.append(collections.trend_link(card, trend, shown))
        return items, len(found)

    items, found = await database(request).read(work)
    return _with_next(request, items, offset, limit, found > limit)


async def suggestions_v2(request: Request) -> JSON:
    params = await read_params(request)
    limit = max(1, min(params.int("limit", 40) or 40, 80))

    def work(tx):
        viewer = require(tx, request, "read:accounts")
        found = suggestions.suggest(tx, viewer.account_id, limit)
        shown = shown_accounts.many(tx, [s.account for s in found])
        return [
            {
                "source": LEGACY_SOURCE[s.sources[0]],
                "sources": s.sources,
                "account": entity,
            }
            for s, entity in zip(found, shown, strict=True)
        ]

    return JSON(await database(request).read(work))


async def suggestions_v1(request: Request) -> JSON:
    params = await read_params(request)
    limit = max(1, min(params.int("limit", 40) or 40, 80))

    def work(tx):
        viewer = require(tx, request, "read:accounts")
        found = suggestions.suggest(tx, viewer.account_id, limit)
        return shown_accounts.many(tx, [s.account for s in found])

    return JSON(await database(request).read(work))


async def dismiss_suggestion(request: Request) -> JSON:
    target_id = path_id(request)

    def work(tx):
        viewer = require(tx, request, "write:accounts")
        suggestions.dismiss(tx, viewer.account_id, target_id)
        return {}

    return JSON(await database(request).write(work))


async def about(request: Request) -> JSON:
    """Where the numbers of each trend kind and of suggestions come from: formula, window,
    what counts and what is excluded, the constants with their values, and the source. It is
    public matter (no token): the same text the Explore pages show."""
    settings = request.app.state.settings
    return JSON(
        {
            kind: discovery_about.describe(
                discovery_about.explain(kind), settings.source_url, settings.base_url
            )
            for kind in discovery_about.KINDS
        }
    )


routes = [
    Route("/api/v1/trends", tags, methods=["GET"]),
    Route("/api/v1/trends/tags", tags, methods=["GET"]),
    Route("/api/v1/trends/statuses", statuses, methods=["GET"]),
    Route("/api/v1/trends/links", links, methods=["GET"]),
    Route("/api/v1/pnyx/trends/about", about, methods=["GET"]),
    Route("/api/v2/suggestions", suggestions_v2, methods=["GET"]),
    Route("/api/v1/suggestions", suggestions_v1, methods=["GET"]),
    Route("/api/v1/suggestions/{id:int}", dismiss_suggestion, methods=["DELETE"]),
]
