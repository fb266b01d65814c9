"""Aliases and moving out, in the browser (`/settings/aliases`, `/settings/move`, issue 14).

Mastodon's two pages (Settings > Account > "Moving from a different account" and "Moving to a
different account"), with the same rules (`core.account_moves`, shared with the Pnyx API):

- aliases: the person names their other accounts by handle; each is looked up (on its server
  when it lives elsewhere, before any transaction) and its uri is published as `alsoKnownAs`;
  any can be removed;
- moving: the new account's handle and the current password. The new account is read again
  from its server (it must name this one as an alias now), then the account moves: followers
  here and elsewhere follow the new account, the profile says where it went. The page shows
  where the account moved, the past moves and, during the cooldown, when it may move again.

Every form posts with the CSRF token and comes back (303) with a confirmation; a refusal shows
the page again (422) with core's reason, translated. `moved_to` is what a profile page shows
of an account that moved ("has moved to").
"""

from __future__ import annotations

import re

import anyio.to_thread
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from pnyx.core import account_moves, moderation
from pnyx.core import accounts as core_accounts
from pnyx.core.errors import CoreError
from pnyx.edges.http import database
from pnyx.federation import move_targets
from pnyx.federation.resolve import ResolveError
from pnyx.web.auth import N_, form_expired, member, text_field
from pnyx.web.i18n import gettext_for
from pnyx.web.post_views import acct_path
from pnyx.web.session import Visitor, csrf_ok, read_form, respond, see_other

ALIASES = "/settings/aliases"
MOVE = "/settings/move"
SIGN_IN = "/auth/sign_in"
FIELD = 2048
SAVED = {
    "added": N_("The alias was added. Other servers now see it on your profile."),
    "removed": N_("The alias was removed."),
    "moved": N_("Your account has moved. Your followers are being moved to the new account."),
}
NO_HANDLE = N_("Enter the handle of an account, such as name@example.org.")
NOT_FOUND = N_("No account was found with this handle.")
# Core's refusals (`core.account_moves`), as translatable text; `%(...)s` are filled in from
# the English message.
CORE_MESSAGES = {
    account_moves.NOT_FOUND: N_("The account could not be found"),
    account_moves.OWN_ACCOUNT: N_("You cannot name your own account"),
    account_moves.ALREADY_ALIAS: N_("This account is already an alias"),
    account_moves.TOO_MANY: N_("You have too many aliases: remove one first"),
    account_moves.NOT_AN_ALIAS: N_("This account is not one of your aliases"),
    account_moves.WRONG_PASSWORD: N_("Current password is invalid"),
    account_moves.MOVE_TO_SELF: N_("You cannot move to your own account"),
    account_moves.NOT_LINKED: N_(
        "@%(target)s does not name this account as an alias (alsoKnownAs): add @%(me)s as an "
        "alias on @%(target)s first"
    ),
    account_moves.ALREADY_MOVED: N_("You already moved to @%(target)s"),
    account_moves.ON_COOLDOWN: N_(
        "You moved less than %(days)s days ago: you can move again after %(when)s"
    ),
}


def _pattern(message: str) -> re.Pattern:
    """A regex matching `message` with its `%(name)s` filled in (a name seen twice matches the
    same text twice)."""
    regex, seen = "", set()
    for i, part in enumerate(re.split(r"%\((\w+)\)s", message)):
        if i % 2 == 0:
            regex += re.escape(part)
        else:
            regex += f"(?P={part})" if part in seen else f"(?P<{part}>.+?)"
            seen.add(part)
    return re.compile(regex + "$")


_PATTERNS = [(_pattern(english), text) for english, text in CORE_MESSAGES.items()]


def explained(language: str, exc: CoreError) -> str:
    """Core's refusal in the page's language (a message not known here is shown as it is)."""
    _ = gettext_for(language)
    message = exc.message.removeprefix("Validation failed: ")
    for pattern, text in _PATTERNS:
        found = pattern.match(message)
        if found:
            return _(text, **found.groupdict()) if found.groupdict() else _(text)
    return message


def moved_to(tx, row) -> dict | None:
    """What a profile shows of the account `row` moved to: its handle and page; or None."""
    target = account_moves.moved_to(tx, row)
    if target is None:
        return None
    return {
        "acct": account_moves.acct_of(tx, target),
        "name": target.display_name or target.username,
        "path": acct_path(target.username, target.domain),
    }


def _shown(tx, row) -> dict:
    return {
        "acct": account_moves.acct_of(tx, row),
        "name": row.display_name or row.username,
        "path": acct_path(row.username, row.domain),
    }


def _aliases(tx, account_id: int) -> dict:
    me = core_accounts.get(tx, account_id)
    return {
        "me_acct": account_moves.acct_of(tx, me),
        "aliases": [
            {"uri": a.uri, "account": _shown(tx, a.account) if a.account is not None else None}
            for a in account_moves.aliases(tx, account_id)
        ],
    }


