"""What the post and profile pages share: the gate every form post goes through, safe
redirects back to where a form came from, error pages, and plain-text excerpts for previews.

Forms post and then send the browser back (303) to the page they came from. That address
comes from the form itself, so it is only followed when it is a path on this site: anything
else ("//evil.example", "https://...", "/\\evil") would make us an open redirect.
"""

from __future__ import annotations

import html
import re

import nh3
import sqlalchemy as sa
from starlette.requests import Request
from starlette.responses import Response

from pnyx.core import status_views
from pnyx.core.errors import CoreError
from pnyx.db.ids import parse_id
from pnyx.db.tables import accounts, statuses
from pnyx.presenters import entities
from pnyx.web.i18n import gettext_for
from pnyx.web.session import Visitor, csrf_ok, read_form, respond, see_other, visitor

MAX_RETURN_TO = 2000
_BREAKS = re.compile(r"<br\s*/?>|</p>|</li>|</h\d>", re.IGNORECASE)
_SPACES = re.compile(r"\s+")


def form_str(form: dict, key: str, default: str = "") -> str:
    """One text field; a field sent several times counts by its first value."""
    value = form.get(key, default)
    if isinstance(value, list):
        value = value[0] if value else default
    return value if isinstance(value, str) else default


def form_list(form: dict, key: str) -> list[str]:
    value = form.get(key)
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def safe_return(value: str | None) -> str | None:
    """A local path to go back to, or None: only "/..." and never "//..." or "/\\...", which
    browsers would take to another host, nor anything with control characters."""
    if not value or not isinstance(value, str) or len(value) > MAX_RETURN_TO:
        return None
    if not value.startswith("/") or value.startswith(("//", "/\\")):
        return None
    if "\\" in value or any(ord(c) < 0x20 or ord(c) == 0x7F for c in value):
        return None
    return value


def back(form: dict, fallback: str) -> Response:
    return see_other(safe_return(form_str(form, "return_to")) or fallback)


def message_page(
    request: Request,
    who: Visitor,
    status: int,
    heading: str,
    text: str,
    *,
    back_url: str | None = None,
) -> Response:
    """A short page telling what happened: an alert for errors, a status note otherwise."""
    return respond(
        request,
        who,
        "site/status_message.html",
        status=status,
        heading=heading,
        message=text,
        is_error=status >= 400,
        back_url=back_url,
    )


def not_found_page(request: Request, who: Visitor) -> Response:
    _ = gettext_for(who.language)
    response = message_page(
        request, who, 404, _("Not found"), _("This page does not exist or is not for you to see.")
    )
    response.headers["Vary"] = "Accept"
    return response


def gone_page(request: Request, who: Visitor) -> Response:
    """410 Gone: a post that was here and was deleted (federation.documents answers servers
    the same way)."""
    _ = gettext_for(who.language)
    response = message_page(request, who, 410, _("Deleted"), _("This post has been deleted."))
    response.headers["Vary"] = "Accept"
    return response


def refused(request: Request, who: Visitor) -> Response:
    """A form without a valid CSRF token (expired, or posted from another site)."""
    _ = gettext_for(who.language)
    return message_page(
        request, who, 403, _("Request refused"), _("Your form expired. Please try again.")
    )


def core_error_page(
    request: Request, who: Visitor, exc: CoreError, *, back_url: str | None = None
) -> Response:
    if exc.status == 404:
        return not_found_page(request, who)
    _ = gettext_for(who.language)
    return message_page(
        request,
        who,
        exc.status,
        _("That did not work"),
        _(exc.message),
        back_url=back_url,
    )


async def form_gate(request: Request) -> tuple[Visitor, dict, Response | None]:
    """Every action form: (visitor, form, None) when it may go ahead, else the answer to
    send (403 without a valid CSRF token, to the sign-in page when signed out)."""
    who = await visitor(request)
    form = await read_form(request, max_fields=60)
    if not csrf_ok(request, form):
        return who, form, refused(request, who)
    if who.user is None:
        return who, form, see_other("/auth/sign_in")
    return who, form, None


async def own_page_gate(request: Request) -> tuple[Visitor, int | None, Response | None]:
    """Pages about one of the visitor's posts (edit, delete): (visitor, post id, None), or
    the answer to send (to the sign-in page when signed out, 404 for a bad id)."""
    who = await visitor(request)
    if who.user is None:
        return who, None, see_other("/auth/sign_in")
    status_id = path_id(request)
    if status_id is None:
        return who, None, not_found_page(request, who)
    return who, status_id, None


async def form_gate_with_id(request: Request) -> tuple[Visitor, dict, int | None, Response | None]:
    """`form_gate` for a form about one thing (a post, a poll): also its id from the path
    (404 if it is not one)."""
    who, form, refusal = await form_gate(request)
    if refusal is not None:
        return who, form, None, refusal
    status_id = path_id(request)
    if status_id is None:
        return who, form, None, not_found_page(request, who)
    return who, form, status_id, None


def plain_text(fragment: str | None, limit: int = 200) -> str:
    """Sanitized post or bio HTML as one line of plain text, cut at `limit` characters (for
    OpenGraph descriptions and page titles)."""
    if not fragment:
        return ""
    spaced = _BREAKS.sub(" ", fragment)
    text = html.unescape(nh3.clean(spaced, tags=set()))
    text = _SPACES.sub(" ", text).strip()
    if len(text) > limit:
        text = text[: limit - 1].rstrip() + "…"
    return text


def acct_path(username: str, domain: str | None) -> str:
    return f"/@{username}" if domain is None else f"/@{username}@{domain}"


def status_path(tx, status_id: int) -> str:
    """The web page of a post (the boosted post's, for a boost); "/" if it is gone."""
    row = tx.one_or_none(
        sa.select(statuses.c.id, statuses.c.reblog_of_id, accounts.c.username, accounts.c.domain)
        .join(accounts, accounts.c.id == statuses.c.account_id)
        .where(statuses.c.id == status_id)
    )
    if row is None:
        return "/"
    if row.reblog_of_id:
        return status_path(tx, row.reblog_of_id)
    return f"{acct_path(row.username, row.domain)}/{row.id}"


def rendered_statuses(tx, ids: list[int], viewer_id: int | None, **options) -> list[dict]:
    """The Mastodon entities of these statuses that the viewer may see, in order."""
    bundle = status_views.load(tx, ids, viewer_id, **options)
    return entities.statuses(bundle, tx.settings, tx.now)


def path_id(request: Request) -> int | None:
    """The `{id}` of the address, or None when it cannot be an id (the page is then 404)."""
    return parse_id(str(request.path_params.get("id", "")))
