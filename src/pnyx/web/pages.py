"""Server-rendered pages: OAuth sign-in and consent (/oauth/authorize), and /static files.

Outside of an OAuth request, /auth/sign_in is the site's own page (`web.auth`, site layout,
translated); inside one it keeps this module's plain look, which apps expect.

Browser sessions are rows in `web_sessions` (the cookie holds a random secret, the table only
its digest), so they can be listed and revoked like tokens. Cookies are HttpOnly and
SameSite=Lax; every form also carries a CSRF token (double-submit cookie) and cross-site
Origin headers are refused, so another site cannot sign someone in or approve an app for them.
"""

from __future__ import annotations

import secrets
from pathlib import Path
from urllib.parse import urlencode, urlsplit, urlunsplit

import jinja2
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from pnyx.core import oauth as core_oauth
from pnyx.core import scopes as scope_rules
from pnyx.core import uris
from pnyx.edges import ratelimit
from pnyx.edges.http import ApiError, database, settings, without_nul
from pnyx.web import auth as web_auth
from pnyx.web import session as web_session

HERE = Path(__file__).parent
SESSION_COOKIE = "pnyx_session"
CSRF_COOKIE = "pnyx_csrf"
# What travels through the sign-in step, so the consent page sees the client's request intact.
OAUTH_FIELDS = (
    "client_id",
    "redirect_uri",
    "response_type",
    "scope",
    "state",
    "code_challenge",
    "code_challenge_method",
)
SECURITY_HEADERS = {
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    # Not "no-referrer": under it browsers send `Origin: null` with the form posts, which the
    # same-origin check must refuse. Same-origin still sends nothing to other sites.
    "Referrer-Policy": "same-origin",
    # No form-action: browsers apply it to the redirect that follows the consent form, and that
    # redirect goes to the client's own redirect URI.
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'self'; img-src 'self' data:; "
        "frame-ancestors 'none'; base-uri 'none'"
    ),
}
SCOPE_LABELS = {
    "read": "read all your account's data",
    "write": "modify all your account's data",
    "follow": "modify account relationships",
    "push": "receive your push notifications",
    "profile": "read only your account's profile information",
    "admin:read": "read all data on the server",
    "admin:write": "modify all data on the server",
    scope_rules.PORTABILITY: "copy your whole account to another server: every post, "
    "followers-only and direct ones included, your favourites and your blocks",
}

_env = jinja2.Environment(
    loader=jinja2.FileSystemLoader(str(HERE / "templates")),
    autoescape=True,
    trim_blocks=False,
)


def _scope_label(scope: str) -> str:
    if scope in SCOPE_LABELS:
        return SCOPE_LABELS[scope]
    top, _, sub = scope.partition(":")
    verb = {"read": "read", "write": "modify", "admin": "administer"}.get(top, top)
    return f"{verb} your {sub.replace('_', ' ')}"


def render(
    request: Request, template: str, status: int = 200, *, csrf: str | None = None, **context
) -> HTMLResponse:
    settings = request.app.state.settings
    html = _env.get_template(template).render(
        instance_title=settings.instance_title, csrf_token=csrf or "", **context
    )
    response = HTMLResponse(html, status_code=status, headers=SECURITY_HEADERS)
    if csrf and request.cookies.get(CSRF_COOKIE) != csrf:
        response.set_cookie(
            CSRF_COOKIE,
            csrf,
            httponly=True,
            samesite="lax",
            secure=web_session.secure(request),
            path="/",
        )
    return response


def message(request: Request, heading: str, text: str, status: int = 400) -> HTMLResponse:
    return render(
        request, "message.html", status, heading=heading, message=text, is_error=status >= 400
    )


def _same_origin(request: Request) -> bool:
    """A cross-site form post carries another site's Origin: refuse it."""
    origin = request.headers.get("origin")
    if origin is None or origin == "null":
        return origin is None
    own = {request.app.state.settings.base_url, f"{request.url.scheme}://{request.url.netloc}"}
    return origin.rstrip("/") in own


def _csrf_ok(request: Request, form) -> bool:
    cookie = request.cookies.get(CSRF_COOKIE, "")
    sent = form.get("csrf_token") or ""
    return (
        bool(cookie)
        and isinstance(sent, str)
        and secrets.compare_digest(cookie.encode(), sent.encode())
        and _same_origin(request)
    )


def _oauth_values(source) -> dict[str, str]:
    values = {}
    for name in OAUTH_FIELDS:
        value = without_nul(source.get(name))
        if isinstance(value, str) and value != "" and len(value) <= 4000:
            values[name] = value
    return values


