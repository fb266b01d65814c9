"""The small forms on every post: favourite, boost, bookmark (and their undo), delete with a
confirmation page, and voting in a poll.

Each is a plain POST with the CSRF token that applies one core function (the same one the
Mastodon API calls) and sends the browser back (303) to the page it came from, so that the
post is shown again with its new state. The routes are listed in web/statuses.py.
"""

from __future__ import annotations

from collections.abc import Callable

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from pnyx.core import interactions, status_deletion
from pnyx.core import polls as core_polls
from pnyx.core import statuses as core
from pnyx.core.accounts import get as get_account
from pnyx.core.errors import CoreError
from pnyx.edges.http import database
from pnyx.web.forms import back, form_gate_with_id, form_list, form_str, own_page_gate, safe_return
from pnyx.web.i18n import gettext_for
from pnyx.web.message_pages import core_error_page, not_found_page
from pnyx.web.post_views import acct_path, rendered_statuses, status_path
from pnyx.web.session import respond, see_other


def _reblog(tx, account_id: int, status_id: int) -> int:
    return interactions.reblog(tx, account_id, status_id)


def _toggle(act: Callable[[object, int, int], int]):
    """POST /statuses/ID/<action>: apply `act(tx, viewer, id)`, then back to the page."""

    async def handler(request: Request) -> Response:
        who, form, status_id, refusal = await form_gate_with_id(request)
        if refusal is not None:
            return refusal
        account_id = who.account_id

        def work(tx):
            return status_path(tx, act(tx, account_id, status_id))

        try:
            location = await database(request).write(work)
        except CoreError as exc:
            return core_error_page(
                request, who, exc, back_url=safe_return(form_str(form, "return_to"))
            )
        return back(form, location)

    return handler


# --- Delete ------------------------------------------------------------------------------------


async def delete_page(request: Request) -> Response:
    """GET /statuses/ID/delete: "are you sure?", with the post shown (no JavaScript needed)."""
    who, status_id, refusal = await own_page_gate(request)
    if refusal is not None:
        return refusal
    account_id = who.account_id

    def work(tx):
        row = core.own_row(tx, account_id, status_id)
        shown = rendered_statuses(tx, [row.id], account_id)
        return shown[0] if shown else None, status_path(tx, row.id)

    try:
        status, post_url = await database(request).read(work)
    except CoreError:
        return not_found_page(request, who)
    if status is None:
        return not_found_page(request, who)
    _ = gettext_for(who.language)
    return respond(
        request,
        who,
        "site/status_delete.html",
        heading=_("Delete this post?"),
        doomed=status,
        return_to=safe_return(request.query_params.get("return_to")) or "",
        cancel_url=safe_return(request.query_params.get("return_to")) or post_url,
    )


async def delete(request: Request) -> Response:
    who, form, status_id, refusal = await form_gate_with_id(request)
    if refusal is not None:
        return refusal
    account_id = who.account_id

    def work(tx):
        row = core.own_row(tx, account_id, status_id)
        own_page = status_path(tx, row.id)
        author = get_account(tx, account_id)
        status_deletion.delete(tx, account_id, status_id)
        return own_page, acct_path(author.username, author.domain)

    try:
        own_page, profile = await database(request).write(work)
    except CoreError as exc:
        return core_error_page(request, who, exc)
    target = safe_return(form_str(form, "return_to"))
    # Going back to the page of the post just deleted would only show "not found".
    if target is None or target.split("#")[0].split("?")[0] == own_page:
        target = profile
    return see_other(target)


# --- Polls -------------------------------------------------------------------------------------


async def vote(request: Request) -> Response:
    """POST /polls/ID/votes with `choices` (radio buttons, or checkboxes for several)."""
    who, form, poll_id, refusal = await form_gate_with_id(request)
    if refusal is not None:
        return refusal
    account_id = who.account_id
    try:
        choices = [int(c) for c in form_list(form, "choices")[:64]]
    except ValueError:
        choices = [-1]  # core answers "The chosen vote option does not exist"

    def work(tx):
        core_polls.vote(tx, account_id, poll_id, choices)
        poll = core_polls.get(tx, poll_id)
        return status_path(tx, poll.status_id)

    try:
        location = await database(request).write(work)
    except CoreError as exc:
        return core_error_page(request, who, exc, back_url=safe_return(form_str(form, "return_to")))
    return back(form, location)


def _post(path: str, handler) -> Route:
    return Route(path, handler, methods=["POST"])


STATUS = "/statuses/{id:int}"

routes = [
    _post(f"{STATUS}/favourite", _toggle(interactions.favourite)),
    _post(f"{STATUS}/unfavourite", _toggle(interactions.unfavourite)),
    _post(f"{STATUS}/reblog", _toggle(_reblog)),
    _post(f"{STATUS}/unreblog", _toggle(interactions.unreblog)),
    _post(f"{STATUS}/bookmark", _toggle(interactions.bookmark)),
    _post(f"{STATUS}/unbookmark", _toggle(interactions.unbookmark)),
    Route(f"{STATUS}/delete", delete_page, methods=["GET"]),
    _post(f"{STATUS}/delete", delete),
    _post("/polls/{id:int}/votes", vote),
]
