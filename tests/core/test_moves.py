"""An account elsewhere moved: its followers here follow the new account (core.moves)."""

from __future__ import annotations

import sqlalchemy as sa

import factories
from pnyx.core import blocks_mutes, moves, remote_store
from pnyx.db.tables import follow_requests, follows, jobs


def following(db, target_id: int) -> set[int]:
    return set(
        db.run_sync(
            lambda tx: tx.scalars(
                sa.select(follows.c.account_id).where(follows.c.target_account_id == target_id)
            )
        )
    )


def requested(db, target_id: int) -> dict[int, tuple]:
    rows = db.run_sync(
        lambda tx: tx.rows(
            sa.select(follow_requests).where(follow_requests.c.target_account_id == target_id)
        )
    )
    return {r.account_id: (r.show_reblogs, r.languages) for r in rows}


def test_followers_here_move_in_batches_keeping_their_options_but_not_past_a_block(db, make_user):
    old = factories.remote_account(db, "maya", "old.example")
    new = factories.remote_account(db, "maya", "new.example")
    ann, ben, cat = (make_user(n).account_id for n in ("ann", "ben", "cat"))
    elsewhere = factories.remote_account(db, "zed", "third.example")
    factories.follow(db, ann, old, show_reblogs=False, languages=["fr"])
    for someone in (ben, cat, elsewhere):
        factories.follow(db, someone, old)
    db.run_sync(blocks_mutes.block, cat, new)

    db.run_sync(remote_store.record_move, old, new)
    [payload] = db.run_sync(
        lambda tx: list(
            tx.scalars(sa.select(jobs.c.payload).where(jobs.c.kind == moves.MOVE_FOLLOWERS))
        )
    )
    assert payload == {"account_id": old, "target_id": new}

    assert db.run_sync(lambda tx: moves.move_local_followers(tx, old, new, limit=2)) == 2
    assert db.run_sync(lambda tx: moves.move_local_followers(tx, old, new, limit=2)) == 1
    assert db.run_sync(lambda tx: moves.move_local_followers(tx, old, new, limit=2)) == 0

    # The new account lives elsewhere: following it is a request its server answers.
    assert requested(db, new) == {ann: (False, ["fr"]), ben: (True, None)}
    assert following(db, old) == {elsewhere}  # only followers here are ours to move
    # The same move recorded again schedules nothing new.
    db.run_sync(lambda tx: tx.execute(jobs.delete()))
    db.run_sync(remote_store.record_move, old, new)
    assert db.run_sync(lambda tx: list(tx.scalars(sa.select(jobs.c.id)))) == []


def test_the_job_does_nothing_once_the_account_moved_elsewhere(db, make_user):
    old = factories.remote_account(db, "maya", "old.example")
    first = factories.remote_account(db, "maya", "first.example")
    second = factories.remote_account(db, "maya", "second.example")
    ann = make_user("ann").account_id
    factories.follow(db, ann, old)
    db.run_sync(remote_store.record_move, old, first)
    db.run_sync(remote_store.record_move, old, second)
    db.run_sync(moves.move_followers_job, {"account_id": old, "target_id": first})
    assert requested(db, first) == {}
    db.run_sync(moves.move_followers_job, {"account_id": old, "target_id": second})
    assert list(requested(db, second)) == [ann]
