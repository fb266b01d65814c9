"""A person's standing: their strikes (`/disputes/strikes`), each strike's page
(`/disputes/strikes/:id`, where Mastodon's apps send a person who taps a `moderation_warning`
notification) and its appeal form.

A strike's page says what the staff decided about the account, under which rule, why, about
which posts (with what a removed post said: it is theirs), what it changed and whether that
still holds, and lets its owner appeal once (`core.appeals`). The list also shows every reach
limit in force on the account now, read from the states themselves (`core.reach.current`):
nothing limits a person without their seeing it here.

These are the only pages a suspended person can sign in to (`suspended_ok`): they can read
their strikes and appeal. Only the account's owner sees a strike; anyone else gets the same
404 as for a strike that does not exist.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from pnyx.core import account_warnings, accounts, appeals, instance_labels, reach
from pnyx.core.errors import CoreError
from pnyx.edges.http import database
from pnyx.web.auth import N_, text_field
from pnyx.web.i18n import gettext_for
from pnyx.web.message_pages import not_found_page
from pnyx.web.session import csrf_ok, read_form, respond, see_other, visitor

SIGN_IN = "/auth/sign_in"
APPEAL_MESSAGES = {
    appeals.TEXT_REQUIRED: N_("Please say why the decision should be reversed."),
    appeals.TEXT_TOO_LONG: N_("Your appeal is too long (at most 2,000 characters)."),
    appeals.ALREADY: N_("You have already appealed this decision."),
}


async def strikes_page(request: Request) -> Response:
    who = await visitor(request, suspended_ok=True)
    if who.user is None:
        return see_other(SIGN_IN)
    owner_id = who.user.account_id

    def work(tx):
        strikes = account_warnings.of_account(tx, owner_id)
        return (
            strikes,
            appeals.of_strikes(tx, [s.id for s in strikes]),
            reach.current(tx, owner_id),
            accounts.get(tx, owner_id),
        )

    strikes, appealed, limits, owner = await database(request).read(work)
    return respond(
        request,
        who,
        "site/strikes.html",
        strikes=strikes,
        appealed=appealed,
        limits=limits,
        owner=owner,
        suspended_now=owner.suspended_at is not None,
    )


async def _strike_page(
    request: Request, who, strike_id: int, *, error: str | None = None, text: str = "", code=200
) -> Response:
    owner_id = who.user.account_id

    def work(tx):
        row = account_warnings.get(tx, strike_id)
        if row is None or row.target_account_id != owner_id:
            return None
        owner = accounts.get(tx, owner_id)
        in_force = {limit.state: limit for limit in reach.current(tx, owner_id)}
        value = instance_labels.value_of_strike(tx, strike_id) if row.action == "label" else None
        return row, owner, appeals.of_strike(tx, strike_id), in_force, value

    found = await database(request).read(work)
    if found is None:
        return not_found_page(request, who)
    strike, owner, appeal, in_force, label_value = found
    return respond(
        request,
        who,
        "site/strike.html",
        status=code,
        strike=strike,
        owner=owner,
        appeal=appeal,
        posts=[int(i) for i in strike.status_ids or []],
        removed=strike.removed_posts or [],
        suspended_now=owner.suspended_at is not None,
        in_force=in_force.get(strike.action),
        label_value=label_value,
        error=error,
        appeal_text=text,
        appealed_now=request.query_params.get("done") == "appeal",
    )


async def strike_page(request: Request) -> Response:
    who = await visitor(request, suspended_ok=True)
    if who.user is None:
        return see_other(SIGN_IN)
    return await _strike_page(request, who, request.path_params["id"])


async def appeal(request: Request) -> Response:
    """POST /disputes/strikes/:id/appeal: the owner's appeal, once."""
    who = await visitor(request, suspended_ok=True)
    if who.user is None:
        return see_other(SIGN_IN)
    strike_id = request.path_params["id"]
    form = await read_form(request)
    _ = gettext_for(who.language)
    text = text_field(form, "text", appeals.MAX_TEXT + 1000)
    if not csrf_ok(request, form):
        message = _("Your form expired. Please go back, reload the page and try again.")
        return await _strike_page(request, who, strike_id, error=message, text=text, code=403)
    try:
        await database(request).write(appeals.submit, who.user.account_id, strike_id, text)
    except CoreError as exc:
        if exc.status == 404:
            return not_found_page(request, who)
        message = exc.message.removeprefix("Validation failed: ")
        shown = _(APPEAL_MESSAGES[message]) if message in APPEAL_MESSAGES else message
        return await _strike_page(request, who, strike_id, error=shown, text=text, code=422)
    return see_other(f"/disputes/strikes/{strike_id}?done=appeal")


routes = [
    Route("/disputes/strikes", strikes_page, methods=["GET"]),
    Route("/disputes/strikes/{id:int}", strike_page, methods=["GET"]),
    Route("/disputes/strikes/{id:int}/appeal", appeal, methods=["POST"]),
]
