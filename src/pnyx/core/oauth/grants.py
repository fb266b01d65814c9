"""The grants of POST /oauth/token: authorization code, password, client credentials."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Row

from pnyx.core import scopes as scope_rules
from pnyx.core import web_push
from pnyx.core.oauth.apps import requested_scopes
from pnyx.core.oauth.authorization import pkce_matches
from pnyx.core.oauth.digests import digest
from pnyx.core.oauth.errors import INVALID_GRANT, OAuthError
from pnyx.core.oauth.sign_in import sign_in_user, usable_user
from pnyx.core.oauth.tokens import IssuedToken, issue_for_grant
from pnyx.core.rows import AppRow
from pnyx.db.engine import Tx
from pnyx.db.tables import oauth_codes, oauth_tokens


def _revoke_tokens_of_code(tx: Tx, row: Row) -> None:
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
    web_push.forget_revoked(
        tx,
        sa.select(oauth_tokens.c.id).where(
            oauth_tokens.c.app_id == row.app_id,
            oauth_tokens.c.user_id == row.user_id,
            oauth_tokens.c.created_at == row.used_at,
        ),
    )


def exchange_code(
    tx: Tx, app: AppRow, code: str | None, redirect_uri: str | None, code_verifier: str | None
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
    if claimed != 1 or usable_user(tx, row.user_id) is None:
        raise OAuthError("invalid_grant", INVALID_GRANT)
    return issue_for_grant(tx, app.id, row.user_id, scope_rules.parse(row.scopes))


def password_grant(
    tx: Tx, app: AppRow, login: str | None, password: str | None, scope: str | None
) -> IssuedToken:
    """Resource-owner password grant, which Mastodon.py and toot use to log in."""
    requested = requested_scopes(app, scope)
    user = sign_in_user(tx, login or "", password or "")
    if isinstance(user, str):
        raise OAuthError("invalid_grant", INVALID_GRANT)
    return issue_for_grant(tx, app.id, user.id, requested)


def client_credentials_grant(tx: Tx, app: AppRow, scope: str | None) -> IssuedToken:
    """An app-only token (no user): what registration through the API needs."""
    return issue_for_grant(tx, app.id, None, requested_scopes(app, scope))
