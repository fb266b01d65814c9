"""A moved account's posts re-pointed at their new ids: what hangs on them stays attached."""

from __future__ import annotations

import sqlalchemy as sa

from pnyx.core import moved_posts
from pnyx.db.tables import accounts, favourites, statuses
from tests import factories


def _moved(db, old_id: int, new_id: int) -> None:
    db.run_sync(
        lambda tx: tx.execute(
            accounts.update().where(accounts.c.id == old_id).values(moved_to_account_id=new_id)
        )
    )


def _row(db, status_id: int):
    return db.run_sync(
        lambda tx: tx.one_or_none(sa.select(statuses).where(statuses.c.id == status_id))
    )


def _count(db, account_id: int) -> int:
    return db.run_sync(
        lambda tx: tx.scalar(
            sa.select(accounts.c.statuses_count).where(accounts.c.id == account_id)
        )
    )


def test_a_moved_post_keeps_its_replies_boosts_and_favourites(db, make_user):
    carol = make_user("carol")
    old = factories.remote_account(db, "alice", "a.example")
    new = factories.remote_account(db, "alice", "b.example")
    post = factories.status(db, old, "my post", local=False)
    reply = factories.status(db, carol.account_id, "nice", reply_to=post)
    boost = factories.status(db, carol.account_id, reblog_of=post)
    factories.favourite(db, carol.account_id, post)
    old_uri = _row(db, post).uri
    db.run_sync(lambda tx: moved_posts.core_statuses.adjust_account_statuses(tx, old, 1))
    _moved(db, old, new)

    new_uri = "https://b.example/users/alice/statuses/9"
    assert db.run_sync(
        lambda tx: moved_posts.remap(tx, old, new, old_uri, new_uri, "https://b.example/@alice/9")
    )
    row = _row(db, post)
    assert (row.uri, row.account_id, row.url) == (new_uri, new, "https://b.example/@alice/9")
    assert _row(db, reply).in_reply_to_id == post
    assert _row(db, reply).in_reply_to_account_id == new
    assert _row(db, boost).reblog_of_id == post
    assert (_count(db, old), _count(db, new)) == (0, 1)
    # Done once: the old id is no longer held.
    assert not db.run_sync(lambda tx: moved_posts.remap(tx, old, new, old_uri, new_uri, None))


def test_no_claim_outside_a_move_or_on_another_persons_post(db, make_user):
    old = factories.remote_account(db, "alice", "a.example")
    new = factories.remote_account(db, "alice", "b.example")
    bob = factories.remote_account(db, "bob", "a.example")
    bobs = factories.status(db, bob, "bob's post", local=False)
    alices = factories.status(db, old, "alice's post", local=False)
    target = "https://b.example/users/alice/statuses/1"
    bobs_uri, alices_uri = _row(db, bobs).uri, _row(db, alices).uri
    # No move on record yet.
    assert not db.run_sync(lambda tx: moved_posts.remap(tx, old, new, alices_uri, target, None))
    _moved(db, old, new)
    # Bob's post is not the moved account's to claim.
    assert not db.run_sync(lambda tx: moved_posts.remap(tx, old, new, bobs_uri, target, None))
    assert _row(db, bobs).account_id == bob
    # A move to another account does not count.
    other = factories.remote_account(db, "mallory", "c.example")
    assert not db.run_sync(lambda tx: moved_posts.remap(tx, old, other, alices_uri, target, None))


def _counters(db, status_id: int) -> tuple[int, int, int]:
    row = _row(db, status_id)
    return row.replies_count, row.reblogs_count, row.favourites_count


