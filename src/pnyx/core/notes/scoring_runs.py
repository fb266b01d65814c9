"""The periodic `notes.score` run: read every note and rating, score them with the published
algorithm (`core.notes.scorer`), keep the results, and move each note to its new status.

Every run is kept (`note_scoring_runs`) with the version that produced it (a hash of the
scorer's code and parameters, as the feed algorithms are versioned), with each note's and
each rater's result, so anyone can see what any run decided and why. A note's row changes
only when its status, its tags or the state the next run needs changes: the posts it is on
are shown again only then.

As the bridging feed's fit (`core.algorithms.refresh`), the run happens in a child process:
the ratings read into memory and numpy's arrays would otherwise stay in the server's memory
for good, and the fit would hold the GIL requests need. An instance with no note starts no
child. Scheduled like `media.prune`: keyed by the slot it runs in, every process that
schedules it at start adds one run per slot between them, and each run schedules the next.
"""

from __future__ import annotations

import logging
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from pnyx.config import Settings
from pnyx.core import events
from pnyx.core.notes import scorer, vocabulary
from pnyx.core.notes.scoring_data import (
    NoteHistory,
    NoteInput,
    RatingsInput,
    ScoringInput,
    ScoringResult,
)
from pnyx.db.engine import Database, Tx
from pnyx.db.ids import new_id
from pnyx.db.tables import (
    community_notes,
    note_ratings,
    note_run_raters,
    note_run_results,
    note_scoring_runs,
)
from pnyx.jobs.queue import enqueue

log = logging.getLogger("pnyx.notes")

SCORE_JOB = "notes.score"
_HELPFUL_BITS = {name: 1 << i for i, name in enumerate(vocabulary.HELPFUL_TAG_NAMES)}
_NOT_HELPFUL_BITS = {name: 1 << i for i, name in enumerate(vocabulary.NOT_HELPFUL_TAG_NAMES)}


def _ms(moment: datetime | None) -> int | None:
    return None if moment is None else int(moment.timestamp() * 1000)


def _time(ms: int | None) -> datetime | None:
    return None if ms is None else datetime.fromtimestamp(ms / 1000, tz=UTC)


def _mask(names: list[str], bits: dict[str, int]) -> int:
    mask = 0
    for name in names or ():
        mask |= bits.get(name, 0)
    return mask


# --- Reading -------------------------------------------------------------------------------


def anything_to_score(tx: Tx) -> bool:
    return bool(tx.scalar(sa.select(sa.exists().where(community_notes.c.id.isnot(None)))))


def read_input(tx: Tx) -> ScoringInput:
    """Every note and rating, as the scorer reads them (a rating counts at its latest
    answer's time: a changed answer is judged when it was given)."""
    notes: list[NoteInput] = []
    history: dict[int, NoteHistory] = {}
    for row in tx.rows(
        sa.select(
            community_notes.c.id,
            community_notes.c.created_at,
            community_notes.c.participant,
            community_notes.c.classification,
            community_notes.c.status,
            community_notes.c.first_non_nmr_at,
            community_notes.c.first_non_nmr_status,
            community_notes.c.crh_candidate_since,
            community_notes.c.locked_status,
        ).order_by(community_notes.c.id)
    ):
        created = _ms(row.created_at)
        assert created is not None
        notes.append(
            NoteInput(row.id, created, row.participant, row.classification == vocabulary.MISLEADING)
        )
        history[row.id] = NoteHistory(
            status=row.status,
            first_non_nmr_ms=_ms(row.first_non_nmr_at),
            first_non_nmr_status=row.first_non_nmr_status,
            crh_candidate_since_ms=_ms(row.crh_candidate_since),
            locked_status=row.locked_status,
        )
    ratings = RatingsInput()
    for row in tx.rows(
        sa.select(
            note_ratings.c.note_id,
            note_ratings.c.participant,
            note_ratings.c.helpfulness_level,
            note_ratings.c.updated_at,
            note_ratings.c.origin,
            note_ratings.c.helpful_tags,
            note_ratings.c.not_helpful_tags,
        ).order_by(note_ratings.c.id)
    ):
        ratings.add(
            row.note_id,
            row.participant,
            vocabulary.LEVELS[row.helpfulness_level],
            _ms(row.updated_at) or 0,
            row.origin,
            _mask(row.helpful_tags, _HELPFUL_BITS),
            _mask(row.not_helpful_tags, _NOT_HELPFUL_BITS),
        )
    now = _ms(tx.now)
    assert now is not None
    return ScoringInput(notes, ratings, history, now)


