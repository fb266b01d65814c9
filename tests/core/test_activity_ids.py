"""What core answers about the ActivityPub ids other servers name: an activity seen before, the
follow (or request) a Follow made, the favourite a Like made, a vote already counted. The inbox
and its handlers ask these instead of reading tables."""

from __future__ import annotations

import pytest

import factories
from pnyx.core import accounts, follows, interactions, polls, seen_activities, statuses

ELSEWHERE = "https://elsewhere.example"


@pytest.fixture
def people(db):
    def work(tx):
        return {
            name: accounts.create_local(tx, name, f"{name}@example.com", "correct horse battery")[0]
            for name in ("alice", "bob")
        }

    ids = db.run_sync(work)
    ids["dana"] = factories.remote_account(db, "dana", "elsewhere.example")
    ids["erin"] = factories.remote_account(db, "erin", "elsewhere.example")
    return ids


def test_an_activity_is_new_once(db):
    first = f"{ELSEWHERE}/activities/1"

    assert db.run_sync(seen_activities.first_sight, first) is True
    assert db.run_sync(seen_activities.first_sight, first) is False
    assert db.run_sync(seen_activities.first_sight, f"{ELSEWHERE}/activities/2") is True


def test_the_follow_request_an_answer_names(db, people):
    alice, bob, dana, erin = people["alice"], people["bob"], people["dana"], people["erin"]
    db.run_sync(follows.follow, alice, dana)  # a request: dana lives elsewhere
    db.run_sync(follows.follow, bob, dana)
    uri = db.run_sync(follows.follow_uri, alice, dana)
    answered = lambda **named: db.run_sync(follows.requesters_answered, dana, **named)  # noqa: E731

    assert uri is not None
    assert answered(follow_uri=uri, follower_id=None) == [alice]
    assert answered(follow_uri=None, follower_id=bob) == [bob]
    assert sorted(answered(follow_uri=uri, follower_id=bob)) == sorted([alice, bob])
    assert answered(follow_uri=None, follower_id=None) == []
    assert answered(follow_uri=f"{ELSEWHERE}/follows/1", follower_id=None) == []
    assert db.run_sync(follows.requesters_answered, erin, follow_uri=uri, follower_id=alice) == []
    assert db.run_sync(follows.requester_of, uri) == alice
    assert db.run_sync(follows.requester_of, f"{ELSEWHERE}/follows/1") is None


def test_whom_a_follow_activity_follows(db, people):
    alice, dana, erin = people["alice"], people["dana"], people["erin"]
    requested = f"{ELSEWHERE}/users/dana/follows/1"
    db.run_sync(follows.follow, dana, alice, uri=f"{ELSEWHERE}/users/dana/follows/2")
    db.run_sync(follows.follow, erin, alice, uri=requested)  # followed at once: not locked
    target = lambda follower, uri: db.run_sync(follows.target_of_follow, follower, uri)  # noqa: E731

    assert target(erin, requested) == alice
    assert target(dana, requested) is None  # someone else's Follow
    assert target(erin, None) is None
    db.run_sync(follows.follow, alice, dana)  # a request, until dana's server accepts
    uri = db.run_sync(follows.follow_uri, alice, dana)
    assert target(alice, uri) == dana
    db.run_sync(follows.authorize_request, dana, alice)
    assert target(alice, uri) == dana  # the follow keeps the request's id


def test_the_favourite_an_undo_names(db, people):
    alice, dana = people["alice"], people["dana"]
    post = factories.status(db, alice, "hello")
    other = factories.status(db, alice, "again")
    like = f"{ELSEWHERE}/users/dana/likes/1"
    db.run_sync(interactions.favourite, dana, post, uri=like)
    undone = lambda uri, status_id: db.run_sync(  # noqa: E731
        interactions.favourite_undone, dana, uri, status_id
    )

    assert undone(like, None) == post  # by the Like's id
    assert undone(f"{ELSEWHERE}/users/dana/likes/2", post) == post  # or by the post
    assert undone(f"{ELSEWHERE}/users/dana/likes/2", other) is None
    assert db.run_sync(interactions.favourite_undone, people["bob"], like, post) is None


def test_a_vote_is_counted_once_by_its_id(db, people):
    alice, dana = people["alice"], people["dana"]
    poll_input = statuses.PollInput(options=["yes", "no"], expires_in=3600)
    post = db.run_sync(statuses.create, alice, statuses.StatusInput(text="well?", poll=poll_input))
    poll = db.run_sync(polls.for_status, post)
    vote = f"{ELSEWHERE}/users/dana#votes/1"

    assert db.run_sync(polls.vote_counted, poll.id, vote) is False
    db.run_sync(lambda tx: polls.vote(tx, dana, poll.id, [0], uri=vote))
    assert db.run_sync(polls.vote_counted, poll.id, vote) is True
    assert db.run_sync(polls.vote_counted, poll.id, f"{ELSEWHERE}/users/dana#votes/2") is False
