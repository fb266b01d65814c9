"""Copying an account live from another server, in the browser (`/settings/import/copy`,
LOLA, issue 14: this server is the destination).

1. The page's form takes the old account's address. This server finds the old server's
   portability endpoint, registers there as an app (once per server) and sends the browser
   there (303) with a `state` kept with the copy, and PKCE when the old server offers it.
2. The person signs in at their old server and allows the copy. It sends the browser back
   to `/settings/import/copy/callback`: the `state` must be one this person started here
   (anything else is refused), the code is exchanged for the token, and the copy job starts
   with the actor the old server named.
3. The page shows each copy's progress (it reloads itself while one runs), what was skipped
   and why, and what failed; once a copy is over, a separate button follows the same
   accounts as the old account did (LOLA leaves that to the person).

Every failure is a page that says what happened: an address that is none, a server that does
not answer or does not offer copies, a copy refused at the old server, an answer that matches
no copy. The rules are `core.lola`'s and the network `federation.lola_client`'s, the same as
the API's (`/api/v1/pnyx/copies`).
"""

from __future__ import annotations

from typing import Any

import anyio.to_thread
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from pnyx.core import moderation
from pnyx.core.errors import CoreError, NotFound
from pnyx.core.lola import following, transfers
from pnyx.db.ids import parse_id
from pnyx.edges.http import database, without_nul
from pnyx.federation import lola_client
from pnyx.web.archive_import_pages import SKIP_NAMES
from pnyx.web.auth import N_, form_expired, member, text_field
from pnyx.web.i18n import gettext_for
from pnyx.web.rendering import CSP
from pnyx.web.session import Visitor, csrf_ok, read_form, respond, see_other

PATH = "/settings/import/copy"
CALLBACK = lola_client.CALLBACK_PATH
SIGN_IN = "/auth/sign_in"
RECENT = 10
SHOWN_FOLLOW_FAILURES = 100

STATE_NAMES = {
    transfers.QUEUED: N_("Waiting to start"),
    transfers.RUNNING: N_("In progress"),
    transfers.FINISHED: N_("Finished"),
    transfers.FAILED: N_("Stopped"),
    transfers.DENIED: N_("Not allowed at the old server"),
}
PHASE_NAMES = {
    transfers.CONTENT: N_("Copying posts"),
    transfers.LIKED: N_("Copying favourites"),
    transfers.BLOCKED: N_("Copying blocks"),
    transfers.FOLLOWING: N_("Reading whom you follow"),
}
# `federation.lola_client.PROBLEMS`, translated.
PROBLEMS = {
    "address": N_("Enter the address of your old account: name@server, or its URL."),
    "unreachable": N_("%(server)s could not be reached: %(detail)s"),
    "no_account": N_("%(server)s does not know this account: %(detail)s"),
    "unsupported": N_("%(server)s does not offer live copies of accounts (LOLA)."),
    "registration": N_("%(server)s did not let this server register to ask for the copy: %(detail)s"),
    "token": N_("%(server)s did not grant the copy: %(detail)s"),
    "actor": N_("%(server)s named an account on another server (%(detail)s): refused."),
    "same": N_("This account is on this server already."),
}  # fmt: skip
# Refusals of core, translated.
REFUSALS = {
    transfers.ALREADY: N_("A copy of an account is already under way: wait until it is over."),
    transfers.TOO_MANY: N_("Too many copies are waiting for an authorization: finish or wait for one."),
    following.NOTHING: N_("There is nobody to follow from this copy."),
    following.NOT_OVER: N_("The copy is not over yet: follow the same accounts once it is."),
    following.ASKED: N_("You already asked to follow the same accounts."),
}  # fmt: skip
WRONG_STATE = N_(
    "This answer from your old server matches no copy you started here. Nothing was copied: "
    "start again from this page."
)
SIGN_IN_FIRST = N_(
    "Sign in here in this browser, then start the copy again: the answer of your old server "
    "must come back to the person who asked for the copy."
)
DENIED = N_("You did not allow the copy at %(server)s. Nothing was copied.")
REFUSED = N_("%(server)s refused the copy: %(detail)s")
STARTED = N_(
    "Your old server allowed the copy of %(actor)s. It is under way: this page shows how far "
    "it got."
)
FOLLOWING_STARTED = N_("The same accounts are being followed: this page shows how far it got.")


