"""A scoring run on the database (`core.notes.scoring_runs`): it reads the notes and ratings,
scores them with the published algorithm, keeps the run with its version and every result,
moves each note to its status (the 30 stable minutes counted across runs), and a note that
reaches helpful is shown with its post (the Status' card) and told to the people who
favourited, boosted or replied to the post."""

from __future__ import annotations

import random
from datetime import timedelta

import sqlalchemy as sa

import factories
from pnyx import registry
from pnyx.core import accounts, interactions
from pnyx.core.notes import data_files, pseudonyms, scorer, scoring_runs, vocabulary
from pnyx.db.ids import new_id
from pnyx.db.tables import (
    community_notes,
    jobs,
    note_ratings,
    note_run_raters,
    note_run_results,
    note_scoring_runs,
    notifications,
    statuses,
)

LEFT = [f"L{i:02d}" for i in range(40)]
RIGHT = [f"R{i:02d}" for i in range(40)]
GOOD = ["helpfulClear", "helpfulGoodSources"]
BAD = ["notHelpfulIncorrect", "notHelpfulMissingKeyPoints"]


def community(db, key_status_id: int | None = None) -> int:
    """Two camps rating partisan notes (so the model learns the camps), anchor notes both
    camps agree on (so every rater passes the helpfulness filter), and one key note, on the
    post `key_status_id`, rated helpful by both camps: its id."""
    rng = random.Random(3)

    def work(tx):
        made = {"n": 0}

        def note(hours_ago: int, status_id=None, subject="https://b.example/statuses/1") -> int:
            made["n"] += 1
            note_id = new_id(tx.now - timedelta(hours=hours_ago)) + made["n"]
            tx.execute(
                community_notes.insert().values(
                    id=note_id,
                    uri=f"https://a.example/notes/{note_id}",
                    subject_uri=subject,
                    status_id=status_id,
                    participant=pseudonyms.participant("a.example", f"writer{made['n'] % 7}"),
                    origin="a.example",
                    classification=vocabulary.MISLEADING,
                    reasons=["misleadingFactualError"],
                    trustworthy_sources=True,
                    summary="See https://example.org/source",
                    tags=[],
                    created_at=tx.now - timedelta(hours=hours_ago),
                )
            )
            return note_id

        def rate(note_id: int, hours_ago: int, raters: list[str], level: str) -> None:
            for k, rater in enumerate(raters):
                at = tx.now - timedelta(hours=hours_ago) + timedelta(minutes=30 + k)
                tx.execute(
                    note_ratings.insert().values(
                        id=new_id(at) + k,
                        uri=f"https://a.example/notes/{note_id}/ratings/{rater}",
                        note_id=note_id,
                        participant=pseudonyms.participant("a.example", rater),
                        origin="a.example",
                        helpfulness_level=level,
                        helpful_tags=GOOD if level == vocabulary.HELPFUL else [],
                        not_helpful_tags=BAD if level == vocabulary.NOT_HELPFUL else [],
                        created_at=at,
                        updated_at=at,
                    )
                )

        for k in range(30):
            for fans, critics in ((LEFT, RIGHT), (RIGHT, LEFT)):
                n = note(20 + k)
                rate(n, 20 + k, rng.sample(fans, 12), vocabulary.HELPFUL)
                rate(n, 20 + k, rng.sample(critics, 12), vocabulary.NOT_HELPFUL)
        for k in range(6):
            good, bad = note(60 + k), note(60 + k)
            rate(good, 60 + k, rng.sample(LEFT, 20) + rng.sample(RIGHT, 20), vocabulary.HELPFUL)
            rate(bad, 60 + k, rng.sample(LEFT, 20) + rng.sample(RIGHT, 20), vocabulary.NOT_HELPFUL)
        key = note(5, key_status_id, "https://pnyx.test/users/author/statuses/1")
        rate(key, 5, rng.sample(LEFT, 12) + rng.sample(RIGHT, 12), vocabulary.HELPFUL)
        return key

    return db.run_sync(work)


