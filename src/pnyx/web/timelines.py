"""Web pages that list posts: the landing page, home, the local and federated timelines, and
hashtags. They read through the same core functions and entity builders as the Mastodon API,
so what a page shows is exactly what an app would show the same person."""

from __future__ import annotations

from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from pnyx.core import instance as core_instance
from pnyx.core import status_views, timelines
from pnyx.core.paging import Page
from pnyx.db.ids import parse_id
from pnyx.edges.http import database, without_nul
from pnyx.presenters import entities
from pnyx.web import compose_form
from pnyx.web.i18n import translations
from pnyx.web.session import Visitor, respond, see_other, visit

PAGE_SIZE = 20


def _page(request: Request) -> Page:
    return Page(max_id=parse_id(request.query_params.get("max_id")), limit=PAGE_SIZE)


def _rendered(tx, page: timelines.Slice, viewer_id: int | None):
    bundle = status_views.load(tx, page.ids, viewer_id)
    return entities.statuses(bundle, tx.settings, tx.now)


def _next_url(request: Request, page: timelines.Slice, items: list) -> str | None:
    if len(items) < PAGE_SIZE or not page.cursors:
        return None
    return f"{request.url.path}?{urlencode({'max_id': page.cursors[-1]})}"


async def _timeline(
    request: Request, stream: str, fetch, heading, *, signed_in: bool = False
) -> Response:
    """A page of posts: `fetch(tx, visitor, page)` picks them, read in the same transaction
    as the visitor's session; `heading(gettext)` names the page in the visitor's language."""
    page = _page(request)

    def work(tx, who: Visitor):
        if signed_in and who.user is None:
            return None
        found = fetch(tx, who, page)
        items = _rendered(tx, found, who.account_id)
        compose = None
        if stream == "home":
            compose = compose_form.compose_context(
                tx, who.user, ui_language=who.language, return_to="/home"
            )
        return found, items, compose

    who, result = await visit(request, work)
    if result is None:
        return see_other("/auth/sign_in")
    found, items, compose = result
    if found.feed_request is not None and who.account_id is not None:
        # The home feed is built on a first read, and kept while it is read (core.feeds).
        wish, viewer_id = found.feed_request, who.account_id
        await database(request).write(lambda tx: timelines.feed_requested(tx, viewer_id, 0, wish))
    return respond(
        request,
        who,
        "site/timeline.html",
        heading=heading(translations(who.language).gettext),
        statuses=items,
        stream=stream,
        next_url=_next_url(request, found, items),
        compose=compose,
    )


async def landing(request: Request) -> Response:
    settings = request.app.state.settings

    def work(tx, who: Visitor):
        found = timelines.public(tx, who.account_id, Page(limit=10), local=True)
        return (
            core_instance.stats(tx),
            core_instance.rule_rows(tx),
            _rendered(tx, found, who.account_id),
        )

    who, (stats, rules, items) = await visit(request, work)
    return respond(
        request,
        who,
        "site/landing.html",
        description=(who.site or settings).instance_description,
        stats=stats,
        rules=rules,
        statuses=items,
    )


async def home(request: Request) -> Response:
    return await _timeline(
        request,
        "home",
        lambda tx, who, page: timelines.home(tx, who.account_id, page),
        lambda _: _("Home"),
        signed_in=True,
    )


async def local(request: Request) -> Response:
    return await _timeline(
        request,
        "public:local",
        lambda tx, who, page: timelines.public(tx, who.account_id, page, local=True),
        lambda _: _("Local timeline"),
    )


async def federated(request: Request) -> Response:
    return await _timeline(
        request,
        "public",
        lambda tx, who, page: timelines.public(tx, who.account_id, page),
        lambda _: _("Federated timeline"),
    )


async def hashtag(request: Request) -> Response:
    name = timelines.normalize_tag(without_nul(request.path_params["name"]) or "")[:100]
    return await _timeline(
        request,
        f"hashtag:{name}",
        lambda tx, who, page: timelines.tag(tx, who.account_id, name, page),
        lambda _: f"#{name}",
    )


routes = [
    Route("/", landing, methods=["GET"]),
    Route("/home", home, methods=["GET"]),
    Route("/public/local", local, methods=["GET"]),
    Route("/public", federated, methods=["GET"]),
    Route("/tags/{name}", hashtag, methods=["GET"]),
]
