"""A poll from another server ends here too: the people here who voted are told, once,
whether its end comes from the closing job at its expiry or from its server's Update."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

import factories
from pnyx import registry
from pnyx.core import events, polls
from pnyx.core.remote_store import (
    IncomingPoll,
    IncomingStatus,
    _store_poll,
    delete_remote_status,
    update_status,
)
from pnyx.db.tables import jobs, notifications, statuses
from pnyx.db.tables import polls as poll_table

SENT = (events.EVENT_JOB, "federate")  # what core records, and the job that sends it


def remote_poll(db, bob: int) -> tuple[int, int, int]:
    """A remote author's poll ending in an hour, which local bob has voted in."""
    author = factories.remote_account(db, "pollster", "polls.example")
    factories.follow(db, bob, author)
    status_id = factories.status(db, author, "tea or coffee?", local=False)

    def add_poll(tx):
        ends = tx.now + timedelta(hours=1)
        _store_poll(tx, status_id, author, IncomingPoll(["tea", "coffee"], [3, 1], expires_at=ends))

    db.run_sync(add_poll)
    poll = db.run_sync(polls.for_status, status_id)
    db.run_sync(polls.vote, bob, poll.id, [1])
    db.run_sync(lambda tx: tx.execute(jobs.delete().where(jobs.c.kind.in_(SENT))))
    return author, status_id, poll.id


def poll_notes(db, account_id: int) -> list[tuple[int, int]]:
    return db.run_sync(
        lambda tx: [
            (r.from_account_id, r.status_id)
            for r in tx.rows(
                sa.select(notifications).where(
                    notifications.c.account_id == account_id, notifications.c.type == "poll"
                )
            )
        ]
    )


def move_end_into_the_past(db, poll_id: int) -> None:
    def work(tx):
        past = tx.now - timedelta(seconds=5)
        tx.execute(poll_table.update().where(poll_table.c.id == poll_id).values(expires_at=past))
        tx.execute(
            jobs.update()
            .where(jobs.c.unique_key.like(f"{polls.CLOSE_JOB}:{poll_id}:%"))
            .values(run_at=past)
        )

    db.run_sync(work)


def federate_jobs(db) -> list:
    return db.run_sync(
        lambda tx: list(tx.scalars(sa.select(jobs.c.id).where(jobs.c.kind.in_(SENT))))
    )


def test_the_closing_job_tells_local_voters_when_a_remote_poll_ends(app, make_user):
    db = app.state.db
    bob, carol = make_user("bob").account_id, make_user("carol").account_id
    author, status_id, poll_id = remote_poll(db, bob)

    registry.drain(db)  # not due yet
    assert poll_notes(db, bob) == []

    move_end_into_the_past(db, poll_id)
    registry.drain(db)
    assert poll_notes(db, bob) == [(author, status_id)]
    assert poll_notes(db, carol) == []  # did not vote
    assert db.run_sync(polls.get, poll_id).closed_at is not None
    assert federate_jobs(db) == []  # not ours to announce

    # Its server's Update saying it closed comes later: nobody is told twice.
    closed = IncomingStatus(
        uri="https://polls.example/s/1",
        content="<p>tea or coffee?</p>",
        visibility="public",
        poll=IncomingPoll(["tea", "coffee"], [5, 2], closed_at=db.run_sync(lambda tx: tx.now)),
    )
    db.run_sync(update_status, status_id, closed)
    assert poll_notes(db, bob) == [(author, status_id)]
    assert db.run_sync(polls.get, poll_id).tallies == [5, 2]


def test_the_origin_saying_a_remote_poll_closed_tells_local_voters_once(app, make_user):
    db = app.state.db
    bob = make_user("bob").account_id
    author, status_id, poll_id = remote_poll(db, bob)

    ended = db.run_sync(lambda tx: tx.now)
    closed = IncomingStatus(
        uri="https://polls.example/s/1",
        content="<p>tea or coffee?</p>",
        visibility="public",
        poll=IncomingPoll(["tea", "coffee"], [4, 2], closed_at=ended),
    )
    db.run_sync(update_status, status_id, closed)
    assert poll_notes(db, bob) == [(author, status_id)]
    assert db.run_sync(polls.get, poll_id).closed_at is not None

    # The closing job still comes due at the old end: it finds the poll closed.
    move_end_into_the_past(db, poll_id)
    registry.drain(db)
    assert poll_notes(db, bob) == [(author, status_id)]
    assert (
        db.run_sync(
            lambda tx: list(tx.scalars(sa.select(jobs.c.id).where(jobs.c.kind == polls.CLOSE_JOB)))
        )
        == []
    )


def test_a_vote_on_a_poll_deleted_before_it_was_sent_is_dropped(app, make_user):
    """The vote's job finds neither poll nor post: nothing to send, and nothing to retry."""
    db = app.state.db
    bob = make_user("bob").account_id
    author = factories.remote_account(db, "pollster", "polls.example")
    status_id = factories.status(db, author, "tea or coffee?", local=False)

    def add_poll(tx):
        ends = tx.now + timedelta(hours=1)
        _store_poll(tx, status_id, author, IncomingPoll(["tea", "coffee"], [3, 1], expires_at=ends))

    db.run_sync(add_poll)
    poll = db.run_sync(polls.for_status, status_id)
    db.run_sync(polls.vote, bob, poll.id, [1])
    uri = db.run_sync(
        lambda tx: tx.scalar(sa.select(statuses.c.uri).where(statuses.c.id == status_id))
    )
    assert db.run_sync(delete_remote_status, uri, author)  # its server deleted it meanwhile

    registry.drain(db)
    left = db.run_sync(
        lambda tx: tx.rows(
            sa.select(jobs.c.kind, jobs.c.last_error).where(jobs.c.kind != polls.CLOSE_JOB)
        )
    )
    assert left == []
