"""The source end of a LOLA move: the collections another server pulls an account from.

LOLA (https://swicg.github.io/activitypub-data-portability/lola) moves an account live: the
person signs in here and grants their new server a token for the
`activitypub_account_portability` scope (the ordinary OAuth consent page; the redirect back
names the actor, `activitypub_actor`). With that token the new server reads:

- `content`: every post of the account, private ones included, as the objects themselves
  (no Create around them, as LOLA asks), each as federation serves it, with its author's
  proof (`object_proofs`): the new server keeps it, so the copy stays verifiable;
- `liked`: the posts the person favourited (their ids);
- `blocked`: the accounts the person blocked (FEP-c648's collection).

Each is an OrderedCollection whose pages go by `max_id`, newest first. Without a token for
this account the answer is 401 (a token for another account, or without the scope, too):
these are the person's private things. The actor document names the three URLs and the
authorization endpoint (`accountPortabilityOauth`) to everyone, which LOLA allows: the
names tell nothing, the contents need the grant.
"""

from __future__ import annotations

from collections.abc import Callable

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from pnyx.core import federation_reads as reads
from pnyx.core import portability_reads
from pnyx.edges.http import database, settings
from pnyx.federation import internal_to_as2, object_proofs
from pnyx.federation.serving import ap_error, document, embedded, not_found

# The names LOLA gives these collections on the actor, and where they are here.
COLLECTIONS = ("content", "liked", "blocked")


def actor_links(actor_uri: str, base_url: str) -> dict[str, str]:
    """What the actor document adds for LOLA: where to ask for the grant, what to pull."""
    return {
        "accountPortabilityOauth": f"{base_url}/oauth/authorize",
        **{name: f"{actor_uri}/{name}" for name in COLLECTIONS},
        "migration": f"{actor_uri}/content",
    }


def _token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    if header[:7].lower() == "bearer ":
        return header[7:].strip() or None
    return None


def _cursor(value: str | None) -> int | None:
    if not value:
        return None
    try:
        number = int(value)
    except ValueError:
        return None
    return number if 0 < number < (1 << 63) else None


async def _granted(request: Request):
    """(account row, None) when the request carries this account's portability grant."""
    db = database(request)
    row = await db.read(reads.local_account, request.path_params["username"])
    if row is None:
        return None, not_found()
    # A suspended person may still take their things elsewhere (LOLA recommends it).
    if not await db.read(portability_reads.authorized, _token(request), row.id):
        return None, ap_error(401, "This collection needs the account's portability grant")
    return row, None


def _page(url: str, items: list, next_cursor: int | None, total: int | None = None) -> dict:
    body = internal_to_as2.ordered_collection_page(
        url, part_of=url.split("?", 1)[0], items=items, next=None, prev=None
    )
    base = url.split("?", 1)[0]
    if next_cursor is not None:
        body["next"] = f"{base}?page=true&max_id={next_cursor}"
    if total is not None:
        body["totalItems"] = total
    return body


async def content(request: Request) -> Response:
    row, error = await _granted(request)
    if error is not None:
        return error
    db = database(request)
    url = f"{row.uri}/content"
    if not request.query_params.get("page"):
        total = await db.read(portability_reads.content_count, row.id)
        body = internal_to_as2.ordered_collection(url, total=total, first=f"{url}?page=true")
        return document(body, cacheable=False)
    max_id = _cursor(request.query_params.get("max_id"))
    config = settings(request)

    def load(tx):
        ids = portability_reads.content_page(tx, row.id, max_id)
        bundle = reads.published(tx, ids)
        items = [
            object_proofs.signed(
                tx,
                row.id,
                internal_to_as2.status_note(bundle, i, config),
                object_proofs.status_time(bundle.statuses[i]),
            )
            for i in ids
            if i in bundle.statuses
        ]
        return ids, items

    ids, items = await db.write(load)  # a first proof makes the key
    more = len(ids) == portability_reads.PAGE
    page_url = f"{url}?page=true" + (f"&max_id={max_id}" if max_id else "")
    body = _page(page_url, embedded(items), ids[-1] if more else None)
    if items:
        body["@context"] = items[0]["@context"]
    return document(body, cacheable=False)


async def _uri_collection(
    request: Request, name: str, loader: Callable, counter: Callable
) -> Response:
    row, error = await _granted(request)
    if error is not None:
        return error
    url = f"{row.uri}/{name}"
    if not request.query_params.get("page"):
        total = await database(request).read(counter, row.id)
        return document(
            internal_to_as2.ordered_collection(url, total=total, first=f"{url}?page=true"),
            cacheable=False,
        )
    max_id = _cursor(request.query_params.get("max_id"))
    rows = await database(request).read(loader, row.id, max_id)
    more = len(rows) == portability_reads.PAGE
    page_url = f"{url}?page=true" + (f"&max_id={max_id}" if max_id else "")
    body = _page(page_url, [uri for _, uri in rows], rows[-1][0] if more else None)
    return document(body, cacheable=False)


async def liked(request: Request) -> Response:
    return await _uri_collection(
        request, "liked", portability_reads.liked_page, portability_reads.liked_count
    )


async def blocked(request: Request) -> Response:
    return await _uri_collection(
        request, "blocked", portability_reads.blocked_page, portability_reads.blocked_count
    )


routes = [
    Route("/users/{username}/content", content, methods=["GET"]),
    Route("/users/{username}/liked", liked, methods=["GET"]),
    Route("/users/{username}/blocked", blocked, methods=["GET"]),
]
