"""The record of a live copy (LOLA, destination end) and its rules, on both databases: the
authorization's state, one copy at a time, counters, the end that deletes the token; quiet
favourites; following again only when asked, within the follow limit. (The network side is
tested against real servers: tests/federation/test_lola_*.py.)"""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

import factories as f
import pnyx.registry  # noqa: F401 - installs the events' dispatcher
from pnyx.core import accounts as core_accounts
from pnyx.core.errors import CoreError, NotFound
from pnyx.core.lola import clients, following, rules, transfers
from pnyx.db.tables import favourites, follows, jobs, lola_transfers, notifications, statuses

ENDPOINTS = {
    "origin": "https://old.example",
    "authorize": "https://old.example/oauth/authorize",
    "token": "https://old.example/oauth/token",
    "revoke": None,
    "pkce": True,
}
CALLBACK = "https://pnyx.test/settings/import/copy/callback"


def person(db, name: str) -> int:
    def work(tx):
        account_id, _user = core_accounts.create_local(
            tx, name, f"{name}@example.com", "correct horse battery"
        )
        return account_id

    return db.run_sync(work)


def begun(db, account_id: int):
    client = db.run_sync(clients.keep, "https://old.example", CALLBACK, "cid", "secret")
    return db.run_sync(
        transfers.begin, account_id, "alice@old.example", client.id, ENDPOINTS, via="web"
    )


def test_a_copy_from_its_authorization_to_its_end(db):
    alice = person(db, "alice")
    transfer_id, state, verifier = begun(db, alice)
    assert len(state) >= 40 and verifier and len(verifier) >= 43
    assert db.run_sync(transfers.awaiting, "forged") is None
    row = db.run_sync(transfers.awaiting, state)
    assert row.id == transfer_id and row.state == transfers.AUTHORIZING
    assert db.run_sync(transfers.of_account, alice) == []  # not a copy until allowed
    db.run_sync(transfers.authorized, transfer_id, "https://old.example/users/alice", "tok")
    assert db.run_sync(transfers.awaiting, state) is None  # the state is used up
    row = db.run_sync(transfers.get, transfer_id)
    assert (row.state, row.access_token, row.oauth_state, row.code_verifier) == (
        transfers.QUEUED,
        "tok",
        None,
        None,
    )
    queued = db.run_sync(lambda tx: tx.scalars(sa.select(jobs.c.kind)))
    assert queued == [transfers.JOB]
    with pytest.raises(CoreError, match="already under way"):
        begun(db, alice)
    row = db.run_sync(transfers.start, transfer_id)
    assert row.state == transfers.RUNNING
    db.run_sync(
        lambda tx: transfers.advance(
            tx,
            transfer_id,
            cursor="https://old.example/users/alice/content?page=2",
            total=50,
            imported=38,
            skipped={"direct": 2},
            failures=[("https://old.example/1", "broken")],
            notes=[("https://old.example/2", "image: too large")],
        )
    )
    row = db.run_sync(transfers.get, transfer_id)
    assert (row.total, row.imported, row.skipped, row.failed) == (50, 38, 2, 1)
    assert row.skip_reasons == {"direct": 2} and len(row.failures) == 2
    db.run_sync(transfers.finish, transfer_id)
    row = db.run_sync(transfers.get, transfer_id)
    assert (row.state, row.phase, row.access_token, row.cursor) == ("finished", "done", None, None)
    begun(db, alice)  # the next copy may start


def test_a_copy_that_keeps_failing_stops_and_drops_its_token(db):
    alice = person(db, "alice")
    transfer_id, _state, _v = begun(db, alice)
    db.run_sync(transfers.authorized, transfer_id, "https://old.example/users/alice", "tok")
    db.run_sync(transfers.start, transfer_id)
    tries = [db.run_sync(transfers.failed_run, transfer_id, "down") for _ in range(6)]
    assert tries == [True] * 5 + [False]
    row = db.run_sync(transfers.get, transfer_id)
    assert row.state == "failed" and row.access_token is None
    assert "failed 6 times in a row: down" in row.error


