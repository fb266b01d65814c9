"""Who is asking: the bearer token turned into a Viewer, with scope checks."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import sqlalchemy as sa
from starlette.requests import Request

from pnyx.api.http import ApiError
from pnyx.core import scopes as scope_rules
from pnyx.db.tables import accounts, oauth_tokens, users


@dataclass(frozen=True)
class Viewer:
    token_id: int
    app_id: int | None
    scopes: tuple[str, ...]
    user_id: int | None  # None for client_credentials (app-only) tokens
    account_id: int | None
    role: str = "user"

    @property
    def is_staff(self) -> bool:
        return self.role in ("admin", "moderator")


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def bearer_token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    if header[:7].lower() == "bearer ":
        token = header[7:].strip()
        return token or None
    token = request.query_params.get("access_token")
    return token or None


def lookup_viewer(tx, token: str | None) -> Viewer | None:
    """The token's viewer, or None when there is no usable token."""
    if not token or len(token) > 512:
        return None
    row = tx.one_or_none(
        sa.select(
            oauth_tokens.c.id,
            oauth_tokens.c.app_id,
            oauth_tokens.c.scopes,
            oauth_tokens.c.user_id,
            oauth_tokens.c.revoked_at,
            users.c.account_id,
            users.c.role,
            users.c.approved,
            accounts.c.suspended_at,
        )
        .select_from(
            oauth_tokens.outerjoin(users, users.c.id == oauth_tokens.c.user_id).outerjoin(
                accounts, accounts.c.id == users.c.account_id
            )
        )
        .where(oauth_tokens.c.token_hash == token_digest(token))
    )
    if row is None or row.revoked_at is not None:
        return None
    if row.user_id is not None and (row.suspended_at is not None or not row.approved):
        return None
    return Viewer(
        token_id=row.id,
        app_id=row.app_id,
        scopes=tuple(scope_rules.parse(row.scopes)),
        user_id=row.user_id,
        account_id=row.account_id,
        role=row.role or "user",
    )


def check(
    viewer: Viewer | None, scope: str | None, *, user: bool = True, token_given: bool = True
) -> Viewer:
    """Raise Mastodon's errors unless `viewer` may act with `scope`."""
    if viewer is None:
        raise ApiError(
            401, "The access token is invalid" if token_given else "The access token is invalid"
        )
    if user and viewer.user_id is None:
        raise ApiError(422, "This method requires an authenticated user")
    if scope and not scope_rules.grants(viewer.scopes, scope):
        raise ApiError(403, "This action is outside the authorized scopes")
    return viewer


def require(tx, request: Request, scope: str | None = None, *, user: bool = True) -> Viewer:
    """For use inside a handler's transaction: the viewer, or an ApiError."""
    token = bearer_token(request)
    return check(lookup_viewer(tx, token), scope, user=user, token_given=token is not None)


def optional(tx, request: Request, scope: str | None = None) -> Viewer | None:
    """Endpoints readable by anyone: a bad token is still an error, no token is fine."""
    token = bearer_token(request)
    if token is None:
        return None
    viewer = lookup_viewer(tx, token)
    if viewer is None:
        raise ApiError(401, "The access token is invalid")
    if scope and viewer.user_id is not None and not scope_rules.grants(viewer.scopes, scope):
        raise ApiError(403, "This action is outside the authorized scopes")
    return viewer
