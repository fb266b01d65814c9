"""Access tokens: issuing one, revoking one, and who a bearer token speaks for (`Viewer`),
which every authenticated API request looks up."""

from __future__ import annotations

import functools
import secrets
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from pnyx.core import scopes as scope_rules
from pnyx.core import viewer_rules, web_push
from pnyx.core.feeds import entries as feeds
from pnyx.core.oauth.digests import digest
from pnyx.core.oauth.errors import OAuthError
from pnyx.core.rows import AppRow
from pnyx.db.engine import Tx
from pnyx.db.ids import new_id
from pnyx.db.tables import accounts, oauth_tokens, users


def issue_token(
    tx: Tx, app_id: int | None, user_id: int | None, scopes: list[str]
) -> tuple[str, int]:
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


@dataclass(frozen=True)
class IssuedToken:
    token: str
    token_id: int
    scopes: list[str]
    created_at: datetime


def issue_for_grant(
    tx: Tx, app_id: int | None, user_id: int | None, scopes: list[str]
) -> IssuedToken:
    """A new token as POST /oauth/token answers it (with its scopes and creation time)."""
    token, token_id = issue_token(tx, app_id, user_id, scopes)
    return IssuedToken(token, token_id, scopes, tx.now)


def revoke(tx: Tx, app: AppRow, token: str | None) -> None:
    """Revoke one of the app's tokens. Unknown tokens are fine (RFC 7009 §2.2)."""
    if not token or len(token) > 512:
        return
    row = tx.one_or_none(sa.select(oauth_tokens).where(oauth_tokens.c.token_hash == digest(token)))
    if row is None or row.revoked_at is not None:
        return
    if row.app_id != app.id:
        raise OAuthError("unauthorized_client", "You are not authorized to revoke this token.", 403)
    tx.execute(oauth_tokens.update().where(oauth_tokens.c.id == row.id).values(revoked_at=tx.now))
    web_push.forget_revoked(tx, sa.select(oauth_tokens.c.id).where(oauth_tokens.c.id == row.id))


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


@functools.cache
def _viewer_statement() -> sa.Select:
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
            viewer_rules.version_of(users.c.account_id).label("rules_version"),
            *feeds.home_state_columns(),
        )
        .select_from(
            oauth_tokens.outerjoin(users, users.c.id == oauth_tokens.c.user_id)
            .outerjoin(accounts, accounts.c.id == users.c.account_id)
            .outerjoin(*feeds.home_state_join(users.c.account_id))
        )
        .where(oauth_tokens.c.token_hash == sa.bindparam("digest"))
    )


def lookup_viewer(tx: Tx, token: str | None) -> Viewer | None:
    """The token's viewer, or None when the token is unknown, revoked, or its user may not act
    (suspended, or a sign-up not yet approved or confirmed)."""
    if not token or len(token) > 512:
        return None
    found = tx.plain(_viewer_statement(), {"digest": digest(token)})
    row = found[0] if found else None
    if row is None or row.revoked_at is not None:
        return None
    if row.user_id is not None and (
        row.suspended_at is not None or not row.approved or not row.confirmed
    ):
        return None
    if row.account_id is not None:
        tx.known[(viewer_rules.KNOWN, row.account_id)] = row.rules_version or 0
        feeds.remember_home_state(tx, row.account_id, row)
    return Viewer(
        token_id=row.id,
        app_id=row.app_id,
        scopes=tuple(scope_rules.parse(row.scopes)),
        user_id=row.user_id,
        account_id=row.account_id,
        role=row.role or "user",
    )
