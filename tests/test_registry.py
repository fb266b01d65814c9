"""The registry hands every event to its handlers: those in the transaction at once (a failure
undoes the change), the others each as a job of its own; it keeps a server upgraded with old
rows in its queue working: those rows are delivered, and rows no handler can read are
dropped, not retried."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

import factories
from pnyx import registry
from pnyx.core import events, statuses
from pnyx.core.statuses import StatusInput
from pnyx.db.tables import accounts, jobs, notifications
from pnyx.db.tables import statuses as stored_statuses
from pnyx.federation import handlers
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
    created = events.StatusCreated(status_id, alice, visibility="public")
    assert kind == events.EVENT_JOB and events.decode(payload) == created

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
    assert events.decode(failing.payload) == events.StatusCreated(
        status_id, alice, visibility="public"
    )
    assert failing.attempts == 1 and "this handler is broken" in failing.last_error
    assert delivery.payload["activity"]["type"] == "Create"


def test_notifications_are_made_in_the_transaction_of_the_change(app, make_user):
    db = app.state.db
    alice, bob = make_user("alice").account_id, make_user("bob").account_id
    status_id = db.run_sync(statuses.create, alice, StatusInput(text="hi @bob"))
    # Before any job has run, Bob has been told; the one job waiting is the event's, for
    # the handlers that run after commit.
    told = db.run_sync(
        lambda tx: tx.rows(
            sa.select(notifications.c.account_id, notifications.c.type, notifications.c.status_id)
        )
    )
    assert [tuple(row) for row in told] == [(bob, "mention", status_id)]
    assert [kind for kind, _, _ in queued(db)] == [events.EVENT_JOB]


def test_a_handler_in_the_transaction_that_fails_undoes_the_change(app, make_user):
    db = app.state.db
    alice = make_user("alice").account_id

    def broken(tx, event):
        raise RuntimeError("this handler is broken")

    subscriptions = (
        registry.Subscription(
            "broken", broken, frozenset({events.StatusCreated}), in_transaction=True
        ),
        *registry.SUBSCRIPTIONS,
    )
    events.install(registry.dispatcher(subscriptions))
    try:
        with pytest.raises(RuntimeError, match="broken"):
            db.run_sync(statuses.create, alice, StatusInput(text="hello"))
    finally:
        events.install(registry.dispatcher())
    assert db.run_sync(lambda tx: tx.scalars(sa.select(stored_statuses.c.id))) == []
    assert queued(db) == []


def test_what_another_server_tells_us_raises_events_but_costs_no_job(app, make_user):
    """A remote post naming Bob: the same event as a local post, so Bob is told by the same
    rule; federation sends nothing of it, so no job is queued for it."""
    db = app.state.db
    bob = make_user("bob").account_id
    rita = factories.remote_account(db, "rita", "remote.example")
    note = {
        "id": "https://remote.example/users/rita/statuses/1",
        "type": "Note",
        "attributedTo": "https://remote.example/users/rita",
        "content": "<p>hi bob</p>",
        "to": ["https://www.w3.org/ns/activitystreams#Public"],
        "cc": [],
        "tag": [{"type": "Mention", "href": "https://pnyx.test/users/bob", "name": "@bob"}],
        "published": "2026-11-20T10:00:00Z",
    }
    create = {
        "id": "https://remote.example/users/rita/activities/1",
        "type": "Create",
        "actor": "https://remote.example/users/rita",
        "object": note,
    }
    handlers.process(db, app.state.settings, create, rita)
    told = db.run_sync(
        lambda tx: tx.rows(sa.select(notifications.c.account_id, notifications.c.type))
    )
    assert [tuple(row) for row in told] == [(bob, "mention")]
    assert queued(db) == []
