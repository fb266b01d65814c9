"""Pnyx API: the public moderation log (pillar 3: moderation in the open). Anyone may read
it, signed in or not, as Mastodon lets anyone read an instance's domain blocks."""

from __future__ import annotations

from starlette.requests import Request
from starlette.routing import Route

from pnyx.api.http import database, read_params
from pnyx.api.pagination import page_from, paginated
from pnyx.core import moderation_log
from pnyx.presenters import moderation_log as presenter


async def index(request: Request):
    params = await read_params(request)
    page = page_from(params)
    action = params.str("action", max_len=64)
    rule_id = moderation_log.rule_filter(params.str("rule_id", max_len=32))

    def work(tx):
        return moderation_log.public_entries(tx, page, action=action or None, rule_id=rule_id)

    entries = await database(request).read(work)
    return paginated(request, [presenter.entry(e) for e in entries], [e.id for e in entries])


routes = [Route("/api/v1/pnyx/moderation_log", index, methods=["GET"])]