def problem(who: Visitor, exc: lola_client.LolaError) -> str:
    _ = gettext_for(who.language)
    return _(PROBLEMS[exc.kind], server=exc.server, detail=exc.detail)


def refusal(who: Visitor, exc: CoreError) -> str:
    _ = gettext_for(who.language)
    return _(REFUSALS[exc.message]) if exc.message in REFUSALS else exc.message


def _shown(row: Any, _, follow_failures: list[Any]) -> dict:
    processed = row.imported + row.skipped + row.failed
    return {
        "id": row.id,
        "actor": row.source_actor_uri or row.source,
        "state": row.state,
        "state_name": _(STATE_NAMES.get(row.state, row.state)),
        "phase_name": _(PHASE_NAMES[row.phase]) if row.phase in PHASE_NAMES else "",
        "active": row.state in transfers.ACTIVE,
        "total": max(row.total, processed),
        "processed": processed,
        "row": row,
        "skipped_names": sorted(
            (_(SKIP_NAMES.get(reason, reason)), n) for reason, n in (row.skip_reasons or {}).items()
        ),
        "failures": list(row.failures or []),
        "may_follow": row.state == transfers.FINISHED
        and row.follows_found > 0
        and row.follows_requested_at is None,
        "following": row.follows_requested_at is not None,
        "follows_done": row.followed + row.follows_failed,
        "follow_failures": follow_failures,
        "created": row.created_at,
        "finished": row.finished_at,
    }


def _read(tx, account_id: int) -> list[tuple[Any, list[Any]]]:
    rows = transfers.of_account(tx, account_id, RECENT)
    return [
        (row, following.failures(tx, row.id, SHOWN_FOLLOW_FAILURES) if row.follows_failed else [])
        for row in rows
    ]


async def _page(
    request: Request,
    who: Visitor,
    user: Any,
    *,
    error: str | None = None,
    notice: str | None = None,
    source: str = "",
    status: int | None = None,
) -> Response:
    _ = gettext_for(who.language)
    found = await database(request).read(_read, who.user.account_id)
    copies = [_shown(row, _, failures) for row, failures in found]
    response = respond(
        request,
        who,
        "site/settings_import_copy.html",
        status=status or (422 if error else 200),
        staff=user.role in moderation.STAFF_ROLES,
        error=error,
        notice=notice,
        source=source,
        copies=copies,
        running=any(
            c["active"] or (c["following"] and c["follows_done"] < c["row"].follows_found)
            for c in copies
        ),
        form_path=PATH,
    )
    response.headers["Content-Security-Policy"] = _policy(request)
    return response


def _policy(request: Request) -> str:
    """The site's policy, but the form may lead to another server: browsers apply
    `form-action` to the redirect that follows a form, and this one goes to the old server's
    authorization page (as the consent page's goes to the app's). Web addresses only."""
    schemes = "https:" if request.app.state.settings.effective_scheme == "https" else "https: http:"
    return CSP.replace("form-action 'self'", f"form-action 'self' {schemes}")


async def copy_page(request: Request) -> Response:
    who, user = await member(request)
    if who.user is None or user is None:
        return see_other(SIGN_IN)
    _ = gettext_for(who.language)
    notice = _(FOLLOWING_STARTED) if request.query_params.get("following") == "1" else None
    started = parse_id(request.query_params.get("started"))
    if started is not None:
        row = await database(request).read(_own_or_none, who.user.account_id, started)
        if row is not None and row.source_actor_uri:
            notice = _(STARTED, actor=row.source_actor_uri)
    return await _page(request, who, user, notice=notice)


def _own_or_none(tx, account_id: int, transfer_id: int) -> Any:
    try:
        return transfers.own(tx, account_id, transfer_id)
    except NotFound:
        return None


