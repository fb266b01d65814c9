"""Writing and rating notes: who may, and the rules a note and a rating follow.

The rules are published on /notes/about (`RULES` and the numbers here):
- a note or a rating is written by a person here whose account is at least
  `notes_min_account_days` old and not suspended;
- a note is about a public or unlisted post (notes are public data); it says whether the
  post misleads, why (X's reasons), and a text of at most `MAX_SUMMARY` characters that, for a
  "misleading" note, links at least one source; it mentions nobody (context, not replies);
- a rating answers "Is this note helpful?" (helpful, somewhat, not helpful) with the tags
  that fit the answer; one per person and note (a new answer replaces the old one); nobody
  rates their own note. Ratings are anonymous: no other person sees who rated.

A note or a rating of another server arrives through `core.notes.received` and is kept by
`store_note` / `store_rating` here, the one write path for both.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import sqlalchemy as sa

from pnyx.core import events, statuses, visibility
from pnyx.core.errors import Forbidden, Invalid, NotFound
from pnyx.core.notes import pseudonyms, vocabulary
from pnyx.db.engine import Tx
from pnyx.db.ids import new_id
from pnyx.db.tables import accounts, community_notes, note_ratings

MAX_SUMMARY = 280
_LINK = re.compile(r"https?://[^\s<>\"]+", re.IGNORECASE)
_MENTION = re.compile(r"(?<![\w/])@[A-Za-z0-9_]+(?:@[A-Za-z0-9.-]+\.[A-Za-z]{2,})?")
NOTED_VISIBILITIES = ("public", "unlisted")


@dataclass(frozen=True)
class NoteInput:
    status_id: int
    classification: str
    reasons: Sequence[str]
    summary: str
    trustworthy_sources: bool = True


@dataclass(frozen=True)
class RatingInput:
    helpfulness_level: str
    helpful_tags: Sequence[str] = ()
    not_helpful_tags: Sequence[str] = ()


def note_uri(tx: Tx, note_id: int) -> str:
    return f"{tx.settings.base_url}/notes/{note_id}"


def rating_uri(tx: Tx, note_id: int, rating_id: int) -> str:
    return f"{tx.settings.base_url}/notes/{note_id}/ratings/{rating_id}"


# --- Who may -------------------------------------------------------------------------------


def refusal(tx: Tx, account_id: int) -> str | None:
    """Why this account may not write or rate notes now, or None when it may."""
    row = tx.one_or_none(
        sa.select(accounts.c.domain, accounts.c.suspended_at, accounts.c.created_at).where(
            accounts.c.id == account_id
        )
    )
    if row is None or row.domain is not None:
        return "Only people of this server write and rate its notes"
    if row.suspended_at is not None:
        return "A suspended account cannot write or rate notes"
    days = tx.settings.notes_min_account_days
    if row.created_at > tx.now - timedelta(days=days):
        return f"An account must be at least {days} days old to write and rate notes"
    return None


def may_contribute(tx: Tx, account_id: int | None) -> bool:
    return account_id is not None and refusal(tx, account_id) is None


def _check_eligible(tx: Tx, account_id: int) -> None:
    why = refusal(tx, account_id)
    if why is not None:
        raise Forbidden(why)


# --- Rules ---------------------------------------------------------------------------------


def check_note(
    classification: str, reasons: Sequence[str], summary: str
) -> tuple[str, list[str], str]:
    """The note's fields as kept, or Invalid saying what is wrong."""
    if classification not in vocabulary.CLASSIFICATIONS:
        allowed = " or ".join(vocabulary.CLASSIFICATIONS)
        raise Invalid(f"Classification must be {allowed}")
    allowed_reasons = (
        vocabulary.MISLEADING_REASONS
        if classification == vocabulary.MISLEADING
        else vocabulary.NOT_MISLEADING_REASONS
    )
    chosen = list(dict.fromkeys(reasons))
    wrong = [r for r in chosen if r not in allowed_reasons]
    if wrong:
        raise Invalid(f"Reasons {', '.join(wrong)} do not fit the classification")
    if not chosen:
        raise Invalid("Reasons must name at least one reason")
    text = " ".join(summary.split()) if summary else ""
    if not text:
        raise Invalid("Summary can't be blank")
    if len(text) > MAX_SUMMARY:
        raise Invalid(f"Summary is too long (maximum is {MAX_SUMMARY} characters)")
    if classification == vocabulary.MISLEADING and not _LINK.search(text):
        raise Invalid("Summary must link at least one source for a misleading post")
    if _MENTION.search(_LINK.sub(" ", text)):
        raise Invalid("Summary must not mention anyone")
    return classification, chosen, text


