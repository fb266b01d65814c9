"""Profile pages, `/@user` and `/@user@host`, with their tabs (posts, posts & replies,
followers, following), and the buttons that change how the viewer stands towards the account
(follow, unfollow or cancel a request, block, mute).

What each tab lists comes from the same core functions as the Mastodon API
(core.timelines.account_statuses, core.relationships.followers/following), so a hidden
followers list or a followers-only post stays hidden here exactly as it does there. Servers
asking for `/@user` get the actor (federation.documents answers them and hands browsers over
to `profile_page`).
"""

from __future__ import annotations

import re
from urllib.parse import urlencode

import anyio.to_thread
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from pnyx.core import accounts as core_accounts
from pnyx.core import blocks_mutes, follows, timelines
from pnyx.core import relationships as graph
from pnyx.core.errors import CoreError, NotFound
from pnyx.core.paging import Page
from pnyx.db.ids import parse_id
from pnyx.edges.http import database, without_nul
from pnyx.federation import resolve as remote
from pnyx.presenters import entities
from pnyx.web import feed_pages, move_pages
from pnyx.web.forms import back, form_gate, path_id
from pnyx.web.i18n import gettext_for
from pnyx.web.message_pages import core_error_page, not_found_page
from pnyx.web.post_views import acct_path, plain_text, rendered_statuses
from pnyx.web.session import Visitor, respond, visit, visitor

TABS = ("with_replies", "followers", "following")
POSTS_PAGE = 20
ACCOUNTS_PAGE = 40
ACCT = re.compile(r"^@?[A-Za-z0-9_.\-]{1,100}(?:@[A-Za-z0-9.\-]{1,200}(?::\d{1,5})?)?$")


def _is_elsewhere(acct: str, local_domain: str) -> bool:
    _, _, domain = acct.lstrip("@").partition("@")
    return bool(domain) and domain.lower() != local_domain.lower()


RESOLVE_FIRST = object()  # a signed-in visitor asked for someone elsewhere, maybe not known yet


async def _known_or_resolved(request: Request, who: Visitor, acct: str) -> None:
    """Someone on another server we have not met yet: ask their server (WebFinger), as the
    API's lookup does. Only for signed-in people, so that anonymous visitors cannot make this
    server fetch from arbitrary hosts."""
    settings = request.app.state.settings
    if who.user is None or not _is_elsewhere(acct, settings.domain):
        return
    if not remote.HANDLE.match(acct):
        return
    db = database(request)
    known = await db.read(lambda tx: core_accounts.find_by_acct(tx, acct))
    if known is None:
        await anyio.to_thread.run_sync(remote.resolve_quietly, db, settings, acct)


def _statuses_tab(tx, row, viewer_id, tab: str, max_id: int | None):
    page = Page(max_id=max_id, limit=POSTS_PAGE)
    found = timelines.account_statuses(
        tx, viewer_id, row.id, page, exclude_replies=(tab == "posts")
    )
    items = rendered_statuses(tx, found.ids, viewer_id)
    cursor = found.cursors[-1] if found.ids and found.cursors else None
    return items, (cursor if len(found.ids) >= POSTS_PAGE else None)


def _accounts_tab(tx, row, viewer_id, tab: str, max_id: int | None):
    lister = graph.followers if tab == "followers" else graph.following
    rows = lister(tx, row.id, viewer_id, max_id=max_id, limit=ACCOUNTS_PAGE)
    items = [entities.account(r, tx.settings) for r in rows]
    cursor = rows[-1].cursor_id if len(rows) >= ACCOUNTS_PAGE else None
    return items, cursor


def _profile(tx, acct: str, viewer_id: int | None, tab: str, max_id: int | None) -> dict:
    row = core_accounts.find_by_acct(tx, acct)
    if row is None or row.suspended_at is not None:
        raise NotFound()
    relationship = None
    if viewer_id is not None and viewer_id != row.id:
        relationship = graph.relationship(tx, viewer_id, row.id)
    if tab in ("posts", "with_replies"):
        statuses, cursor = _statuses_tab(tx, row, viewer_id, tab, max_id)
        people = []
    else:
        people, cursor = _accounts_tab(tx, row, viewer_id, tab, max_id)
        statuses = []
    return {
        "account": entities.account(row, tx.settings),
        "local": row.domain is None,
        "full_acct": f"{row.username}@{row.domain or tx.settings.domain}",
        "base_path": acct_path(row.username, row.domain),
        "relationship": relationship,
        "statuses": statuses,
        "people": people,
        "cursor": cursor,
        "hidden": tab in ("followers", "following")
        and row.hide_collections
        and viewer_id != row.id,
        "noindex": row.domain is None and not row.indexable,
        "moved_to": move_pages.moved_to(tx, row),  # "has moved to", and no Follow button
    }


