"""Notes and ratings from the peers: the rules they are taken in by.

Federation has checked the envelope (`federation.note_documents`): the object is attributed to
a peer's notes actor (`core.notes.peers`), its id is on that peer's server, and its Data
Integrity proof holds under the key that actor announces, whoever delivered it. What is left
is decided here, the same way for every peer:

- a note says what a note written here says (`writing.check_note`: a classification, reasons
  that fit it, a summary of at most 280 characters with a source for "misleading", no
  mention); its author is a pseudonym of the peer's, stored as `pseudonyms.participant(peer
  domain, pseudonym)` so that no server can speak as another's people;
- a note is taken once: the same id again changes nothing (notes are not edited);
- a rating is of a note held here and not deleted, by someone other than its author; a newer
  rating (its `updated`) by the same rater of the same note replaces the older one, an older
  or equal one changes nothing; a rating id already held for another note or rater is refused;
- only the server a note or rating came from may delete it.

Every note and rating becomes a row through `writing.store_note` / `store_rating`, the one
write path for those written here too, with the peer's domain as `origin` and the signed
object as `document`. A refusal raises `Refused` with the reason, which the caller logs.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from pnyx.core import remote_store
from pnyx.core.errors import CoreError
from pnyx.core.notes import pseudonyms, vocabulary, writing
from pnyx.db.engine import Tx
from pnyx.db.ids import new_id
from pnyx.db.tables import community_notes, note_ratings

# A pseudonym as a server sends it: this server sends 64 hex digits; others may send any
# short token of letters, digits, "-" and "_".
PSEUDONYM = re.compile(r"[A-Za-z0-9_-]{8,128}")
MAX_REASONS = len(vocabulary.MISLEADING_REASONS) + len(vocabulary.NOT_MISLEADING_REASONS)
MAX_TAGS = len(vocabulary.HELPFUL_TAGS) + len(vocabulary.NOT_HELPFUL_TAGS)


class Refused(Exception):  # noqa: N818 - a verdict, logged by the caller
    """Why a received note, rating or deletion is not taken (logged, never stored)."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class ReceivedNote:
    uri: str
    subject_uri: str
    pseudonym: str
    classification: str
    reasons: Sequence[str]
    summary: str
    trustworthy_sources: bool
    published: datetime
    document: dict[str, Any]


@dataclass(frozen=True)
class ReceivedRating:
    uri: str
    note_uri: str
    pseudonym: str
    helpfulness_level: str
    helpful_tags: Sequence[str]
    not_helpful_tags: Sequence[str]
    updated: datetime
    document: dict[str, Any]


def note_by_uri(tx: Tx, uri: str) -> Any | None:
    return tx.one_or_none(sa.select(community_notes).where(community_notes.c.uri == uri))


def rating_by_uri(tx: Tx, uri: str) -> Any | None:
    return tx.one_or_none(sa.select(note_ratings).where(note_ratings.c.uri == uri))


def _pseudonym(value: str) -> str:
    if not isinstance(value, str) or not PSEUDONYM.fullmatch(value):
        raise Refused("its participant is not a pseudonym")
    return value


def _not_after_now(tx: Tx, moment: datetime) -> datetime:
    """A time another server gives, never later than now (a note from the future would stay
    new for ever: valid ratings are counted from its creation)."""
    return min(moment, tx.now)


def subject_status_id(tx: Tx, subject_uri: str) -> int | None:
    """The post a note is about, when it is stored here (an original, not a boost)."""
    row = remote_store.status_by_uri(tx, subject_uri)
    if row is None or row.reblog_of_id is not None:
        return None
    return int(row.id)


