"""The open data: notes, ratings, status history and enrollment as X's TSV files.

The files have X's exact columns in X's order (its scorer checks them: `constants.py`'s
noteTSVColumns, publicRatingTSVColumns, noteStatusHistoryTSVColumns and
userEnrollmentTSVColumns), so X's reference scorer runs on them unchanged. Where X's data has a
number Pnyx does not, it is made so that every server publishes the same one: a note's id is
a stable 63-bit hash of its ActivityPub URI (`stable_id`); a post's (X's tweet id) is a
snowflake as X's are, the post's time to the second then 22 bits of its URI's hash
(`post_number`), because X's scorer reads a post's time from its id. `noteUris` (not X's)
maps them back to the URIs. Everyone is enrolled as X's core contributors are: modeling
population CORE, modeling group 13 (the group X's core models start their fit on).

People appear by participant id only (`core.notes.pseudonyms`). What was written or rated in
the last `PUBLICATION_DELAY` is published later, as X does: a rater cannot see how others
rated a note before the status it gets is settled, so ratings made early stay independent.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from pnyx.core.notes import vocabulary
from pnyx.db.engine import Tx
from pnyx.db.tables import community_notes, note_ratings, statuses

PUBLICATION_DELAY = timedelta(hours=48)
FILES = ("notes", "ratings", "noteStatusHistory", "userEnrollment", "noteUris")

NOTE_COLUMNS = (
    "noteId",
    "noteAuthorParticipantId",
    "createdAtMillis",
    "tweetId",
    "classification",
    "believable",
    "harmful",
    "validationDifficulty",
    *vocabulary.MISLEADING_REASONS,
    *vocabulary.NOT_MISLEADING_REASONS,
    "trustworthySources",
    "summary",
    "isMediaNote",
    "isCollaborativeNote",
)
RATING_COLUMNS = (
    "noteId",
    "raterParticipantId",
    "createdAtMillis",
    "version",
    "agree",
    "disagree",
    "helpful",
    "notHelpful",
    "helpfulnessLevel",
    *vocabulary.HELPFUL_TAG_NAMES,
    *vocabulary.NOT_HELPFUL_TAG_NAMES,
    "ratedOnTweetId",
    "ratingSourceBucketed",
    "suggestion",
    "suggestionId",
)
STATUS_HISTORY_COLUMNS = (
    "noteId",
    "noteAuthorParticipantId",
    "createdAtMillis",
    "timestampMillisOfFirstNonNMRStatus",
    "firstNonNMRStatus",
    "timestampMillisOfCurrentStatus",
    "currentStatus",
    "timestampMillisOfLatestNonNMRStatus",
    "mostRecentNonNMRStatus",
    "timestampMillisOfStatusLock",
    "lockedStatus",
    "timestampMillisOfRetroLock",
    "currentCoreStatus",
    "currentExpansionStatus",
    "currentGroupStatus",
    "currentDecidedBy",
    "currentModelingGroup",
    "timestampMillisOfMostRecentStatusChange",
    "timestampMillisOfNmrDueToMinStableCrhTime",
    "currentMultiGroupStatus",
    "currentModelingMultiGroup",
    "timestampMinuteOfFinalScoringOutput",
    "timestampMillisOfFirstNmrDueToMinStableCrhTime",
    "abovePcrhThresholdTime",
)
ENROLLMENT_COLUMNS = (
    "participantId",
    "enrollmentState",
    "successfulRatingNeededToEarnIn",
    "timestampOfLastStateChange",
    "timestampOfLastEarnOut",
    "modelingPopulation",
    "modelingGroup",
    "numberOfTimesEarnedOut",
)
URI_COLUMNS = ("noteId", "noteUri", "tweetId", "postUri")


def stable_id(uri: str) -> int:
    """The same positive 63-bit number for the same URI, on every server."""
    return int.from_bytes(hashlib.sha256(uri.encode()).digest()[:8], "big") >> 1


X_EPOCH_MS = 1288834974657  # X's snowflakes count milliseconds from here
CORE_MODELING_GROUP = 13


def post_number(uri: str, posted_at: datetime) -> int:
    """X's tweet id for a post: a snowflake of its time (to the second, as every server has
    it) and its URI."""
    ms = max(0, int(posted_at.timestamp()) * 1000 - X_EPOCH_MS)
    return (ms << 22) | (
        int.from_bytes(hashlib.sha256(uri.encode()).digest()[:4], "big") & 0x3FFFFF
    )


def _posted(row: Any, first_noted: dict[str, datetime]) -> datetime:
    """When the post a note is about was written: the post's own time when it is held here;
    a post seen only through notes is taken to be an hour older than its first note (one id
    for all its notes, and a time before them, as X's scorer expects)."""
    return row.post_created_at or first_noted[row.subject_uri] - timedelta(hours=1)


def _first_noted(tx: Tx) -> dict[str, datetime]:
    return {
        uri: at
        for uri, at in tx.rows(
            sa.select(community_notes.c.subject_uri, sa.func.min(community_notes.c.created_at))
            .where(community_notes.c.status_id.is_(None))
            .group_by(community_notes.c.subject_uri)
        )
    }


def file_name(kind: str) -> str:
    return f"{kind}-00000.tsv"


def _ms(moment: datetime | None) -> str:
    return "" if moment is None else str(int(moment.timestamp() * 1000))


def _text(value: str) -> str:
    """X's data escapes tabs and line breaks as spaces."""
    return " ".join(value.replace("\t", " ").split())


def _line(values: tuple | list) -> str:
    return "\t".join(str(v) for v in values) + "\n"


def _until(tx: Tx, delayed: bool) -> datetime:
    return tx.now - PUBLICATION_DELAY if delayed else tx.now


def _notes(tx: Tx, delayed: bool) -> list:
    return tx.rows(
        sa.select(community_notes, statuses.c.created_at.label("post_created_at"))
        .outerjoin(statuses, statuses.c.id == community_notes.c.status_id)
        .where(community_notes.c.created_at <= _until(tx, delayed))
        .order_by(community_notes.c.id)
    )


def rows(tx: Tx, kind: str, *, delayed: bool = True) -> Iterator[str]:
    """The lines of one file, header first."""
    if kind == "notes":
        yield from _note_lines(tx, delayed)
    elif kind == "ratings":
        yield from _rating_lines(tx, delayed)
    elif kind == "noteStatusHistory":
        yield from _history_lines(tx, delayed)
    elif kind == "userEnrollment":
        yield from _enrollment_lines(tx, delayed)
    elif kind == "noteUris":
        yield _line(URI_COLUMNS)
        first = _first_noted(tx)
        for note in _notes(tx, delayed):
            yield _line(
                (
                    stable_id(note.uri),
                    note.uri,
                    post_number(note.subject_uri, _posted(note, first)),
                    note.subject_uri,
                )
            )
    else:
        raise ValueError(f"no such file: {kind}")


def _note_lines(tx: Tx, delayed: bool) -> Iterator[str]:
    yield _line(NOTE_COLUMNS)
    first = _first_noted(tx)
    for note in _notes(tx, delayed):
        reasons = set(note.reasons or ())
        yield _line(
            (
                stable_id(note.uri),
                note.participant,
                _ms(note.created_at),
                post_number(note.subject_uri, _posted(note, first)),
                note.classification,
                "",
                "",
                "",
                *(int(r in reasons) for r in vocabulary.MISLEADING_REASONS),
                *(int(r in reasons) for r in vocabulary.NOT_MISLEADING_REASONS),
                int(note.trustworthy_sources),
                _text(note.summary),
                0,
                0,
            )
        )


def _rating_lines(tx: Tx, delayed: bool) -> Iterator[str]:
    yield _line(RATING_COLUMNS)
    first = _first_noted(tx)
    query = (
        sa.select(
            note_ratings.c.participant,
            note_ratings.c.updated_at,
            note_ratings.c.helpfulness_level,
            note_ratings.c.helpful_tags,
            note_ratings.c.not_helpful_tags,
            community_notes.c.uri,
            community_notes.c.subject_uri,
            community_notes.c.created_at,
            statuses.c.created_at.label("post_created_at"),
        )
        .join(community_notes, community_notes.c.id == note_ratings.c.note_id)
        .outerjoin(statuses, statuses.c.id == community_notes.c.status_id)
        .where(
            note_ratings.c.updated_at <= _until(tx, delayed),
            community_notes.c.created_at <= _until(tx, delayed),
        )
        .order_by(note_ratings.c.id)
    )
    for r in tx.rows(query):
        helpful, unhelpful = set(r.helpful_tags or ()), set(r.not_helpful_tags or ())
        yield _line(
            (
                stable_id(r.uri),
                r.participant,
                _ms(r.updated_at),
                2,  # X's rating form version with three answers
                0,
                0,
                0,
                0,
                r.helpfulness_level,
                *(int(t in helpful) for t in vocabulary.HELPFUL_TAG_NAMES),
                *(int(t in unhelpful) for t in vocabulary.NOT_HELPFUL_TAG_NAMES),
                post_number(r.subject_uri, _posted(r, first)),
                "DEFAULT",
                "",
                "",
            )
        )


def _history_lines(tx: Tx, delayed: bool) -> Iterator[str]:
    yield _line(STATUS_HISTORY_COLUMNS)
    for note in _notes(tx, delayed):
        yield _line(
            (
                stable_id(note.uri),
                note.participant,
                _ms(note.created_at),
                _ms(note.first_non_nmr_at),
                note.first_non_nmr_status or "",
                _ms(note.status_changed_at or note.created_at),
                note.status,
                _ms(note.latest_non_nmr_at),
                note.latest_non_nmr_status or "",
                _ms(note.locked_at),
                note.locked_status or "",
                "",
                note.status,
                "",
                "",
                note.decided_by or "",
                "",
                _ms(note.status_changed_at),
                _ms(note.crh_candidate_since),
                "",
                "",
                "",
                "",
                "",
            )
        )


def _enrollment_lines(tx: Tx, delayed: bool) -> Iterator[str]:
    """Everyone who wrote or rated: all may write and rate here (earned in), all in the one
    modeling population, X's core."""
    yield _line(ENROLLMENT_COLUMNS)
    until = _until(tx, delayed)
    first: dict[str, datetime] = {}
    for table, when in (
        (community_notes, community_notes.c.created_at),
        (note_ratings, note_ratings.c.created_at),
    ):
        for p, at in tx.rows(
            sa.select(table.c.participant, sa.func.min(when))
            .where(when <= until)
            .group_by(table.c.participant)
        ):
            if p not in first or at < first[p]:
                first[p] = at
    for participant in sorted(first):
        yield _line(
            (participant, "earnedIn", 5, _ms(first[participant]), 1, "CORE", CORE_MODELING_GROUP, 0)
        )