def test_a_run_moves_a_bridging_note_to_helpful_after_its_stable_time(db):
    author, fan, booster, replier, _ = _people(db)
    post = factories.status(db, author, "The moon is cheese")
    db.run_sync(lambda tx: interactions.favourite(tx, fan, post))
    factories.status(db, booster, reblog_of=post)
    factories.status(db, replier, "no", reply_to=post)
    key = community(db, post)

    first = scoring_runs.score_here(db)
    assert first.version == scorer.version()
    assert first.waiting >= 1

    def state(tx):
        return tx.execute(sa.select(community_notes).where(community_notes.c.id == key)).one()

    note = db.run_sync(state)
    # Met every rule of helpful, but not yet for 30 minutes: still needs more ratings.
    assert note.status == vocabulary.NEEDS_MORE_RATINGS
    assert note.crh_candidate_since is not None
    run = db.run_sync(lambda tx: tx.execute(sa.select(note_scoring_runs)).one())
    assert run.version == scorer.version() and run.params["crh_threshold"] == 0.4
    result = db.run_sync(
        lambda tx: tx.execute(
            sa.select(note_run_results).where(
                note_run_results.c.run_id == run.id, note_run_results.c.note_id == key
            )
        ).one()
    )
    assert result.rule == "StableCrhTime" and result.intercept >= 0.4
    raters = db.run_sync(
        lambda tx: tx.scalar(
            sa.select(sa.func.count())
            .select_from(note_run_raters)
            .where(note_run_raters.c.run_id == run.id)
        )
    )
    assert raters == 80

    # Half an hour later (the candidate's start moved back as time would move it).
    def half_an_hour_on(tx):
        since = tx.scalar(
            sa.select(community_notes.c.crh_candidate_since).where(community_notes.c.id == key)
        )
        tx.execute(
            community_notes.update()
            .where(community_notes.c.id == key)
            .values(crh_candidate_since=since - timedelta(minutes=31))
        )

    db.run_sync(half_an_hour_on)
    version_before = db.run_sync(
        lambda tx: tx.scalar(sa.select(statuses.c.render_version).where(statuses.c.id == post))
    )
    second = scoring_runs.score_here(db)
    assert second.statuses[vocabulary.CURRENTLY_RATED_HELPFUL] >= 1
    note = db.run_sync(state)
    assert note.status == vocabulary.CURRENTLY_RATED_HELPFUL
    assert sorted(note.tags) == sorted(GOOD)
    assert note.first_non_nmr_status == vocabulary.CURRENTLY_RATED_HELPFUL
    # The post is shown again (its render version moved with its note).
    assert (
        db.run_sync(
            lambda tx: tx.scalar(sa.select(statuses.c.render_version).where(statuses.c.id == post))
        )
        > version_before
    )
    registry.drain(db)
    told = db.run_sync(
        lambda tx: set(
            tx.scalars(
                sa.select(notifications.c.account_id).where(
                    notifications.c.type == "pnyx.context_added",
                    notifications.c.status_id == post,
                )
            )
        )
    )
    assert told == {fan, booster, replier}

    # A third run changes nothing of it, and tells nobody again.
    third = scoring_runs.score_here(db)
    assert third.changed == 0
    assert (
        db.run_sync(lambda tx: tx.scalar(sa.select(sa.func.count()).select_from(note_scoring_runs)))
        == 3
    )

    # The open data: X's columns, the note by its stable id, its status.
    lines = db.run_sync(lambda tx: list(data_files.rows(tx, "noteStatusHistory", delayed=False)))
    assert lines[0].rstrip("\n").split("\t") == list(data_files.STATUS_HISTORY_COLUMNS)
    uri = db.run_sync(
        lambda tx: tx.scalar(sa.select(community_notes.c.uri).where(community_notes.c.id == key))
    )
    row = next(
        line.split("\t") for line in lines[1:] if line.startswith(f"{data_files.stable_id(uri)}\t")
    )
    assert row[6] == vocabulary.CURRENTLY_RATED_HELPFUL
    # X's scorer reads a post's time from its tweet id (a snowflake), and starts its core fit
    # on modeling group 13: the files say both as X's do.
    notes_tsv = db.run_sync(lambda tx: list(data_files.rows(tx, "notes", delayed=False)))
    key_row = next(
        line.split("\t") for line in notes_tsv if line.startswith(f"{data_files.stable_id(uri)}\t")
    )
    posted = db.run_sync(
        lambda tx: tx.scalar(sa.select(statuses.c.created_at).where(statuses.c.id == post))
    )
    tweet_id = int(key_row[data_files.NOTE_COLUMNS.index("tweetId")])
    assert (tweet_id >> 22) + data_files.X_EPOCH_MS == int(posted.timestamp()) * 1000
    enrollment = db.run_sync(lambda tx: list(data_files.rows(tx, "userEnrollment", delayed=False)))
    assert {line.split("\t")[6] for line in enrollment[1:]} == {"13"}


def _people(db) -> tuple[int, ...]:
    def work(tx):
        return tuple(
            accounts.create_local(tx, n, f"{n}@example.com", "correct horse battery")[0]
            for n in ("author", "fan", "booster", "replier", "stranger")
        )

    return db.run_sync(work)


def test_no_note_means_no_run(db):
    assert scoring_runs.run(db) is None


def test_the_periodic_job_runs_again_when_a_note_waits_out_its_stable_time(db):
    """A run that leaves a note waiting (it met the rules of helpful for less than 30 minutes)
    schedules one more run once they are over, besides the next periodic one."""
    community(db)
    started = db.run_sync(lambda tx: tx.now, write=False)
    scoring_runs.score_job(db, {})

    def scheduled(tx):
        return tx.rows(
            sa.select(jobs.c.payload, jobs.c.run_at).where(jobs.c.kind == scoring_runs.SCORE_JOB)
        )

    found = db.run_sync(scheduled, write=False)
    stable = [j for j in found if j.payload == {"kind": "stable"}]
    assert len(stable) == 1
    wait = stable[0].run_at - started
    assert timedelta(minutes=31) <= wait < timedelta(minutes=33)
    periodic = [j for j in found if j.payload == {}]
    # ... and the next periodic run, at the start of the next hour's slot.
    assert len(periodic) == 1 and periodic[0].run_at > started
    assert periodic[0].run_at.timestamp() % 3600 == 0
