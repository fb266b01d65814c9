"""Who is asking: the bearer token turned into a Viewer, with scope checks."""

from __future__ import annotations

from starlette.requests import Request

from pnyx.api.http import ApiError
from pnyx.core import scopes as scope_rules
from pnyx.core.oauth import Viewer, lookup_viewer

__all__ = ["Viewer", "bearer_token", "check", "lookup_viewer", "optional", "require"]


def bearer_token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    if header[:7].lower() == "bearer ":
        token = header[7:].strip()
        return token or None
    token = request.query_params.get("access_token")
    return token or None


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
