"""Local actions become activities for exactly the servers that may see them.

Core records each action as an event job (core.events); `activities.render` turns the event
into (signer, activity, inboxes). These tests read the recorded events back and render them.
"""

from __future__ import annotations

import sqlalchemy as sa

import factories
from pnyx.core import blocks_mutes, events, follows, polls, status_deletion, statuses
from pnyx.core.statuses import PollInput, StatusInput
from pnyx.db.tables import accounts, jobs
from pnyx.federation import activities


def remote(db, username: str, domain: str, *, shared: bool = True) -> int:
    account_id = factories.remote_account(db, username, domain)

    def work(tx):
        tx.execute(
            accounts.update()
            .where(accounts.c.id == account_id)
            .values(
                inbox_url=f"https://{domain}/users/{username}/inbox",
                shared_inbox_url=f"https://{domain}/inbox" if shared else None,
                followers_url=f"https://{domain}/users/{username}/followers",
            )
        )

    db.run_sync(work)
    return account_id


def recorded_events(db, kind: type[events.Event] | None = None) -> list[events.Event]:
    """The events recorded so far (of one type), oldest first."""
    payloads = db.run_sync(
        lambda tx: tx.scalars(
            sa.select(jobs.c.payload).where(jobs.c.kind == events.EVENT_JOB).order_by(jobs.c.id)
        )
    )
    recorded = [events.decode(p) for p in payloads]
    return [e for e in recorded if kind is None or isinstance(e, kind)]


def rendered(db, event: events.Event) -> list:
    return db.run_sync(activities.render, event)


def post(db, account_id: int, text: str, visibility: str = "public", poll=None) -> int:
    return db.run_sync(
        statuses.create, account_id, StatusInput(text=text, visibility=visibility, poll=poll)
    )


def test_followers_only_post_goes_to_follower_servers_and_the_mentioned(app, make_user):
    db = app.state.db
    alice = make_user("alice").account_id
    f1 = remote(db, "f1", "one.example")
    f2 = remote(db, "f2", "one.example")
    f3 = remote(db, "f3", "two.example", shared=False)
    remote(db, "m", "three.example")
    remote(db, "stranger", "four.example")
    for follower in (f1, f2, f3):
        factories.follow(db, follower, alice)

    status_id = post(db, alice, "@m@three.example for my followers", visibility="private")
    [payload] = [p for p in recorded_events(db, events.StatusCreated) if p.status_id == status_id]
    [(signer, activity, inboxes)] = rendered(db, payload)
    assert signer == alice
    assert activity["type"] == "Create" and activity["object"]["type"] == "Note"
    # One POST per server: one.example's two followers share its shared inbox.
    assert inboxes == {
        "https://one.example/inbox",
        "https://two.example/users/f3/inbox",
        "https://three.example/inbox",
    }
    note = activity["object"]
    assert note["to"] == ["https://pnyx.test/users/alice/followers"]
    assert note["cc"] == ["https://three.example/users/m"]
    assert "https://www.w3.org/ns/activitystreams#Public" not in note["to"] + note["cc"]


def test_direct_message_goes_to_the_mentioned_account_only(app, make_user):
    db = app.state.db
    alice = make_user("alice").account_id
    follower = remote(db, "f1", "one.example")
    factories.follow(db, follower, alice)
    remote(db, "m", "three.example")

    status_id = post(db, alice, "@m@three.example just you", visibility="direct")
    [payload] = [p for p in recorded_events(db, events.StatusCreated) if p.status_id == status_id]
    [(_, activity, inboxes)] = rendered(db, payload)
    # Its own inbox, not the shared one: nothing about it is for the rest of that server.
    assert inboxes == {"https://three.example/users/m/inbox"}
    assert activity["object"]["to"] == ["https://three.example/users/m"]
    assert activity["object"]["cc"] == []


def test_a_post_with_no_remote_audience_goes_nowhere(app, make_user):
    db = app.state.db
    alice = make_user("alice").account_id
    bob = make_user("bob").account_id
    factories.follow(db, bob, alice)
    status_id = post(db, alice, "only locals follow me")
    [payload] = [p for p in recorded_events(db, events.StatusCreated) if p.status_id == status_id]
    [(_, _, inboxes)] = rendered(db, payload)
    assert inboxes == set()


