"""OAuth 2 as Mastodon does it: apps, authorization codes (with PKCE), tokens, revocation,
and the web pages' sign-in and sessions.

Secrets handed to clients (tokens, codes, session cookies) are random and stored only as
SHA-256 digests (`digests`). One module per concept: `apps`, `authorization` (the authorize
request and its code), `grants` (POST /oauth/token), `tokens` (issuing, revoking, looking a
bearer token up), `sign_in`, `sessions`, `errors`. The names below are the ones the edges call.
"""

from pnyx.core.oauth.apps import (
    OOB,
    authenticate_client,
    create_app,
    get_app,
    redirect_uris_of,
    scopes_of,
    split_redirect_uris,
)
from pnyx.core.oauth.authorization import authorize, check_authorization_request
from pnyx.core.oauth.errors import OAuthError, RedirectableError
from pnyx.core.oauth.grants import client_credentials_grant, exchange_code, password_grant
from pnyx.core.oauth.sessions import (
    SESSION_LIFETIME,
    SessionUser,
    end_session,
    session_user,
    start_session,
)
from pnyx.core.oauth.sign_in import BAD_LOGIN, PENDING, SUSPENDED, sign_in_user
from pnyx.core.oauth.tokens import IssuedToken, Viewer, issue_token, lookup_viewer, revoke

__all__ = [
    "BAD_LOGIN",
    "OOB",
    "PENDING",
    "SESSION_LIFETIME",
    "SUSPENDED",
    "IssuedToken",
    "OAuthError",
    "RedirectableError",
    "SessionUser",
    "Viewer",
    "authenticate_client",
    "authorize",
    "check_authorization_request",
    "client_credentials_grant",
    "create_app",
    "end_session",
    "exchange_code",
    "get_app",
    "issue_token",
    "lookup_viewer",
    "password_grant",
    "redirect_uris_of",
    "revoke",
    "scopes_of",
    "session_user",
    "sign_in_user",
    "split_redirect_uris",
    "start_session",
]