async def start(request: Request) -> Response:
    """The form: find the old server, register there, and send the browser there."""
    who, user = await member(request)
    if who.user is None or user is None:
        return see_other(SIGN_IN)
    form = await read_form(request)
    if not csrf_ok(request, form):
        return form_expired(request, who)
    source = text_field(form, "source", 600).strip()
    db, settings = database(request), request.app.state.settings
    try:
        _id, url = await anyio.to_thread.run_sync(
            lambda: lola_client.prepare(db, settings, who.user.account_id, source)
        )
    except lola_client.LolaError as exc:
        return await _page(request, who, user, error=problem(who, exc), source=source)
    except CoreError as exc:
        return await _page(request, who, user, error=refusal(who, exc), source=source)
    return see_other(url)


async def callback(request: Request) -> Response:
    """The old server sends the browser back: with a code (allowed), or an error (denied)."""
    who, user = await member(request)
    query = request.query_params
    _ = gettext_for(who.language)
    db, settings = database(request), request.app.state.settings
    row = await db.read(transfers.awaiting, (query.get("state") or "")[:200])
    mine = row is not None and who.user is not None and row.account_id == who.user.account_id
    if row is not None and not mine and (who.user is not None or row.started_via != "api"):
        row = None  # another person's copy: as if there were none
    if row is None or (who.user is None and row.started_via != "api"):
        if who.user is None or user is None:
            return _message(request, who, _("Copy refused"), _(SIGN_IN_FIRST), 403)
        return await _page(request, who, user, error=_(WRONG_STATE), status=400)
    server = str((row.endpoints or {}).get("origin", "")).split("://", 1)[-1]
    error, code = query.get("error"), query.get("code")
    if error or not code:
        said = without_nul(query.get("error_description") or error or "no code")[:300]
        denied = error == "access_denied"
        await db.write(
            transfers.denied,
            row.id,
            said,
            state=transfers.DENIED if denied else transfers.FAILED,
        )
        text = _(DENIED, server=server) if denied else _(REFUSED, server=server, detail=said)
        if who.user is None or user is None:
            return _message(request, who, _("Copy refused"), text, 200 if denied else 422)
        return await _page(request, who, user, error=text, status=200 if denied else 422)
    try:
        await anyio.to_thread.run_sync(
            lambda: lola_client.complete(
                db, settings, row, code[:2000], query.get("activitypub_actor")
            )
        )
    except lola_client.LolaError as exc:
        if who.user is None or user is None:
            return _message(request, who, _("Copy refused"), problem(who, exc), 422)
        return await _page(request, who, user, error=problem(who, exc))
    except CoreError as exc:
        if who.user is None or user is None:
            return _message(request, who, _("Copy refused"), refusal(who, exc), 422)
        return await _page(request, who, user, error=refusal(who, exc))
    if who.user is None:
        return _message(
            request,
            who,
            _("Copy under way"),
            _(
                "Your old server allowed the copy. It is under way: go back to your app to follow it."
            ),
            200,
        )
    return see_other(f"{PATH}?started={row.id}")


def _message(request: Request, who: Visitor, heading: str, text: str, status: int) -> Response:
    return respond(
        request,
        who,
        "site/auth_message.html",
        status=status,
        heading=heading,
        message=text,
        is_error=status >= 400,
    )


async def follow_same(request: Request) -> Response:
    """The separate step: follow the accounts the old account followed."""
    who, user = await member(request)
    if who.user is None or user is None:
        return see_other(SIGN_IN)
    form = await read_form(request)
    if not csrf_ok(request, form):
        return form_expired(request, who)
    transfer_id = parse_id(request.path_params.get("id"))
    if transfer_id is None:
        raise NotFound()
    try:
        await database(request).write(following.request, who.user.account_id, transfer_id)
    except NotFound:
        raise
    except CoreError as exc:
        return await _page(request, who, user, error=refusal(who, exc))
    return see_other(PATH + "?following=1")


routes = [
    Route(PATH, copy_page, methods=["GET"]),
    Route(PATH, start, methods=["POST"]),
    Route(CALLBACK, callback, methods=["GET"]),
    Route(PATH + "/{id}/follow", follow_same, methods=["POST"]),
]