def receive_note(tx: Tx, peer: Any, data: ReceivedNote) -> int | None:
    """Keep a peer's note; its id here, or None when it was held already (nothing changes).
    `peer` is the account row of the peer's notes actor."""
    known = note_by_uri(tx, data.uri)
    if known is not None:
        if known.origin != peer.domain:
            raise Refused("a note with this id came from another server")
        return None
    if len(data.reasons) > MAX_REASONS:
        raise Refused("too many reasons")
    try:
        classification, reasons, summary = writing.check_note(
            data.classification, data.reasons, data.summary
        )
    except CoreError as exc:
        raise Refused(exc.message) from None
    created = _not_after_now(tx, data.published)
    note_id = new_id(created)
    return writing.store_note(
        tx,
        {
            "id": note_id,
            "uri": data.uri,
            "subject_uri": data.subject_uri,
            "status_id": subject_status_id(tx, data.subject_uri),
            "author_account_id": None,
            "pseudonym": _pseudonym(data.pseudonym),
            "participant": pseudonyms.participant(peer.domain, _pseudonym(data.pseudonym)),
            "origin": peer.domain,
            "classification": classification,
            "reasons": reasons,
            "trustworthy_sources": bool(data.trustworthy_sources),
            "summary": summary,
            "document": data.document,
            "created_at": created,
        },
    )


def receive_rating(tx: Tx, peer: Any, data: ReceivedRating) -> int | None:
    """Keep a peer's rating of a note held here (the caller fetched an unknown note first);
    its id here, or None when it changes nothing (a repeat, or older than the one held)."""
    note = note_by_uri(tx, data.note_uri)
    if note is None:
        raise Refused("it rates a note that is not held here")
    if note.deleted_at is not None:
        raise Refused("it rates a deleted note")
    if len(data.helpful_tags) > MAX_TAGS or len(data.not_helpful_tags) > MAX_TAGS:
        raise Refused("too many tags")
    try:
        level, helpful, unhelpful = writing.check_rating(
            data.helpfulness_level, data.helpful_tags, data.not_helpful_tags
        )
    except CoreError as exc:
        raise Refused(exc.message) from None
    participant = pseudonyms.participant(peer.domain, _pseudonym(data.pseudonym))
    if participant == note.participant:
        raise Refused("nobody rates their own note")
    updated = _not_after_now(tx, data.updated)
    same_id = rating_by_uri(tx, data.uri)
    if same_id is not None and (
        same_id.note_id != note.id
        or same_id.participant != participant
        or same_id.origin != peer.domain
    ):
        raise Refused("a rating with this id rates another note or is another rater's")
    held = tx.one_or_none(
        sa.select(note_ratings.c.id, note_ratings.c.uri, note_ratings.c.updated_at).where(
            note_ratings.c.note_id == note.id, note_ratings.c.participant == participant
        )
    )
    if held is not None and held.updated_at >= updated:
        return None  # the same rating again, or an older one than the one held
    row = {
        "id": held.id if held is not None else new_id(updated),
        "uri": data.uri,
        "note_id": note.id,
        "rater_account_id": None,
        "pseudonym": _pseudonym(data.pseudonym),
        "participant": participant,
        "origin": peer.domain,
        "helpfulness_level": level,
        "helpful_tags": helpful,
        "not_helpful_tags": unhelpful,
        "document": data.document,
        "updated_at": updated,
    }
    if held is not None and held.uri != data.uri:
        # The rater's server gave the changed rating a new id: it replaces the one held.
        tx.execute(note_ratings.update().where(note_ratings.c.id == held.id).values(uri=data.uri))
    return writing.store_rating(tx, row)


def delete_note(tx: Tx, peer: Any, uri: str) -> bool:
    """A peer takes back one of its notes; whether `uri` was a note (of any server)."""
    note = note_by_uri(tx, uri)
    if note is None:
        return False
    if note.origin != peer.domain:
        raise Refused("only the server a note came from may delete it")
    if note.deleted_at is None:
        writing.mark_deleted(tx, note.id)
    return True


def delete_rating(tx: Tx, peer: Any, uri: str) -> bool:
    """A peer's rater takes back a rating; whether `uri` was a rating (of any server)."""
    rating = rating_by_uri(tx, uri)
    if rating is None:
        return False
    if rating.origin != peer.domain:
        raise Refused("only the server a rating came from may delete it")
    writing.remove_rating(tx, rating.id)
    return True