# --- Storing -------------------------------------------------------------------------------


@dataclass(frozen=True)
class RunSummary:
    run_id: int | None
    version: str
    notes: int
    ratings: int
    statuses: dict[str, int]
    changed: int
    seconds: float
    waiting: int = 0  # notes that meet every rule of helpful, waiting out the stable time


def store(
    tx: Tx, data: ScoringInput, result: ScoringResult, seconds: float, started_at: datetime
) -> RunSummary:
    """Keep the run and its results; move each note whose status or state changed."""
    run_id = new_id(tx.now)
    version = scorer.version()
    tx.execute(
        note_scoring_runs.insert().values(
            id=run_id,
            version=version,
            params=asdict(scorer.PARAMS),
            counts=dict(result.counts),
            losses={k: float(v) for k, v in result.losses.items()},
            global_intercept=float(result.global_intercept),
            seconds=round(seconds, 3),
            started_at=started_at,
            created_at=tx.now,
        )
    )
    alive = {n.id for n in data.notes}
    rows = [
        {
            "run_id": run_id,
            "note_id": note_id,
            "intercept": None if r.intercept is None else round(float(r.intercept), 9),
            "factor": None if r.factor is None else round(float(r.factor), 9),
            "status": r.status,
            "rule": r.rule,
            "rating_count": int(r.rating_count),
            "net_min_helpful": int(r.net_min_helpful),
            "tags": list(r.tags),
        }
        for note_id, r in result.notes.items()
        if note_id in alive
    ]
    if rows:
        tx.execute(note_run_results.insert(), rows)
    raters = [
        {
            "run_id": run_id,
            "participant": participant,
            "intercept": None if r.intercept is None else round(float(r.intercept), 9),
            "factor": None if r.factor is None else round(float(r.factor), 9),
            "first_intercept": round(float(r.first_intercept), 9),
            "first_factor": round(float(r.first_factor), 9),
            "helpful": bool(r.helpful),
        }
        for participant, r in result.raters.items()
    ]
    if raters:
        tx.execute(note_run_raters.insert(), raters)
    changed = _move_notes(tx, data, result)
    counts: dict[str, int] = {}
    for r in result.notes.values():
        counts[r.status] = counts.get(r.status, 0) + 1
    waiting = sum(
        1
        for r in result.notes.values()
        if r.crh_candidate_since_ms is not None and r.status != vocabulary.CURRENTLY_RATED_HELPFUL
    )
    return RunSummary(
        run_id, version, len(data.notes), len(data.ratings), counts, changed, seconds, waiting
    )


