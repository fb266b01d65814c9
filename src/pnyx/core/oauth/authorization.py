"""The authorization-code flow up to the code: checking a GET /oauth/authorize request,
issuing the code once the user approves, and PKCE (S256 only)."""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from pnyx.core.oauth.apps import find_app, redirect_uris_of, requested_scopes
from pnyx.core.oauth.digests import digest
from pnyx.core.oauth.errors import INVALID_CLIENT, OAuthError, RedirectableError
from pnyx.core.oauth.sign_in import usable_user
from pnyx.db.engine import Tx
from pnyx.db.ids import new_id
from pnyx.db.tables import oauth_codes

CODE_LIFETIME = timedelta(minutes=10)


@dataclass(frozen=True)
class AuthorizationRequest:
    """A checked /oauth/authorize request: what the consent page shows and the code records."""

    app_id: int
    app_name: str
    app_website: str | None
    client_id: str
    redirect_uri: str
    scopes: list[str]
    state: str | None
    code_challenge: str | None
    code_challenge_method: str | None


def _meaningful(value: str | None) -> str | None:
    """Mastodon.py sends the literal strings "None" for unset values; treat them as absent."""
    if value is None:
        return None
    value = value.strip()
    return None if value in ("", "None", "null") else value


def check_authorization_request(
    tx: Tx,
    *,
    client_id: str | None,
    response_type: str | None,
    redirect_uri: str | None,
    scope: str | None,
    state: str | None = None,
    code_challenge: str | None = None,
    code_challenge_method: str | None = None,
) -> AuthorizationRequest:
    """Validate an authorization request.

    Errors about the client or the redirect URI raise plain OAuthError: they must never send
    the browser anywhere (an attacker could pick the destination). Later errors raise
    RedirectableError, which the caller reports to the client at its verified redirect URI.
    """
    app = find_app(tx, _meaningful(client_id))
    if app is None:
        raise OAuthError("invalid_client", INVALID_CLIENT, 401)
    registered = redirect_uris_of(app)
    redirect_uri = _meaningful(redirect_uri)
    if redirect_uri is None and len(registered) == 1:
        redirect_uri = registered[0]
    if redirect_uri is None or redirect_uri not in registered:
        raise OAuthError(
            "invalid_redirect_uri",
            "The redirect uri included is not valid.",
        )
    state = _meaningful(state)
    if _meaningful(response_type) != "code":
        raise RedirectableError(
            "unsupported_response_type",
            "The authorization server does not support this response type.",
            redirect_uri,
            state,
        )
    try:
        requested = requested_scopes(app, _meaningful(scope))
    except OAuthError as exc:
        raise RedirectableError(exc.error, exc.description, redirect_uri, state) from None
    challenge = _meaningful(code_challenge)
    method = _meaningful(code_challenge_method)
    if challenge is not None:
        # RFC 7636 makes a missing method mean `plain`, which is not supported.
        if method != "S256":
            raise RedirectableError(
                "invalid_request",
                "The code challenge method must be S256.",
                redirect_uri,
                state,
            )
        if not (43 <= len(challenge) <= 128):
            raise RedirectableError(
                "invalid_request",
                "The code challenge must be 43 to 128 characters.",
                redirect_uri,
                state,
            )
    else:
        method = None
    return AuthorizationRequest(
        app_id=app.id,
        app_name=app.name,
        app_website=app.website,
        client_id=app.client_id,
        redirect_uri=redirect_uri,
        scopes=requested,
        state=state,
        code_challenge=challenge,
        code_challenge_method=method,
    )


def authorize(tx: Tx, request: AuthorizationRequest, user_id: int) -> str:
    """The signed-in user approved the request: a code for the app."""
    if usable_user(tx, user_id) is None:
        raise OAuthError("access_denied", "The user may not authorize applications.", 403)
    return issue_code(
        tx,
        request.app_id,
        user_id,
        request.redirect_uri,
        request.scopes,
        request.code_challenge,
        request.code_challenge_method,
    )


def issue_code(
    tx: Tx,
    app_id: int,
    user_id: int,
    redirect_uri: str,
    scopes: list[str],
    code_challenge: str | None = None,
    code_challenge_method: str | None = None,
) -> str:
    code = secrets.token_urlsafe(32)
    tx.execute(
        oauth_codes.insert().values(
            id=new_id(),
            code_hash=digest(code),
            app_id=app_id,
            user_id=user_id,
            redirect_uri=redirect_uri,
            scopes=" ".join(scopes),
            code_challenge=code_challenge,
            code_challenge_method=code_challenge_method,
            expires_at=tx.now + CODE_LIFETIME,
            created_at=tx.now,
        )
    )
    return code


def pkce_matches(verifier: str, challenge: str, method: str | None) -> bool:
    """Only S256, the one method advertised: with `plain` the challenge is the verifier, so
    whoever saw the authorization request could redeem the code."""
    if method != "S256":
        return False
    computed = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=")
    return secrets.compare_digest(computed.decode(), challenge)