def _authorize_url(values: dict[str, str]) -> str:
    return "/oauth/authorize?" + urlencode(values)


def _with_query(uri: str, extra: dict[str, str | None]) -> str:
    """The client's redirect URI with our parameters added to any it already has."""
    parts = urlsplit(uri)
    query = urlencode({k: v for k, v in extra.items() if v is not None})
    joined = f"{parts.query}&{query}" if parts.query else query
    return urlunsplit((parts.scheme, parts.netloc, parts.path, joined, parts.fragment))


async def _form(request: Request):
    length = request.headers.get("content-length")
    if length and length.isdigit() and int(length) > 64_000:
        raise ApiError(413, "Request body too large")
    try:
        form = await request.form(max_files=0, max_fields=50)
    except ApiError:
        raise  # the body limit (413), raised while the form streamed in
    except Exception:  # noqa: BLE001 - a malformed body is the client's mistake
        raise ApiError(400, "Malformed form body") from None
    return {key: without_nul(value) for key, value in form.items()}


def _truthy(value: str | None) -> bool:
    return (value or "").strip().lower() in ("1", "true", "yes", "on")


async def _check_request(request: Request, values: dict[str, str]):
    """The checked authorization request, or the response to give instead."""

    def work(tx):
        return core_oauth.check_authorization_request(
            tx,
            client_id=values.get("client_id"),
            response_type=values.get("response_type"),
            redirect_uri=values.get("redirect_uri"),
            scope=values.get("scope"),
            state=values.get("state"),
            code_challenge=values.get("code_challenge"),
            code_challenge_method=values.get("code_challenge_method"),
        )

    try:
        return await database(request).read(work), None
    except core_oauth.RedirectableError as exc:
        if exc.redirect_uri == core_oauth.OOB:
            return None, message(request, "Authorization failed", exc.description)
        target = _with_query(
            exc.redirect_uri,
            {"error": exc.error, "error_description": exc.description, "state": exc.state},
        )
        return None, web_session.see_other(target)
    except core_oauth.OAuthError as exc:
        return None, message(request, "Authorization failed", exc.description, exc.status)


async def _session(request: Request):
    secret = request.cookies.get(SESSION_COOKIE)
    if not secret:
        return None
    return await database(request).read(core_oauth.session_user, secret)


def _sign_in_page(
    request: Request,
    values: dict[str, str],
    *,
    app_name: str | None = None,
    error: str | None = None,
    login: str = "",
    status: int = 200,
) -> HTMLResponse:
    return render(
        request,
        "sign_in.html",
        status,
        csrf=web_session.csrf_value(request),
        oauth_fields=sorted(values.items()),
        app_name=app_name,
        error=error,
        login=login,
    )


async def authorize_page(request: Request) -> Response:
    """GET /oauth/authorize: sign-in first if needed, then the consent page."""
    values = _oauth_values(request.query_params)
    auth, problem = await _check_request(request, values)
    if problem is not None:
        return problem
    session = await _session(request)
    if session is None or _truthy(request.query_params.get("force_login")):
        return _sign_in_page(request, values, app_name=auth.app_name)
    return render(
        request,
        "consent.html",
        csrf=web_session.csrf_value(request),
        oauth_fields=sorted(values.items()),
        app_name=auth.app_name,
        # Only web links: an app could register `javascript:` as its "website".
        app_website=auth.app_website
        if (auth.app_website or "").lower().startswith(("https://", "http://"))
        else None,
        username=session.username,
        scopes=[(s, _scope_label(s)) for s in auth.scopes],
    )


async def decide(request: Request) -> Response:
    """POST /oauth/authorize: the Authorize or Deny button of the consent page."""
    form = await _form(request)
    values = _oauth_values(form)
    if not _csrf_ok(request, form):
        return message(request, "Request refused", "Your form expired. Please try again.", 403)
    auth, problem = await _check_request(request, values)
    if problem is not None:
        return problem
    session = await _session(request)
    if session is None:
        return _sign_in_page(request, values, app_name=auth.app_name)
    if form.get("decision") != "approve":
        if auth.redirect_uri == core_oauth.OOB:
            return message(request, "Authorization denied", "You denied access.", 200)
        return web_session.see_other(
            _with_query(
                auth.redirect_uri,
                {
                    "error": "access_denied",
                    "error_description": "The resource owner or authorization server "
                    "denied the request.",
                    "state": auth.state,
                },
            )
        )
    try:
        code = await database(request).write(core_oauth.authorize, auth, session.user_id)
    except core_oauth.OAuthError as exc:
        return message(request, "Authorization failed", exc.description, exc.status)
    if auth.redirect_uri == core_oauth.OOB:
        return render(request, "code.html", app_name=auth.app_name, code=code)
    answer = {"code": code, "state": auth.state}
    if scope_rules.PORTABILITY in auth.scopes:
        # LOLA: the new server learns which actor it was given, whatever it was told.
        answer["activitypub_actor"] = uris.account_uri(settings(request), session.username)
    return web_session.see_other(_with_query(auth.redirect_uri, answer))


