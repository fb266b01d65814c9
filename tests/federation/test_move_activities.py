"""What a local account's move sends (federation.move_activities, and the actor Update), read
from the database on both kinds of storage: who receives the Move, and its shape."""

from __future__ import annotations

import sqlalchemy as sa

import factories
from pnyx.core import account_moves, blocks_mutes, events
from pnyx.db.tables import accounts, jobs
from pnyx.federation import activities

PASSWORD = "correct horse battery"


def give_inboxes(db, account_id: int, inbox: str, shared: str | None) -> None:
    db.run_sync(
        lambda tx: tx.execute(
            accounts.update()
            .where(accounts.c.id == account_id)
            .values(inbox_url=inbox, shared_inbox_url=shared)
        )
    )


def queued(db, name: str) -> list[events.Event]:
    payloads = db.run_sync(
        lambda tx: tx.scalars(sa.select(jobs.c.payload).where(jobs.c.kind == events.EVENT_JOB))
    )
    return [events.decode(p) for p in payloads if p["event"] == name]


def test_the_move_goes_to_followers_servers_and_blockers_as_mastodon_sends_it(db, make_user):
    alice, new, dave = (make_user(n).account_id for n in ("alice", "alice_new", "dave"))
    one = factories.remote_account(db, "one", "big.example")
    two = factories.remote_account(db, "two", "big.example")
    lone = factories.remote_account(db, "lone", "small.example")
    blocker = factories.remote_account(db, "grumpy", "grumpy.example")
    stranger = factories.remote_account(db, "stranger", "far.example")
    for follower, inbox, shared in (
        (one, "https://big.example/users/one/inbox", "https://big.example/inbox"),
        (two, "https://big.example/users/two/inbox", "https://big.example/inbox"),
        (lone, "https://small.example/users/lone/inbox", None),
    ):
        give_inboxes(db, follower, inbox, shared)
        factories.follow(db, follower, alice)
    give_inboxes(db, blocker, "https://grumpy.example/users/grumpy/inbox", None)
    give_inboxes(db, stranger, "https://far.example/users/stranger/inbox", None)
    factories.follow(db, dave, alice)  # here: moved by the job, not told by a Move
    db.run_sync(blocks_mutes.block, blocker, alice)
    db.run_sync(account_moves.add_alias, new, alice)
    db.run_sync(lambda tx: tx.execute(jobs.delete()))

    db.run_sync(account_moves.move_out, alice, new, PASSWORD)

    [moved_out] = queued(db, "AccountMovedOut")
    [(signer, move, inboxes)] = db.run_sync(activities.render, moved_out)
    assert signer == alice
    move_id = move.pop("id")
    assert move_id.startswith("https://pnyx.test/users/alice#moves/")
    assert move == {
        "@context": "https://www.w3.org/ns/activitystreams",
        "type": "Move",
        "target": "https://pnyx.test/users/alice_new",
        "actor": "https://pnyx.test/users/alice",
        "object": "https://pnyx.test/users/alice",
    }
    assert list(move) == ["@context", "type", "target", "actor", "object"]  # Mastodon's order
    assert inboxes == {
        "https://big.example/inbox",  # one shared inbox for the two followers there
        "https://small.example/users/lone/inbox",
        "https://grumpy.example/users/grumpy/inbox",  # it carries its block over
    }

    # The actor Update of the same move carries movedTo (and the aliases it had).
    [updated] = queued(db, "AccountUpdated")
    [(_, update, update_inboxes)] = db.run_sync(activities.render, updated)
    assert update["type"] == "Update"
    assert update["object"]["movedTo"] == "https://pnyx.test/users/alice_new"
    assert update_inboxes == {"https://big.example/inbox", "https://small.example/users/lone/inbox"}
    # The new account publishes its alias.
    [(_, new_update, _)] = db.run_sync(activities.render, events.AccountUpdated(new))
    assert new_update["object"]["alsoKnownAs"] == ["https://pnyx.test/users/alice"]


def test_a_move_overtaken_by_another_says_nothing(db, make_user):
    alice, first, second = (make_user(n).account_id for n in ("alice", "first", "second"))
    for target in (first, second):
        db.run_sync(account_moves.add_alias, target, alice)
    db.run_sync(account_moves.move_out, alice, first, PASSWORD)
    [old] = queued(db, "AccountMovedOut")
    db.run_sync(
        lambda tx: tx.execute(
            accounts.update().where(accounts.c.id == alice).values(moved_to_account_id=second)
        )
    )
    assert db.run_sync(activities.render, old) == []
