"""Posting rules called directly, as federation and the web UI will call them."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

import factories
from pnyx.core import accounts, interactions, polls, remote_store, status_edits, statuses, threads
from pnyx.core.errors import Forbidden, Invalid, NotFound
from pnyx.core.status_edits import EditInput
from pnyx.db.tables import favourites, follows, notifications
from pnyx.db.tables import polls as poll_table
from pnyx.db.tables import statuses as statuses_table


@pytest.fixture
def people(db):
    def work(tx):
        return {
            name: accounts.create_local(tx, name, f"{name}@example.com", "correct horse battery")[0]
            for name in ("alice", "bob", "carol")
        }

    return db.run_sync(work)


def create(db, account_id, text="hello", **kwargs) -> int:
    return db.run_sync(
        lambda tx: statuses.create(tx, account_id, statuses.StatusInput(text=text, **kwargs))
    )


def test_thread_order_is_depth_first_in_reply_order(db, people):
    alice, bob = people["alice"], people["bob"]
    root = create(db, alice, "root")
    a = create(db, bob, "a", in_reply_to_id=root)
    b = create(db, bob, "b", in_reply_to_id=root)
    a1 = create(db, alice, "a1", in_reply_to_id=a)
    b1 = create(db, alice, "b1", in_reply_to_id=b)
    a2 = create(db, alice, "a2", in_reply_to_id=a)
    ancestors, descendants = db.run_sync(lambda tx: threads.context_ids(tx, root))
    assert ancestors == []
    assert descendants == [a, a1, a2, b, b1]
    ancestors, descendants = db.run_sync(lambda tx: threads.context_ids(tx, b1))
    assert ancestors == [root, b] and descendants == []
    conversation = db.run_sync(
        lambda tx: set(
            tx.scalars(
                sa.select(statuses_table.c.conversation_id).where(
                    statuses_table.c.id.in_([root, a, b, a1, b1, a2])
                )
            )
        )
    )
    assert conversation == {root}


def test_reply_to_a_boost_replies_to_the_original(db, people):
    alice, bob = people["alice"], people["bob"]
    original = create(db, alice, "original")
    boost = db.run_sync(lambda tx: interactions.reblog(tx, bob, original))
    reply = create(db, people["carol"], "re", in_reply_to_id=boost)
    row = db.run_sync(lambda tx: statuses.get_row(tx, reply))
    assert row.in_reply_to_id == original and row.in_reply_to_account_id == alice


def test_interactions_are_idempotent_and_keep_counters(db, people):
    alice, bob = people["alice"], people["bob"]
    status_id = create(db, alice)
    for _ in range(3):
        db.run_sync(lambda tx: interactions.favourite(tx, bob, status_id))
    row = db.run_sync(lambda tx: statuses.get_row(tx, status_id))
    assert row.favourites_count == 1
    count = db.run_sync(lambda tx: tx.scalar(sa.select(sa.func.count()).select_from(favourites)))
    assert count == 1
    for _ in range(2):
        db.run_sync(lambda tx: interactions.unfavourite(tx, bob, status_id))
    assert db.run_sync(lambda tx: statuses.get_row(tx, status_id)).favourites_count == 0


def test_direct_messages_cannot_be_boosted_even_by_author(db, people):
    status_id = create(db, people["alice"], "@bob hi", visibility="direct")
    with pytest.raises(Forbidden):
        db.run_sync(lambda tx: interactions.reblog(tx, people["alice"], status_id))
    with pytest.raises(NotFound):
        db.run_sync(lambda tx: interactions.favourite(tx, people["carol"], status_id))
    db.run_sync(lambda tx: interactions.favourite(tx, people["bob"], status_id))


def test_status_without_text_but_with_poll_is_fine(db, people):
    poll = statuses.PollInput(options=["a", "b"], expires_in=600)
    status_id = create(db, people["alice"], "", poll=poll)
    row = db.run_sync(lambda tx: polls.for_status(tx, status_id))
    assert row.options == ["a", "b"] and row.tallies == [0, 0]
    with pytest.raises(Invalid):
        create(db, people["alice"], "")


def test_suspended_accounts_are_not_mentioned(db, people):
    def work(tx):
        accounts.suspend(tx, people["bob"], "spam")
        return statuses.create(tx, people["alice"], statuses.StatusInput(text="hi @bob"))

    status_id = db.run_sync(work)
    row = db.run_sync(lambda tx: statuses.get_row(tx, status_id))
    assert "mention" not in row.content and "@bob" in row.content


def test_bell_notifications_come_for_remote_authors_as_for_local_ones(db, people):
    """One write path: a post stored from another server rings the bell of the followers
    here who asked for it, as a local post does; a reply to someone else does not."""

    alice, carol = people["alice"], people["carol"]
    rita = factories.remote_account(db, "rita", "remote.example")
    for author in (rita, carol):
        factories.follow(db, alice, author)
    db.run_sync(
        lambda tx: tx.execute(
            follows.update().where(follows.c.account_id == alice).values(notify=True)
        )
    )

    def stored(uri: str, **extra) -> int:
        incoming = remote_store.IncomingStatus(uri=uri, content="<p>news</p>", **extra)
        return db.run_sync(lambda tx: remote_store.store_status(tx, rita, incoming))

    remote_post = stored("https://remote.example/users/rita/statuses/1", visibility="public")
    bobs_post = create(db, people["bob"], "hi")
    remote_reply = stored(
        "https://remote.example/users/rita/statuses/2",
        visibility="public",
        in_reply_to_uri=db.run_sync(lambda tx: statuses.get_row(tx, bobs_post).uri),
    )
    local_post = create(db, carol, "local news")

    rang = db.run_sync(
        lambda tx: set(
            tx.scalars(
                sa.select(notifications.c.status_id).where(
                    notifications.c.account_id == alice, notifications.c.type == "status"
                )
            )
        ),
        write=False,
    )
    assert rang == {remote_post, local_post}
    assert remote_reply not in rang


def test_an_edit_keeps_the_end_of_a_running_poll_to_the_microsecond(db, people):
    """`keep_end` keeps the end as stored, not a duration from now (which an edit that took
    a while, or a second's rounding, would move)."""
    alice = people["alice"]
    status_id = create(db, alice, "Pick", poll=statuses.PollInput(["a", "b"], expires_in=600))
    end = db.run_sync(lambda tx: tx.now + timedelta(seconds=3599, microseconds=123456))
    db.run_sync(
        lambda tx: tx.execute(
            poll_table.update().where(poll_table.c.status_id == status_id).values(expires_at=end)
        )
    )
    keep = statuses.PollInput(["a", "b"], expires_in=None, keep_end=True)
    edit = EditInput(text="Pick one", poll=keep)
    db.run_sync(lambda tx: status_edits.edit(tx, alice, status_id, edit))
    row = db.run_sync(lambda tx: polls.for_status(tx, status_id))
    assert row.expires_at.replace(tzinfo=None) == end.replace(tzinfo=None)


def test_keeping_the_end_needs_a_running_poll(db, people):
    alice = people["alice"]
    keep = statuses.PollInput(["a", "b"], expires_in=None, keep_end=True)
    with pytest.raises(Invalid):  # a new post has no end to keep
        create(db, alice, "Pick", poll=keep)
    status_id = create(db, alice, "Pick")
    with pytest.raises(Invalid):  # nor has an edit that adds the poll
        db.run_sync(
            lambda tx: status_edits.edit(tx, alice, status_id, EditInput("Pick", poll=keep))
        )
    status_id = create(db, alice, "Pick", poll=statuses.PollInput(["a", "b"], expires_in=600))
    db.run_sync(
        lambda tx: tx.execute(
            poll_table.update()
            .where(poll_table.c.status_id == status_id)
            .values(expires_at=tx.now - timedelta(seconds=1))
        )
    )
    with pytest.raises(Invalid):  # one that ended meanwhile needs a new duration
        db.run_sync(
            lambda tx: status_edits.edit(tx, alice, status_id, EditInput("Pick", poll=keep))
        )
