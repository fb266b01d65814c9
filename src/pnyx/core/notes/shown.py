"""Which notes a post is shown with, and how.

A post is shown with its notes (every surface: the API's `pnyx.notes`, the web): each with
its status. The note shown to everyone, under the post ("Readers added context") and as the
Status' preview `card` in the Mastodon apps, is a note that says the post misleads and is
rated helpful (X shows only those); of several, the one rated helpful first. Notes that
need more ratings are shown to the people who may rate them (the "Rate notes" queue), not
under the post.

The notes are read with the post's other parts and kept with them by render version: a
note written, deleted or changing status moves its post's version (migration 0038).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from pnyx.core.notes import vocabulary
from pnyx.db.id_lists import in_ids
from pnyx.db.tables import community_notes

CARD_TITLE = "Readers added context"

NOTE_COLUMNS = (
    community_notes.c.status_id,
    community_notes.c.id,
    community_notes.c.uri,
    community_notes.c.classification,
    community_notes.c.reasons,
    community_notes.c.summary,
    community_notes.c.status,
    community_notes.c.tags,
    community_notes.c.origin,
    community_notes.c.first_non_nmr_at,
    community_notes.c.created_at,
)


def of_posts_query() -> sa.Select:
    """The notes of the posts `ids` (not deleted), oldest first."""
    return (
        sa.select(*NOTE_COLUMNS)
        .where(in_ids(community_notes.c.status_id, "ids"), community_notes.c.deleted_at.is_(None))
        .order_by(community_notes.c.id)
    )


def is_shown(note: Any) -> bool:
    return (
        note.status == vocabulary.CURRENTLY_RATED_HELPFUL
        and note.classification == vocabulary.MISLEADING
    )


def context_note(notes: Sequence[Any]) -> Any | None:
    """The note shown under the post, if any."""
    shown = [n for n in notes if is_shown(n)]
    if not shown:
        return None
    return min(shown, key=lambda n: (n.first_non_nmr_at or n.created_at, n.id))


def note_url(base_url: str, note_id: int) -> str:
    return f"{base_url}/notes/{note_id}"
