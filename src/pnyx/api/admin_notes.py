"""Pnyx admin API: the servers whose community notes this one takes in, and scoring now.

    GET    /api/v1/pnyx/admin/notes/peers              the peers, each {account_id, domain,
                                                       uri, created_at, following, requested,
                                                       followed_by}
    POST   /api/v1/pnyx/admin/notes/peers              domain: take in that server's notes
                                                       (its `notes@domain` is looked up)
    DELETE /api/v1/pnyx/admin/notes/peers/:account_id  stop taking them in
    POST   /api/v1/pnyx/admin/notes/score              score every note now; the run's summary

Admins only (`admin:read` / `admin:write`). The rules are `core.notes.peers`'; finding the
other server's notes actor (WebFinger, then its actor) is done here, outside any transaction,
with the one safe client (`federation.resolve`). A domain without a Pnyx notes actor (one that
announces a key for its proofs) answers 422.
"""

from __future__ import annotations

from dataclasses import asdict

import anyio.to_thread
from starlette.requests import Request
from starlette.routing import Route

from pnyx.api.admin_accounts import staff
from pnyx.api.http import JSON, database, path_id, read_params
from pnyx.core import domain_blocks
from pnyx.core.errors import Invalid
from pnyx.core.notes import peers, scoring_runs
from pnyx.federation import note_documents, resolve
from pnyx.presenters import entities

READ = "admin:read"
WRITE = "admin:write"


def peer_entity(row) -> dict:
    return {
        "account_id": str(row.account_id),
        "domain": row.domain,
        "uri": row.uri,
        "created_at": entities.iso(row.created_at),
        "following": bool(row.following),
        "requested": bool(row.requested),
        "followed_by": bool(row.followed_by),
    }


async def index(request: Request) -> JSON:
    def work(tx):
        staff(tx, request, READ, admin=True)
        return [peer_entity(row) for row in peers.listing(tx)]

    return JSON(await database(request).write(work))


def find_notes_actor(db, settings, domain: str) -> int:
    try:
        return note_documents.find_notes_actor(db, settings, domain)
    except resolve.ResolveError as exc:
        raise Invalid(f"{peers.NOT_A_PEER.format(domain=domain)}: {exc.reason}") from None


async def create(request: Request) -> JSON:
    params = await read_params(request)
    raw = params.str("domain", "", max_len=255) or ""
    if not raw.strip():
        raise Invalid("Validation failed: Domain can't be blank")
    domain = domain_blocks.normalize(raw)
    db = database(request)
    settings = request.app.state.settings
    if domain == settings.domain.lower():
        raise Invalid("This server's own notes are not taken in from itself")
    await db.read(lambda tx: staff(tx, request, WRITE, admin=True))  # before any fetch
    account_id = await anyio.to_thread.run_sync(find_notes_actor, db, settings, domain)

    def work(tx):
        staff(tx, request, WRITE, admin=True)
        return peer_entity(peers.add(tx, account_id))

    return JSON(await db.write(work))


async def delete(request: Request) -> JSON:
    account_id = path_id(request, "account_id")

    def work(tx):
        staff(tx, request, WRITE, admin=True)
        peers.remove(tx, account_id)
        return {}

    return JSON(await database(request).write(work))


async def score(request: Request) -> JSON:
    """Score now (in a child process, as the hourly job does): the run's summary, or
    `{"run_id": null}` when there is no note to score."""
    db = database(request)
    await db.read(lambda tx: staff(tx, request, WRITE, admin=True))
    summary = await anyio.to_thread.run_sync(scoring_runs.run, db)
    if summary is None:
        return JSON({"run_id": None})
    body = asdict(summary)
    body["run_id"] = None if summary.run_id is None else str(summary.run_id)
    return JSON(body)


routes = [
    Route("/api/v1/pnyx/admin/notes/peers", index, methods=["GET"]),
    Route("/api/v1/pnyx/admin/notes/peers", create, methods=["POST"]),
    Route("/api/v1/pnyx/admin/notes/peers/{account_id}", delete, methods=["DELETE"]),
    Route("/api/v1/pnyx/admin/notes/score", score, methods=["POST"]),
]
