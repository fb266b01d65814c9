"""The web side of the open feeds a person uses: home read through any feed (the switcher),
the "Why?" of every post in a timeline, composing a feed, a composed feed's own page (its
recipe and the link to share), and the pin, unpin, follow and unfollow buttons.

Each form is a plain POST with the CSRF token calling the same core function as the API
(`core.feed_pins`, `core.algorithms.composed`), then back to the page (303). The reasons come
from `core.why_shown`: home's parts for a home page, the snapshot's score terms for a ranked
page (drawn by `why_chart`), and for every timeline the rule of the timeline itself.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from pnyx.core import feed_pins, status_views, why_shown
from pnyx.core import lists as core_lists
from pnyx.core.algorithms import catalog, composed, feeds, serving
from pnyx.core.errors import CoreError, NotFound
from pnyx.core.paging import Page
from pnyx.edges.http import database
from pnyx.presenters import entities
from pnyx.web import label_badges, why_chart
from pnyx.web.forms import back, form_gate, form_list, form_str
from pnyx.web.i18n import gettext_for
from pnyx.web.message_pages import not_found_page
from pnyx.web.session import Visitor, respond, see_other, visit

PAGE_SIZE = 20
FOLLOWING = catalog.DEFAULT  # home's own order: the switcher's first entry
_SPLIT = re.compile(r"[\s,]+")


def why_context(
    timeline: str, ids: list[int], parts: dict[int, list[dict]], ranked: dict[int, dict]
) -> dict[str, Any]:
    """What the "Why?" of each post of a page shows: the page's own rule, then each post's
    reasons (home's parts, a ranked reason with its chart)."""
    items: dict[str, dict[str, Any]] = {}
    for sid in ids:
        reasons = list(parts.get(sid, []))
        chart = None
        if sid in ranked:
            reasons.append(ranked[sid])
            chart = why_chart.chart(ranked[sid]) if ranked[sid]["terms"] else None
        items[str(sid)] = {"reasons": reasons, "chart": chart}
    return {"timeline": timeline, "items": items}


def switcher(tx, account_id: int, selected: str) -> dict[str, Any]:
    return {"feeds": feed_pins.menu(tx, account_id), "selected": selected}


def _next_url(feed_id: str, cursors: list[int], count: int) -> str | None:
    if count < PAGE_SIZE or not cursors:
        return None
    return f"/home?{urlencode({'feed': feed_id, 'max_id': cursors[-1]})}"


_TO_RANK: Any = object()  # what a read says when the page must be ranked (in a write)


async def home_feed(request: Request, feed_id: str, max_id: int | None) -> Response:
    """Home read through another feed than `following`: a ranked feed's first page stores
    the snapshot its next pages and the "Why?" read (a write transaction, when it must be
    ranked)."""
    who, _unused = await visit(request)
    if who.user is None:
        return see_other("/auth/sign_in")
    account_id = who.user.account_id
    _ = gettext_for(who.language)

    def work(tx, serve=serving.serve):
        try:
            feed = feeds.resolve(tx, feed_id)
        except NotFound:
            return None
        served = serve(tx, account_id, feed, Page(max_id=max_id, limit=PAGE_SIZE))
        if served is None:
            return _TO_RANK
        ids = list(served.slice.ids)
        bundle = status_views.load(tx, ids, account_id)
        items = entities.statuses(bundle, tx.settings, tx.now)
        label_badges.with_labels(tx, items, account_id)
        title, composed_id = feed_pins.feed_title(tx, feed_id)
        # A catalog algorithm ranks the viewer's home: its posts are there for home's reasons.
        parts = why_shown.home_parts(tx, account_id, ids) if composed_id is None else {}
        ranked = why_shown.ranked_page(tx, account_id, feed_id, ids)
        rule = _("In the feed “%(title)s”, version %(version)s: its published rule chose it.")
        why = why_context(rule % {"title": title, "version": served.version}, ids, parts, ranked)
        return {
            "title": title,
            "version": f"{feed.id}@{served.version}",
            "items": items,
            "why": why,
            "next_url": _next_url(feed_id, served.slice.cursors, len(items)),
            "switcher": switcher(tx, account_id, feed_id),
            "composed_id": composed_id,
        }

    # A first page that must be ranked stores its snapshot (a write); reloads within the
    # published reuse time and next pages only read.
    found = await database(request).read(work, serving.serve_read)
    if found is _TO_RANK:
        found = await database(request).write(work)
    if found is None:
        return not_found_page(request, who)
    return respond(
        request,
        who,
        "site/timeline.html",
        heading=found["title"],
        statuses=found["items"],
        stream="home",
        next_url=found["next_url"],
        compose=None,
        switcher=found["switcher"],
        feed_version=found["version"],
        why_shown=found["why"],
        composed_id=found["composed_id"],
    )


# --- Composing ---------------------------------------------------------------------------------


def _recipe_from_form(form: dict) -> dict[str, Any]:
    """The API's recipe shape from the compose form's fields."""
    words = [w for w in _SPLIT.split(form_str(form, "hashtags")) if w]
    languages = [w for w in _SPLIT.split(form_str(form, "languages").lower()) if w]
    chosen = set(form_list(form, "sources"))
    sources: dict[str, Any] = {name: name in chosen for name in ("follows", "local", "federated")}
    sources["hashtags"] = words
    sources["lists"] = form_list(form, "lists")
    return {
        "title": form_str(form, "title"),
        "description": form_str(form, "description"),
        "sources": sources,
        "filters": {
            "languages": languages,
            "media_only": form_str(form, "media_only") == "1",
            "no_boosts": form_str(form, "no_boosts") == "1",
            "min_interactions": form_str(form, "min_interactions") or "0",
        },
        "order": form_str(form, "order", "newest"),
    }


async def _compose_page(request: Request, who: Visitor, form: dict, error: str | None):
    account_id = who.account_id

    def own_lists(tx):
        return [{"id": str(r.id), "title": r.title} for r in core_lists.owned(tx, account_id)]

    found = await database(request).read(own_lists)
    return respond(
        request,
        who,
        "site/feed_compose.html",
        status=422 if error else 200,
        form=form,
        error=error,
        own_lists=found,
        orders=list(catalog.ORDERS),
    )


async def compose_page(request: Request) -> Response:
    who, _unused = await visit(request)
    if who.user is None:
        return see_other("/auth/sign_in")
    return await _compose_page(request, who, {}, None)


async def compose(request: Request) -> Response:
    who, form, refusal = await form_gate(request)
    if refusal is not None:
        return refusal
    account_id = who.account_id
    recipe = _recipe_from_form(form)

    def work(tx):
        checked = composed.validate(
            tx,
            account_id,
            recipe["title"],
            recipe["description"],
            recipe["sources"],
            recipe["filters"],
            recipe["order"],
        )
        return composed.create(tx, account_id, checked).id

    try:
        feed_id = await database(request).write(work)
    except CoreError as exc:
        return await _compose_page(request, who, form, exc.message)
    return see_other(f"/feeds/{feed_id}")


# --- A composed feed's page, and the buttons -------------------------------------------------------


async def composed_page(request: Request) -> Response:
    feed_id = int(request.path_params["id"])
    if feed_id >= 1 << 63:
        return not_found_page(request, (await visit(request))[0])

    def work(tx, who: Visitor):
        try:
            feed = composed.get(tx, feed_id)
        except NotFound:
            return None
        viewer = who.account_id
        following = viewer is not None and composed.is_following(tx, viewer, feed_id)
        pinned = viewer is not None and str(feed_id) in feed_pins.pinned_feed_ids(tx, viewer)
        return feed, following, pinned

    who, found = await visit(request, work)
    if found is None:
        return not_found_page(request, who)
    feed, following, pinned = found
    settings = who.site or request.app.state.settings
    return respond(
        request,
        who,
        "site/feed_composed.html",
        feed=feed,
        version=feed.version,
        following=following,
        pinned=pinned,
        share_url=f"{settings.base_url}/feeds/{feed.id}",
    )


def _action(act):
    """POST /feeds/:id/<action>: `act(tx, viewer, feed id)`, then back to the page."""

    async def handler(request: Request) -> Response:
        who, form, refusal = await form_gate(request)
        if refusal is not None:
            return refusal
        feed_id = str(request.path_params["id"])[:64]
        account_id = who.account_id
        try:
            await database(request).write(lambda tx: act(tx, account_id, feed_id))
        except NotFound:
            return not_found_page(request, who)
        return back(form, "/feeds")

    return handler


def _composed_id(feed_id: str) -> int:
    if not feed_id.isdigit() or len(feed_id) >= 20:
        raise NotFound()
    return int(feed_id)


routes = [
    Route("/feeds/compose", compose_page, methods=["GET"]),
    Route("/feeds/compose", compose, methods=["POST"]),
    Route("/feeds/{id:int}", composed_page, methods=["GET"]),
    Route("/feeds/{id}/pin", _action(feed_pins.pin), methods=["POST"]),
    Route("/feeds/{id}/unpin", _action(feed_pins.unpin), methods=["POST"]),
    Route(
        "/feeds/{id}/follow",
        _action(lambda tx, a, f: composed.follow(tx, a, _composed_id(f))),
        methods=["POST"],
    ),
    Route(
        "/feeds/{id}/unfollow",
        _action(lambda tx, a, f: composed.unfollow(tx, a, _composed_id(f))),
        methods=["POST"],
    ),
]
