"""The inboxes: where other servers POST activities (per account, shared, instance actor).

A POST is accepted (202) only when its HTTP signature verifies and either its signer is the
activity's actor or the activity carries a valid Data Integrity proof by its actor (FEP-8b32,
`inbox_proofs`: a proof outranks the HTTP signature, so relayed and forwarded activities are
taken as their actor's; a proof that is present but fails is refused, whoever delivered it).
It is then stored durably (a job) before the answer goes out, and processed
by a worker (`handlers`). The key lookup, the signature check and the store are one short
transaction, shared with the POSTs that arrive meanwhile (`group_commit`); only an unknown key
is fetched outside it first. The activity is parsed here, once: the job gets it parsed.
The same activity id twice is accepted and ignored, except an Accept or Reject (see ANSWERS). Every POST is logged at info level: accepted (type, id, actor),
dropped as seen before, or refused with its reason; nothing from a refused request is stored.
"""

from __future__ import annotations

import functools
import logging
from datetime import datetime

import orjson
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from pnyx.core import seen_activities
from pnyx.db.engine import Database
from pnyx.edges.http import JSON, ApiError, database
from pnyx.federation import as2_to_internal as parse
from pnyx.federation import data_integrity, group_commit, handlers, inbox_proofs
from pnyx.federation.authentication import (
    Unauthenticated,
    fetch_signer,
    key_id_of,
    known_signer,
)
from pnyx.federation.delivery import domain_of, mark_available
from pnyx.jobs.queue import enqueue

log = logging.getLogger("pnyx.federation.inbox")
proof_log = logging.getLogger("pnyx.federation.proofs")

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
        key_id = key_id_of(request.headers)
    except Unauthenticated as exc:
        raise _refuse(exc.status, exc.reason, request) from None
    try:
        activity: parse.Activity | Refusal = parse.parse_activity(doc)
    except parse.InvalidDocument as exc:
        activity = Refusal(400, f"Invalid activity: {exc}")  # told after the signature
    check = functools.partial(
        known_signer,
        key_id=key_id,
        method=request.method,
        path=path,
        headers=request.headers,
        body=body,
        settings=settings,
    )
    try:
        outcome = await _decide(db, settings, activity, check, key_id, request, path, body)
    except Unauthenticated as exc:
        raise _refuse(exc.status, exc.reason, request) from None
    except Refusal as exc:
        raise _refuse(exc.status, exc.reason, request) from None
    except inbox_proofs.ProofRefused as exc:
        proof_log.warning("inbox %s refused a proof: %s", request.url.path, exc.reason)
        raise _refuse(exc.status, exc.reason, request) from None
    accepted, activity, signer_uri = outcome
    if accepted and signer_uri != activity.actor:
        log.info(
            "inbox accepted %s %s of %s (its proof) from %s",
            activity.type,
            activity.id,
            activity.actor,
            signer_uri,
        )
    elif accepted:
        log.info("inbox accepted %s %s from %s", activity.type, activity.id, signer_uri)
    else:
        log.info("inbox dropped %s %s from %s: seen before", activity.type, activity.id, signer_uri)
    return JSON({}, status_code=202)


async def _decide(db: Database, settings, activity, check, key_id: str, request, path, body):
    """`accept` run until it decides, with what it asks for done outside any transaction in
    between: the signer's key fetched, the proof canonicalized (the costly part of checking
    it, done only once the HTTP signature holds), the proof's actor fetched."""
    committer = group_commit.for_loop(db)
    outcome = await committer.run(functools.partial(accept, activity=activity, check=check))
    if outcome is None:  # the key must be fetched first (never inside a transaction)
        signer = await fetch_signer(
            db, settings, key_id, request.method, path, request.headers, body
        )
        check = functools.partial(_known, signer)
        outcome = await committer.run(functools.partial(accept, activity=activity, check=check))
    if outcome is PROOF_TO_PREPARE:
        prepared = await run_in_threadpool(data_integrity.prepare, activity.raw)
        if prepared is None:
            raise inbox_proofs.ProofRefused(inbox_proofs.DOES_NOT_VERIFY)
        work = functools.partial(accept, activity=activity, check=check, prepared=prepared)
        outcome = await committer.run(work)
        if outcome is ACTOR_NEEDED:  # the proof's actor or key, fetched first (same reason)
            await inbox_proofs.fetch_actor(db, settings, activity.actor)
            outcome = await committer.run(functools.partial(work, actor_fetched=True))
    return outcome


class Refusal(Exception):  # noqa: N818 - an answer, raised to leave the transaction's work
    def __init__(self, status: int, reason: str):
        super().__init__(reason)
        self.status = status
        self.reason = reason


# `accept`'s answers when the activity's proof must be canonicalized first, and when the
# actor of a proof, or its key, must be fetched first.
PROOF_TO_PREPARE = object()
ACTOR_NEEDED = object()


