"""Mastodon API: client applications (POST /api/v1/apps, GET /api/v1/apps/verify_credentials).

Registration is open to anyone, as on Mastodon: it only yields a client id and secret; every
token still needs a user's consent or password (or is an app-only token that can do little).
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.routing import Route

from pnyx.api.auth import require
from pnyx.api.http import JSON, ApiError, database, read_params
from pnyx.core import oauth as core_oauth
from pnyx.core import scopes as scope_rules
from pnyx.core import web_push


def application(row, *, with_secret: bool, vapid_key: str) -> dict:
    """The Application entity; the secret only goes to whoever just registered the app.
    `vapid_key`: the instance's Web Push public key (core.web_push), as Mastodon shows it."""
    uris = core_oauth.redirect_uris_of(row)
    data = {
        "id": str(row.id),
        "name": row.name,
        "website": row.website,
        "scopes": core_oauth.scopes_of(row),
        "redirect_uri": "\n".join(uris),
        "redirect_uris": uris,
        "vapid_key": vapid_key,
    }
    if with_secret:
        data["client_id"] = row.client_id
        data["client_secret"] = row.client_secret
        data["client_secret_expires_at"] = 0
    return data


async def create(request: Request):
    params = await read_params(request)
    raw_uris = params.raw("redirect_uris")
    if isinstance(raw_uris, list):
        uris = core_oauth.split_redirect_uris(params.list("redirect_uris", max_items=20))
    else:
        uris = core_oauth.split_redirect_uris(params.str("redirect_uris", max_len=20_000))
    raw_scopes = params.raw("scopes")
    scope_text = (
        " ".join(params.list("scopes", max_items=100))
        if isinstance(raw_scopes, list)
        else params.str("scopes", max_len=2000)
    )
    scopes = list(dict.fromkeys(scope_rules.parse(scope_text)))
    name = params.str("client_name", "", max_len=10_000)
    website = (params.str("website", "", max_len=10_000) or "").strip() or None

    def work(tx):
        row = core_oauth.create_app(tx, name, uris, scopes, website)
        return application(
            row, with_secret=True, vapid_key=web_push.ensure_vapid_keys(tx).public_key
        )

    return JSON(await database(request).write(work))


async def verify_credentials(request: Request):
    def work(tx):
        viewer = require(tx, request, None, user=False)
        row = None
        if viewer.app_id is not None:
            row = core_oauth.get_app(tx, viewer.app_id)
        if row is None:
            raise ApiError(401, "The access token is invalid")
        keys = web_push.vapid_keys(tx)
        return application(row, with_secret=False, vapid_key=keys.public_key if keys else "")

    return JSON(await database(request).read(work))


routes = [
    Route("/api/v1/apps", create, methods=["POST"]),
    Route("/api/v1/apps/verify_credentials", verify_credentials, methods=["GET"]),
]