def check_rating(
    level: str, helpful_tags: Sequence[str], not_helpful_tags: Sequence[str]
) -> tuple[str, list[str], list[str]]:
    if level not in vocabulary.LEVELS:
        raise Invalid(f"Helpfulness level must be {', '.join(vocabulary.LEVELS)}")
    helpful = list(dict.fromkeys(helpful_tags))
    unhelpful = list(dict.fromkeys(not_helpful_tags))
    wrong = [t for t in helpful if t not in vocabulary.HELPFUL_TAG_NAMES]
    wrong += [t for t in unhelpful if t not in vocabulary.NOT_HELPFUL_TAG_NAMES]
    if wrong:
        raise Invalid(f"Unknown tags: {', '.join(wrong)}")
    if level == vocabulary.HELPFUL and unhelpful:
        raise Invalid("A helpful rating takes helpful tags only")
    if level == vocabulary.NOT_HELPFUL and helpful:
        raise Invalid("A not helpful rating takes not-helpful tags only")
    return level, helpful, unhelpful


# --- Notes ---------------------------------------------------------------------------------


def write(tx: Tx, account_id: int, data: NoteInput) -> int:
    """A note by a person here on a post they can see; returns its id."""
    _check_eligible(tx, account_id)
    post = statuses.visible_original(tx, account_id, data.status_id)
    if post.visibility not in NOTED_VISIBILITIES:
        raise Invalid("Notes are written on public and unlisted posts only")
    classification, reasons, summary = check_note(data.classification, data.reasons, data.summary)
    note_id = new_id(tx.now)
    pseudonym = pseudonyms.pseudonym(tx, account_id)
    store_note(
        tx,
        {
            "id": note_id,
            "uri": note_uri(tx, note_id),
            "subject_uri": post.uri,
            "status_id": post.id,
            "author_account_id": account_id,
            "pseudonym": pseudonym,
            "participant": pseudonyms.participant(tx.settings.domain, pseudonym),
            "origin": tx.settings.domain,
            "classification": classification,
            "reasons": reasons,
            "trustworthy_sources": bool(data.trustworthy_sources),
            "summary": summary,
            "document": None,
            "created_at": tx.now,
        },
    )
    return note_id


def store_note(tx: Tx, row: dict[str, Any]) -> int:
    """Keep a note (written here or received); the one place notes are inserted."""
    tx.execute(community_notes.insert().values(tags=[], **row))
    local = row["origin"] == tx.settings.domain
    events.record(tx, events.NoteWritten(row["id"], tell_other_servers=local))
    return int(row["id"])


def get(tx: Tx, note_id: int) -> Any:
    row = tx.one_or_none(sa.select(community_notes).where(community_notes.c.id == note_id))
    if row is None:
        raise NotFound()
    return row


def visible(tx: Tx, viewer_id: int | None, note_id: int) -> Any:
    """A note anyone may read: not deleted, on a post the viewer may see (when it is here)."""
    row = get(tx, note_id)
    if row.deleted_at is not None:
        raise NotFound()
    if row.status_id is not None:
        post = statuses.get_row(tx, row.status_id)
        if post is None or not visibility.may_see_one(tx, viewer_id, post):
            raise NotFound()
    return row


def delete(tx: Tx, account_id: int, note_id: int) -> None:
    """Its author takes a note back. It stays in the data (marked deleted, as X keeps
    deleted notes scored) but is shown nowhere."""
    row = get(tx, note_id)
    if row.author_account_id != account_id or row.deleted_at is not None:
        raise NotFound()
    mark_deleted(tx, row.id)


