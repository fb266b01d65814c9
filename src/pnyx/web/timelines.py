"""Web pages that list posts: the landing page, home, the local and federated timelines, and
hashtags. They read through the same core functions and entity builders as the Mastodon API,
so what a page shows is exactly what an app would show the same person."""

from __future__ import annotations

from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from pnyx.core import instance as core_instance
from pnyx.core import status_views, timelines, why_shown
from pnyx.core.paging import Page
from pnyx.db.ids import parse_id
from pnyx.edges.http import database, without_nul
from pnyx.presenters import entities
from pnyx.web import compose_form, feed_pages, label_badges
from pnyx.web.i18n import translations
from pnyx.web.session import Visitor, respond, see_other, visit

PAGE_SIZE = 20


def _page(request: Request) -> Page:
    return Page(max_id=parse_id(request.query_params.get("max_id")), limit=PAGE_SIZE)


def _rendered(tx, page: timelines.Slice, viewer_id: int | None):
    bundle = status_views.load(tx, page.ids, viewer_id)
    items = entities.statuses(bundle, tx.settings, tx.now)
    return label_badges.with_labels(tx, items, viewer_id)


def _next_url(request: Request, page: timelines.Slice, items: list) -> str | None:
    if len(items) < PAGE_SIZE or not page.cursors:
        return None
    return f"{request.url.path}?{urlencode({'max_id': page.cursors[-1]})}"


async def _timeline(
    request: Request, stream: str, fetch, heading, rule, *, signed_in: bool = False
) -> Response:
    """A page of posts: `fetch(tx, visitor, page)` picks them, read in the same transaction
    as the visitor's session; `heading(gettext)` names the page in the visitor's language,
    `rule(gettext)` says why a post is on it (the start of each post's "Why?")."""
    page = _page(request)

    def work(tx, who: Visitor):
        if signed_in and who.user is None:
            return None
        found = fetch(tx, who, page)
        items = _rendered(tx, found, who.account_id)
        compose = switcher = why = None
        if who.account_id is not None:
            ids = list(found.ids)
            home = stream == "home"
            parts = why_shown.home_parts(tx, who.account_id, ids) if home else {}
            text = rule(translations(who.language).gettext)
            why = feed_pages.why_context(text, ids, parts, {})
        if stream == "home":
            compose = compose_form.compose_context(
                tx, who.user, ui_language=who.language, return_to="/home"
            )
            switcher = feed_pages.switcher(tx, who.user.account_id, feed_pages.FOLLOWING)
        return found, items, compose, switcher, why

    who, result = await visit(request, work)
    if result is None:
        return see_other("/auth/sign_in")
    found, items, compose, switcher, why = result
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
        switcher=switcher,
        why_shown=why,
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
    """Home, in the order the visitor picks in the switcher (`?feed=`): `following` (home's
    own, the default) or any other feed (`feed_pages.home_feed`)."""
    feed = (request.query_params.get("feed") or feed_pages.FOLLOWING)[:64]
    if feed != feed_pages.FOLLOWING:
        return await feed_pages.home_feed(request, feed, _page(request).max_id)
    return await _timeline(
        request,
        "home",
        lambda tx, who, page: timelines.home(tx, who.account_id, page),
        lambda _: _("Home"),
        lambda _: _(
            "In your home: the newest posts of the people and hashtags you follow, your own, "
            "and those that mention you."
        ),
        signed_in=True,
    )


async def local(request: Request) -> Response:
    return await _timeline(
        request,
        "public:local",
        lambda tx, who, page: timelines.public(tx, who.account_id, page, local=True),
        lambda _: _("Local timeline"),
        lambda _: _("In the local timeline: the public posts of this server, newest first."),
    )


async def federated(request: Request) -> Response:
    return await _timeline(
        request,
        "public",
        lambda tx, who, page: timelines.public(tx, who.account_id, page),
        lambda _: _("Federated timeline"),
        lambda _: _("In the federated timeline: the public posts this server knows, newest first."),
    )


async def hashtag(request: Request) -> Response:
    name = timelines.normalize_tag(without_nul(request.path_params["name"]) or "")[:100]
    return await _timeline(
        request,
        f"hashtag:{name}",
        lambda tx, who, page: timelines.tag(tx, who.account_id, name, page),
        lambda _: f"#{name}",
        lambda _: (
            _("In the timeline of #%(name)s: public posts with this hashtag, newest first.")
            % {"name": name}
        ),
    )


routes = [
    Route("/", landing, methods=["GET"]),
    Route("/home", home, methods=["GET"]),
    Route("/public/local", local, methods=["GET"]),
    Route("/public", federated, methods=["GET"]),
    Route("/tags/{name}", hashtag, methods=["GET"]),
]