def test_authorizations_are_bounded_and_expire(db):
    alice = person(db, "alice")
    states = [begun(db, alice)[1] for _ in range(transfers.MAX_AUTHORIZING)]
    with pytest.raises(CoreError, match="Too many copies"):
        begun(db, alice)
    db.run_sync(
        lambda tx: tx.execute(
            lola_transfers.update().values(created_at=tx.now - timedelta(hours=2))
        )
    )
    assert db.run_sync(transfers.awaiting, states[0]) is None  # too old to answer
    begun(db, alice)  # the old ones were dropped
    left = db.run_sync(lambda tx: tx.scalar(sa.select(sa.func.count()).select_from(lola_transfers)))
    assert left == 1


def test_someone_elses_copy_is_not_found(db):
    alice, bob = person(db, "alice"), person(db, "bob")
    transfer_id, _s, _v = begun(db, alice)
    with pytest.raises(NotFound):
        db.run_sync(transfers.own, bob, transfer_id)


def test_a_copied_favourite_is_quiet(db):
    alice, bob = person(db, "alice"), person(db, "bob")
    post = f.status(db, bob, "bob's")
    assert db.run_sync(rules.copy_favourite, alice, post) is True
    assert db.run_sync(rules.copy_favourite, alice, post) is False  # once
    count = db.run_sync(
        lambda tx: tx.scalar(sa.select(statuses.c.favourites_count).where(statuses.c.id == post))
    )
    assert count == 1
    assert db.run_sync(lambda tx: tx.rows(sa.select(notifications))) == []
    assert db.run_sync(lambda tx: tx.rows(sa.select(jobs))) == []  # no event, nothing sent
    assert len(db.run_sync(lambda tx: tx.rows(sa.select(favourites)))) == 1
    hidden = f.status(db, bob, "bob's secret", visibility="direct")
    with pytest.raises(NotFound):
        db.run_sync(rules.copy_favourite, alice, hidden)


def test_following_again_only_when_asked_once_the_copy_is_over(db):
    alice, bob, carol = person(db, "alice"), person(db, "bob"), person(db, "carol")
    transfer_id, _s, _v = begun(db, alice)
    with pytest.raises(CoreError, match="not over yet"):
        db.run_sync(following.request, alice, transfer_id)
    uris = ["https://pnyx.test/users/bob", "https://pnyx.test/users/carol"]
    assert db.run_sync(following.add, transfer_id, uris + uris[:1]) == 2
    db.run_sync(transfers.authorized, transfer_id, "https://old.example/users/alice", "tok")
    db.run_sync(lambda tx: tx.execute(jobs.delete()))
    db.run_sync(transfers.finish, transfer_id)
    with pytest.raises(NotFound):
        db.run_sync(following.request, bob, transfer_id)
    db.run_sync(following.request, alice, transfer_id)
    assert db.run_sync(lambda tx: tx.scalars(sa.select(jobs.c.kind))) == [following.FOLLOW_JOB]
    with pytest.raises(CoreError, match="already asked"):
        db.run_sync(following.request, alice, transfer_id)
    assert db.run_sync(following.owner, transfer_id) == alice
    first, second = db.run_sync(following.pending, transfer_id, 10)
    assert db.run_sync(following.follow, first.id, alice, bob) is True
    assert db.run_sync(following.follow, first.id, alice, bob) is False  # done already
    db.run_sync(following.fail, second.id, "not found")
    assert db.run_sync(following.pending, transfer_id, 10) == []
    row = db.run_sync(transfers.get, transfer_id)
    assert (row.follows_found, row.followed, row.follows_failed) == (2, 1, 1)
    assert [(r.actor_uri, r.reason) for r in db.run_sync(following.failures, transfer_id)] == [
        (uris[1], "not found")
    ]
    followed = db.run_sync(lambda tx: tx.scalars(sa.select(follows.c.target_account_id)))
    assert followed == [bob] and carol
