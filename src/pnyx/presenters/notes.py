"""Community notes as the API shows them: the Note entity, and a note as a PreviewCard.

The card is how the Mastodon apps show the context with no change (Tusky, Ivory, Elk and
Phanpy all draw a Status' `card`): its title says "Readers added context", its description
is the note, and it links to the note's page, where one can read it whole and rate it.
"""

from __future__ import annotations

from typing import Any

from pnyx.config import Settings
from pnyx.core.notes import shown, vocabulary
from pnyx.presenters import entities  # (its `iso`, read when called: it imports this)


def note(row: Any, settings: Settings) -> dict:
    """A Note entity (Pnyx's): what anyone may know of a note; never who wrote it."""
    return {
        "id": str(row.id),
        "uri": row.uri,
        "url": shown.note_url(settings.base_url, row.id),
        "status": vocabulary.SHORT_STATUS.get(row.status, "needs_more_ratings"),
        "classification": row.classification,
        "reasons": list(row.reasons or ()),
        "summary": row.summary,
        "explanation_tags": list(row.tags or ()),
        "shown": shown.is_shown(row),
        "origin": row.origin,
        "created_at": entities.iso(row.created_at),
    }


def card(row: Any, settings: Settings) -> dict:
    """A helpful note as the Status' PreviewCard."""
    return {
        "url": shown.note_url(settings.base_url, row.id),
        "title": shown.CARD_TITLE,
        "description": row.summary,
        "language": None,
        "type": "link",
        "author_name": "",
        "author_url": "",
        "provider_name": f"{settings.domain} community notes",
        "provider_url": f"{settings.base_url}/notes/about",
        "html": "",
        "width": 0,
        "height": 0,
        "image": None,
        "image_description": "",
        "embed_url": "",
        "blurhash": None,
        "published_at": entities.iso(row.first_non_nmr_at or row.created_at),
        "authors": [],
    }
