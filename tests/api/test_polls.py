"""Polls through the Mastodon API: showing, voting, and closing by the durable expiry job."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from pnyx import registry
from pnyx.core import polls as core_polls
from pnyx.db.ids import new_id
from pnyx.db.tables import blocks, jobs, notifications, polls
from pnyx.jobs.queue import enqueue


@pytest.fixture
def store(app):
    return app.state.db


def make_poll(
    client, user, *, multiple=False, hide_totals=False, visibility="public", options=None
):
    response = client.post(
        "/api/v1/statuses",
        json={
            "status": "Vote!",
            "visibility": visibility,
            "poll": {
                "options": options or ["red", "green", "blue"],
                "expires_in": 3600,
                "multiple": multiple,
                "hide_totals": hide_totals,
            },
        },
        headers=user.headers,
    )
    assert response.status_code == 200, response.text
    return response.json()


def vote(client, user, poll_id, choices):
    return client.post(
        f"/api/v1/polls/{poll_id}/votes", json={"choices": choices}, headers=user.headers
    )


def poll_notes(store, user) -> list:
    return store.run_sync(
        lambda tx: [
            tuple(r)
            for r in tx.rows(
                sa.select(notifications.c.from_account_id, notifications.c.status_id).where(
                    notifications.c.account_id == user.account_id,
                    notifications.c.type == "poll",
                )
            )
        ]
    )


def expire_now(store, poll_id: int) -> None:
    """Move the poll's end (and its closing job) into the past, as if the time had come."""

    def work(tx):
        past = tx.now - timedelta(seconds=5)
        tx.execute(polls.update().where(polls.c.id == poll_id).values(expires_at=past))
        tx.execute(
            jobs.update()
            .where(jobs.c.kind == core_polls.CLOSE_JOB)
            .where(jobs.c.unique_key.like(f"{core_polls.CLOSE_JOB}:{poll_id}:%"))
            .values(run_at=past)
        )

    store.run_sync(work)


def test_vote_once_and_tallies(client, make_user, store):
    alice, bob, carol = make_user("alice"), make_user("bob"), make_user("carol")
    status = make_poll(client, alice)
    poll_id = status["poll"]["id"]
    response = vote(client, bob, poll_id, [1])
    assert response.status_code == 200, response.text
    poll = response.json()
    assert poll["voted"] is True and poll["own_votes"] == [1]
    assert [o["votes_count"] for o in poll["options"]] == [0, 1, 0]
    assert poll["votes_count"] == 1 and poll["voters_count"] == 1

    again = vote(client, bob, poll_id, [2])
    assert again.status_code == 422
    assert again.json() == {"error": "Validation failed: You have already voted on this poll"}
    # The author counts as having voted, as in Mastodon.
    assert vote(client, alice, poll_id, [0]).status_code == 422

    form = client.post(
        f"/api/v1/polls/{poll_id}/votes", data={"choices[]": ["2"]}, headers=carol.headers
    )
    assert form.status_code == 200
    shown = client.get(f"/api/v1/polls/{poll_id}", headers=carol.headers).json()
    assert [o["votes_count"] for o in shown["options"]] == [0, 1, 1]
    assert shown["voters_count"] == 2 and shown["own_votes"] == [2]
    anonymous = client.get(f"/api/v1/polls/{poll_id}").json()
    assert "voted" not in anonymous
    assert client.get(f"/api/v1/statuses/{status['id']}", headers=bob.headers).json()["poll"][
        "own_votes"
    ] == [1]


@pytest.mark.parametrize(
    "choices, message",
    [
        ([5], "Validation failed: The chosen vote option does not exist"),
        ([-1], "Validation failed: The chosen vote option does not exist"),
        (["x"], "Validation failed: The chosen vote option does not exist"),
        ([0, 1], "Validation failed: You can only choose one option in this poll"),
        ([], "Validation failed: Choices can't be blank"),
    ],
)
def test_bad_choices_are_422(client, make_user, store, choices, message):
    alice, bob = make_user("alice"), make_user("bob")
    poll_id = make_poll(client, alice)["poll"]["id"]
    response = vote(client, bob, poll_id, choices)
    assert response.status_code == 422
    assert response.json() == {"error": message}
    assert client.get(f"/api/v1/polls/{poll_id}").json()["votes_count"] == 0


def test_multiple_choice_poll(client, make_user):
    alice, bob = make_user("alice"), make_user("bob")
    poll_id = make_poll(client, alice, multiple=True)["poll"]["id"]
    poll = vote(client, bob, poll_id, [0, 2]).json()
    assert poll["own_votes"] == [0, 2]
    assert poll["votes_count"] == 2 and poll["voters_count"] == 1