async def sign_in_page(request: Request) -> Response:
    """GET /auth/sign_in: outside of an OAuth request, the site's own sign-in page (someone
    already signed in goes to their home timeline); inside one, the OAuth form."""
    values = _oauth_values(request.query_params)
    if not values.get("client_id"):
        who = await web_session.visitor(request)
        if who.user is not None:
            return web_session.see_other("/home")
        return web_auth.sign_in_page(request, who)
    return _sign_in_page(request, values)


async def sign_in(request: Request) -> Response:
    """POST /auth/sign_in: check the password, start a session, go back to the OAuth request."""
    form = await _form(request)
    values = _oauth_values(form)
    login = form.get("login") or ""
    password = form.get("password") or ""
    if not isinstance(login, str) or not isinstance(password, str):
        return message(request, "Request refused", "Malformed form.", 400)
    login = login.strip()[:320]
    oauth = bool(values.get("client_id"))
    if not _csrf_ok(request, form):
        if not oauth:
            who = await web_session.visitor(request)
            return web_auth.sign_in_page(
                request, who, error=web_auth.FORM_EXPIRED, login=login, status=403
            )
        return _sign_in_page(
            request,
            values,
            error="Your form expired. Please try again.",
            login=login,
            status=403,
        )
    # The IP was counted by the rate-limit middleware (every POST here); the login tried is
    # counted here, where the form was parsed.
    refused = ratelimit.password_attempt(request, login, by_ip=False)
    if refused is not None:
        return refused  # the 429 with its X-RateLimit headers, as /oauth/token answers
    old_secret = request.cookies.get(SESSION_COOKIE)
    user_agent = request.headers.get("user-agent")

    def work(tx):
        # The site's own sign-in lets a suspended person in to their strikes (to appeal);
        # an app's sign-in never does.
        user = core_oauth.sign_in_user(tx, login, password, suspended_ok=not oauth)
        if isinstance(user, str):
            return user, None, False
        core_oauth.end_session(tx, old_secret)  # no session fixation: always a fresh one
        secret = core_oauth.start_session(tx, user.id, user_agent)
        return None, secret, user.suspended_at is not None

    error, secret, suspended = await database(request).write(work)
    if error is not None:
        status = 401 if error == core_oauth.BAD_LOGIN else 403
        if not oauth:
            who = await web_session.visitor(request)
            return web_auth.sign_in_page(request, who, error=error, login=login, status=status)
        return _sign_in_page(request, values, error=error, login=login, status=status)
    target = _authorize_url(values) if oauth else ("/disputes/strikes" if suspended else "/home")
    response = web_session.see_other(target)
    web_session.set_session_cookie(request, response, secret)
    return response


async def sign_out(request: Request) -> Response:
    """POST /auth/sign_out: end the session: from the site's menu, back to the landing page;
    from the consent page ("use another account"), back to the OAuth request."""
    form = await _form(request)
    values = _oauth_values(form)
    if not _csrf_ok(request, form):
        if not values.get("client_id"):
            return web_auth.form_expired(request, await web_session.visitor(request))
        return message(request, "Request refused", "Your form expired. Please try again.", 403)
    await database(request).write(core_oauth.end_session, request.cookies.get(SESSION_COOKIE))
    response = web_session.see_other(_authorize_url(values) if values.get("client_id") else "/")
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="lax")
    return response


routes = [
    Route("/oauth/authorize", authorize_page, methods=["GET"]),
    Route("/oauth/authorize", decide, methods=["POST"]),
    Route("/auth/sign_in", sign_in_page, methods=["GET"]),
    Route("/auth/sign_in", sign_in, methods=["POST"]),
    Route("/auth/sign_out", sign_out, methods=["POST"]),
    Mount("/static", app=StaticFiles(directory=str(HERE / "static")), name="static"),
]
