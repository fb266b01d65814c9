"""The collections of a local actor, as other servers page through them: followers,
following, the outbox (its public posts as Creates) and featured (its pinned posts). See
`serving` for who gets what."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from pnyx.core import federation_reads as reads
from pnyx.core import portability_reads
from pnyx.edges.http import database, settings
from pnyx.federation import internal_to_as2
from pnyx.federation.serving import (
    ap_error,
    cacheable,
    document,
    embedded,
    gone,
    not_found,
    signer,
    unsigned,
)


async def _collection_owner(request: Request):
    """(account row, None) when the collection may be served, or (None, error response)."""
    if settings(request).authorized_fetch and await signer(request) is None:
        return None, unsigned()
    row = await database(request).read(reads.local_account, request.path_params["username"])
    if row is None:
        return None, not_found()
    if row.suspended_at is not None:
        return None, gone()
    return row, None


def _page_number(value: str | None) -> int:
    """`?page=N`, 1-based; anything unreadable is the first page, as Mastodon's pager does."""
    try:
        number = int(value or "1")
    except ValueError:
        return 1
    return min(max(number, 1), 1_000_000)


async def _follow_collection(request: Request, kind: str) -> Response:
    row, error = await _collection_owner(request)
    if error is not None:
        return error
    if kind == "followers":
        url = row.followers_url or f"{row.uri}/followers"
        total = row.followers_count
    else:
        url = row.following_url or f"{row.uri}/following"
        total = row.following_count
    may_cache = cacheable(request)
    hidden = row.hide_collections
    if hidden and kind == "following" and await _portability_grant(request, row.id):
        # LOLA: the person's new server, with their grant, may read whom they follow.
        hidden, may_cache = False, False
    page = request.query_params.get("page")
    if page is None or page == "":
        if hidden:
            # The count stays public (Mastodon shows it); who is in the list does not.
            return document(
                internal_to_as2.ordered_collection(url, total=total), cacheable=may_cache
            )
        body = internal_to_as2.ordered_collection(url, total=total, first=f"{url}?page=1")
        return document(body, cacheable=may_cache)
    if hidden:
        return ap_error(403, "This account does not show who it follows or who follows it")
    number = _page_number(page)
    items, more = await database(request).read(reads.follow_page, row.id, kind, number)
    body = internal_to_as2.ordered_collection_page(
        f"{url}?page={number}",
        part_of=url,
        items=items,
        next=f"{url}?page={number + 1}" if more else None,
        prev=f"{url}?page={number - 1}" if number > 1 else None,
    )
    body.setdefault("totalItems", total)
    return document(body, cacheable=may_cache)


async def _portability_grant(request: Request, account_id: int) -> bool:
    header = request.headers.get("authorization", "")
    token = header[7:].strip() if header[:7].lower() == "bearer " else None
    if not token:
        return False
    return await database(request).read(portability_reads.authorized, token, account_id)


async def followers(request: Request) -> Response:
    return await _follow_collection(request, "followers")


async def following(request: Request) -> Response:
    return await _follow_collection(request, "following")


def _cursor(value: str | None) -> int | None:
    """`max_id` / `min_id` of an outbox page; 0 is allowed (the `last` link starts there)."""
    if not value:
        return None
    try:
        number = int(value)
    except ValueError:
        return None
    return number if 0 <= number < (1 << 63) else None


async def outbox(request: Request) -> Response:
    row, error = await _collection_owner(request)
    if error is not None:
        return error
    config = settings(request)
    url = row.outbox_url or f"{row.uri}/outbox"
    may_cache = cacheable(request)
    params = request.query_params
    if not params.get("page"):
        body = internal_to_as2.ordered_collection(
            url, total=row.statuses_count, first=f"{url}?page=true"
        )
        body.setdefault("last", f"{url}?min_id=0&page=true")
        return document(body, cacheable=may_cache)
    max_id, min_id = _cursor(params.get("max_id")), _cursor(params.get("min_id"))
    ids, bundle = await database(request).read(reads.outbox_page, row.id, max_id, min_id)
    items = [
        internal_to_as2.create(internal_to_as2.status_note(bundle, i, config), actor_uri=row.uri)
        for i in ids
    ]
    context = items[0]["@context"] if items else None
    if max_id is not None:
        page_id = f"{url}?max_id={max_id}&page=true"
    elif min_id is not None:
        page_id = f"{url}?min_id={min_id}&page=true"
    else:
        page_id = f"{url}?page=true"
    body = internal_to_as2.ordered_collection_page(
        page_id,
        part_of=url,
        items=embedded(items),
        next=f"{url}?max_id={ids[-1]}&page=true" if len(ids) == reads.OUTBOX_PAGE else None,
        prev=f"{url}?min_id={ids[0]}&page=true" if ids else None,
    )
    if context is not None:
        body["@context"] = context
    return document(body, cacheable=may_cache)


async def featured(request: Request) -> Response:
    row, error = await _collection_owner(request)
    if error is not None:
        return error
    config = settings(request)
    ids, bundle = await database(request).read(reads.featured, row.id)
    items = [internal_to_as2.status_note(bundle, i, config) for i in ids]
    url = row.featured_url or f"{row.uri}/collections/featured"
    body = internal_to_as2.ordered_collection(url, total=len(items), items=embedded(items))
    if items:
        body["@context"] = items[0]["@context"]
    return document(body, cacheable=cacheable(request))


routes = [
    Route("/users/{username}/followers", followers, methods=["GET"]),
    Route("/users/{username}/following", following, methods=["GET"]),
    Route("/users/{username}/outbox", outbox, methods=["GET"]),
    Route("/users/{username}/collections/featured", featured, methods=["GET"]),
]