def _move_state(tx, account_id: int) -> dict:
    me = core_accounts.get(tx, account_id)
    until = account_moves.cooldown_until(tx, account_id)
    return {
        "me_acct": account_moves.acct_of(tx, me),
        "moved": moved_to(tx, me),
        "cooldown_until": until.strftime("%Y-%m-%d %H:%M UTC") if until else None,
        "cooldown_days": tx.settings.move_cooldown_days,
        "moves": [
            {
                "target": _shown(tx, m.target) if m.target is not None else None,
                "target_uri": m.target_uri,
                "date": m.created_at.strftime("%Y-%m-%d"),
            }
            for m in account_moves.moves(tx, account_id)
        ],
    }


async def _page(request, who: Visitor, user, kind: str, *, errors=None, **values) -> Response:
    db = database(request)
    if kind == "aliases":
        template, context = "site/settings_aliases.html", await db.read(_aliases, who.account_id)
    else:
        template, context = "site/settings_move.html", await db.read(_move_state, who.account_id)
    key = request.query_params.get("saved")
    saved = gettext_for(who.language)(SAVED[key]) if key in SAVED and not errors else None
    values.setdefault("handle", "")
    return respond(
        request,
        who,
        template,
        status=422 if errors else 200,
        staff=user.role in moderation.STAFF_ROLES,
        errors=errors or {},
        saved=saved,
        **context,
        **values,
    )


async def _signed_in(request: Request):
    who, user = await member(request)
    if who.user is None or user is None:
        return who, user, see_other(SIGN_IN)
    return who, user, None


async def aliases_page(request: Request) -> Response:
    who, user, refusal = await _signed_in(request)
    return refusal or await _page(request, who, user, "aliases")


async def move_page(request: Request) -> Response:
    who, user, refusal = await _signed_in(request)
    return refusal or await _page(request, who, user, "move")


async def _posted(request: Request):
    """(visitor, users row, form, None), or (..., the answer to send instead)."""
    who, user, refusal = await _signed_in(request)
    if refusal:
        return who, user, None, refusal
    form = await read_form(request)
    if not csrf_ok(request, form):
        return who, user, form, form_expired(request, who)
    return who, user, form, None


async def _found(request: Request, handle: str, *, fresh: bool) -> int | None:
    db, settings = database(request), request.app.state.settings
    try:
        return await anyio.to_thread.run_sync(
            lambda: move_targets.find_account(db, settings, handle, fresh=fresh)
        )
    except ResolveError:
        return None


async def add_alias(request: Request) -> Response:
    who, user, form, refusal = await _posted(request)
    if refusal:
        return refusal
    _ = gettext_for(who.language)
    handle = text_field(form, "handle", FIELD).strip()
    if not handle:
        return await _page(request, who, user, "aliases", errors={"handle": [_(NO_HANDLE)]})
    target_id = await _found(request, handle, fresh=False)
    if target_id is None:
        errors = {"handle": [_(NOT_FOUND)]}
        return await _page(request, who, user, "aliases", errors=errors, handle=handle)
    try:
        await database(request).write(account_moves.add_alias, who.account_id, target_id)
    except CoreError as exc:
        errors = {"handle": [explained(who.language, exc)]}
        return await _page(request, who, user, "aliases", errors=errors, handle=handle)
    return see_other(f"{ALIASES}?saved=added")


async def remove_alias(request: Request) -> Response:
    who, user, form, refusal = await _posted(request)
    if refusal:
        return refusal
    uri = text_field(form, "uri", FIELD)
    try:
        await database(request).write(account_moves.remove_alias, who.account_id, uri)
    except CoreError:
        return see_other(ALIASES)  # already gone: the page shows what is left
    return see_other(f"{ALIASES}?saved=removed")


async def move(request: Request) -> Response:
    who, user, form, refusal = await _posted(request)
    if refusal:
        return refusal
    _ = gettext_for(who.language)
    handle = text_field(form, "handle", FIELD).strip()
    password = text_field(form, "current_password", FIELD)
    me = who.account_id
    db = database(request)

    def before(tx):
        account_moves.check_password(tx, me, password)
        waiting = account_moves.cooldown_refusal(tx, me)
        if waiting is not None:
            raise CoreError(waiting)

    async def refused(field: str, message: str) -> Response:
        return await _page(request, who, user, "move", errors={field: [message]}, handle=handle)

    if not handle:
        return await refused("handle", _(NO_HANDLE))
    try:
        await db.write(before)
    except CoreError as exc:
        wrong = exc.message.endswith(account_moves.WRONG_PASSWORD)
        return await refused("current_password" if wrong else "", explained(who.language, exc))
    target_id = await _found(request, handle, fresh=True)
    if target_id is None:
        return await refused("handle", _(NOT_FOUND))
    try:
        await db.write(account_moves.move_out, me, target_id, password)
    except CoreError as exc:
        return await refused("handle", explained(who.language, exc))
    return see_other(f"{MOVE}?saved=moved")


routes = [
    Route(ALIASES, aliases_page, methods=["GET"]),
    Route(ALIASES, add_alias, methods=["POST"]),
    Route(f"{ALIASES}/remove", remove_alias, methods=["POST"]),
    Route(MOVE, move_page, methods=["GET"]),
    Route(MOVE, move, methods=["POST"]),
]
