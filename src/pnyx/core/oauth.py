"""OAuth 2 as Mastodon does it: apps, authorization codes (with PKCE), tokens, revocation.

Secrets handed to clients (tokens, codes) are random and stored only as SHA-256 digests.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

import sqlalchemy as sa

from pnyx.core import accounts as accounts_core
from pnyx.core import scopes as scope_rules
from pnyx.core.errors import Invalid
from pnyx.db.ids import new_id
from pnyx.db.tables import accounts, oauth_apps, oauth_codes, oauth_tokens, users, web_sessions

OOB = "urn:ietf:wg:oauth:2.0:oob"
CODE_LIFETIME = timedelta(minutes=10)


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


# Schemes a browser would run rather than follow (as Mastodon's Doorkeeper setup forbids).
FORBIDDEN_REDIRECT_SCHEMES = ("javascript", "data", "vbscript")


def _is_web_url(value: str) -> bool:
    try:
        parsed = urlsplit(value)
        return parsed.scheme.lower() in ("http", "https") and bool(parsed.hostname)
    except ValueError:  # e.g. an unclosed IPv6 bracket
        return False


def create_app(
    tx,
    name: str,
    redirect_uris: list[str],
    scopes: list[str],
    website: str | None = None,
    owner_user_id: int | None = None,
):
    """Register a client application; returns its row (with client_id and client_secret)."""
    name = (name or "").strip()
    if not name:
        raise Invalid("Name can't be blank")
    if len(name) > 255:
        raise Invalid("Name is too long (maximum is 255 characters)")
    if not redirect_uris:
        raise Invalid("Redirect URI can't be blank")
    for uri in redirect_uris:
        if uri != OOB and ("://" not in uri or len(uri) > 2000 or any(c.isspace() for c in uri)):
            raise Invalid("Redirect URI must be an absolute URI")
        if uri.split(":", 1)[0].strip().lower() in FORBIDDEN_REDIRECT_SCHEMES:
            raise Invalid("Redirect URI is forbidden by the server")
        if "#" in uri:
            raise Invalid("Redirect URI cannot contain a fragment")
    bad = scope_rules.unknown(scopes)
    if bad:
        raise Invalid(f"Scopes {' '.join(bad)} are not valid")
    if website and len(website) > 2000:
        raise Invalid("Website is too long")
    if website and not _is_web_url(website):
        # Clients show it as a link next to every post made with the app.
        raise Invalid("Website is invalid")
    app_id = new_id()
    tx.execute(
        oauth_apps.insert().values(
            id=app_id,
            name=name,
            website=website or None,
            redirect_uris="\n".join(redirect_uris),
            scopes=" ".join(scopes),
            client_id=secrets.token_urlsafe(32),
            client_secret=secrets.token_urlsafe(32),
            owner_user_id=owner_user_id,
            created_at=tx.now,
        )
    )
    return tx.one_or_none(sa.select(oauth_apps).where(oauth_apps.c.id == app_id))


def issue_token(tx, app_id: int | None, user_id: int | None, scopes: list[str]) -> tuple[str, int]:
    """A new access token; returns (token, token_id). The token itself is never stored."""
    token = secrets.token_urlsafe(32)
    token_id = new_id()
    tx.execute(
        oauth_tokens.insert().values(
            id=token_id,
            token_hash=digest(token),
            app_id=app_id,
            user_id=user_id,
            scopes=" ".join(scopes),
            created_at=tx.now,
        )
    )
    return token, token_id


def issue_code(
    tx,
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


# --- Errors in OAuth's own language -----------------------------------------------------------


class OAuthError(Exception):
    """An OAuth 2 failure (RFC 6749 §5.2): answered as {"error", "error_description"}.

    Kept apart from CoreError because OAuth clients read `error` as a machine code
    (`invalid_grant` ...), not as Mastodon's human sentence.
    """

    def __init__(self, error: str, description: str, status: int = 400):
        super().__init__(description)
        self.error = error
        self.description = description
        self.status = status


INVALID_GRANT = (
    "The provided authorization grant is invalid, expired, revoked, does not match the "
    "redirection URI used in the authorization request, or was issued to another client."
)
INVALID_CLIENT = (
    "Client authentication failed due to unknown client, no client authentication included, "
    "or unsupported authentication method."
)


# --- Apps ---------------------------------------------------------------------------------------


def redirect_uris_of(app) -> list[str]:
    return [u for u in (app.redirect_uris or "").split("\n") if u]


def scopes_of(row) -> list[str]:
    return scope_rules.parse(row.scopes)


def split_redirect_uris(value: str | list[str] | None) -> list[str]:
    """Clients send one string (space/newline separated) or an array; keep order, drop repeats."""
    items = value if isinstance(value, list) else [value or ""]
    out: list[str] = []
    for item in items:
        for uri in str(item).split():
            if uri not in out:
                out.append(uri)
    return out


def find_app(tx, client_id: str | None):
    if not client_id or len(client_id) > 64:
        return None
    return tx.one_or_none(sa.select(oauth_apps).where(oauth_apps.c.client_id == client_id))


def authenticate_client(tx, client_id: str | None, client_secret: str | None):
    """The app whose id and secret these are; OAuthError invalid_client otherwise."""
    app = find_app(tx, client_id)
    if (
        app is None
        or not client_secret
        or not secrets.compare_digest(app.client_secret.encode(), client_secret.encode())
    ):
        raise OAuthError("invalid_client", INVALID_CLIENT, 401)
    return app


def _requested_scopes(app, scope: str | None) -> list[str]:
    """Requested scopes (default `read`, as Mastodon), which the app must have registered."""
    requested = list(dict.fromkeys(scope_rules.parse(scope)))
    if scope_rules.unknown(requested) or not scope_rules.subset(requested, scopes_of(app)):
        raise OAuthError(
            "invalid_scope",
            "The requested scope is invalid, unknown, or malformed.",
        )
    return requested


# --- Authorization requests (GET /oauth/authorize) --------------------------------------------


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


class RedirectableError(OAuthError):
    """An authorization error that may be sent back to the (already verified) redirect URI."""

    def __init__(self, error: str, description: str, redirect_uri: str, state: str | None):
        super().__init__(error, description)
        self.redirect_uri = redirect_uri
        self.state = state


def _meaningful(value: str | None) -> str | None:
    """Mastodon.py sends the literal strings "None" for unset values; treat them as absent."""
    if value is None:
        return None
    value = value.strip()
    return None if value in ("", "None", "null") else value


def check_authorization_request(
    tx,
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
        requested = _requested_scopes(app, _meaningful(scope))
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


# --- Grants (POST /oauth/token) ---------------------------------------------------------------


@dataclass(frozen=True)
class IssuedToken:
    token: str
    token_id: int
    scopes: list[str]
    created_at: datetime


def _issue(tx, app_id: int | None, user_id: int | None, scopes: list[str]) -> IssuedToken:
    token, token_id = issue_token(tx, app_id, user_id, scopes)
    return IssuedToken(token, token_id, scopes, tx.now)


def _usable_user(tx, user_id: int):
    """The user row if it may act now (approved, account not suspended), else None."""
    row = tx.one_or_none(
        sa.select(users.c.id, users.c.approved, accounts.c.suspended_at)
        .join(accounts, accounts.c.id == users.c.account_id)
        .where(users.c.id == user_id)
    )
    if row is None or not row.approved or row.suspended_at is not None:
        return None
    return row


def _revoke_tokens_of_code(tx, row) -> None:
    """Revoke the token a code was exchanged for: the one issued to its app and user in the
    transaction that marked it used (the same `tx.now` stamps both)."""
    tx.execute(
        oauth_tokens.update()
        .where(
            oauth_tokens.c.app_id == row.app_id,
            oauth_tokens.c.user_id == row.user_id,
            oauth_tokens.c.created_at == row.used_at,
            oauth_tokens.c.revoked_at.is_(None),
        )
        .values(revoked_at=tx.now)
    )


def exchange_code(
    tx, app, code: str | None, redirect_uri: str | None, code_verifier: str | None
) -> IssuedToken | OAuthError:
    """authorization_code grant: a code is single-use, short-lived and bound to its redirect URI.

    A code presented again means it leaked: the token it was exchanged for is revoked
    (RFC 6749 §10.5). That error is returned, not raised, so the revocation commits.
    """
    if not code or len(code) > 256:
        raise OAuthError("invalid_grant", INVALID_GRANT)
    row = tx.one_or_none(sa.select(oauth_codes).where(oauth_codes.c.code_hash == digest(code)))
    if row is not None and row.app_id == app.id and row.used_at is not None:
        _revoke_tokens_of_code(tx, row)
        return OAuthError("invalid_grant", INVALID_GRANT)
    if (
        row is None
        or row.app_id != app.id
        or row.expires_at <= tx.now
        or (redirect_uri or "") != row.redirect_uri
    ):
        raise OAuthError("invalid_grant", INVALID_GRANT)
    if row.code_challenge is not None and (
        not code_verifier
        or not pkce_matches(code_verifier, row.code_challenge, row.code_challenge_method)
    ):
        raise OAuthError("invalid_grant", "The code verifier does not match the code challenge.")
    # Claim the code atomically: of two concurrent exchanges, only one wins.
    claimed = tx.execute(
        oauth_codes.update()
        .where(oauth_codes.c.id == row.id, oauth_codes.c.used_at.is_(None))
        .values(used_at=tx.now)
    ).rowcount
    if claimed != 1 or _usable_user(tx, row.user_id) is None:
        raise OAuthError("invalid_grant", INVALID_GRANT)
    return _issue(tx, app.id, row.user_id, scope_rules.parse(row.scopes))


def password_grant(tx, app, login: str | None, password: str | None, scope: str | None):
    """Resource-owner password grant, which Mastodon.py and toot use to log in."""
    requested = _requested_scopes(app, scope)
    user = sign_in_user(tx, login or "", password or "")
    if isinstance(user, str):
        raise OAuthError("invalid_grant", INVALID_GRANT)
    return _issue(tx, app.id, user.id, requested)


def client_credentials_grant(tx, app, scope: str | None) -> IssuedToken:
    """An app-only token (no user): what registration through the API needs."""
    return _issue(tx, app.id, None, _requested_scopes(app, scope))


def revoke(tx, app, token: str | None) -> None:
    """Revoke one of the app's tokens. Unknown tokens are fine (RFC 7009 §2.2)."""
    if not token or len(token) > 512:
        return
    row = tx.one_or_none(sa.select(oauth_tokens).where(oauth_tokens.c.token_hash == digest(token)))
    if row is None or row.revoked_at is not None:
        return
    if row.app_id != app.id:
        raise OAuthError("unauthorized_client", "You are not authorized to revoke this token.", 403)
    tx.execute(oauth_tokens.update().where(oauth_tokens.c.id == row.id).values(revoked_at=tx.now))