def test_a_new_post_already_held_merges_into_the_old_one(db, make_user):
    """Fetched before the move was seen (a profile's recent posts are, when the new account
    is looked up), the new post is a second row: what hangs on it joins the old row, which
    takes its address, and the copy goes. One row for one post, nothing lost."""
    carol = make_user("carol")
    dave = make_user("dave")
    old = factories.remote_account(db, "alice", "a.example")
    new = factories.remote_account(db, "alice", "b.example")
    post = factories.status(db, old, "my post", local=False)
    copy = factories.status(db, new, "my post", local=False)
    copy_reply = factories.status(db, new, "my thread", local=False, reply_to=copy)
    reply = factories.status(db, carol.account_id, "nice", reply_to=post)
    boost_of_copy = factories.status(db, dave.account_id, reblog_of=copy)
    factories.favourite(db, carol.account_id, post)
    factories.favourite(db, dave.account_id, post)
    factories.favourite(db, dave.account_id, copy)  # dave favourited both: one is kept
    factories.favourite(db, carol.account_id, copy_reply)
    db.run_sync(lambda tx: moved_posts.core_statuses.adjust_counter(tx, post, "replies_count", 1))
    db.run_sync(lambda tx: moved_posts.core_statuses.adjust_counter(tx, copy, "replies_count", 1))
    _moved(db, old, new)
    post_uri, copy_uri = _row(db, post).uri, _row(db, copy).uri

    assert db.run_sync(lambda tx: moved_posts.remap(tx, old, new, post_uri, copy_uri, None))
    assert _row(db, copy) is None
    row = _row(db, post)
    assert (row.uri, row.account_id) == (copy_uri, new)
    assert _row(db, reply).in_reply_to_id == post
    assert (_row(db, copy_reply).in_reply_to_id, _row(db, copy_reply).in_reply_to_account_id) == (
        post,
        new,
    )
    assert _row(db, boost_of_copy).reblog_of_id == post
    faved = db.run_sync(
        lambda tx: tx.rows(sa.select(favourites.c.account_id, favourites.c.status_id))
    )
    assert {(f.account_id, f.status_id) for f in faved} == {
        (carol.account_id, post),
        (dave.account_id, post),
        (carol.account_id, copy_reply),
    }
    # Counters: the copy's reply and boost join the old row's.
    assert _counters(db, post)[:2] == (2, 1)

    # The thread's next post, held as a copy too, merges into its old row the same way.
    old_reply = factories.status(db, old, "my thread", local=False, reply_to=post)
    db.run_sync(lambda tx: moved_posts.core_statuses.adjust_counter(tx, post, "replies_count", 1))
    old_reply_uri, copy_reply_uri = _row(db, old_reply).uri, _row(db, copy_reply).uri
    assert db.run_sync(
        lambda tx: moved_posts.remap(tx, old, new, old_reply_uri, copy_reply_uri, None)
    )
    assert _row(db, copy_reply) is None
    assert _row(db, old_reply).uri == copy_reply_uri
    assert _counters(db, post)[0] == 2  # carol's reply and alice's thread, once each
    assert _counters(db, old_reply)[2] == 1  # carol's favourite of the copy


def test_an_address_held_by_someone_else_is_not_taken(db, make_user):
    old = factories.remote_account(db, "alice", "a.example")
    new = factories.remote_account(db, "alice", "b.example")
    bob = factories.remote_account(db, "bob", "b.example")
    post = factories.status(db, old, "my post", local=False)
    bobs = factories.status(db, bob, "bob's post", local=False)
    _moved(db, old, new)
    post_uri, bobs_uri = _row(db, post).uri, _row(db, bobs).uri
    assert not db.run_sync(lambda tx: moved_posts.remap(tx, old, new, post_uri, bobs_uri, None))
    assert (_row(db, post).uri, _row(db, bobs).account_id) == (post_uri, bob)


def test_the_new_accounts_own_post_here_takes_what_hung_on_the_old_one(db, make_user):
    """The new account is on this server (its import is here): its post is the one kept, what
    hung on the old row joins it, and the old row stays the old account's."""
    carol = make_user("carol")
    alice2 = make_user("alice2")
    old = factories.remote_account(db, "alice", "a.example")
    post = factories.status(db, old, "my post", local=False)
    imported = factories.status(db, alice2.account_id, "my post")
    reply = factories.status(db, carol.account_id, "nice", reply_to=post)
    boost = factories.status(db, carol.account_id, reblog_of=post)
    factories.favourite(db, carol.account_id, post)
    for counter in ("replies_count", "reblogs_count", "favourites_count"):
        db.run_sync(lambda tx, c=counter: moved_posts.core_statuses.adjust_counter(tx, post, c, 1))
    _moved(db, old, alice2.account_id)
    post_uri, imported_uri = _row(db, post).uri, _row(db, imported).uri

    assert db.run_sync(
        lambda tx: moved_posts.remap(tx, old, alice2.account_id, post_uri, imported_uri, None)
    )
    assert (_row(db, reply).in_reply_to_id, _row(db, reply).in_reply_to_account_id) == (
        imported,
        alice2.account_id,
    )
    assert _row(db, boost).reblog_of_id == imported
    faved = db.run_sync(lambda tx: tx.scalars(sa.select(favourites.c.status_id)))
    assert faved == [imported]
    assert (_counters(db, imported), _counters(db, post)) == ((1, 1, 1), (0, 0, 0))
    assert (_row(db, post).uri, _row(db, post).account_id) == (post_uri, old)
    assert _row(db, imported).uri == imported_uri