def _profile_or_none(tx, acct: str, viewer_id: int | None, tab: str, max_id: int | None):
    try:
        return _profile(tx, acct, viewer_id, tab, max_id)
    except CoreError:
        return None


async def profile_page(request: Request, tab: str = "posts") -> Response:
    """`/@acct` (Posts) and its tabs `/@acct/with_replies`, `/followers`, `/following`."""
    acct = (without_nul(request.path_params.get("username", "")) or "").strip()
    if not ACCT.match(acct):
        return not_found_page(request, await visitor(request))
    acct = acct.lstrip("@")
    raw_max = request.query_params.get("max_id")
    max_id = parse_id(raw_max) if raw_max else None
    elsewhere = _is_elsewhere(acct, request.app.state.settings.domain)

    def work(tx, who: Visitor):
        if who.user is not None and elsewhere:
            return RESOLVE_FIRST
        return _profile_or_none(tx, acct, who.account_id, tab, max_id)

    who, found = await visit(request, work)
    if found is RESOLVE_FIRST:
        await _known_or_resolved(request, who, acct)
        found = await database(request).read(_profile_or_none, acct, who.account_id, tab, max_id)
    if found is None:
        return not_found_page(request, who)
    _ = gettext_for(who.language)
    account = found["account"]
    name = account["display_name"] or account["username"]
    tab_path = found["base_path"] + ("" if tab == "posts" else f"/{tab}")
    next_url = None
    if found["cursor"] is not None:
        next_url = f"{tab_path}?{urlencode({'max_id': found['cursor']})}"
    tab_names = {
        "posts": _("Posts"),
        "with_replies": _("Posts and replies"),
        "followers": _("Followers"),
        "following": _("Following"),
    }
    why = None
    if who.user is not None and found["statuses"]:
        rule = _("On the profile of @%(acct)s: what they posted and boosted, newest first.")
        ids = [int(s["id"]) for s in found["statuses"]]
        why = feed_pages.why_context(rule % {"acct": account["acct"]}, ids, {}, {})
    response = respond(
        request,
        who,
        "site/profile.html",
        why_shown=why,
        heading=name,
        tab=tab,
        tab_name=tab_names[tab],
        tab_path=tab_path,
        next_url=next_url,
        bio_text=plain_text(account["note"], 200),
        return_to=tab_path,
        **found,
    )
    response.headers["Vary"] = "Accept"
    return response


# --- Follow, block, mute ---------------------------------------------------------------------


def _follow(tx, viewer_id: int, target_id: int) -> None:
    follows.follow(tx, viewer_id, target_id)


def _unfollow(tx, viewer_id: int, target_id: int) -> None:
    follows.unfollow(tx, viewer_id, target_id)


def _block(tx, viewer_id: int, target_id: int) -> None:
    blocks_mutes.block(tx, viewer_id, target_id)


def _unblock(tx, viewer_id: int, target_id: int) -> None:
    blocks_mutes.unblock(tx, viewer_id, target_id)


def _mute(tx, viewer_id: int, target_id: int) -> None:
    blocks_mutes.mute(tx, viewer_id, target_id)


def _unmute(tx, viewer_id: int, target_id: int) -> None:
    blocks_mutes.unmute(tx, viewer_id, target_id)


def _relationship_action(act):
    """POST /accounts/ID/<action>: change the relationship, then back to the page."""

    async def handler(request: Request) -> Response:
        who, form, refusal = await form_gate(request)
        if refusal is not None:
            return refusal
        target_id = path_id(request)
        if target_id is None:
            return not_found_page(request, who)
        viewer_id = who.account_id

        def work(tx):
            target = core_accounts.get_public(tx, target_id)
            act(tx, viewer_id, target_id)
            return acct_path(target.username, target.domain)

        try:
            profile = await database(request).write(work)
        except CoreError as exc:
            return core_error_page(request, who, exc)
        return back(form, profile)

    return handler


def _post(path: str, act) -> Route:
    return Route(path, _relationship_action(act), methods=["POST"])


ACCOUNT = "/accounts/{id:int}"

routes = [
    _post(f"{ACCOUNT}/follow", _follow),
    _post(f"{ACCOUNT}/unfollow", _unfollow),
    _post(f"{ACCOUNT}/block", _block),
    _post(f"{ACCOUNT}/unblock", _unblock),
    _post(f"{ACCOUNT}/mute", _mute),
    _post(f"{ACCOUNT}/unmute", _unmute),
]
