"""Mastodon API: a person's blocks of whole servers (`/api/v1/domain_blocks`). The rules (what
a block hides, the follows it ends) are in pnyx.core.user_domain_blocks."""

from __future__ import annotations

from starlette.requests import Request
from starlette.routing import Route

from pnyx.api.auth import require
from pnyx.api.http import JSON, database, read_params
from pnyx.api.pagination import page_from, paginated
from pnyx.core import user_domain_blocks as domain_blocks


async def index(request: Request) -> JSON:
    params = await read_params(request)
    wanted = page_from(params, default=100, maximum=200)

    def work(tx):
        viewer = require(tx, request, "read:blocks")
        rows = domain_blocks.page(tx, viewer.account_id, wanted)
        return [r.domain for r in rows], [r.id for r in rows]

    items, cursors = await database(request).read(work)
    return paginated(request, items, cursors)


def _change(act):
    async def handler(request: Request) -> JSON:
        params = await read_params(request)
        domain = params.str("domain")

        def work(tx):
            viewer = require(tx, request, "write:blocks")
            act(tx, viewer.account_id, domain)
            return {}

        return JSON(await database(request).write(work))

    return handler


routes = [
    Route("/api/v1/domain_blocks", index, methods=["GET"]),
    Route("/api/v1/domain_blocks", _change(domain_blocks.block), methods=["POST"]),
    Route("/api/v1/domain_blocks", _change(domain_blocks.unblock), methods=["DELETE"]),
]
