"""A strike's page (`/disputes/strikes/:id`, where Mastodon's apps send a person who taps a
`moderation_warning` notification): what the staff decided about their account, under which
rule, why, about which posts, and what it changed. Only the account's owner sees it; anyone
else gets the same 404 as for a strike that does not exist."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from pnyx.core import account_warnings, accounts
from pnyx.edges.http import database
from pnyx.web.message_pages import not_found_page
from pnyx.web.session import respond, see_other, visitor

SIGN_IN = "/auth/sign_in"


async def strike_page(request: Request) -> Response:
    who = await visitor(request)
    if who.user is None:
        return see_other(SIGN_IN)
    strike_id = request.path_params["id"]

    def work(tx):
        row = account_warnings.get(tx, strike_id)
        if row is None or row.target_account_id != who.account_id:
            return None
        return row, accounts.get(tx, row.target_account_id)

    found = await database(request).read(work)
    if found is None:
        return not_found_page(request, who)
    strike, owner = found
    return respond(
        request,
        who,
        "site/strike.html",
        strike=strike,
        owner=owner,
        posts=[int(i) for i in strike.status_ids or []],
        suspended_now=owner.suspended_at is not None,
    )


routes = [Route("/disputes/strikes/{id:int}", strike_page, methods=["GET"])]
