"""The public moderation log as the instance actor's collection (`moderationLog` on `/actor`):
the same entries as `/moderation` and `GET /api/v1/pnyx/moderation_log`, for other servers
and tools that read ActivityPub. Served to everyone in every mode, as the actor itself: the
log is public by design."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from pnyx.core import moderation_log
from pnyx.core.paging import Page
from pnyx.db.ids import parse_id
from pnyx.edges.http import database, settings
from pnyx.federation import internal_to_as2
from pnyx.federation.serving import document, embedded

PAGE_SIZE = 20


async def moderation_log_collection(request: Request) -> Response:
    config = settings(request)
    url = f"{config.base_url}/actor/moderation_log"
    if request.query_params.get("page") != "true":
        total = await database(request).read(moderation_log.public_count)
        body = internal_to_as2.ordered_collection(url, total=total, first=f"{url}?page=true")
        body["@context"] = internal_to_as2.OBJECT_CONTEXT  # the entries' terms (vocab)
        return document(body, cacheable=True)
    max_id = parse_id(request.query_params.get("max_id"))
    page = Page(max_id=max_id, limit=PAGE_SIZE)
    entries = await database(request).read(moderation_log.public_entries, page)
    here = f"{url}?page=true" + (f"&max_id={max_id}" if max_id is not None else "")
    body = internal_to_as2.ordered_collection_page(
        here,
        part_of=url,
        items=embedded([internal_to_as2.moderation_action(e, config) for e in entries]),
        next=f"{url}?page=true&max_id={entries[-1].id}" if len(entries) == PAGE_SIZE else None,
    )
    body["@context"] = internal_to_as2.OBJECT_CONTEXT
    return document(body, cacheable=True)


routes = [Route("/actor/moderation_log", moderation_log_collection, methods=["GET"])]
