"""The social graph's rules, called the way the API and (later) federation call them."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from pnyx.core import accounts as core_accounts
from pnyx.core import blocks_mutes
from pnyx.core import follows as core_follows
from pnyx.core import relationships as graph
from pnyx.core.errors import Forbidden, Invalid, NotFound
from pnyx.db.ids import new_id
from pnyx.db.tables import accounts, follow_requests, follows, mutes, notifications


def _local(db, name: str, *, locked: bool = False) -> int:
    def work(tx):
        account_id, _ = core_accounts.create_local(
            tx, name, f"{name}@example.com", "correct horse battery"
        )
        if locked:
            tx.execute(accounts.update().where(accounts.c.id == account_id).values(locked=True))
        return account_id

    return db.run_sync(work)


def _remote(db, name: str, domain: str = "remote.example") -> int:
    """An account from another server, as federation will store it."""
    account_id = new_id()

    def work(tx):
        tx.execute(
            accounts.insert().values(
                id=account_id,
                username=name,
                domain=domain,
                uri=f"https://{domain}/users/{name}",
                inbox_url=f"https://{domain}/users/{name}/inbox",
                fields=[],
                also_known_as=[],
                created_at=tx.now,
                updated_at=tx.now,
            )
        )

    db.run_sync(work)
    return account_id


def _counts(db, account_id: int) -> tuple[int, int]:
    row = db.run_sync(
        lambda tx: tx.one_or_none(
            sa.select(accounts.c.followers_count, accounts.c.following_count).where(
                accounts.c.id == account_id
            )
        )
    )
    return row.followers_count, row.following_count


def test_relationships_load_in_a_fixed_number_of_queries(db):
    viewer = _local(db, "viewer")
    others = [_local(db, f"other{i}") for i in range(6)]
    for other in others[:3]:
        db.run_sync(core_follows.follow, viewer, other)
    db.run_sync(core_follows.follow, others[4], viewer)
    db.run_sync(blocks_mutes.block, viewer, others[5])
    db.run_sync(blocks_mutes.mute, viewer, others[1], False, 0)
    db.run_sync(graph.set_note, viewer, others[2], "a note")

    statements: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", count)
    try:
        one = db.run_sync(graph.relationships, viewer, others[:1])
        queries_for_one = len(statements)
        statements.clear()
        rels = db.run_sync(graph.relationships, viewer, others)
        queries_for_six = len(statements)
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", count)

    assert queries_for_one == queries_for_six
    assert one[0].following is True
    assert [r.id for r in rels] == others
    assert [r.following for r in rels] == [True, True, True, False, False, False]
    assert rels[4].followed_by is True
    assert rels[5].blocking is True
    assert rels[1].muting is True and rels[1].muting_notifications is False
    assert rels[2].note == "a note"
    assert rels[0].showing_reblogs is True and rels[3].showing_reblogs is False


def test_following_a_remote_account_waits_for_its_accept(db, settings):
    local = _local(db, "local")
    remote = _remote(db, "far")
    result = db.run_sync(core_follows.follow, local, remote)
    assert result.pending and result.created
    # Our Follow activity has our own id, ready for federation to deliver.
    assert result.uri == f"{settings.base_url}/users/local/follows/{result.id}"
    assert db.run_sync(graph.relationship, local, remote).requested is True
    assert _counts(db, remote) == (0, 0)

    # The remote server's Accept arrives: federation authorizes on the remote's behalf.
    db.run_sync(core_follows.authorize_request, remote, local)
    assert db.run_sync(core_follows.is_following, local, remote)
    assert _counts(db, remote) == (1, 0)
    assert _counts(db, local) == (0, 1)
    # The follow keeps the activity id the request was sent with.
    uri = db.run_sync(
        lambda tx: tx.scalar(sa.select(follows.c.uri).where(follows.c.account_id == local))
    )
    assert uri == result.uri


def test_a_remote_follow_of_a_local_account_keeps_its_activity_id(db):
    local = _local(db, "local")
    remote = _remote(db, "far")
    result = db.run_sync(
        core_follows.follow, remote, local, uri="https://remote.example/activities/follow-1"
    )
    assert not result.pending and result.created
    assert result.uri == "https://remote.example/activities/follow-1"
    assert _counts(db, local) == (1, 0)
    # The same activity delivered twice changes nothing.
    again = db.run_sync(
        core_follows.follow, remote, local, uri="https://remote.example/activities/follow-1"
    )
    assert not again.created and again.id == result.id
    assert _counts(db, local) == (1, 0)
    kinds = db.run_sync(
        lambda tx: tx.scalars(
            sa.select(notifications.c.type).where(notifications.c.account_id == local)
        )
    )
    assert kinds == ["follow"]


def test_follow_rules(db):
    alice, bob, carol = _local(db, "alice"), _local(db, "bob"), _local(db, "carol")
    with pytest.raises(Invalid):
        db.run_sync(core_follows.follow, alice, alice)
    with pytest.raises(NotFound):
        db.run_sync(core_follows.follow, alice, 424242)
    db.run_sync(blocks_mutes.block, carol, alice)
    with pytest.raises(Forbidden):
        db.run_sync(core_follows.follow, alice, carol)
    with pytest.raises(Forbidden):
        db.run_sync(core_follows.follow, carol, alice)
    with pytest.raises(Invalid):
        db.run_sync(core_follows.follow, alice, bob, languages=["en", "not a code!"])
    db.run_sync(core_follows.follow, alice, bob, languages=["EN", "en", "pt-BR"])
    assert db.run_sync(graph.relationship, alice, bob).languages == ["en", "pt-br"]
    # An empty list means every language again.
    db.run_sync(core_follows.follow, alice, bob, languages=[])
    assert db.run_sync(graph.relationship, alice, bob).languages is None
    db.run_sync(core_accounts.suspend, bob, "spam")
    with pytest.raises(NotFound):
        db.run_sync(core_follows.follow, carol, bob)
    # Undoing still works on a suspended account, and fixes the counters.
    assert db.run_sync(core_follows.unfollow, alice, bob) is True
    assert _counts(db, alice) == (0, 0)


def test_block_clears_requests_both_ways(db):
    alice = _local(db, "alice", locked=True)
    bob = _local(db, "bob", locked=True)
    db.run_sync(core_follows.follow, alice, bob)
    db.run_sync(core_follows.follow, bob, alice)
    assert db.run_sync(core_follows.follow_requests_count, alice) == 1
    with pytest.raises(Invalid):
        db.run_sync(blocks_mutes.block, alice, alice)
    first = db.run_sync(blocks_mutes.block, alice, bob)
    assert db.run_sync(blocks_mutes.block, alice, bob) == first  # blocking twice keeps one block
    pending = db.run_sync(
        lambda tx: tx.scalar(sa.select(sa.func.count()).select_from(follow_requests))
    )
    assert pending == 0
    left = db.run_sync(lambda tx: tx.scalar(sa.select(sa.func.count()).select_from(notifications)))
    assert left == 0
    assert db.run_sync(blocks_mutes.unblock, alice, bob) is True
    assert db.run_sync(blocks_mutes.unblock, alice, bob) is False


def test_authorize_all_requests_when_an_account_unlocks(db):
    owner = _local(db, "owner", locked=True)
    fans = [_local(db, f"fan{i}") for i in range(3)]
    for fan in fans:
        db.run_sync(core_follows.follow, fan, owner, reblogs=False)
    assert db.run_sync(core_follows.authorize_all_requests, owner) == 3
    assert _counts(db, owner) == (3, 0)
    assert db.run_sync(core_follows.follow_requests_count, owner) == 0
    # The request's options carry over to the follow.
    assert db.run_sync(graph.relationship, fans[0], owner).showing_reblogs is False
    with pytest.raises(NotFound):
        db.run_sync(core_follows.authorize_request, owner, fans[0])


def test_mute_again_replaces_the_expiry(db):
    alice, bob = _local(db, "alice"), _local(db, "bob")
    db.run_sync(blocks_mutes.mute, alice, bob, True, 60)

    def expiry(tx):
        return tx.scalar(sa.select(mutes.c.expires_at).where(mutes.c.account_id == alice))

    assert db.run_sync(expiry) is not None
    db.run_sync(blocks_mutes.mute, alice, bob, True, 0)
    assert db.run_sync(expiry) is None
    with pytest.raises(Invalid):
        db.run_sync(blocks_mutes.mute, alice, bob, True, -1)
    with pytest.raises(Invalid):
        db.run_sync(blocks_mutes.mute, alice, alice)
    assert db.run_sync(blocks_mutes.unmute, alice, bob) is True
    assert db.run_sync(graph.relationship, alice, bob).muting is False


def test_familiar_followers_leave_out_suspended_accounts(db):
    me, friend, gone, target = (_local(db, n) for n in ("me", "friend", "gone", "target"))
    for account in (friend, gone):
        db.run_sync(core_follows.follow, me, account)
        db.run_sync(core_follows.follow, account, target)
    db.run_sync(core_accounts.suspend, gone, "spam")
    (result,) = db.run_sync(graph.familiar_followers, me, [target])
    assert result.id == target
    assert [row.id for row in result.accounts] == [friend]