# --- Signing in and browser sessions ------------------------------------------------------------

SESSION_LIFETIME = timedelta(days=30)
BAD_LOGIN = "Invalid email/username or password."
SUSPENDED = "Your account is suspended. You cannot sign in."
PENDING = "Your account is waiting for approval by the staff of this instance."


def sign_in_user(tx, login: str, password: str):
    """The user row for good credentials of a user who may sign in, or a message saying why not.

    The suspended / pending messages are only given after the password matched, so they
    reveal nothing to someone guessing.
    """
    user = accounts_core.authenticate(tx, login, password)
    if user is None:
        return BAD_LOGIN
    if user.suspended_at is not None:
        return SUSPENDED
    if not user.approved:
        return PENDING
    tx.execute(users.update().where(users.c.id == user.id).values(last_sign_in_at=tx.now))
    return user


def start_session(tx, user_id: int, user_agent: str | None) -> str:
    """A new browser session; returns the cookie value (only its digest is stored)."""
    secret = secrets.token_urlsafe(32)
    tx.execute(
        web_sessions.insert().values(
            id=new_id(),
            session_hash=digest(secret),
            user_id=user_id,
            user_agent=(user_agent or "")[:512] or None,
            created_at=tx.now,
        )
    )
    return secret


@dataclass(frozen=True)
class SessionUser:
    """Who is signed in to the web pages, with the preferences every page needs (read in the
    same query as the session, so a page costs no extra lookups for them)."""

    session_id: int
    user_id: int
    account_id: int
    username: str
    locale: str | None = None  # interface language; None follows the browser
    default_visibility: str = "public"
    default_language: str = ""


