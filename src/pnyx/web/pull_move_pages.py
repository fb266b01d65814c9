"""Announcing a move from the new account, in the browser (`/settings/move/announce`).

For a person whose old server is gone (or will not let them leave): once the archive of the
old account (a Pnyx export: its key in identity.json, its followers in followers.csv) was
imported here, this page lists what can be announced, with a button and the current password.
The rules are `core.pull_moves`', the same as the API's. After the announce the page shows
how far the followers' lookup got (reload it to follow), and which addresses could
not be found, and why. A refusal shows the page again (422) with core's reason, translated.
"""

from __future__ import annotations

import re
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from pnyx.core import moderation, pull_moves
from pnyx.core import remote_store as received
from pnyx.core.errors import CoreError
from pnyx.db.ids import parse_id
from pnyx.edges.http import database
from pnyx.web.auth import N_, form_expired, member, text_field
from pnyx.web.i18n import gettext_for
from pnyx.web.session import Visitor, csrf_ok, read_form, respond, see_other

PATH = "/settings/move/announce"
SIGN_IN = "/auth/sign_in"
FIELD = 2048
STATE_NAMES = {
    pull_moves.READY: N_("Not announced yet"),
    pull_moves.FINDING: N_("Finding your followers on their servers"),
    pull_moves.SENT: N_("Announced: your followers' servers were sent the move"),
}
SAVED = N_(
    "The move is announced. Your followers here follow you now; the others' servers are "
    "being told: this page shows how far it got."
)
WRONG_PASSWORD = "Current password is invalid"
# Core's refusals (`core.pull_moves`), as patterns of its messages and their translations,
# which take the pattern's groups.
REFUSALS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(re.escape(WRONG_PASSWORD)), N_("Current password is invalid")),
    (re.compile(r"Import the archive"), N_("Import the archive of your old account first: its followers and its key come from it.")),
    (re.compile(r"archive of (\S+) carried no key"), N_("The archive of %(n)s carried no key of the old account (identity.json): only a Pnyx export has one.")),
    (re.compile(r"knows (\S+) by another key"), N_("This server knows %(n)s by another key than the one your archive carried: the followers' servers would refuse the move.")),
    (re.compile(r"(\S+) is an account of this server"), N_("%(n)s is an account of this server: move it from its own settings.")),
    (re.compile(r"being announced"), N_("The move is being announced: wait until it is over.")),
    (re.compile(r"has moved"), N_("This account has moved: it cannot announce a move.")),
    (re.compile(r"less than (\d+) days ago"), N_("You announced a move less than %(n)s days ago: wait before announcing again.")),
]  # fmt: skip


def refusal(language: str, exc: CoreError) -> str:
    """Core's reason in the page's language (as it is when no translation matches)."""
    _ = gettext_for(language)
    for pattern, text in REFUSALS:
        found = pattern.search(exc.message)
        if found:
            return _(text, n=found.group(1)) if found.groups() else _(text)
    return exc.message


def _moves(tx: Any, account_id: int) -> dict:
    shown = []
    for row in pull_moves.of_account(tx, account_id):
        old = received.account_by_uri(tx, row.old_uri)
        shown.append(
            {
                "id": row.id,
                "old_uri": row.old_uri,
                "old_acct": f"{old.username}@{old.domain}" if old is not None else None,
                "has_key": row.subject is not None,
                "state": row.state,
                "followers": row.followers,
                "found": row.found,
                "failed": row.failed,
                "inboxes": row.inboxes,
                "announced": row.announced_at,
                "failures": pull_moves.failures(tx, row.id),
            }
        )
    return {"moves": shown, "cooldown_until": pull_moves.cooldown_until(tx, account_id)}


async def _page(
    request: Request, who: Visitor, user: Any, errors: dict[str, list[str]] | None = None
) -> Response:
    _ = gettext_for(who.language)
    context = await database(request).read(_moves, who.account_id)
    for move in context["moves"]:
        move["state_name"] = _(STATE_NAMES.get(move["state"], move["state"]))
    saved = request.query_params.get("saved") == "1" and not errors
    return respond(
        request,
        who,
        "site/settings_pull_move.html",
        status=422 if errors else 200,
        staff=user.role in moderation.STAFF_ROLES,
        errors=errors or {},
        saved=_(SAVED) if saved else None,
        cooldown_days=request.app.state.settings.move_cooldown_days,
        form_path=PATH,
        **context,
    )


async def announce_page(request: Request) -> Response:
    who, user = await member(request)
    if who.user is None or user is None:
        return see_other(SIGN_IN)
    return await _page(request, who, user)


async def announce(request: Request) -> Response:
    who, user = await member(request)
    if who.user is None or user is None:
        return see_other(SIGN_IN)
    form = await read_form(request)
    if not csrf_ok(request, form):
        return form_expired(request, who)
    password = text_field(form, "current_password", FIELD)
    chosen = parse_id(text_field(form, "id", 64))
    try:
        await database(request).write(pull_moves.announce, who.account_id, password, chosen)
    except CoreError as exc:
        field = "current_password" if exc.message.endswith(WRONG_PASSWORD) else ""
        return await _page(request, who, user, {field: [refusal(who.language, exc)]})
    return see_other(PATH + "?saved=1")


routes = [
    Route(PATH, announce_page, methods=["GET"]),
    Route(PATH, announce, methods=["POST"]),
]
