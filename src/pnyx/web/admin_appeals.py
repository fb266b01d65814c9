"""Appeals in the browser, for moderators and admins: the appeals waiting for a decision (who
appeals, what the staff did and under which rule, why, and what the person answers), each
approved or rejected with an optional note.

`core.appeals.decide` says who may decide (never the staff member who took the action, nor
anyone their own strike; a moderator only ordinary users'), reverses what an approval can
undo, logs the outcome and tells the person. These handlers only read the form and show core's
answer, refusals included, in the page's language.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from pnyx.core import admin_accounts
from pnyx.core import appeals as core_appeals
from pnyx.core.errors import CoreError, NotFound
from pnyx.edges.http import database
from pnyx.web.admin import staff_post, staff_visitor
from pnyx.web.auth import N_, explain, text_field
from pnyx.web.i18n import gettext_for
from pnyx.web.post_views import acct_path
from pnyx.web.session import Visitor, respond, see_other

DONE = {
    "approve": N_("The appeal was approved: what the decision changed was undone where it can be."),
    "reject": N_("The appeal was rejected: the decision stands."),
}
GONE = N_("This appeal is not here any more.")
# What each strike did, as the staff read it here.
ACTIONS = {
    "none": N_("Warning"),
    "suspend": N_("Suspension"),
    "silence": N_("Account limited"),
    "sensitive": N_("Media marked sensitive"),
    "delete_statuses": N_("Posts removed"),
    "mark_statuses_as_sensitive": N_("Posts marked sensitive"),
    "remove_from_trends": N_("Post taken out of the trends"),
}


def _name(row) -> str:
    """`name` or `name@domain`, as the admin pages write an account."""
    return acct_path(row.username, row.domain)[2:]


def _items(tx) -> list[dict]:
    waiting = core_appeals.pending(tx)
    actors = admin_accounts.several(tx, [p.strike.account_id for p in waiting])
    return [
        {
            "appeal": p.appeal,
            "strike": p.strike,
            "who": _name(p.account),
            "who_path": acct_path(p.account.username, p.account.domain),
            "actor": _name(actors[p.strike.account_id]) if p.strike.account_id in actors else None,
            "posts": [
                f"{acct_path(p.account.username, p.account.domain)}/{status_id}"
                for status_id in (p.strike.status_ids or [])[:20]
            ],
        }
        for p in waiting
    ]


async def _page(
    request: Request,
    who: Visitor,
    is_admin: bool,
    *,
    error: str | None = None,
    code: int = 200,
) -> Response:
    items = await database(request).read(_items)
    _ = gettext_for(who.language)
    key = request.query_params.get("done")
    return respond(
        request,
        who,
        "site/admin_appeals.html",
        status=code,
        appeals=items,
        actions={k: _(v) for k, v in ACTIONS.items()},
        is_admin=is_admin,
        done=_(DONE[key]) if key in DONE and error is None else None,
        error=error,
    )


async def appeals_page(request: Request) -> Response:
    found, refusal = await staff_visitor(request)
    if refusal:
        return refusal
    who, by = found
    return await _page(request, who, by.is_admin)


async def decide(request: Request) -> Response:
    """POST /admin/appeals/{id}/approve or /reject, with an optional note for the log."""
    who, by, form = await staff_post(request)
    if who is None:
        return form  # the refusal
    verdict = request.path_params["verdict"]
    if verdict not in DONE:
        return Response(status_code=404)
    reason = text_field(form, "reason", 2000)
    try:
        await database(request).write(
            lambda tx: core_appeals.decide(
                tx, by, request.path_params["id"], approve=verdict == "approve", reason=reason
            )
        )
    except NotFound:
        error = gettext_for(who.language)(GONE)
        return await _page(request, who, by.is_admin, error=error, code=404)
    except CoreError as exc:
        error = explain(gettext_for(who.language), exc.message)[1]
        return await _page(request, who, by.is_admin, error=error, code=exc.status)
    return see_other(f"/admin/appeals?done={verdict}")


routes = [
    Route("/admin/appeals", appeals_page, methods=["GET"]),
    Route("/admin/appeals/{id:int}/{verdict}", decide, methods=["POST"]),
]
