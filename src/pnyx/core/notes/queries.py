"""Reading notes: a post's notes, the rating queue, a person's own, the scoring runs.

Every note returned here is one anyone may read (`writing.visible` decides one note; these
lists leave out deleted notes and notes on posts the viewer may not see).
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from pnyx.core import statuses, visibility
from pnyx.core.notes import vocabulary
from pnyx.db.engine import Tx
from pnyx.db.tables import (
    community_notes,
    note_ratings,
    note_run_raters,
    note_run_results,
    note_scoring_runs,
)


def of_status(tx: Tx, viewer_id: int | None, status_id: int) -> list[Any]:
    """The notes on a post the viewer may see (NotFound otherwise), oldest first."""
    post = statuses.visible_original(tx, viewer_id, status_id)
    return tx.rows(
        sa.select(community_notes)
        .where(community_notes.c.status_id == post.id, community_notes.c.deleted_at.is_(None))
        .order_by(community_notes.c.id)
    )


def queue(tx: Tx, viewer_id: int, limit: int = 20) -> list[Any]:
    """Notes that need more ratings, for a person who may rate them: not theirs, not rated
    by them yet, newest first, on posts they may see."""
    rated = sa.select(note_ratings.c.note_id).where(note_ratings.c.rater_account_id == viewer_id)
    candidates = tx.rows(
        sa.select(community_notes)
        .where(
            community_notes.c.deleted_at.is_(None),
            community_notes.c.status == vocabulary.NEEDS_MORE_RATINGS,
            community_notes.c.status_id.isnot(None),
            sa.or_(
                community_notes.c.author_account_id.is_(None),
                community_notes.c.author_account_id != viewer_id,
            ),
            community_notes.c.id.notin_(rated),
        )
        .order_by(community_notes.c.id.desc())
        .limit(limit * 3)
    )
    shown = []
    for note in candidates:
        post = statuses.get_row(tx, note.status_id)
        if post is not None and visibility.may_see_one(tx, viewer_id, post):
            shown.append(note)
        if len(shown) == limit:
            break
    return shown


def written_by(tx: Tx, account_id: int, limit: int = 40) -> list[Any]:
    """A person's own notes (only they see which are theirs)."""
    return tx.rows(
        sa.select(community_notes)
        .where(
            community_notes.c.author_account_id == account_id,
            community_notes.c.deleted_at.is_(None),
        )
        .order_by(community_notes.c.id.desc())
        .limit(limit)
    )


def rating_counts(tx: Tx, note_id: int) -> dict[str, int]:
    """How many ratings of each answer a note has (never who gave them)."""
    return {
        level: int(count)
        for level, count in tx.execute(
            sa.select(note_ratings.c.helpfulness_level, sa.func.count())
            .where(note_ratings.c.note_id == note_id)
            .group_by(note_ratings.c.helpfulness_level)
        )
    }


def latest_run(tx: Tx) -> Any | None:
    return tx.one_or_none(
        sa.select(note_scoring_runs).order_by(note_scoring_runs.c.id.desc()).limit(1)
    )


def runs(tx: Tx, limit: int = 20) -> list[Any]:
    return tx.rows(
        sa.select(note_scoring_runs).order_by(note_scoring_runs.c.id.desc()).limit(limit)
    )


def run_points(tx: Tx, run_id: int) -> tuple[list[Any], list[Any]]:
    """A run's model, for the charts of /notes/about: every rater's (factor, intercept) and
    every scored note's (factor, intercept, status)."""
    raters = tx.rows(
        sa.select(note_run_raters.c.factor, note_run_raters.c.intercept).where(
            note_run_raters.c.run_id == run_id, note_run_raters.c.intercept.isnot(None)
        )
    )
    notes = tx.rows(
        sa.select(
            note_run_results.c.factor, note_run_results.c.intercept, note_run_results.c.status
        ).where(note_run_results.c.run_id == run_id, note_run_results.c.intercept.isnot(None))
    )
    return raters, notes
