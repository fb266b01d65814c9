"""What leaves this server of its own notes and ratings: the rows federation signs and sends
(`federation.note_activities`) and serves at their ids (`federation.note_pages`).

A note or a rating written here names its author or rater only by the pseudonym this server
sends for them (`pseudonyms.pseudonym`, kept with the row), never by account: one whose
account is gone since is still sent and served under the same pseudonym.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from pnyx.db.engine import Tx
from pnyx.db.tables import community_notes, note_ratings


@dataclass(frozen=True)
class OutgoingNote:
    row: Any
    pseudonym: str


@dataclass(frozen=True)
class OutgoingRating:
    row: Any
    note_uri: str
    pseudonym: str


def note(tx: Tx, note_id: int) -> OutgoingNote | None:
    """A note written here, with its author's pseudonym; None for another server's note, a
    note whose author's account is gone, or no note. Deleted notes are returned (their
    `deleted_at` says so)."""
    row = tx.one_or_none(sa.select(community_notes).where(community_notes.c.id == note_id))
    if row is None or row.origin != tx.settings.domain or not row.pseudonym:
        return None
    return OutgoingNote(row, row.pseudonym)


def rating(tx: Tx, rating_id: int, note_id: int | None = None) -> OutgoingRating | None:
    """A rating given here (of a note of any server), with its rater's pseudonym and the
    note's uri; None as for `note`, and when its note is deleted. With `note_id`, only a
    rating of that note."""
    found = tx.one_or_none(
        sa.select(note_ratings, community_notes.c.uri.label("note_uri"))
        .join(community_notes, community_notes.c.id == note_ratings.c.note_id)
        .where(note_ratings.c.id == rating_id, community_notes.c.deleted_at.is_(None))
    )
    if found is None or found.origin != tx.settings.domain or not found.pseudonym:
        return None
    if note_id is not None and found.note_id != note_id:
        return None
    return OutgoingRating(found, found.note_uri, found.pseudonym)


def note_deleted(tx: Tx, note_id: int) -> bool:
    """Whether this note existed here and was deleted (its address answers 410)."""
    return bool(
        tx.scalar(
            sa.select(
                sa.exists().where(
                    community_notes.c.id == note_id, community_notes.c.deleted_at.isnot(None)
                )
            )
        )
    )
