"""Web pages that list posts: the landing page, home, the local and federated timelines, and
hashtags. They read through the same core functions and entity builders as the Mastodon API,
so what a page shows is exactly what an app would show the same person."""

from __future__ import annotations

from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from pnyx.api import entities
from pnyx.api.http import database, without_nul
from pnyx.core import instance as core_instance
from pnyx.core import status_views, timelines
from pnyx.core.paging import Page
from pnyx.db.ids import parse_id
from pnyx.web.session import Visitor, respond, see_other, visitor

PAGE_SIZE = 20


def _page(request: Request) -> Page:
    return Page(max_id=parse_id(request.query_params.get("max_id")), limit=PAGE_SIZE)


def _rendered(tx, page: timelines.Slice, viewer_id: int | None, *, checked: bool = False):
    bundle = status_views.load(tx, page.ids, viewer_id, check_visibility=not checked)
    return entities.statuses(bundle, tx.settings, tx.now)


def _next_url(request: Request, page: timelines.Slice, items: list) -> str | None:
    if len(items) < PAGE_SIZE or not page.cursors:
        return None
    return f"{request.url.path}?{urlencode({'max_id': page.cursors[-1]})}"


async def _timeline(request: Request, who: Visitor, heading: str, stream: str, fetch) -> Response:
    page = _page(request)

    def work(tx):
        found = fetch(tx, page)
        items = _rendered(tx, found, who.account_id, checked=stream == "home")
        compose = None
        if stream == "home":
            from pnyx.web import compose_form

            compose = compose_form.compose_context(
                tx, who.account_id, ui_language=who.language, return_to="/home"
            )
        return found, items, compose

    found, items, compose = await database(request).read(work)
    return respond(
        request,
        who,
        "site/timeline.html",
        heading=heading,
        statuses=items,
        stream=stream,
        next_url=_next_url(request, found, items),
        compose=compose,
    )


async def landing(request: Request) -> Response:
    who = await visitor(request)
    settings = request.app.state.settings

    def work(tx):
        found = timelines.public(tx, who.account_id, Page(limit=10), local=True)
        return (
            core_instance.stats(tx),
            core_instance.rule_rows(tx),
            _rendered(tx, found, who.account_id),
        )

    stats, rules, items = await database(request).read(work)
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
    who = await visitor(request)
    if who.user is None:
        return see_other("/auth/sign_in")
    viewer_id = who.account_id
    _ = _gettext(who)
    return await _timeline(
        request, who, _("Home"), "home", lambda tx, page: timelines.home(tx, viewer_id, page)
    )


async def local(request: Request) -> Response:
    who = await visitor(request)
    _ = _gettext(who)
    return await _timeline(
        request,
        who,
        _("Local timeline"),
        "public:local",
        lambda tx, page: timelines.public(tx, who.account_id, page, local=True),
    )


async def federated(request: Request) -> Response:
    who = await visitor(request)
    _ = _gettext(who)
    return await _timeline(
        request,
        who,
        _("Federated timeline"),
        "public",
        lambda tx, page: timelines.public(tx, who.account_id, page),
    )


async def hashtag(request: Request) -> Response:
    who = await visitor(request)
    name = timelines.normalize_tag(without_nul(request.path_params["name"]) or "")[:100]
    return await _timeline(
        request,
        who,
        f"#{name}",
        f"hashtag:{name}",
        lambda tx, page: timelines.tag(tx, who.account_id, name, page),
    )


def _gettext(who: Visitor):
    from pnyx.web.i18n import translations

    return translations(who.language).gettext


routes = [
    Route("/", landing, methods=["GET"]),
    Route("/home", home, methods=["GET"]),
    Route("/public/local", local, methods=["GET"]),
    Route("/public", federated, methods=["GET"]),
    Route("/tags/{name}", hashtag, methods=["GET"]),
]