@functools.cache
def _session_statement():
    # Built once, like _viewer_statement: every signed-in page runs it.
    return (
        sa.select(
            web_sessions.c.id,
            web_sessions.c.user_id,
            web_sessions.c.revoked_at,
            web_sessions.c.created_at,
            users.c.account_id,
            users.c.approved,
            users.c.locale,
            users.c.default_visibility,
            users.c.default_language,
            accounts.c.username,
            accounts.c.suspended_at,
        )
        .join(users, users.c.id == web_sessions.c.user_id)
        .join(accounts, accounts.c.id == users.c.account_id)
        .where(web_sessions.c.session_hash == sa.bindparam("digest"))
    )


def session_user(tx, secret: str | None) -> SessionUser | None:
    """Who a session cookie belongs to, if the session is live and the user may still act."""
    if not secret or len(secret) > 256:
        return None
    row = tx.execute(_session_statement(), {"digest": digest(secret)}).first()
    if (
        row is None
        or row.revoked_at is not None
        or row.created_at + SESSION_LIFETIME <= tx.now
        or row.suspended_at is not None
        or not row.approved
    ):
        return None
    return SessionUser(
        row.id,
        row.user_id,
        row.account_id,
        row.username,
        locale=row.locale,
        default_visibility=row.default_visibility or "public",
        default_language=row.default_language or "",
    )


