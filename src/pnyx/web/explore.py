"""Explore: trending posts, hashtags and links, and accounts to follow, each page saying
where its numbers come from.

The lists are core's (`core.trends`, `core.suggestions`), read through the same visibility
pipeline as the Mastodon API (each reader's blocks, mutes and filters of the `public`
context), and shared with it through the app's trends cache, so a page and an app agree. Each
item shows the terms of its score so a reader can check the order; each page ends with the
explanation `core.discovery_about` builds from the modules' constants (also served at
`GET /api/v1/pnyx/trends/about`), with a link to the source: `PNYX_SOURCE_URL`, or
`/explore/source/:module` here, which serves the running module's text.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from pnyx.core import discovery_about, status_views, suggestions, trends
from pnyx.core.algorithms import versions
from pnyx.edges.http import trends_cache
from pnyx.presenters import entities, shown_accounts
from pnyx.web import label_badges
from pnyx.web.i18n import translations
from pnyx.web.message_pages import not_found_page
from pnyx.web.session import Visitor, respond, see_other, visit, visitor

PAGE_SIZE = 20
SUGGESTIONS = 40


def _offset(request: Request) -> int:
    """Where the page starts in the ranking (`?offset=`, as the API pages trends): at most
    the number of trends kept, so any value is a valid page."""
    try:
        offset = int((request.query_params.get("offset") or "0")[:12])
    except ValueError:
        return 0
    return max(0, min(offset, trends.MAX_RESULTS))


def _more(request: Request, offset: int, more: bool) -> str | None:
    return f"{request.url.path}?offset={offset + PAGE_SIZE}" if more else None


def _page(request: Request, who: Visitor, tab: str, kind: str, **context) -> Response:
    """The page of one tab, ending with the explanation of `kind` in the visitor's language
    (`values`: the constants its per-item score lines quote)."""
    settings = who.site or request.app.state.settings
    item = discovery_about.explain(kind)
    gettext = translations(who.language).gettext
    return respond(
        request,
        who,
        "site/explore.html",
        tab=tab,
        about=discovery_about.describe(item, settings.source_url, settings.base_url, gettext),
        values=item.values,
        **context,
    )


async def posts(request: Request) -> Response:
    cache = trends_cache(request)
    offset = _offset(request)

    def work(tx, who: Visitor):
        ranked = trends.cached_status_trends(tx, cache)
        terms = {t.status_id: t for t in ranked}
        bundle = status_views.load(
            tx, list(terms), who.account_id, hide_muted=True, filter_context="public"
        )
        shown = bundle.visible[offset : offset + PAGE_SIZE + 1]
        items = [
            (entities.status(bundle, sid, tx.settings, tx.now), terms[sid])
            for sid in shown[:PAGE_SIZE]
        ]
        label_badges.with_labels(tx, [item for item, _terms in items], who.account_id)
        return items, len(shown) > PAGE_SIZE

    who, (items, more) = await visit(request, work)
    return _page(
        request, who, "posts", "statuses", posts=items, start=offset,
        more=_more(request, offset, more),
    )  # fmt: skip


async def tags(request: Request) -> Response:
    cache = trends_cache(request)
    offset = _offset(request)

    def work(tx, _who: Visitor):
        found = trends.trending_tags(tx, cache, offset, PAGE_SIZE + 1)
        return len(found) > PAGE_SIZE, [
            {"name": row.display_name, "trend": trend} for row, trend in found[:PAGE_SIZE]
        ]

    who, (more, items) = await visit(request, work)
    return _page(
        request, who, "tags", "tags", tags=items, start=offset, more=_more(request, offset, more)
    )


async def links(request: Request) -> Response:
    cache = trends_cache(request)
    offset = _offset(request)

    def work(tx, _who: Visitor):
        return trends.trending_links(tx, cache, offset, PAGE_SIZE + 1)

    who, found = await visit(request, work)
    items = [{"card": card, "trend": trend} for card, trend in found[:PAGE_SIZE]]
    more = _more(request, offset, len(found) > PAGE_SIZE)
    return _page(request, who, "links", "links", links=items, start=offset, more=more)


async def suggested(request: Request) -> Response:
    """Accounts to follow: only for a signed-in person (they are computed from their follows)."""

    def work(tx, who: Visitor):
        if who.account_id is None:
            return None
        found = suggestions.suggest(tx, who.account_id, SUGGESTIONS)
        shown = shown_accounts.many(tx, [s.account for s in found])
        return list(zip(found, shown, strict=True))

    who, items = await visit(request, work)
    if items is None:
        return see_other("/auth/sign_in")
    return _page(request, who, "suggestions", "suggestions", suggestions=items)


async def source(request: Request) -> Response:
    """The running source of a discovery module, as text (when no PNYX_SOURCE_URL is set)."""
    module = discovery_about.SOURCE_MODULES.get(request.path_params["name"])
    if module is None:
        return not_found_page(request, await visitor(request))
    return PlainTextResponse(versions.source_of(module))


routes = [
    Route("/explore", posts, methods=["GET"]),
    Route("/explore/tags", tags, methods=["GET"]),
    Route("/explore/links", links, methods=["GET"]),
    Route("/explore/suggestions", suggested, methods=["GET"]),
    Route("/explore/source/{name}", source, methods=["GET"]),
]
