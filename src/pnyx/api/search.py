"""Mastodon API: search (v2) and account search (v1).

`resolve` is accepted and ignored until federation can fetch remote accounts and posts;
`exclude_unreviewed` is ignored (hashtags are not reviewed here). Without a token only
accounts and hashtags are searched, and only the first page, as Mastodon does.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.routing import Route

from pnyx.api import entities
from pnyx.api.auth import optional, require
from pnyx.api.http import JSON, ApiError, database, read_params, unprocessable
from pnyx.api.timelines import no_nul
from pnyx.core import search as core_search
from pnyx.core import status_views
from pnyx.db.ids import parse_id

TYPES = ("accounts", "hashtags", "statuses")
MAX_QUERY = 500
MAX_OFFSET = 10_000


def tag_entity(row, settings) -> dict:
    return {"name": row.name, "url": f"{settings.base_url}/tags/{row.name}", "history": []}


async def search_v2(request: Request):
    params = await read_params(request)
    q = no_nul(params.str("q", "", max_len=MAX_QUERY)) or ""
    kind = params.str("type")
    if kind is not None and kind not in TYPES:
        kind = None
    limit = max(1, min(params.int("limit", 20) or 20, 40))
    offset = min(params.int("offset", 0, minimum=0) or 0, MAX_OFFSET)
    following = params.bool("following", False)
    account_raw = params.str("account_id")
    account_id = parse_id(account_raw) if account_raw else None

    def work(tx):
        viewer = optional(tx, request, "read:search")
        if viewer is not None and viewer.user_id is None:
            viewer = None
        if viewer is None and offset > 0:
            raise ApiError(401, "Search queries pagination is not supported without authentication")
        viewer_id = viewer.account_id if viewer else None
        result: dict = {"accounts": [], "statuses": [], "hashtags": []}
        if not q.strip():
            return result
        if kind in (None, "accounts"):
            rows = core_search.search_accounts(
                tx, viewer_id, q, limit=limit, offset=offset, following=following
            )
            result["accounts"] = [entities.account(r, tx.settings) for r in rows]
        if kind in (None, "hashtags"):
            rows = core_search.search_hashtags(tx, q, limit=limit, offset=offset)
            result["hashtags"] = [tag_entity(r, tx.settings) for r in rows]
        if kind in (None, "statuses") and viewer_id is not None:
            if account_raw and account_id is None:
                return result
            ids = core_search.search_statuses(
                tx, viewer_id, q, limit=limit, offset=offset, account_id=account_id
            )
            bundle = status_views.load(tx, ids, viewer_id)
            result["statuses"] = entities.statuses(bundle, tx.settings, tx.now)
        return result

    return JSON(await database(request).read(work))


async def search_accounts_v1(request: Request):
    params = await read_params(request)
    q = no_nul(params.str("q", "", max_len=MAX_QUERY)) or ""
    limit = max(1, min(params.int("limit", 40) or 40, 80))
    offset = min(params.int("offset", 0, minimum=0) or 0, MAX_OFFSET)
    following = params.bool("following", False)
    if not params.has("q"):
        raise unprocessable("q is missing")

    def work(tx):
        viewer = require(tx, request, "read:accounts")
        rows = core_search.search_accounts(
            tx, viewer.account_id, q, limit=limit, offset=offset, following=following
        )
        return [entities.account(r, tx.settings) for r in rows]

    return JSON(await database(request).read(work))


routes = [
    Route("/api/v2/search", search_v2, methods=["GET"]),
    Route("/api/v1/accounts/search", search_accounts_v1, methods=["GET"]),
]