def end_session(tx, secret: str | None) -> None:
    if not secret or len(secret) > 256:
        return
    tx.execute(
        web_sessions.update()
        .where(web_sessions.c.session_hash == digest(secret), web_sessions.c.revoked_at.is_(None))
        .values(revoked_at=tx.now)
    )


def authorize(tx, request: AuthorizationRequest, user_id: int) -> str:
    """The signed-in user approved the request: a code for the app."""
    if _usable_user(tx, user_id) is None:
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


@dataclass(frozen=True)
class Viewer:
    """Who a bearer token speaks for: a user (with their account) or, for client_credentials
    tokens, only an app."""

    token_id: int
    app_id: int | None
    scopes: tuple[str, ...]
    user_id: int | None  # None for app-only tokens
    account_id: int | None
    role: str = "user"

    @property
    def is_staff(self) -> bool:
        return self.role in ("admin", "moderator")


@functools.cache
def _viewer_statement():
    # Built once: every authenticated request runs it, and building costs more than running.
    return (
        sa.select(
            oauth_tokens.c.id,
            oauth_tokens.c.app_id,
            oauth_tokens.c.scopes,
            oauth_tokens.c.user_id,
            oauth_tokens.c.revoked_at,
            users.c.account_id,
            users.c.role,
            users.c.approved,
            users.c.confirmed,
            accounts.c.suspended_at,
        )
        .select_from(
            oauth_tokens.outerjoin(users, users.c.id == oauth_tokens.c.user_id).outerjoin(
                accounts, accounts.c.id == users.c.account_id
            )
        )
        .where(oauth_tokens.c.token_hash == sa.bindparam("digest"))
    )


def lookup_viewer(tx, token: str | None) -> Viewer | None:
    """The token's viewer, or None when the token is unknown, revoked, or its user may not act
    (suspended, or a sign-up not yet approved or confirmed)."""
    if not token or len(token) > 512:
        return None
    row = tx.execute(_viewer_statement(), {"digest": digest(token)}).first()
    if row is None or row.revoked_at is not None:
        return None
    if row.user_id is not None and (
        row.suspended_at is not None or not row.approved or not row.confirmed
    ):
        return None
    return Viewer(
        token_id=row.id,
        app_id=row.app_id,
        scopes=tuple(scope_rules.parse(row.scopes)),
        user_id=row.user_id,
        account_id=row.account_id,
        role=row.role or "user",
    )


def get_app(tx, app_id: int):
    """The application row, or None."""
    return tx.one_or_none(sa.select(oauth_apps).where(oauth_apps.c.id == app_id))