def _known(signer, tx):
    """A signer found before (its key fetched): the check of the second try."""
    return signer


def accept(
    tx,
    activity: parse.Activity | Refusal,
    check,
    prepared: data_integrity.Prepared | None = None,
    actor_fetched: bool = False,
):
    """The accept path's one transaction (run with others, `group_commit`): who signed (the
    key looked up and the signature verified by `check`), who wrote it (the signer, or the
    actor whose proof it carries: `inbox_proofs`, with the proof `prepared`), and the
    activity stored for processing as its actor's. None when the signer's key must be fetched
    first, PROOF_TO_PREPARE when the proof must be prepared, ACTOR_NEEDED when the proof's
    actor or key must be fetched; otherwise (stored or seen before, the activity, the
    signer's uri). Decides before it writes: a refusal leaves nothing behind."""
    signer = check(tx)
    if signer is None:
        return None
    if isinstance(activity, Refusal):
        raise activity
    author = signer
    if inbox_proofs.carries_proof(activity.raw):
        if prepared is None:
            return PROOF_TO_PREPARE
        author = inbox_proofs.proven_actor(
            tx, activity.raw, prepared, activity.actor, fetched=actor_fetched
        )
        if author is None:
            return ACTOR_NEEDED
    elif activity.actor != signer.uri:
        raise Refusal(401, "The signer is not the activity's actor, and it has no proof by them")
    if activity.id is not None and not parse.same_origin(activity.id, author.uri):
        raise Refusal(401, "The activity's id is not on its actor's origin")
    mark_available(tx, domain_of(signer.uri))
    first_time = activity.id is None or seen_activities.first_sight(tx, activity.id)
    if not first_time and activity.type not in ANSWERS:
        return False, activity, signer.uri  # seen before: nothing changes
    enqueue(tx, PROCESS, payload(activity, author.id), max_attempts=10)
    return True, activity, signer.uri


# --- The jobs: processing (one transaction, no network) and the fetches it asks for ---------

FETCH = "inbox.fetch"


def payload(activity: parse.Activity, signer_id: int, fetched: dict | None = None) -> dict:
    """The processing job's payload: the activity as the inbox parsed it (its envelope, and
    the document it came in), so the job does not parse or validate it again."""
    envelope = {
        "id": activity.id,
        "type": activity.type,
        "actor": activity.actor,
        "object": activity.object,
        "object_id": activity.object_id,
        "object_ids": activity.object_ids,
        "target": activity.target,
        "to": activity.to,
        "cc": activity.cc,
        "published": activity.published.isoformat() if activity.published else None,
    }
    embedded = isinstance(activity.object, dict) and activity.raw.get("object") is activity.object
    if embedded:
        envelope["object"] = None  # it is the document's own "object": not stored twice
    return {
        "activity": activity.raw,
        "envelope": envelope,
        "embedded": embedded,
        "signer_id": signer_id,
        "fetched": fetched or {},
    }


def activity_of(data: dict) -> parse.Activity:
    """The parsed activity back from a payload (rows queued by earlier versions carry only
    the document, and are parsed here)."""
    doc = data["activity"]
    envelope = data.get("envelope")
    if envelope is None:
        return parse.parse_activity(doc)
    published = envelope["published"]
    return parse.Activity(
        **{
            **envelope,
            "object": doc["object"] if data.get("embedded") else envelope["object"],
            "published": datetime.fromisoformat(published) if published else None,
        },
        raw=doc,
    )


def process(tx, data: dict) -> None:
    """The `inbox.process` job: the activity's whole effect, in the job's transaction. What
    must first be fetched from elsewhere becomes an `inbox.fetch` job, which brings this one
    back when it is done."""
    fetched = data.get("fetched") or {}
    try:
        handlers.apply(tx, activity_of(data), data["signer_id"], fetched)
    except handlers.NeedsFetch as need:
        # Raised before any change: this transaction only records the fetch.
        request = {"uri": need.uri, "what": need.what, "depth": need.depth}
        then = {**data, "fetched": fetched} if need.again else None
        enqueue(tx, FETCH, {**request, "then": then}, max_attempts=10)


def fetch(db: Database, data: dict) -> None:
    """The `inbox.fetch` job: fetch what an activity needs (on the network, outside any
    transaction), then queue the activity's processing again."""
    need = handlers.NeedsFetch(
        data["uri"], data["what"], again=data["then"] is not None, depth=data["depth"]
    )
    found = handlers.run_fetch(db, db.settings, need)
    if data["then"] is not None:
        then = data["then"]
        again = {**then, "fetched": {**then["fetched"], need.uri: found}}
        db.run_sync(lambda tx: enqueue(tx, PROCESS, again, max_attempts=10))


routes = [
    Route("/inbox", receive, methods=["POST"]),
    Route("/users/{username}/inbox", receive, methods=["POST"]),
    Route("/actor/inbox", receive, methods=["POST"]),
]
