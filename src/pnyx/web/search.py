"""Web page: search for accounts, hashtags and posts (GET /search?q=...).

It follows GET /api/v2/search: anyone may look for accounts and hashtags; posts are searched
only for a signed-in person, among the posts they may see (core applies the visibility rules).
A signed-in person searching for `@user@host` (or a post's address) has it looked up on its
server first, in a worker thread, so an account elsewhere can be found and followed from here;
a failed lookup simply finds nothing.
"""

from __future__ import annotations

from urllib.parse import urlencode

import anyio.to_thread
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from pnyx.core import search as core_search
from pnyx.core import status_views
from pnyx.core.errors import Invalid
from pnyx.edges.http import database, without_nul
from pnyx.federation import resolve as remote
from pnyx.presenters import entities
from pnyx.web import label_badges
from pnyx.web.session import respond, visitor

MAX_QUERY = 500
LIMIT = 20


def _query(request: Request) -> str:
    q = request.query_params.get("q") or ""
    return (without_nul(q) or "").strip()[:MAX_QUERY]


async def _resolve(request: Request, q: str) -> tuple[str, int] | None:
    """Look a handle or URL up on its server: ("account" or "status", id), or None."""
    return await anyio.to_thread.run_sync(
        remote.resolve_quietly, database(request), request.app.state.settings, q
    )


async def search_page(request: Request) -> Response:
    who = await visitor(request)
    q = _query(request)
    viewer_id = who.account_id
    resolved_status = resolved_account = None
    if q and viewer_id is not None and remote.looks_resolvable(q):
        found = await _resolve(request, q)
        if found is not None and found[0] == "status":
            resolved_status = found[1]
        elif found is not None:
            resolved_account = found[1]

    def work(tx):
        accounts = core_search.search_accounts(
            tx, viewer_id, q, limit=LIMIT, resolved_id=resolved_account
        )
        hashtags = core_search.search_hashtags(tx, q, limit=LIMIT)
        statuses: list[dict] = []
        if viewer_id is not None:
            try:
                ids = core_search.search_statuses(tx, viewer_id, q, limit=LIMIT)
            except Invalid:  # a malformed date operator: no posts, the rest still shown
                ids = []
            if resolved_status is not None:
                ids = [resolved_status] + [i for i in ids if i != resolved_status][: LIMIT - 1]
            bundle = status_views.load(tx, ids, viewer_id)
            statuses = entities.statuses(bundle, tx.settings, tx.now)
            statuses = label_badges.shown_only(label_badges.with_labels(tx, statuses, viewer_id))
        return [entities.account(r, tx.settings) for r in accounts], hashtags, statuses

    accounts, hashtags, statuses = ([], [], [])
    if q:
        accounts, hashtags, statuses = await database(request).read(work)
    return respond(
        request,
        who,
        "site/search.html",
        q=q,
        return_to=f"/search?{urlencode({'q': q})}" if q else "/search",
        accounts=accounts,
        hashtags=[{"name": t.name} for t in hashtags],
        statuses=statuses,
    )


routes = [Route("/search", search_page, methods=["GET"])]
