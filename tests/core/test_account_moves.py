"""Aliases and moving out (core.account_moves): Mastodon's rules, on both databases."""

from __future__ import annotations

import contextlib
from datetime import timedelta

import pytest
import sqlalchemy as sa

import factories
from pnyx.core import account_moves, events, follows, moves
from pnyx.core.errors import Forbidden, Invalid, NotFound
from pnyx.db.tables import account_moves as moves_table
from pnyx.db.tables import accounts, follow_requests, jobs
from pnyx.db.tables import follows as follows_table

PASSWORD = "correct horse battery"  # tests/conftest.py's make_user


def queued_events(db) -> list[str]:
    payloads = db.run_sync(
        lambda tx: tx.scalars(
            sa.select(jobs.c.payload).where(jobs.c.kind == events.EVENT_JOB).order_by(jobs.c.id)
        )
    )
    return [p["event"] for p in payloads]


def clear_jobs(db) -> None:
    db.run_sync(lambda tx: tx.execute(jobs.delete()))


def row(db, account_id: int):
    return db.run_sync(
        lambda tx: tx.one_or_none(accounts.select().where(accounts.c.id == account_id))
    )


def name_as_alias(db, owner_id: int, alias_id: int) -> None:
    """What the new account's server keeps once its owner named the old account."""
    uri = row(db, alias_id).uri
    db.run_sync(
        lambda tx: tx.execute(
            accounts.update().where(accounts.c.id == owner_id).values(also_known_as=[uri])
        )
    )


def followers_of(db, target_id: int) -> set[int]:
    return set(
        db.run_sync(
            lambda tx: tx.scalars(
                sa.select(follows_table.c.account_id).where(
                    follows_table.c.target_account_id == target_id
                )
            )
        )
    )


def test_aliases_are_published_uris_added_and_removed_with_mastodons_checks(db, make_user):
    me = make_user("alice").account_id
    there = factories.remote_account(db, "alice", "old.example")
    here = make_user("alice_old").account_id
    clear_jobs(db)

    added = db.run_sync(account_moves.add_alias, me, there)
    assert added.uri == "https://old.example/users/alice"
    db.run_sync(account_moves.add_alias, me, here)
    assert row(db, me).also_known_as == [added.uri, row(db, here).uri]
    # Each change sends the actor again (an Update with alsoKnownAs).
    assert queued_events(db) == ["AccountUpdated", "AccountUpdated"]
    # Newest first, each with its account.
    listed = db.run_sync(account_moves.aliases, me)
    assert [(a.uri, a.account.id) for a in listed] == [
        (row(db, here).uri, here),
        (added.uri, there),
    ]

    with pytest.raises(Invalid, match=account_moves.ALREADY_ALIAS):
        db.run_sync(account_moves.add_alias, me, there)
    with pytest.raises(Invalid, match=account_moves.OWN_ACCOUNT):
        db.run_sync(account_moves.add_alias, me, me)
    with pytest.raises(Invalid, match=account_moves.NOT_FOUND):
        db.run_sync(account_moves.add_alias, me, 12345)

    assert db.run_sync(account_moves.alias_uri_of, me, there) == added.uri
    db.run_sync(account_moves.remove_alias, me, added.uri)
    assert row(db, me).also_known_as == [row(db, here).uri]
    with pytest.raises(NotFound):
        db.run_sync(account_moves.remove_alias, me, added.uri)
    with pytest.raises(NotFound):
        db.run_sync(account_moves.alias_uri_of, me, there)


def test_there_is_a_limit_to_aliases(db, make_user):
    me = make_user("alice").account_id
    many = [factories.remote_account(db, "a", f"s{i}.example") for i in range(21)]
    for other in many[: account_moves.MAX_ALIASES]:
        db.run_sync(account_moves.add_alias, me, other)
    with pytest.raises(Invalid, match="at most 20"):
        db.run_sync(account_moves.add_alias, me, many[-1])


def test_a_move_is_refused_without_the_password_the_alias_or_a_target(db, make_user):
    me = make_user("alice").account_id
    target = factories.remote_account(db, "alice", "new.example")
    with pytest.raises(Invalid, match=account_moves.WRONG_PASSWORD):
        db.run_sync(account_moves.move_out, me, target, "wrong password")
    with pytest.raises(Invalid, match=account_moves.WRONG_PASSWORD):
        db.run_sync(account_moves.move_out, me, target, "")
    # The new account does not name this one: the message says what to do.
    with pytest.raises(Invalid) as refused:
        db.run_sync(account_moves.move_out, me, target, PASSWORD)
    assert refused.value.message == (
        "Validation failed: @alice@new.example does not name this account as an alias "
        "(alsoKnownAs): add @alice@pnyx.test as an alias on @alice@new.example first"
    )
    with pytest.raises(Invalid, match=account_moves.MOVE_TO_SELF):
        db.run_sync(account_moves.move_out, me, me, PASSWORD)
    with pytest.raises(Invalid, match=account_moves.NOT_FOUND):
        db.run_sync(account_moves.move_out, me, 12345, PASSWORD)
    factories.suspend(db, target)
    name_as_alias(db, target, me)
    with pytest.raises(Invalid, match=account_moves.NOT_FOUND):
        db.run_sync(account_moves.move_out, me, target, PASSWORD)
    assert row(db, me).moved_to_account_id is None
    assert db.run_sync(account_moves.moves, me) == []