def _move_notes(tx: Tx, data: ScoringInput, result: ScoringResult) -> int:
    """Write each note's new state where it differs from the stored one; a status change is
    an event (notifications, the reply for other servers)."""
    stored = {
        row.id: row
        for row in tx.rows(
            sa.select(
                community_notes.c.id,
                community_notes.c.status,
                community_notes.c.tags,
                community_notes.c.first_non_nmr_at,
                community_notes.c.first_non_nmr_status,
                community_notes.c.latest_non_nmr_at,
                community_notes.c.latest_non_nmr_status,
                community_notes.c.crh_candidate_since,
                community_notes.c.locked_status,
                community_notes.c.locked_at,
                community_notes.c.decided_by,
            )
        )
    }
    changed = 0
    for note_id, r in result.notes.items():
        old = stored.get(note_id)
        if old is None:  # deleted from the database since it was read
            continue
        new: dict[str, Any] = {
            "status": r.status,
            "tags": list(r.tags),
            "first_non_nmr_at": _time(r.first_non_nmr_ms),
            "first_non_nmr_status": r.first_non_nmr_status,
            "crh_candidate_since": _time(r.crh_candidate_since_ms),
            "locked_status": r.locked_status,
            "decided_by": r.decided_by,
        }
        if r.status != vocabulary.NEEDS_MORE_RATINGS and r.status != old.latest_non_nmr_status:
            new["latest_non_nmr_at"] = tx.now
            new["latest_non_nmr_status"] = r.status
        if r.locked_status is not None and old.locked_status is None:
            new["locked_at"] = tx.now
        if r.status != old.status:
            new["status_changed_at"] = tx.now
        differs = {k: v for k, v in new.items() if getattr(old, k, None) != v}
        if not differs:
            continue
        changed += 1
        tx.execute(
            community_notes.update().where(community_notes.c.id == note_id).values(**differs)
        )
        if r.status != old.status:
            events.record(tx, events.NoteStatusChanged(note_id, r.status, old.status))
    return changed


# --- Running -------------------------------------------------------------------------------


def score_here(db: Database) -> RunSummary:
    """Read, score and store in this process (the child's work; tests call it directly)."""
    started_at = datetime.now(UTC)
    data = db.run_sync(read_input, write=False)
    began = time.perf_counter()
    result = scorer.score(data, scorer.PARAMS)
    seconds = time.perf_counter() - began
    summary = db.run_sync(lambda tx: store(tx, data, result, seconds, started_at))
    log.info(
        "notes scored: %d notes, %d ratings in %.1f s (version %s): %s; %d changed",
        summary.notes,
        summary.ratings,
        seconds,
        summary.version,
        ", ".join(f"{n} {s}" for s, n in sorted(summary.statuses.items())) or "nothing",
        summary.changed,
    )
    return summary


def _score_in_child(settings: Settings, installer: str | None = None) -> RunSummary:
    events.install_like(installer)  # a status change is an event: the parent's handlers
    db = Database(settings)
    try:
        return score_here(db)
    finally:
        db.dispose()


def run(db: Database) -> RunSummary | None:
    """Score now, in a child process; None when there is no note to score."""
    if not db.run_sync(anything_to_score, write=False):
        return None
    import multiprocessing

    with multiprocessing.get_context("spawn").Pool(1) as child:
        summary: RunSummary = child.apply(_score_in_child, (db.settings, events.installer()))
    return summary


def _interval(settings: Settings) -> timedelta:
    return timedelta(minutes=max(1, settings.notes_score_minutes))


def schedule(tx: Tx, *, after: datetime | None = None) -> None:
    interval = _interval(tx.settings).total_seconds()
    if after is None:
        slot, run_at = int(tx.now.timestamp() // interval), tx.now
    else:
        slot = int(after.timestamp() // interval) + 1
        run_at = datetime.fromtimestamp(slot * interval, tz=UTC)
    enqueue(tx, SCORE_JOB, {}, run_at=run_at, unique_key=f"{SCORE_JOB}:{slot}")


def score_job(db: Database, payload: dict[str, Any]) -> None:
    summary = run(db)
    db.run_sync(lambda tx: schedule(tx, after=tx.now))
    if summary is not None and summary.waiting and payload.get("kind") != "stable":
        # A note waiting out its 30 stable minutes is shown when they are over, not at the
        # next hourly run: one more run once they are.
        db.run_sync(lambda tx: schedule_stable_check(tx))


def schedule_stable_check(tx: Tx) -> None:
    wait = timedelta(minutes=scorer.PARAMS.stable_crh_minutes + 1)
    if wait >= _interval(tx.settings):
        return  # the next periodic run comes first
    run_at = tx.now + wait
    key = f"{SCORE_JOB}:stable:{int(run_at.timestamp() // 60)}"
    enqueue(tx, SCORE_JOB, {"kind": "stable"}, run_at=run_at, unique_key=key)
