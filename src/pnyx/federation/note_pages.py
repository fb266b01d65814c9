"""Where other servers read this server's notes and ratings: each at its id, signed by the
notes actor (`note_documents`), so that a server that missed a delivery (a rating of a note
it never got) reads the note and checks it as a delivered one.

- `/notes/{id}`: the `CommunityNote`, for servers; a browser gets the note's page
  (`pnyx.web`): app.py's negotiated routes choose, so that federation never imports web. A
  deleted note answers 410 with its Tombstone.
- `/notes/{id}/ratings/{rating_id}`: the `NoteRating`, for servers only; 410 once its note
  is deleted.

Notes and ratings are public data (the open data publishes them): served to everyone in
every mode, as labels are. Another server's note is served by its own server only.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from pnyx.core import federation_reads as reads
from pnyx.core import integrity_keys
from pnyx.core.notes import actor as notes_actor
from pnyx.core.notes import outgoing
from pnyx.db.ids import parse_id
from pnyx.edges.http import database
from pnyx.federation import internal_to_as2
from pnyx.federation import note_documents as documents
from pnyx.federation.serving import document, gone, not_found

GONE = "gone"


def _actor(tx):
    row = reads.account(tx, notes_actor.notes_actor(tx))
    return None if row is None or row.suspended_at is not None else row


async def note_document(request: Request) -> Response:
    """A note written here, signed, at its id (for servers)."""
    note_id = parse_id(request.path_params["id"])

    def work(tx):
        if note_id is None:
            return None
        found = outgoing.note(tx, note_id)
        actor = _actor(tx)
        if found is None or actor is None:
            return None
        if found.row.deleted_at is not None:
            return internal_to_as2.tombstone(found.row.uri, found.row.deleted_at)
        key = integrity_keys.ensure_local(tx, actor.id)
        return documents.note_object(found, actor.uri, key)

    body = await database(request).write(work)
    if body is None:
        return not_found()
    if body.get("type") == "Tombstone":
        return document(body, cacheable=False, status_code=410)
    return document(body, cacheable=True)


async def rating_document(request: Request) -> Response:
    """A rating given here, signed, at its id (for servers only)."""
    note_id = parse_id(request.path_params["id"])
    rating_id = parse_id(request.path_params["rating_id"])

    def work(tx):
        if note_id is None or rating_id is None:
            return None
        if outgoing.note_deleted(tx, note_id):
            return GONE
        found = outgoing.rating(tx, rating_id, note_id)
        actor = _actor(tx)
        if found is None or actor is None:
            return None
        key = integrity_keys.ensure_local(tx, actor.id)
        return documents.rating_object(found, actor.uri, key)

    body = await database(request).write(work)
    if body is None:
        return not_found()
    if body == GONE:
        return gone()
    return document(body, cacheable=True)


routes = [Route("/notes/{id:int}/ratings/{rating_id:int}", rating_document, methods=["GET"])]
