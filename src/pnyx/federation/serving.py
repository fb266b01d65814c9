"""How the ActivityPub documents other servers fetch are answered: the media type, what
caches may keep, the error bodies, and who signed the request.

The documents themselves are served by `actor_documents` (actors), `status_documents`
(Notes and their Creates) and `actor_collections` (followers, following, outbox, featured).
What is served to whom:
- public and unlisted statuses to anyone; followers-only and direct ones only to a signed
  request whose signer may see them (`core.visibility`), and otherwise 404 — never 401 or 403,
  which would tell a stranger that something is there;
- a suspended account's actor and collections answer 410 Gone: its profile must not be shown,
  and 410 tells fetchers the actor is unavailable (unlike WebFinger, see discovery.py, an actor
  fetch answered 410 does not make Mastodon delete its copy). Its statuses answer 404, as for
  everyone else who may not see them;
- with `authorized_fetch` on, every document except the instance actor needs a request
  signed by a known actor (401 otherwise); the account actor is still served unsigned, reduced
  to what a server needs to check that account's signatures (Mastodon does the same, so
  that two servers in this mode can still fetch each other's keys).

One address serves two audiences: a server asking for `application/activity+json` (or
`application/ld+json`, or plain `application/json` as Mastodon also answers) gets the
document, a browser the web page (`pnyx.edges.negotiation`). Responses say `Vary: Accept` so
that caches keep the two apart.
"""

from __future__ import annotations

import orjson
from starlette.requests import Request
from starlette.responses import Response

from pnyx.edges.http import database, settings
from pnyx.federation import authentication

AP_MEDIA_TYPE = "application/activity+json; charset=utf-8"
PUBLIC_CACHE = "max-age=180, public"
PRIVATE_CACHE = "max-age=0, private"


def document(body: dict, *, cacheable: bool, status_code: int = 200) -> Response:
    """An ActivityPub document. Only what anyone may see is marked cacheable by shared caches."""
    return Response(
        orjson.dumps(body),
        status_code=status_code,
        media_type=AP_MEDIA_TYPE,
        headers={"Vary": "Accept", "Cache-Control": PUBLIC_CACHE if cacheable else PRIVATE_CACHE},
    )


def ap_error(status: int, message: str) -> Response:
    return Response(
        orjson.dumps({"error": message}),
        status_code=status,
        media_type="application/json",
        headers={"Vary": "Accept", "Cache-Control": PRIVATE_CACHE},
    )


def plain_error(status: int, message: str) -> Response:
    return Response(
        message, status_code=status, media_type="text/plain", headers={"Vary": "Accept"}
    )


def not_found(ap: bool = True) -> Response:
    return ap_error(404, "Record not found") if ap else plain_error(404, "Not Found")


def gone() -> Response:
    return ap_error(410, "Gone")


def unsigned() -> Response:
    return ap_error(401, "Request not signed")


def cacheable(request: Request) -> bool:
    """In authorized-fetch mode answers depend on who signed: no shared cache may keep them."""
    return not settings(request).authorized_fetch


def embedded(documents: list[dict]) -> list[dict]:
    """Documents inside a collection: the collection carries the one @context for all."""
    return [{k: v for k, v in doc.items() if k != "@context"} for doc in documents]


def _request_target(request: Request) -> str:
    """The path and query exactly as the client sent them: what its signature covers."""
    raw = request.scope.get("raw_path")
    path = raw.decode("latin-1") if raw else request.url.path
    query = request.scope.get("query_string", b"")
    return path + ("?" + query.decode("latin-1") if query else "")


async def signer(request: Request):
    """The remote account that signed this request, or None when it is unsigned or its
    signature does not verify. An unknown key is fetched once (authentication.authenticate)."""
    if not authentication.is_signed(request.headers):
        return None
    try:
        return await authentication.authenticate(
            database(request),
            settings(request),
            request.method,
            _request_target(request),
            request.headers,
            b"",
        )
    except authentication.Unauthenticated:
        return None
