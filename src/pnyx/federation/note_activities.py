"""The activities that tell the peers of this server's notes and ratings (`activities.RENDERERS`
registers these renderers).

Every one is sent by the notes actor, signed with its HTTP signature as every delivery is, to
the servers whose notes actor follows it (those that take our notes in: `peers.receivers`),
and the note or rating it carries is signed too (a Data Integrity proof, `note_documents`),
so that it can be checked wherever it is forwarded:

- a note written here: `Create` of the `CommunityNote`;
- a note taken back: `Delete` of its id (a `Tombstone`, `formerType` CommunityNote);
- a rating given: `Create` of the `NoteRating`; changed: `Update` of it (same id, a later
  `updated`). Receivers treat both alike: the latest `updated` of a rater's rating of a note
  stands, a repeat changes nothing;
- a rating taken back: `Delete` of its id.

Who wrote or rated is never sent: only the pseudonym this server gives them.
"""

from __future__ import annotations

from pnyx.core import audiences, integrity_keys
from pnyx.core import events as ev
from pnyx.core import federation_reads as reads
from pnyx.core.notes import actor as notes_actor
from pnyx.core.notes import outgoing, peers
from pnyx.db.ids import new_id
from pnyx.federation import note_documents
from pnyx.federation.vocab import AS_CONTEXT, PUBLIC

Rendered = tuple[int | None, dict, set[str]]


def _actor(tx):
    """The notes actor's row, or None when it cannot speak (suspended)."""
    row = reads.account(tx, notes_actor.notes_actor(tx))
    if row is None or row.suspended_at is not None:
        return None
    return row


def _to_peers(tx, actor, activity: dict) -> list[Rendered]:
    inboxes = audiences.account_inboxes(tx, peers.receivers(tx))
    return [(actor.id, activity, inboxes)] if inboxes else []


def _wrapped(kind: str, id: str, actor_uri: str, obj: dict) -> dict:
    return {
        "@context": note_documents.NOTE_CONTEXT,
        "id": id,
        "type": kind,
        "actor": actor_uri,
        "to": [PUBLIC],
        "object": obj,
    }


def _deleted(id: str, actor_uri: str, object_uri: str, former: str) -> dict:
    return {
        "@context": AS_CONTEXT,
        "id": id,
        "type": "Delete",
        "actor": actor_uri,
        "to": [PUBLIC],
        "object": {"id": object_uri, "type": "Tombstone", "formerType": former},
    }


def note_written(tx, event: ev.NoteWritten) -> list[Rendered]:
    note = outgoing.note(tx, event.note_id)
    actor = _actor(tx)
    if note is None or actor is None or note.row.deleted_at is not None:
        return []
    key = integrity_keys.ensure_local(tx, actor.id)
    obj = note_documents.note_object(note, actor.uri, key)
    return _to_peers(tx, actor, _wrapped("Create", f"{note.row.uri}#create", actor.uri, obj))


def note_deleted(tx, event: ev.NoteDeleted) -> list[Rendered]:
    actor = _actor(tx)
    if actor is None:
        return []
    activity = _deleted(f"{event.note_uri}#delete", actor.uri, event.note_uri, note_documents.NOTE)
    return _to_peers(tx, actor, activity)


def note_rated(tx, event: ev.NoteRated) -> list[Rendered]:
    rating = outgoing.rating(tx, event.rating_id)
    actor = _actor(tx)
    if rating is None or actor is None:
        return []
    key = integrity_keys.ensure_local(tx, actor.id)
    obj = note_documents.rating_object(rating, actor.uri, key)
    changed = rating.row.updated_at > rating.row.created_at
    kind = "Update" if changed else "Create"
    activity_id = f"{rating.row.uri}#{kind.lower()}-{new_id()}"
    return _to_peers(tx, actor, _wrapped(kind, activity_id, actor.uri, obj))


def rating_removed(tx, event: ev.NoteRatingRemoved) -> list[Rendered]:
    actor = _actor(tx)
    if actor is None:
        return []
    activity = _deleted(
        f"{event.rating_uri}#delete", actor.uri, event.rating_uri, note_documents.RATING
    )
    return _to_peers(tx, actor, activity)


RENDERERS = {
    ev.NoteWritten: note_written,
    ev.NoteDeleted: note_deleted,
    ev.NoteRated: note_rated,
    ev.NoteRatingRemoved: rating_removed,
}