def test_delete_reaches_the_same_servers_after_the_post_is_gone(app, make_user):
    db = app.state.db
    alice = make_user("alice").account_id
    factories.follow(db, remote(db, "f1", "one.example"), alice)
    remote(db, "m", "three.example")
    status_id = post(db, alice, "@m@three.example soon gone")
    db.run_sync(status_deletion.delete, alice, status_id)
    [payload] = recorded_events(db, events.StatusDeleted)
    [(_, activity, inboxes)] = rendered(db, payload)
    assert activity["type"] == "Delete"
    assert activity["object"]["type"] == "Tombstone"
    assert inboxes == {"https://one.example/inbox", "https://three.example/inbox"}


def test_votes_on_a_local_poll_are_sent_as_one_update_to_voters(app, make_user):
    db = app.state.db
    alice = make_user("alice").account_id
    voters = [remote(db, f"v{i}", f"voter{i}.example") for i in range(3)]
    status_id = post(db, alice, "tea or coffee?", poll=PollInput(["tea", "coffee"], 3600))
    poll = db.run_sync(polls.for_status, status_id)
    for i, voter in enumerate(voters):
        db.run_sync(polls.vote, voter, poll.id, [i % 2], uri=f"https://voter{i}.example/v/1")
    updates = recorded_events(db, events.PollCountsChanged)
    assert len(updates) == 1, updates  # three votes, one update waiting
    [(_, activity, inboxes)] = rendered(db, updates[0])
    assert activity["type"] == "Update" and activity["object"]["type"] == "Question"
    counts = [choice["replies"]["totalItems"] for choice in activity["object"]["oneOf"]]
    assert counts == [2, 1]
    assert inboxes == {f"https://voter{i}.example/inbox" for i in range(3)}


def test_a_local_vote_on_a_remote_poll_goes_to_its_author_only(app, make_user):
    db = app.state.db
    bob = make_user("bob").account_id
    author = remote(db, "pollster", "polls.example")
    factories.follow(db, bob, author)
    status_id = factories.status(db, author, "remote poll", local=False)

    def add_poll(tx):
        from pnyx.core.remote_store import IncomingPoll, _store_poll

        _store_poll(tx, status_id, author, IncomingPoll(["yes", "no"], [0, 0]))

    db.run_sync(add_poll)
    poll = db.run_sync(polls.for_status, status_id)
    db.run_sync(polls.vote, bob, poll.id, [1])
    [payload] = recorded_events(db, events.PollVoted)
    [(signer, activity, inboxes)] = rendered(db, payload)
    assert signer == bob
    assert activity["type"] == "Create"
    assert activity["object"]["name"] == "no"
    assert inboxes == {"https://polls.example/users/pollster/inbox"}


def test_a_block_undoes_our_follow_and_rejects_theirs_before_blocking(app, make_user):
    """What Mastodon sends: Undo(Follow), Reject(Follow), then Block."""
    db = app.state.db
    alice = make_user("alice").account_id
    rita = remote(db, "rita", "remote.example")
    ours = db.run_sync(follows.follow, alice, rita)  # pending: Rita's server must accept
    theirs = db.run_sync(follows.follow, rita, alice, uri="https://remote.example/follows/1")
    db.run_sync(lambda tx: tx.execute(jobs.delete()))

    db.run_sync(blocks_mutes.block, alice, rita)

    sent = [rendered(db, e)[0][1] for e in recorded_events(db)]
    assert [a["type"] for a in sent] == ["Undo", "Reject", "Block"]
    assert sent[0]["object"]["type"] == "Follow" and sent[0]["object"]["id"] == ours.uri
    assert sent[1]["object"]["id"] == theirs.uri == "https://remote.example/follows/1"
    assert sent[1]["actor"] == sent[2]["actor"] == "https://pnyx.test/users/alice"


def test_blocking_again_sends_nothing_more(app, make_user):
    db = app.state.db
    alice = make_user("alice").account_id
    rita = remote(db, "rita", "remote.example")
    db.run_sync(blocks_mutes.block, alice, rita)
    db.run_sync(blocks_mutes.block, alice, rita)
    assert [type(e) for e in recorded_events(db)] == [events.AccountBlocked]


def test_two_updates_of_one_post_in_the_same_moment_have_two_ids(app, make_user):
    """Receivers drop an activity id they have seen: the second edit must not reuse the first's,
    even when both are rendered in one transaction (one moment, `tx.now`)."""
    db = app.state.db
    alice = make_user("alice").account_id
    status_id = post(db, alice, "hello")
    edited = events.StatusEdited(status_id)
    first, second = db.run_sync(lambda tx: [activities.render(tx, edited) for _ in range(2)])
    assert first[0][1]["type"] == second[0][1]["type"] == "Update"
    assert first[0][1]["id"] != second[0][1]["id"]
