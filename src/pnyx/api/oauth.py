"""OAuth 2 endpoints for clients: token, revoke and the server metadata (RFC 8414).

The browser half (/oauth/authorize with its sign-in and consent pages) lives in web/pages.py.
Errors here speak OAuth ({"error": "invalid_grant", "error_description": ...}), which is what
OAuth libraries in clients parse, not Mastodon's {"error": sentence}.
"""

from __future__ import annotations

import base64
from urllib.parse import unquote

from starlette.requests import Request
from starlette.routing import Route

from pnyx.api.http import JSON, ApiError, database, read_params
from pnyx.core import oauth as core_oauth
from pnyx.core import scopes as scope_rules
from pnyx.edges import ratelimit

NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def oauth_error(exc: core_oauth.OAuthError) -> JSON:
    return JSON(
        {"error": exc.error, "error_description": exc.description},
        status_code=exc.status,
        headers=NO_STORE,
    )


def token_response(issued: core_oauth.IssuedToken) -> dict:
    return {
        "access_token": issued.token,
        "token_type": "Bearer",
        "scope": " ".join(issued.scopes),
        "created_at": int(issued.created_at.timestamp()),
    }


def client_credentials(request: Request, params) -> tuple[str | None, str | None]:
    """client_secret_post (form fields) or client_secret_basic (Authorization: Basic)."""
    client_id = params.str("client_id", max_len=512)
    client_secret = params.str("client_secret", max_len=512)
    header = request.headers.get("authorization", "")
    if header[:6].lower() == "basic " and not client_secret:
        try:
            decoded = base64.b64decode(header[6:].strip(), validate=True).decode()
        except (ValueError, UnicodeDecodeError):  # binascii.Error, or a non-ASCII header
            return client_id, client_secret
        user, sep, password = decoded.partition(":")
        if sep:
            client_id, client_secret = unquote(user), unquote(password)
    return client_id, client_secret


async def _params(request: Request):
    try:
        return await read_params(request, max_bytes=64_000)
    except ApiError as exc:
        # In OAuth's words, with the status that says what went wrong (400, or 413).
        raise core_oauth.OAuthError("invalid_request", exc.message, exc.status) from None


async def token(request: Request):
    try:
        params = await _params(request)
        grant_type = params.str("grant_type", max_len=100)
        if grant_type == "password":
            # Counted on what was parsed, before anything is checked: a right password is
            # refused too while the IP or the login is over its limit.
            refused = ratelimit.password_attempt(request, params.str("username", max_len=512))
            if refused is not None:
                return refused
        client_id, client_secret = client_credentials(request, params)
        scope = params.str("scope", max_len=2000)

        def work(tx):
            app = core_oauth.authenticate_client(tx, client_id, client_secret)
            if grant_type == "authorization_code":
                return core_oauth.exchange_code(
                    tx,
                    app,
                    params.str("code", max_len=512),
                    params.str("redirect_uri", max_len=4000),
                    params.str("code_verifier", max_len=512),
                )
            if grant_type == "password":
                return core_oauth.password_grant(
                    tx,
                    app,
                    params.str("username", max_len=512),
                    params.str("password", max_len=2048),
                    scope,
                )
            if grant_type == "client_credentials":
                return core_oauth.client_credentials_grant(tx, app, scope)
            raise core_oauth.OAuthError(
                "unsupported_grant_type",
                "The authorization grant type is not supported by the authorization server.",
            )

        issued = await database(request).write(work)
    except core_oauth.OAuthError as exc:
        return oauth_error(exc)
    if isinstance(issued, core_oauth.OAuthError):
        return oauth_error(issued)  # refused after changes that had to be kept
    return JSON(token_response(issued), headers=NO_STORE)


async def revoke(request: Request):
    try:
        params = await _params(request)
        client_id, client_secret = client_credentials(request, params)
        token_value = params.str("token", max_len=1024)

        def work(tx):
            app = core_oauth.authenticate_client(tx, client_id, client_secret)
            core_oauth.revoke(tx, app, token_value)

        await database(request).write(work)
    except core_oauth.OAuthError as exc:
        return oauth_error(exc)
    return JSON({})


async def metadata(request: Request):
    base = request.app.state.settings.base_url
    return JSON(
        {
            "issuer": f"{base}/",
            "service_documentation": "https://docs.joinmastodon.org/",
            "authorization_endpoint": f"{base}/oauth/authorize",
            "token_endpoint": f"{base}/oauth/token",
            "app_registration_endpoint": f"{base}/api/v1/apps",
            "revocation_endpoint": f"{base}/oauth/revoke",
            "scopes_supported": sorted(scope_rules.ALL_SCOPES),
            "response_types_supported": ["code"],
            "response_modes_supported": ["query"],
            "code_challenge_methods_supported": ["S256"],
            "grant_types_supported": ["authorization_code", "password", "client_credentials"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
            # LOLA: where another server asks the person for a copy of their account.
            "activitypub_account_portability": f"{base}/oauth/authorize",
        }
    )


routes = [
    Route("/oauth/token", token, methods=["POST"]),
    Route("/oauth/revoke", revoke, methods=["POST"]),
    Route("/.well-known/oauth-authorization-server", metadata, methods=["GET"]),
]