def test_hidden_totals_until_closed(client, make_user, store):
    alice, bob = make_user("alice"), make_user("bob")
    poll_id = make_poll(client, alice, hide_totals=True)["poll"]["id"]
    vote(client, bob, poll_id, [0])
    shown = client.get(f"/api/v1/polls/{poll_id}", headers=bob.headers).json()
    assert [o["votes_count"] for o in shown["options"]] == [None, None, None]
    own = client.get(f"/api/v1/polls/{poll_id}", headers=alice.headers).json()
    assert [o["votes_count"] for o in own["options"]] == [None, None, None]  # as Mastodon
    expire_now(store, int(poll_id))
    registry.drain(store)
    closed = client.get(f"/api/v1/polls/{poll_id}", headers=bob.headers).json()
    assert closed["expired"] is True
    assert [o["votes_count"] for o in closed["options"]] == [1, 0, 0]


def test_closing_job_notifies_voters_and_author_once(client, make_user, store):
    alice, bob, carol, dave = (
        make_user("alice"),
        make_user("bob"),
        make_user("carol"),
        make_user("dave"),
    )
    status = make_poll(client, alice, multiple=True)
    poll_id = int(status["poll"]["id"])
    status_id = int(status["id"])
    vote(client, bob, poll_id, [0, 1])
    vote(client, carol, poll_id, [2])

    registry.drain(store)  # not due yet: nothing happens
    assert poll_notes(store, alice) == []

    expire_now(store, poll_id)
    registry.drain(store)
    assert poll_notes(store, bob) == [(alice.account_id, status_id)]
    assert poll_notes(store, carol) == [(alice.account_id, status_id)]
    assert poll_notes(store, alice) == [(alice.account_id, status_id)]
    assert poll_notes(store, dave) == []
    assert store.run_sync(
        lambda tx: tx.scalar(sa.select(polls.c.closed_at).where(polls.c.id == poll_id))
    )

    # The same job again (a worker died after the work) changes nothing.
    def requeue(tx):
        enqueue(tx, core_polls.CLOSE_JOB, {"poll_id": str(poll_id)})

    store.run_sync(requeue)
    registry.drain(store)
    assert not store.run_sync(
        lambda tx: tx.scalars(sa.select(jobs.c.id).where(jobs.c.kind == core_polls.CLOSE_JOB))
    )
    assert len(poll_notes(store, bob)) == 1 and len(poll_notes(store, alice)) == 1

    closed = vote(client, dave, poll_id, [0])
    assert closed.status_code == 422
    assert closed.json() == {"error": "Validation failed: The poll has already ended"}


def test_expired_poll_rejects_votes_before_job_runs(client, make_user, store):
    alice, bob = make_user("alice"), make_user("bob")
    poll_id = int(make_poll(client, alice)["poll"]["id"])
    expire_now(store, poll_id)
    assert vote(client, bob, poll_id, [0]).status_code == 422
    assert client.get(f"/api/v1/polls/{poll_id}").json()["expired"] is True


def test_poll_of_invisible_status_is_404(client, make_user, store):
    alice, bob, carol = make_user("alice"), make_user("bob"), make_user("carol")
    private_poll = make_poll(client, alice, visibility="private")["poll"]["id"]
    assert client.get(f"/api/v1/polls/{private_poll}", headers=bob.headers).status_code == 404
    assert vote(client, bob, private_poll, [0]).status_code == 404

    public_poll = make_poll(client, alice)["poll"]["id"]
    store.run_sync(
        lambda tx: tx.execute(
            blocks.insert().values(
                id=new_id(),
                account_id=alice.account_id,
                target_account_id=carol.account_id,
                created_at=tx.now,
            )
        )
    )
    assert client.get(f"/api/v1/polls/{public_poll}", headers=carol.headers).status_code == 404
    assert vote(client, carol, public_poll, [0]).status_code == 404
    assert client.get("/api/v1/polls/12345").status_code == 404


def test_editing_poll_options_resets_votes(client, make_user, store):
    alice, bob = make_user("alice"), make_user("bob")
    status = make_poll(client, alice)
    poll_id = status["poll"]["id"]
    vote(client, bob, poll_id, [0])
    url = f"/api/v1/statuses/{status['id']}"
    same = client.put(
        url,
        json={
            "status": "Vote now!",
            "poll": {"options": ["red", "green", "blue"], "expires_in": 3600},
        },
        headers=alice.headers,
    ).json()
    assert same["poll"]["votes_count"] == 1
    changed = client.put(
        url,
        json={"status": "Vote again!", "poll": {"options": ["cats", "dogs"], "expires_in": 7200}},
        headers=alice.headers,
    )
    assert changed.status_code == 200, changed.text
    poll = changed.json()["poll"]
    assert [o["title"] for o in poll["options"]] == ["cats", "dogs"]
    assert poll["votes_count"] == 0 and poll["voters_count"] == 0
    assert vote(client, bob, poll_id, [1]).status_code == 200
    history = client.get(f"{url}/history").json()
    assert history[0]["poll"] == {
        "options": [{"title": "red"}, {"title": "green"}, {"title": "blue"}]
    }
    assert history[-1]["poll"] == {"options": [{"title": "cats"}, {"title": "dogs"}]}
