"""The registry hands every event to its handlers, each as a job of its own, and keeps a
server upgraded with old rows in its queue working: those rows are delivered, and rows no
handler can read are dropped, not retried."""

from __future__ import annotations

import sqlalchemy as sa

import factories
from pnyx import registry
from pnyx.core import events, statuses
from pnyx.core.statuses import StatusInput
from pnyx.db.tables import accounts, jobs
from pnyx.jobs import worker
from pnyx.jobs.queue import enqueue

INBOX = "http://127.0.0.1:9/users/f1/inbox"  # loopback: refused, so the delivery waits


def alice_with_a_remote_follower(db, make_user) -> int:
    alice = make_user("alice").account_id
    follower = factories.remote_account(db, "f1", "one.example")
    db.run_sync(
        lambda tx: tx.execute(
            accounts.update().where(accounts.c.id == follower).values(inbox_url=INBOX)
        )
    )
    factories.follow(db, follower, alice)
    return alice


def queued(db) -> list:
    return db.run_sync(
        lambda tx: tx.rows(
            sa.select(jobs.c.kind, jobs.c.payload, jobs.c.failed_at).order_by(jobs.c.id)
        )
    )


def test_every_event_core_records_has_a_handler():
    for event_type in events.EVENT_TYPES.values():
        assert registry.subscribers(event_type), event_type.__name__


def test_an_event_becomes_one_job_per_handler(app, make_user):
    db = app.state.db
    alice = alice_with_a_remote_follower(db, make_user)
    status_id = db.run_sync(statuses.create, alice, StatusInput(text="hello"))
    [(kind, payload, _)] = queued(db)
    assert kind == events.EVENT_JOB and events.decode(payload) == events.StatusCreated(status_id)

    assert worker.run_one(db, "test-worker", registry.JOBS)  # the event job, and only it
    assert [(k, p) for k, p, _ in queued(db)] == [("federate", payload)]


def test_a_post_recorded_by_the_former_outbox_is_still_delivered(app, make_user):
    db = app.state.db
    alice = alice_with_a_remote_follower(db, make_user)
    status_id = db.run_sync(statuses.create, alice, StatusInput(text="queued before the upgrade"))

    def as_before_the_upgrade(tx):
        tx.execute(jobs.delete())
        enqueue(tx, "federate", {"kind": "create", "status_id": status_id})

    db.run_sync(as_before_the_upgrade)
    registry.drain(db)
    [(kind, payload, failed_at)] = queued(db)
    assert kind == "deliver" and failed_at is None  # waiting for its retry
    assert payload["inbox"] == INBOX and payload["account_id"] == alice
    assert payload["activity"]["type"] == "Create"
    assert payload["activity"]["object"]["content"] == "<p>queued before the upgrade</p>"


def test_rows_no_handler_can_read_are_dropped_not_retried(db):
    def queue_odd_rows(tx):
        enqueue(tx, events.EVENT_JOB, {"event": "SomethingFromALaterVersion", "id": 1})
        enqueue(tx, events.EVENT_JOB, {"event": "StatusCreated"})  # no status_id
        enqueue(tx, "federate", {"kind": "teleport", "account_id": 1})
        enqueue(tx, "federate", {"event": "StatusCreated", "status_id": 404})  # gone since

    db.run_sync(queue_odd_rows)
    assert registry.drain(db) == 4
    assert queued(db) == []


def test_a_failing_handler_is_retried_alone(app, make_user):
    """A second handler of new posts that fails: the post is still delivered, once, and only
    the failing handler's job waits for its retry."""
    db = app.state.db
    alice = alice_with_a_remote_follower(db, make_user)

    def broken(tx, event):
        raise RuntimeError("this handler is broken")

    subscriptions = (
        *registry.SUBSCRIPTIONS,
        registry.Subscription("broken", broken, frozenset({events.StatusCreated})),
    )
    status_id = db.run_sync(statuses.create, alice, StatusInput(text="hello"))
    worker.drain(db, registry.job_table(subscriptions))

    left = db.run_sync(
        lambda tx: tx.rows(
            sa.select(jobs.c.kind, jobs.c.payload, jobs.c.attempts, jobs.c.last_error).order_by(
                jobs.c.kind
            )
        )
    )
    assert [row.kind for row in left] == ["broken", "deliver"]
    failing, delivery = left
    assert events.decode(failing.payload) == events.StatusCreated(status_id)
    assert failing.attempts == 1 and "this handler is broken" in failing.last_error
    assert delivery.payload["activity"]["type"] == "Create"