def test_moving_out_points_the_account_moves_followers_and_tells_other_servers(db, make_user):
    me = make_user("alice").account_id
    dave = make_user("dave").account_id
    target = factories.remote_account(db, "alice2", "new.example")
    factories.follow(db, dave, me)
    name_as_alias(db, target, me)
    clear_jobs(db)

    move = db.run_sync(account_moves.move_out, me, target, PASSWORD)

    assert row(db, me).moved_to_account_id == target
    assert [(m.id, m.target_uri, m.target.id) for m in db.run_sync(account_moves.moves, me)] == [
        (move.id, "https://new.example/users/alice2", target)
    ]
    # The actor (with movedTo) and the Move go out after commit; the followers here move in a
    # job of their own, as for a move received from elsewhere.
    assert queued_events(db) == ["AccountUpdated", "AccountMovedOut"]
    payload = db.run_sync(
        lambda tx: tx.scalar(sa.select(jobs.c.payload).where(jobs.c.kind == moves.MOVE_FOLLOWERS))
    )
    assert payload == {"account_id": me, "target_id": target}
    db.run_sync(moves.move_followers_job, payload)
    assert followers_of(db, me) == set()
    requested = db.run_sync(
        lambda tx: tx.scalars(
            sa.select(follow_requests.c.account_id).where(
                follow_requests.c.target_account_id == target
            )
        )
    )
    assert list(requested) == [dave]  # elsewhere: a request its server answers
    moved = row(db, me)
    assert db.run_sync(lambda tx: account_moves.moved_to(tx, moved)).id == target


def test_a_local_move_moves_the_followers_at_once(db, make_user):
    me, new, dave = (make_user(n).account_id for n in ("alice", "alice_new", "dave"))
    factories.follow(db, dave, me)
    db.run_sync(account_moves.add_alias, new, me)  # the new account names the old one
    db.run_sync(account_moves.move_out, me, new, PASSWORD)
    db.run_sync(moves.move_followers_job, {"account_id": me, "target_id": new})
    assert followers_of(db, new) == {dave}
    assert followers_of(db, me) == set()


def test_the_cooldown_and_a_second_move(db, make_user):
    me = make_user("alice").account_id
    first = factories.remote_account(db, "alice", "first.example")
    second = factories.remote_account(db, "alice", "second.example")
    for target in (first, second):
        name_as_alias(db, target, me)
    db.run_sync(account_moves.move_out, me, first, PASSWORD)

    with pytest.raises(Invalid, match="You moved less than 30 days ago: you can move again after"):
        db.run_sync(account_moves.move_out, me, second, PASSWORD)
    assert db.run_sync(account_moves.cooldown_refusal, me) is not None

    # 30 days later: the same target again is refused, another one is not.
    db.run_sync(
        lambda tx: tx.execute(
            moves_table.update().values(created_at=tx.now - timedelta(days=30, seconds=1))
        )
    )
    assert db.run_sync(account_moves.cooldown_until, me) is None
    with pytest.raises(Invalid, match="You already moved to @alice@first.example"):
        db.run_sync(account_moves.move_out, me, first, PASSWORD)
    db.run_sync(account_moves.move_out, me, second, PASSWORD)
    assert row(db, me).moved_to_account_id == second
    assert [m.target.id for m in db.run_sync(account_moves.moves, me)] == [second, first]


def test_a_moved_account_is_not_followed_anew(db, make_user):
    me, new, dave, erin = (make_user(n).account_id for n in ("alice", "alice_new", "dave", "erin"))
    factories.follow(db, erin, me)
    db.run_sync(account_moves.add_alias, new, me)
    db.run_sync(account_moves.move_out, me, new, PASSWORD)

    with pytest.raises(Forbidden, match="This account has moved to @alice_new@pnyx.test"):
        db.run_sync(follows.follow, dave, me)
    # Someone elsewhere asking is answered with a Reject, and not recorded as a follower.
    stranger = factories.remote_account(db, "zed", "else.example")
    clear_jobs(db)

    def from_elsewhere(tx):
        # As the inbox does: the refusal is logged, the transaction kept.
        with contextlib.suppress(Forbidden):
            follows.follow(tx, stranger, me, uri="https://else.example/follows/1")

    db.run_sync(from_elsewhere)
    assert queued_events(db) == ["FollowRejected"]
    assert followers_of(db, me) == {erin}  # the move job has not run yet: nobody added
    # A follower since before the move may still change what they follow it for.
    db.run_sync(lambda tx: follows.follow(tx, erin, me, reblogs=False))
