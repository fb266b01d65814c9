"""A viewer's rules kept in memory (`core.viewer_rules`): read again only when the database
moved their version, never kept from a write transaction, and the same as a fresh read."""

from __future__ import annotations

from datetime import timedelta

import factories as f
from pnyx.core import accounts as core_accounts
from pnyx.core import blocks_mutes, filters, viewer_rules
from pnyx.core.filters import FilterInput, KeywordChange
from pnyx.core.oauth import lookup_viewer


def _people(db, *names: str) -> list[int]:
    return db.run_sync(
        lambda tx: [
            core_accounts.create_local(tx, n, f"{n}@example.com", "correct horse battery")[0]
            for n in names
        ]
    )


def _rules(db, viewer: int, *, write: bool = False) -> viewer_rules.ViewerRules:
    return db.run_sync(lambda tx: viewer_rules.of(tx, viewer), write=write)


def test_kept_rules_are_read_again_after_a_change(db):
    alice, bob, carol = _people(db, "alice", "bob", "carol")
    f.follow(db, alice, bob, show_reblogs=False, languages=["de"])
    first = _rules(db, alice)
    assert first.following == {bob} and first.hiding_reblogs == {bob}
    assert first.languages == {bob: {"de"}}
    assert _rules(db, alice) is first  # kept: the version did not move
    db.run_sync(lambda tx: blocks_mutes.block(tx, carol, alice))
    after = _rules(db, alice)
    assert after is not first and after.blocked == {carol}
    assert _rules(db, carol).blocked == {alice}


def test_rules_read_in_a_write_transaction_are_not_kept(db):
    alice, bob = _people(db, "alice", "bob")
    f.follow(db, alice, bob)
    in_write = _rules(db, alice, write=True)
    assert in_write.following == {bob}
    assert _rules(db, alice) is not in_write


def test_a_mute_that_ends_is_over_without_a_new_version(db):
    alice, bob, carol = _people(db, "alice", "bob", "carol")
    db.run_sync(lambda tx: blocks_mutes.mute(tx, alice, bob, duration=60))
    f.mute(db, alice, carol)
    rules = _rules(db, alice)
    now = db.run_sync(lambda tx: tx.now)
    assert rules.muted(now) == {bob, carol}
    assert rules.muted(now + timedelta(seconds=61)) == {carol}


def test_the_version_comes_with_the_token_lookup(app, make_user):
    """A signed-in request reads its rules' version with its token: no query of its own."""
    db = app.state.db
    user = make_user("dora")
    other = make_user("eve").account_id
    f.follow(db, user.account_id, other)

    def read(tx):
        viewer = lookup_viewer(tx, user.token)
        known = tx.known[(viewer_rules.KNOWN, viewer.account_id)]
        return known, viewer_rules.current_version(tx, viewer.account_id)

    known, current = db.run_sync(read, write=False)
    assert known == current > 0


def test_kept_filters_stop_at_their_end_and_move_with_a_change(db):
    (alice,) = _people(db, "alice")

    def create(tx, title: str, expires_in: int | None):
        return filters.create_filter(
            tx,
            alice,
            FilterInput(
                title=title,
                context=["home"],
                expires_in=expires_in,
                expires_given=True,
                keywords=[KeywordChange(keyword=title)],
            ),
        )

    db.run_sync(lambda tx: create(tx, "soon", 60))
    rules = _rules(db, alice)
    now = db.run_sync(lambda tx: tx.now)
    assert [x.title for x in rules.filters(now).filters] == ["soon"]
    assert rules.filters(now + timedelta(seconds=61)).filters == ()
    db.run_sync(lambda tx: create(tx, "always", None))
    assert {x.title for x in _rules(db, alice).filters(now).filters} == {"soon", "always"}
