"""The public page of the feed algorithms (`/feeds`) and the source of each as it runs
(`/feeds/:id/source`, text/plain), so that the published code is exactly the running code
when the operator publishes no PNYX_SOURCE_URL."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from pnyx.core import feed_pins, why_shown
from pnyx.core.algorithms import catalog, composed, versions
from pnyx.web.message_pages import not_found_page
from pnyx.web.session import Visitor, respond, visit, visitor


async def index(request: Request) -> Response:
    def mine(tx, who: Visitor):
        """A signed-in visitor's pins and composed feeds (their pin and follow buttons)."""
        if who.account_id is None:
            return set(), []
        own, followed = composed.of_account(tx, who.account_id)
        return feed_pins.pinned_feed_ids(tx, who.account_id), own + followed

    who, (pinned, composed_feeds) = await visit(request, mine)
    settings = who.site or request.app.state.settings
    entries = [
        catalog.describe(a, settings.source_url, settings.base_url)
        for a in catalog.ALGORITHMS.values()
    ]
    return respond(
        request,
        who,
        "site/feeds.html",
        feeds=entries,
        pinned=pinned,
        composed_feeds=composed_feeds,
        why_days=why_shown.RETENTION_DAYS,
    )


async def source(request: Request) -> Response:
    algorithm = catalog.get(request.path_params["id"])
    if algorithm is None:
        return not_found_page(request, await visitor(request))
    parts = [
        f"# ===== {catalog.SOURCE_ROOT}/{m.__name__.rsplit('.', 1)[-1]}.py =====\n"
        + versions.source_of(m)
        for m in algorithm.modules
    ]
    header = f"# {algorithm.id}@{algorithm.version}: the modules its version hashes, in order.\n"
    return PlainTextResponse(header + "\n".join(parts))


routes = [
    Route("/feeds", index, methods=["GET"]),
    Route("/feeds/{id}/source", source, methods=["GET"]),
]