def mark_deleted(tx: Tx, note_id: int) -> None:
    tx.execute(
        community_notes.update()
        .where(community_notes.c.id == note_id, community_notes.c.deleted_at.is_(None))
        .values(deleted_at=tx.now)
    )
    row = get(tx, note_id)
    local = row.origin == tx.settings.domain
    events.record(tx, events.NoteDeleted(note_id, row.uri, tell_other_servers=local))


# --- Ratings -------------------------------------------------------------------------------


def rate(tx: Tx, account_id: int, note_id: int, data: RatingInput) -> int:
    """A person's answer to "Is this note helpful?" (replacing their earlier one)."""
    _check_eligible(tx, account_id)
    note = visible(tx, account_id, note_id)
    if note.author_account_id == account_id:
        raise Forbidden("Nobody rates their own note")
    level, helpful, unhelpful = check_rating(
        data.helpfulness_level, data.helpful_tags, data.not_helpful_tags
    )
    pseudonym = pseudonyms.pseudonym(tx, account_id)
    participant = pseudonyms.participant(tx.settings.domain, pseudonym)
    existing = tx.one_or_none(
        sa.select(note_ratings.c.id, note_ratings.c.uri).where(
            note_ratings.c.note_id == note_id, note_ratings.c.participant == participant
        )
    )
    rating_id = existing.id if existing is not None else new_id(tx.now)
    row = {
        "id": rating_id,
        "uri": existing.uri if existing is not None else rating_uri(tx, note_id, rating_id),
        "note_id": note_id,
        "rater_account_id": account_id,
        "pseudonym": pseudonym,
        "participant": participant,
        "origin": tx.settings.domain,
        "helpfulness_level": level,
        "helpful_tags": helpful,
        "not_helpful_tags": unhelpful,
        "document": None,
    }
    return store_rating(tx, row)


def store_rating(tx: Tx, row: dict[str, Any]) -> int:
    """Keep a rating (given here or received), replacing the rater's earlier one of the note;
    the one place ratings are written."""
    existing = tx.one_or_none(
        sa.select(note_ratings.c.id).where(
            note_ratings.c.note_id == row["note_id"],
            note_ratings.c.participant == row["participant"],
        )
    )
    if existing is None:
        # A received rating brings the time it was given (`updated_at`); one made here is now.
        tx.execute(
            note_ratings.insert().values({"created_at": tx.now, "updated_at": tx.now, **row})
        )
        rating_id = int(row["id"])
    else:
        rating_id = int(existing.id)
        changes = {k: v for k, v in row.items() if k not in ("id", "uri")}
        tx.execute(
            note_ratings.update()
            .where(note_ratings.c.id == rating_id)
            .values({"updated_at": tx.now, **changes})
        )
    local = row["origin"] == tx.settings.domain
    events.record(tx, events.NoteRated(rating_id, tell_other_servers=local))
    return rating_id


def unrate(tx: Tx, account_id: int, note_id: int) -> None:
    participant = pseudonyms.local_participant(tx, account_id)
    row = tx.one_or_none(
        sa.select(note_ratings.c.id, note_ratings.c.uri).where(
            note_ratings.c.note_id == note_id, note_ratings.c.participant == participant
        )
    )
    if row is None:
        raise NotFound()
    remove_rating(tx, row.id)


def remove_rating(tx: Tx, rating_id: int) -> None:
    row = tx.one_or_none(sa.select(note_ratings).where(note_ratings.c.id == rating_id))
    if row is None:
        return
    tx.execute(note_ratings.delete().where(note_ratings.c.id == rating_id))
    local = row.origin == tx.settings.domain
    events.record(tx, events.NoteRatingRemoved(row.uri, tell_other_servers=local))


def own_rating(tx: Tx, account_id: int, note_id: int) -> Any | None:
    """The viewer's own rating of a note (only its rater ever sees it)."""
    return tx.one_or_none(
        sa.select(note_ratings).where(
            note_ratings.c.note_id == note_id,
            note_ratings.c.rater_account_id == account_id,
        )
    )


def link_subject(tx: Tx, status_id: int, uri: str) -> None:
    """A post stored here after notes on it arrived: the notes now point at it."""
    tx.execute(
        community_notes.update()
        .where(community_notes.c.subject_uri == uri, community_notes.c.status_id.is_(None))
        .values(status_id=status_id)
    )
