"""Joining the instance from the browser (sign-up), the site's own sign-in page, and what the
account pages (settings, admin) share: who is signed in, their page language, core's messages
in the page's language, and the session cookie.

Sign-up follows the instance's registration mode as an admin set it (`core.instance_settings`),
and goes through `core.accounts.register`, the same rule the Mastodon API uses, so a refused
field gets the same reasons in the browser as in an app.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from pnyx.core import accounts as core_accounts
from pnyx.core import instance as core_instance
from pnyx.core import instance_settings, registrations
from pnyx.core import oauth as core_oauth
from pnyx.core.errors import Forbidden, Invalid
from pnyx.core.passwords import MIN_LENGTH
from pnyx.edges.http import database
from pnyx.web import i18n
from pnyx.web.i18n import gettext_for
from pnyx.web.session import (
    Visitor,
    csrf_ok,
    read_form,
    respond,
    see_other,
    set_session_cookie,
    visitor,
)

Gettext = Callable[[str], str]
SIGN_UP_FIELDS = (
    "username",
    "email",
    "password",
    "password_confirmation",
    "reason",
    "invite_code",
    "date_of_birth",
)


def N_(text: str) -> str:
    """Marks a string for translation where it is defined; it is translated where shown."""
    return text


# Core's messages (English, Mastodon's wording), as translatable text and the field they are
# about. `n` is the number some of them carry.
_CORE_MESSAGES: tuple[tuple[re.Pattern, str, str | None], ...] = tuple(
    (re.compile(pattern + "$"), text, field)
    for pattern, text, field in (
        (
            r"Username must be 1-30 letters, numbers or underscores",
            N_("Username must be 1-30 letters, numbers or underscores"),
            "username",
        ),
        (r"Username is reserved", N_("Username is reserved"), "username"),
        (r"Username has already been taken", N_("Username has already been taken"), "username"),
        (r"Email is invalid", N_("Email is invalid"), "email"),
        (r"Email has already been taken", N_("Email has already been taken"), "email"),
        (
            r"Password is too short \(minimum is (?P<n>\d+) characters\)",
            N_("Password is too short (minimum is %(n)s characters)"),
            "password",
        ),
        (
            r"Password is too long \(maximum is (?P<n>\d+) characters\)",
            N_("Password is too long (maximum is %(n)s characters)"),
            "password",
        ),
        (r"Agreement must be accepted", N_("You must agree to the rules"), "agreement"),
        (r"Reason can't be blank", N_("Please say why you want to join"), "reason"),
        (r"Date of birth can't be blank", N_("Please give your date of birth"), "date_of_birth"),
        (r"Date of birth is invalid", N_("This date of birth is not valid"), "date_of_birth"),
        (
            r"Date of birth is below the age limit",
            N_("You are too young to join this instance"),
            "date_of_birth",
        ),
        (r"Invite code is invalid", N_("Invite code is invalid"), "invite_code"),
        (r"Invite code has expired", N_("Invite code has expired"), "invite_code"),
        (r"Invite code has been used up", N_("Invite code has been used up"), "invite_code"),
        (
            r"Registrations are closed on this instance",
            N_("Registrations are closed on this instance."),
            None,
        ),
        (
            r"Registrations on this instance need an invite",
            N_("An invite code is needed to sign up here."),
            "invite_code",
        ),
        (
            r"Display name is too long \(maximum is (?P<n>\d+) characters\)",
            N_("Display name is too long (maximum is %(n)s characters)"),
            "display_name",
        ),
        (
            r"Note is too long \(maximum is (?P<n>\d+) characters\)",
            N_("Bio is too long (maximum is %(n)s characters)"),
            "note",
        ),
        (
            r"Fields are too many \(maximum is (?P<n>\d+) fields\)",
            N_("Too many profile fields (maximum is %(n)s)"),
            "fields",
        ),
        (
            r"Attribution domains is not a valid domain name",
            N_("One of the websites is not a valid domain name"),
            "attribution_domains",
        ),
        (
            r"Attribution domains is too long \(maximum is (?P<n>\d+) items\)",
            N_("Too many websites (maximum is %(n)s)"),
            "attribution_domains",
        ),
        (
            r"Field name is too long \(maximum is (?P<n>\d+) characters\)",
            N_("A field label is too long (maximum is %(n)s characters)"),
            "fields",
        ),
        (
            r"Field value is too long \(maximum is (?P<n>\d+) characters\)",
            N_("A field content is too long (maximum is %(n)s characters)"),
            "fields",
        ),
        (
            r"Default privacy must be public, unlisted or private",
            N_("Choose a visibility from the list"),
            "privacy",
        ),
        (
            r"Default language is not a valid language code",
            N_("Choose a language from the list"),
            "language",
        ),
        (r"Instance name can't be blank", N_("Instance name can't be blank"), "instance_title"),
        (
            r"Instance name is too long \(maximum is (?P<n>\d+) characters\)",
            N_("Instance name is too long (maximum is %(n)s characters)"),
            "instance_title",
        ),
        (
            r"Description is too long \(maximum is (?P<n>\d+) characters\)",
            N_("Description is too long (maximum is %(n)s characters)"),
            "instance_description",
        ),
        (
            r"Registration mode must be one of .*",
            N_("Choose a registration mode from the list"),
            "registrations",
        ),
        (
            r"Minimum age must be a whole number from 0 to (?P<n>\d+)",
            N_("Minimum age must be a whole number from 0 to %(n)s"),
            "min_age",
        ),
        (r"Rule can't be blank", N_("Rule can't be blank"), "rule"),
        (
            r"Rule is too long \(maximum is (?P<n>\d+) characters\)",
            N_("Rule is too long (maximum is %(n)s characters)"),
            "rule",
        ),
        (r"Rule not found", N_("That rule no longer exists."), None),
        (r"Record not found|No local user for that account", N_("No such account here."), None),
        # core.moderation's refusals, on the admin pages.
        (
            r"You cannot do this to your own account",
            N_("You cannot do this to your own account."),
            None,
        ),
        (r"Only an admin can do this", N_("Only an admin can do this."), None),
        (
            r"Reason for a suspension can't be blank",
            N_("Please give a reason; it is recorded in the moderation log."),
            "reason",
        ),
        (
            r"Cite the instance rule this suspension is taken under .*",
            N_("Please choose the rule broken; it is recorded in the moderation log."),
            "rule_id",
        ),
        (
            r"No such rule: .*",
            N_("That rule does not exist any more: reload the page and choose another."),
            "rule_id",
        ),
        # core.moderation's and core.post_moderation's reach limits and removals, and
        # core.appeals' decisions.
        (
            r"Text can't be blank \(the moderation log needs a reason\)",
            N_("Please give a reason; it is recorded in the moderation log."),
            "reason",
        ),
        (
            r"Cite the instance rule this removal is taken under .*",
            N_("Please choose the rule broken; it is recorded in the moderation log."),
            "rule_id",
        ),
        (
            r"Name at least one post \(status_ids\)",
            N_("None of the reported posts is still here."),
            None,
        ),
        (
            r"The posts of one action must all be by one account",
            N_("The posts of one action must all be by one account."),
            None,
        ),
        (
            r"A different staff member than the one who acted must decide this appeal",
            N_("Another staff member than the one who took the action must decide this appeal."),
            None,
        ),
        (
            r"This appeal has already been decided",
            N_("This appeal has already been decided."),
            None,
        ),
    )
)
# core.oauth's sign-in refusals, translated on the site's sign-in page.
SIGN_IN_MESSAGES = (
    N_("Invalid email/username or password."),
    N_("Your account is suspended. You cannot sign in."),
    N_("Your account is waiting for approval by the staff of this instance."),
)
FORM_EXPIRED = N_("Your form expired. Please go back, reload the page and try again.")


def explain(_: Gettext, message: str) -> tuple[str | None, str]:
    """(field, text in the page's language) for one of core's messages.

    A message core adds later and this table does not know yet is shown as it is (English)
    rather than hidden.
    """
    text = message.removeprefix("Validation failed: ")
    for pattern, msgid, field in _CORE_MESSAGES:
        found = pattern.match(text)
        if found:
            return field, _(msgid) % found.groupdict()
    return None, text


def field_errors(_: Gettext, messages: list[str]) -> dict[str, list[str]]:
    """Core's messages grouped by the input they belong to ("" for the form as a whole)."""
    errors: dict[str, list[str]] = {}
    for message in messages:
        field, text = explain(_, message)
        errors.setdefault(field or "", []).append(text)
    return errors


def text_field(form: dict, name: str, limit: int = 10_000) -> str:
    """A posted text value; a field sent twice (a list) counts as empty."""
    value = form.get(name)
    return value[:limit] if isinstance(value, str) else ""


def checked(form: dict, name: str) -> bool:
    return text_field(form, name) in ("1", "on", "true")


async def member(request: Request) -> tuple[Visitor, object | None]:
    """The visitor and, when signed in, their `users` row; pages of their own account are
    shown in the interface language they chose in their preferences, if any."""
    who = await visitor(request)
    if who.user is None:
        return who, None
    user = await database(request).read(core_accounts.user_for_account, who.user.account_id)
    if user is not None and user.locale:
        language = i18n.negotiate(request.headers.get("accept-language"), preferred=user.locale)
        who = dataclasses.replace(who, language=language)
    return who, user


def message_page(
    request: Request, who: Visitor, heading: str, text: str, *, status: int = 200
) -> HTMLResponse:
    return respond(
        request,
        who,
        "site/auth_message.html",
        status=status,
        heading=heading,
        message=text,
        is_error=status >= 400,
    )


def form_expired(request: Request, who: Visitor) -> HTMLResponse:
    _ = gettext_for(who.language)
    return message_page(request, who, _("Request refused"), _(FORM_EXPIRED), status=403)


def with_session(request: Request, location: str, secret: str) -> Response:
    """Go to `location` with a new session cookie, flagged as the OAuth sign-in sets it."""
    response = see_other(location)
    set_session_cookie(request, response, secret)
    return response


# --- Sign-in page of the site (the OAuth flow keeps its own, in pages.py) ------------------------


def sign_in_page(
    request: Request, who: Visitor, *, error: str | None = None, login: str = "", status: int = 200
) -> HTMLResponse:
    _ = gettext_for(who.language)
    return respond(
        request,
        who,
        "site/auth_sign_in.html",
        status=status,
        error=_(error) if error else None,
        login=login,
    )


# --- Sign-up ----------------------------------------------------------------------------------


class _Refused(Exception):
    """Raised inside the sign-up transaction so that nothing it did is kept."""

    def __init__(self, problems: list[str]):
        super().__init__(", ".join(problems))
        self.problems = problems


def _sign_up_context(tx) -> dict:
    settings = instance_settings.effective_settings(tx)
    return {
        "mode": settings.registrations,
        "rules": core_instance.rule_rows(tx),
        "domain": settings.domain,
        "min_password": MIN_LENGTH,
        "min_age": settings.min_age,
    }


def _sign_up_page(request, who, context, *, values=None, errors=None, status=200):
    return respond(
        request,
        who,
        "site/auth_sign_up.html",
        status=status,
        values=values or {},
        errors=errors or {},
        **context,
    )


async def sign_up_page(request: Request) -> Response:
    """GET /auth/sign_up: the form for the current registration mode."""
    who = await visitor(request)
    if who.user is not None:
        return see_other("/home")
    context = await database(request).read(_sign_up_context)
    invite = (request.query_params.get("invite_code") or "")[:100]
    return _sign_up_page(request, who, context, values={"invite_code": invite})


async def sign_up(request: Request) -> Response:
    """POST /auth/sign_up: create the account; signed in at once unless it awaits approval."""
    who = await visitor(request)
    form = await read_form(request)
    if not csrf_ok(request, form):
        return form_expired(request, who)
    if who.user is not None:
        return see_other("/home")
    _ = gettext_for(who.language)
    values = {name: text_field(form, name, 2048) for name in SIGN_UP_FIELDS}
    values["username"] = values["username"].strip()[:200]
    values["email"] = values["email"].strip()[:400]
    values["invite_code"] = values["invite_code"].strip()[:100]
    values["date_of_birth"] = values["date_of_birth"].strip()[:32]
    agreement = values["agreement"] = checked(form, "agreement")
    user_agent = request.headers.get("user-agent")

    def work(tx):
        tx = instance_settings.under_overrides(tx)
        mode = tx.settings.registrations
        if mode == "closed" and not values["invite_code"]:
            raise Forbidden("Registrations are closed on this instance")
        if mode == "invite" and not values["invite_code"]:
            raise _Refused(["Registrations on this instance need an invite"])
        mismatch = values["password"] != values["password_confirmation"]
        try:
            account_id, user_id = registrations.register(
                tx,
                values["username"],
                values["email"],
                values["password"],
                reason=values["reason"].strip()[:1000] or None,
                invite_code=values["invite_code"] or None,
                agreement=agreement,
                date_of_birth=values["date_of_birth"] or None,
            )
        except registrations.RegistrationInvalid as exc:
            raise _Refused(exc.problems + (["confirmation"] if mismatch else [])) from None
        except Invalid as exc:
            raise _Refused([exc.message] + (["confirmation"] if mismatch else [])) from None
        if mismatch:
            raise _Refused(["confirmation"])  # undoes the account just made
        user = core_accounts.user_for_account(tx, account_id)
        return core_oauth.start_session(tx, user_id, user_agent) if user.approved else None

    db = database(request)
    try:
        secret = await db.write(work)
    except Forbidden:
        context = await db.read(_sign_up_context)
        return _sign_up_page(request, who, context, values=values, status=403)
    except _Refused as exc:
        errors = field_errors(_, [p for p in exc.problems if p != "confirmation"])
        if "confirmation" in exc.problems:
            errors.setdefault("password_confirmation", []).append(_("Passwords do not match"))
        context = await db.read(_sign_up_context)
        values["password"] = values["password_confirmation"] = ""
        return _sign_up_page(request, who, context, values=values, errors=errors, status=422)
    if secret is not None:
        return with_session(request, "/home", secret)
    return message_page(
        request,
        who,
        _("Thank you for signing up"),
        _(
            "Your account @%(name)s was created. A moderator of this instance will review it; "
            "you can sign in once it is approved."
        )
        % {"name": values["username"]},
    )


routes = [
    Route("/auth/sign_up", sign_up_page, methods=["GET"]),
    Route("/auth/sign_up", sign_up, methods=["POST"]),
]
