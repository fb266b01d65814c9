"""Who is looking at a page, and the form safety every page shares.

A browser session is a row in `web_sessions` (the cookie holds a random secret, the table only
its digest), so sessions can be listed and revoked like tokens. Cookies are HttpOnly and
SameSite=Lax. Every form carries a CSRF token that must match a cookie (double submit), and a
form posted from another origin is refused.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse

from pnyx.config import Settings
from pnyx.core import notification_queries
from pnyx.core import oauth as core_oauth
from pnyx.core.instance_settings import effective_settings
from pnyx.db.engine import Tx
from pnyx.edges.http import ApiError, database, without_nul
from pnyx.web import i18n, rendering

SESSION_COOKIE = "pnyx_session"
CSRF_COOKIE = "pnyx_csrf"
MAX_FORM_BYTES = 64_000

T = TypeVar("T")


@dataclass
class Visitor:
    """The person behind a request: signed in (`user`) or not, their language and CSRF token."""

    user: core_oauth.SessionUser | None
    language: str
    csrf: str
    unread: int = 0  # notifications not seen yet, shown in the navigation
    site: Settings | None = None  # the configuration with the admin's overrides (name ...)

    @property
    def account_id(self) -> int | None:
        return self.user.account_id if self.user else None


def csrf_value(request: Request) -> str:
    """The CSRF token of this browser (its cookie's), or a new one."""
    current = request.cookies.get(CSRF_COOKIE, "")
    return current if 20 <= len(current) <= 100 else secrets.token_urlsafe(32)


def lookup(tx, secret: str | None, *, suspended_ok: bool = False):
    """(session user or None, unread notifications, effective settings) for a session cookie
    (a suspended user's counts only with `suspended_ok`: the pages of their strikes)."""
    user = core_oauth.session_user(tx, secret, suspended_ok=suspended_ok) if secret else None
    unread = notification_queries.unread_count(tx, user.account_id) if user else 0
    return user, unread, effective_settings(tx)


async def visit(
    request: Request,
    work: Callable[[Tx, Visitor], T] | None = None,
    *,
    suspended_ok: bool = False,
) -> tuple[Visitor, T | None]:
    """Who is looking, and what `work(tx, visitor)` reads for them, in one transaction.

    Pages that are read most (timelines, profiles, posts) use this, so that a page costs one
    trip to the database thread rather than one for the session and another for the page.
    """
    secret = request.cookies.get(SESSION_COOKIE)
    accept_language = request.headers.get("accept-language")
    csrf = csrf_value(request)

    def both(tx):
        user, unread, site = lookup(tx, secret, suspended_ok=suspended_ok)
        language = i18n.negotiate(accept_language, user.locale if user else None)
        who = Visitor(user, language, csrf, unread, site)
        return who, (work(tx, who) if work is not None else None)

    return await database(request).read(both)


async def visitor(request: Request, *, suspended_ok: bool = False) -> Visitor:
    who, _ = await visit(request, suspended_ok=suspended_ok)
    return who


def secure(request: Request) -> bool:
    return request.app.state.settings.effective_scheme == "https"


def respond(
    request: Request, who: Visitor, template: str, *, status: int = 200, **context
) -> HTMLResponse:
    """A page for `who`, with the CSRF cookie its forms need."""
    if who.site is not None:
        context.setdefault("instance_title", who.site.instance_title)
    response = rendering.page(
        request,
        template,
        status=status,
        language=who.language,
        viewer=who.user,
        unread=who.unread,
        csrf_token=who.csrf,
        **context,
    )
    if who.user is not None:
        response.headers["Cache-Control"] = "private, no-store"
    if request.cookies.get(CSRF_COOKIE) != who.csrf:
        response.set_cookie(
            CSRF_COOKIE, who.csrf, httponly=True, samesite="lax", secure=secure(request), path="/"
        )
    return response


def set_session_cookie(request: Request, response, secret: str) -> None:
    """The cookie of a new browser session (HttpOnly, SameSite=Lax, as long as a session)."""
    response.set_cookie(
        SESSION_COOKIE,
        secret,
        max_age=int(core_oauth.SESSION_LIFETIME.total_seconds()),
        httponly=True,
        samesite="lax",
        secure=secure(request),
        path="/",
    )


def see_other(location: str) -> RedirectResponse:
    response = RedirectResponse(location, status_code=303)
    response.headers["Cache-Control"] = "no-store"
    return response


def same_origin(request: Request) -> bool:
    """A cross-site form post carries another site's Origin: refuse it."""
    origin = request.headers.get("origin")
    if origin is None or origin == "null":
        return origin is None
    own = {request.app.state.settings.base_url, f"{request.url.scheme}://{request.url.netloc}"}
    return origin.rstrip("/") in own


def csrf_ok(request: Request, form: dict) -> bool:
    cookie = request.cookies.get(CSRF_COOKIE, "")
    sent = form.get("csrf_token") or ""
    return (
        bool(cookie)
        and isinstance(sent, str)
        and secrets.compare_digest(cookie.encode(), sent.encode())
        and same_origin(request)
    )


async def read_form(
    request: Request,
    *,
    max_fields: int = 50,
    files: tuple[str, ...] = (),
    max_bytes: int = MAX_FORM_BYTES,
) -> dict:
    """The posted form, NUL characters dropped; 413/400 when it is not one. Text fields only,
    except the file fields named in `files` (a multipart form): their contents as bytes, for
    those that carry a file."""
    length = request.headers.get("content-length")
    if length and length.isdigit() and int(length) > max_bytes:
        raise ApiError(413, "Request body too large")
    try:
        form = await request.form(max_files=len(files), max_fields=max_fields)
    except ApiError:
        raise  # the body limit (413), raised while the form streamed in
    except Exception:  # noqa: BLE001 - a malformed body is the client's mistake
        raise ApiError(400, "Malformed form body") from None
    values: dict = {}
    for key in form:
        items = [without_nul(v) for v in form.getlist(key) if isinstance(v, str)]
        if key in files:
            uploads = [v for v in form.getlist(key) if not isinstance(v, str)]
            data = await uploads[0].read() if uploads else b""
            if data:
                values[key] = data
            continue
        values[key] = items[0] if len(items) == 1 else items
    return values
