"""Mastodon API: search (v2) and account search (v1).

With `resolve=true` and a signed-in user, a query that is a handle (`@user@host`) or an
http(s) URL is first looked up on its server (WebFinger, then the ActivityPub document) and
stored, so the search below finds it; a post found by URL comes first in `statuses`, and a
profile URL (`https://host/users/x`, `https://host/@x`) answers with that one account. Profile
URLs of this server, and of accounts already stored, are found without `resolve` too.
Statuses are searched in the full-text index with Mastodon's operators (core.search_query);
`max_id`/`min_id` page them by id as `offset` does by position. `exclude_unreviewed` is ignored (hashtags are not reviewed here). Without a token only
accounts and hashtags are searched, and only the first page, as Mastodon does.
"""

from __future__ import annotations

import anyio.to_thread
from starlette.requests import Request
from starlette.routing import Route

from pnyx.api.auth import optional, require
from pnyx.api.http import JSON, ApiError, database, read_params, unprocessable
from pnyx.api.timelines import no_nul
from pnyx.core import search as core_search
from pnyx.core import status_views
from pnyx.db.ids import parse_id
from pnyx.federation import resolve as remote
from pnyx.presenters import entities, shown_accounts

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
    max_id = parse_id(params.str("max_id")) if params.has("max_id") else None
    min_id = parse_id(params.str("min_id")) if params.has("min_id") else None

    resolved_status: int | None = None
    resolved_account: int | None = None
    if params.bool("resolve", False) and remote.looks_resolvable(q):

        def signed_in(tx) -> bool:
            viewer = optional(tx, request, "read:search")
            return viewer is not None and viewer.user_id is not None

        if await database(request).read(signed_in):
            found = await anyio.to_thread.run_sync(
                remote.resolve_quietly, database(request), request.app.state.settings, q
            )
            if found is not None and found[0] == "status":
                resolved_status = found[1]
            elif found is not None:
                resolved_account = found[1]

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
                tx,
                viewer_id,
                q,
                limit=limit,
                offset=offset,
                following=following,
                resolved_id=resolved_account,
            )
            result["accounts"] = shown_accounts.many(tx, rows)
        if kind in (None, "hashtags"):
            rows = core_search.search_hashtags(tx, q, limit=limit, offset=offset)
            result["hashtags"] = [tag_entity(r, tx.settings) for r in rows]
        if kind in (None, "statuses") and viewer_id is not None:
            if account_raw and account_id is None:
                return result
            ids = core_search.search_statuses(
                tx,
                viewer_id,
                q,
                limit=limit,
                offset=offset,
                account_id=account_id,
                max_id=max_id,
                min_id=min_id,
            )
            if resolved_status is not None and offset == 0:
                ids = [resolved_status] + [i for i in ids if i != resolved_status][: limit - 1]
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
        return shown_accounts.many(tx, rows)

    return JSON(await database(request).read(work))


routes = [
    Route("/api/v2/search", search_v2, methods=["GET"]),
    Route("/api/v1/accounts/search", search_accounts_v1, methods=["GET"]),
]
