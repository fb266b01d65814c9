"""The inboxes: where other servers POST activities (per account, shared, instance actor).

A POST is accepted (202) only when its HTTP signature verifies and its signer is the
activity's actor. It is then stored durably (a job) before the answer goes out, and processed
by a worker (`handlers`). The same activity id twice is accepted and ignored, except an
Accept or Reject (see ANSWERS). Every POST is logged at info level: accepted (type, id, actor),
dropped as seen before, or refused with its reason; nothing from a refused request is stored.
"""

from __future__ import annotations

import logging

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from pnyx.db.engine import Database
from pnyx.db.ids import new_id
from pnyx.db.insert_ignore import insert_ignore
from pnyx.db.tables import seen_activities
from pnyx.edges.http import JSON, ApiError, database
from pnyx.federation import as2_to_internal as parse
from pnyx.federation import handlers
from pnyx.federation.authentication import Unauthenticated, authenticate
from pnyx.federation.delivery import domain_of, mark_available
from pnyx.jobs.queue import enqueue

log = logging.getLogger("pnyx.federation.inbox")

PROCESS = "inbox.process"
# Answers to a follow are processed again when their id comes back: their handlers act only
# on a request still pending, so a repeat changes nothing, and some servers (Takahē) answer a
# new Follow with an Accept that reuses the id of their first one.
ANSWERS = frozenset({"Accept", "Reject"})
MAX_BODY = 1_000_000
MAX_DEPTH = 32


def _depth(value, limit: int) -> int:
    """Nesting depth of a JSON value, stopping early past `limit`."""
    stack = [(value, 1)]
    deepest = 0
    while stack:
        item, depth = stack.pop()
        deepest = max(deepest, depth)
        if deepest > limit:
            return deepest
        if isinstance(item, dict):
            stack.extend((v, depth + 1) for v in item.values())
        elif isinstance(item, list):
            stack.extend((v, depth + 1) for v in item)
    return deepest


def _refuse(status: int, reason: str, request: Request) -> ApiError:
    client = request.client.host if request.client else "?"
    log.info("inbox %s refused from %s: %s", request.url.path, client, reason)
    return ApiError(status, reason)


async def receive(request: Request) -> Response:
    settings = request.app.state.settings
    db: Database = database(request)
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > MAX_BODY:
        raise _refuse(413, "Payload too large", request)
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY:
            raise _refuse(413, "Payload too large", request)
    try:
        doc = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise _refuse(400, "Body is not JSON", request) from None
    if not isinstance(doc, dict) or _depth(doc, MAX_DEPTH) > MAX_DEPTH:
        raise _refuse(400, "Body is not an activity", request)

    path = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    try:
        signer = await authenticate(db, settings, request.method, path, request.headers, body)
    except Unauthenticated as exc:
        raise _refuse(exc.status, exc.reason, request) from None
    try:
        activity = parse.parse_activity(doc)
    except parse.InvalidDocument as exc:
        raise _refuse(400, f"Invalid activity: {exc}", request) from None
    if activity.actor != signer.uri:
        # Relayed activities would need a linked-data signature; we do not take them.
        raise _refuse(401, "The signer is not the activity's actor", request)
    if activity.id is not None and not parse.same_origin(activity.id, signer.uri):
        raise _refuse(401, "The activity's id is not on its actor's origin", request)

    def store(tx) -> bool:
        mark_available(tx, domain_of(signer.uri))
        first_time = activity.id is None or insert_ignore(
            tx, seen_activities, {"id": new_id(), "uri": activity.id, "created_at": tx.now}
        )
        if not first_time and activity.type not in ANSWERS:
            return False  # seen before: nothing changes
        enqueue(tx, PROCESS, {"activity": doc, "signer_id": signer.id}, max_attempts=10)
        return True

    if await db.write(store):
        log.info("inbox accepted %s %s from %s", activity.type, activity.id, signer.uri)
    else:
        log.info("inbox dropped %s %s from %s: seen before", activity.type, activity.id, signer.uri)
    return JSON({}, status_code=202)


def process(db: Database, payload: dict) -> None:
    handlers.process(db, db.settings, payload["activity"], payload["signer_id"])


routes = [
    Route("/inbox", receive, methods=["POST"]),
    Route("/users/{username}/inbox", receive, methods=["POST"]),
    Route("/actor/inbox", receive, methods=["POST"]),
]
