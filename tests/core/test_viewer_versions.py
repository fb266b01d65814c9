"""The viewer versions the database keeps (migration 0032): every change to what an account's
timelines are decided with moves its version, whoever writes it, so the rules kept in memory
(`core.viewer_rules`) are never stale. Checked on both databases, table by table, with each
change's neighbours left alone."""

from __future__ import annotations

import sqlalchemy as sa

import factories as f
from pnyx.core import accounts as core_accounts
from pnyx.core import blocks_mutes, filters, follows, interactions, lists, user_domain_blocks
from pnyx.core.filters import FilterInput, KeywordChange
from pnyx.db.tables import custom_filter_keywords, viewer_versions
from pnyx.db.tables import follows as follows_table


def _version(db, account_id: int) -> int:
    return db.run_sync(
        lambda tx: (
            tx.scalar(
                sa.select(viewer_versions.c.version).where(
                    viewer_versions.c.account_id == account_id
                )
            )
            or 0
        )
    )


def _moved(db, change, *account_ids: int) -> set[int]:
    """Which of `account_ids` a change (a function of the transaction) moves."""
    before = {a: _version(db, a) for a in account_ids}
    db.run_sync(change)
    return {a for a in account_ids if _version(db, a) != before[a]}


def _people(db, *names: str) -> list[int]:
    return db.run_sync(
        lambda tx: [
            core_accounts.create_local(tx, n, f"{n}@example.com", "correct horse battery")[0]
            for n in names
        ]
    )


def test_follows_move_the_follower_only(db):
    alice, bob, carol = _people(db, "alice", "bob", "carol")
    assert _moved(db, lambda tx: follows.follow(tx, alice, bob), alice, bob, carol) == {alice}
    assert _moved(
        db,
        lambda tx: tx.execute(
            follows_table.update()
            .where(follows_table.c.account_id == alice)
            .values(show_reblogs=False)
        ),
        alice,
        bob,
        carol,
    ) == {alice}
    assert _moved(db, lambda tx: follows.unfollow(tx, alice, bob), alice, bob, carol) == {alice}


def test_blocks_move_both_sides(db):
    alice, bob, carol = _people(db, "alice", "bob", "carol")
    assert _moved(db, lambda tx: blocks_mutes.block(tx, alice, bob), alice, bob, carol) == {
        alice,
        bob,
    }
    assert _moved(db, lambda tx: blocks_mutes.unblock(tx, alice, bob), alice, bob, carol) == {
        alice,
        bob,
    }


def test_mutes_domain_blocks_and_muted_threads_move_their_owner(db):
    alice, bob = _people(db, "alice", "bob")
    assert _moved(db, lambda tx: blocks_mutes.mute(tx, alice, bob), alice, bob) == {alice}
    assert _moved(db, lambda tx: blocks_mutes.unmute(tx, alice, bob), alice, bob) == {alice}
    assert _moved(
        db, lambda tx: user_domain_blocks.block(tx, alice, "spam.example"), alice, bob
    ) == {alice}
    assert _moved(
        db, lambda tx: user_domain_blocks.unblock(tx, alice, "spam.example"), alice, bob
    ) == {alice}
    post = f.status(db, bob, "a thread")
    assert _moved(db, lambda tx: interactions.mute_conversation(tx, alice, post), alice, bob) == {
        alice
    }
    assert _moved(db, lambda tx: interactions.unmute_conversation(tx, alice, post), alice, bob) == {
        alice
    }


def test_lists_and_their_members_move_the_owner(db):
    alice, bob = _people(db, "alice", "bob")
    f.follow(db, alice, bob)
    owned = {}
    assert _moved(
        db,
        lambda tx: owned.setdefault("list", lists.create(tx, alice, "close", exclusive=True)),
        alice,
        bob,
    ) == {alice}
    list_id = owned["list"].id
    assert _moved(db, lambda tx: lists.add_members(tx, alice, list_id, [bob]), alice, bob) == {
        alice
    }
    assert _moved(db, lambda tx: lists.remove_members(tx, alice, list_id, [bob]), alice, bob) == {
        alice
    }
    assert _moved(db, lambda tx: lists.update(tx, alice, list_id, exclusive=False), alice, bob) == {
        alice
    }
    assert _moved(db, lambda tx: lists.delete(tx, alice, list_id), alice, bob) == {alice}


def test_filters_their_keywords_and_posts_move_the_owner(db):
    alice, bob = _people(db, "alice", "bob")
    made = {}

    def create(tx):
        made["id"] = filters.create_filter(
            tx,
            alice,
            FilterInput(
                title="spoilers", context=["home"], keywords=[KeywordChange(keyword="finale")]
            ),
        )

    assert _moved(db, create, alice, bob) == {alice}
    assert _moved(
        db,
        lambda tx: tx.execute(
            custom_filter_keywords.update()
            .where(custom_filter_keywords.c.custom_filter_id == made["id"])
            .values(whole_word=False)
        ),
        alice,
        bob,
    ) == {alice}
    post = f.status(db, bob, "the finale")
    assert _moved(db, lambda tx: filters.add_status(tx, alice, made["id"], post), alice, bob) == {
        alice
    }
    assert _moved(db, lambda tx: filters.delete_filter(tx, alice, made["id"]), alice, bob) == {
        alice
    }


def test_what_the_rules_do_not_read_leaves_the_version(db):
    alice, bob = _people(db, "alice", "bob")
    f.follow(db, alice, bob)
    post = f.status(db, bob, "a post")
    assert not _moved(db, lambda tx: interactions.favourite(tx, alice, post), alice, bob)
