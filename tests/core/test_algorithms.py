"""The feed algorithms on constructed instances whose right answer is known, the replay of
a served page from its snapshot, and versions that follow the parameters."""

from __future__ import annotations

import dataclasses
import random
from datetime import UTC, datetime, timedelta

import pytest

import factories as f
from pnyx import registry
from pnyx.core import accounts, follows, timelines
from pnyx.core.algorithms import bridging, catalog, diverse, pool, refresh, serving, snapshots, why
from pnyx.core.algorithms.feeds import algorithm_feed
from pnyx.core.feeds import entries, rebuild
from pnyx.core.paging import Page
from pnyx.db.engine import Database
from pnyx.db.tables import feed_snapshots, markers
from tests.core.test_feeds import _follow, _generate, _post


def _whole(tx, viewer, feed_id, status_id):
    """The viewer's snapshot of the feed that holds the status, with items and inputs."""
    return snapshots.load(tx, snapshots.containing(tx, viewer, feed_id, status_id).id)


def _accounts(db, *names):
    def work(tx):
        return [
            accounts.create_local(tx, n, f"{n}@example.com", "correct horse battery")[0]
            for n in names
        ]

    return db.run_sync(work)


def _serve(db, viewer, algorithm_id, max_id=None, limit=40):
    feed = algorithm_feed(catalog.ALGORITHMS[algorithm_id])
    page = Page(max_id=max_id, limit=limit)
    return db.run_sync(lambda tx: serving.serve(tx, viewer, feed, page))


def test_diverse_caps_a_prolific_poster_and_lifts_the_rare_one(db):
    me, loud, quiet = _accounts(db, "me", "loud", "quiet")
    f.follow(db, me, loud)
    f.follow(db, me, quiet)
    rare = f.status(db, quiet, "once a day")
    flood = [f.status(db, loud, f"post {i}") for i in range(30)]
    served = list(_serve(db, me, "diverse").slice.ids)
    cap = diverse.cap()
    assert cap == 5
    # Page one: the 5 newest of the loud account, then the rare post; page two: 5 more ...
    assert served[:6] == list(reversed(flood))[:5] + [rare]
    snapshot = db.run_sync(lambda tx: _whole(tx, me, "diverse", rare))
    laid_out = diverse.pages(pool.pool_from_json(snapshot.inputs["pool"]))
    assert [len(p) for p in laid_out] == [6, 5, 5, 5, 5, 5]
    assert all(sum(1 for item in p if item.account_id == loud) <= cap for p in laid_out)
    # Home (following) buries it under 30 posts.
    following = list(_serve(db, me, "following").slice.ids)
    assert following.index(rare) == 30 and served.index(rare) == 5


def test_originals_drops_boosts_and_replies_to_others(db):
    me, friend, other = _accounts(db, "me", "friend", "other")
    f.follow(db, me, friend)
    f.follow(db, me, other)
    mine = f.status(db, me, "my own")
    original = f.status(db, friend, "original")
    thread = f.status(db, friend, "more", reply_to=original)
    other_post = f.status(db, other, "other")
    reply = f.status(db, friend, "reply to other", reply_to=other_post)
    boost = f.status(db, friend, reblog_of=other_post)
    served = list(_serve(db, me, "originals").slice.ids)
    assert served == [other_post, thread, original]
    home = set(_serve(db, me, "following").slice.ids)
    assert {mine, reply, boost} <= home


def test_catch_up_ranks_by_the_formula_since_the_read_marker(db):
    me, a, b, c, author = _accounts(db, "me", "a", "b", "c", "author")
    for followed in (a, b, c):
        f.follow(db, me, followed)
    old = f.status(db, author, "old news")
    f.favourite(db, a, old)  # before the marker: not counted
    f.favourite(db, b, old)
    marker_at = f.status(db, me, "where I stopped reading")
    db.run_sync(
        lambda tx: tx.execute(
            markers.insert().values(
                account_id=me, timeline="home", last_read_id=marker_at, updated_at=tx.now
            )
        )
    )
    faved = f.status(db, author, "three favourites")
    boosted = f.status(db, author, "one boost and one reply")
    for who in (a, b, c):
        f.favourite(db, who, faved)  # 3 x 1.0 = 3
    f.status(db, a, reblog_of=boosted)  # 2.0
    f.status(db, b, "reply", reply_to=boosted)  # 3.0 -> 5
    served = _serve(db, me, "catch-up")
    assert list(served.slice.ids) == [boosted, faved]
    snapshot = db.run_sync(lambda tx: _whole(tx, me, "catch-up", boosted))
    terms = {t.name: (t.weight, t.value) for t in snapshot.items[0].terms}
    assert terms == {"favourites": (1.0, 0.0), "boosts": (2.0, 1.0), "replies": (3.0, 1.0)}
    assert snapshot.items[0].score == 5.0 and snapshot.items[1].score == 3.0


def _bridging_world(db):
    """Group A (10 accounts) and group B (5) all follow one poster and see all its posts.
    A favours the A posts and `massive` (all 10); B favours the B posts; `bridge` is
    favoured by 6 of A and 3 of B (60% of each): fewer favourites than `massive`."""
    names = [f"a{i}" for i in range(10)] + [f"b{i}" for i in range(5)]
    poster, *people = _accounts(db, "poster", *names)
    group_a, group_b = people[:10], people[10:]
    for person in people:
        f.follow(db, person, poster)
    a_posts = [f.status(db, poster, f"for A {i}") for i in range(3)]
    b_posts = [f.status(db, poster, f"for B {i}") for i in range(3)]
    massive = f.status(db, poster, "A loves this")
    bridge = f.status(db, poster, "everyone likes this")
    for person in group_a:
        for post in [*a_posts, massive]:
            f.favourite(db, person, post)
    for person in group_b:
        for post in b_posts:
            f.favourite(db, person, post)
    for person in group_a[:6] + group_b[:3]:
        f.favourite(db, person, bridge)
    return poster, group_a, group_b, massive, bridge


def test_bridging_ranks_the_post_both_groups_like_first(db):
    poster, group_a, group_b, massive, bridge = _bridging_world(db)
    assert refresh.fit_bridging(db) == 8
    assert len(group_a) == 10 > 9  # `massive` has more favourites than `bridge`
    served = list(_serve(db, group_b[0], "bridging").slice.ids)
    assert served[0] == bridge
    assert served.index(bridge) < served.index(massive)
    snapshot = db.run_sync(lambda tx: _whole(tx, group_b[0], "bridging", bridge))
    version = catalog.ALGORITHMS["bridging"].version
    assert snapshot.version == version
    first = snapshot.items[0]
    assert [t.name for t in first.terms] == ["intercept", "factor"]
    assert first.score == pytest.approx(sum(t.weight * t.value for t in first.terms))


def test_replay_a_served_page_from_its_snapshot(db):
    """Read back what a ranked page was computed from and rank it again: the same order."""
    me, loud, quiet = _accounts(db, "me", "loud", "quiet")
    f.follow(db, me, loud)
    f.follow(db, me, quiet)
    for i in range(12):
        f.status(db, loud, f"post {i}")
        if i % 4 == 0:
            f.status(db, quiet, f"rare {i}")
    served = _serve(db, me, "diverse", limit=10)
    first = list(served.slice.ids)
    snapshot = db.run_sync(lambda tx: _whole(tx, me, "diverse", first[0]))
    algorithm = catalog.ALGORITHMS[snapshot.feed_id]
    assert algorithm.version == snapshot.version
    replayed = algorithm.rank(snapshot.inputs)
    assert replayed == snapshot.items
    assert [r.status_id for r in replayed][:10] == first
    # The pool stored is the home the viewer had.
    home = db.run_sync(lambda tx: pool.home_pool(tx, me))
    assert pool.pool_from_json(snapshot.inputs["pool"]) == home


@pytest.mark.parametrize("algorithm_id", ["originals", "diverse", "catch-up", "bridging"])
def test_every_ranked_algorithm_replays_from_its_snapshot(db, algorithm_id):
    """One world where every algorithm has something to rank; each page is replayed from the
    inputs stored with it, to the same items, scores and terms."""
    poster, group_a, group_b, massive, bridge = _bridging_world(db)
    viewer = group_a[0]
    f.follow(db, viewer, group_b[0])
    f.status(db, group_b[0], reblog_of=bridge)
    f.status(db, group_b[1], "a reply", reply_to=massive)
    refresh.fit_bridging(db)
    served = list(_serve(db, viewer, algorithm_id).slice.ids)
    assert served
    snapshot = db.run_sync(lambda tx: _whole(tx, viewer, algorithm_id, served[0]))
    algorithm = catalog.ALGORITHMS[algorithm_id]
    assert snapshot.version == algorithm.version
    replayed = algorithm.rank(snapshot.inputs)
    assert replayed == snapshot.items
    for item in replayed:
        assert item.score == pytest.approx(sum(t.weight * t.value for t in item.terms))


def test_the_next_page_reads_the_same_snapshot(db):
    me, loud = _accounts(db, "me", "loud")
    f.follow(db, me, loud)
    posts = [f.status(db, loud, f"post {i}") for i in range(8)]
    first = _serve(db, me, "diverse", limit=3).slice
    f.status(db, loud, "newer, after the first page")
    second = _serve(db, me, "diverse", max_id=first.cursors[-1], limit=3).slice
    everything = list(first.ids) + list(second.ids)
    assert everything == list(reversed(posts))[:6]


def test_read_time_rules_hide_what_was_muted_since_the_first_page(db):
    me, loud, muted = _accounts(db, "me", "loud", "muted")
    f.follow(db, me, loud)
    f.follow(db, me, muted)
    older = f.status(db, loud, "kept")
    hidden = f.status(db, muted, "hidden later")
    newest = f.status(db, loud, "newest")
    first = _serve(db, me, "diverse", limit=1).slice
    assert list(first.ids) == [newest]
    f.mute(db, me, muted)
    # The snapshot still holds the muted account's post; read on from it, the mute applies.
    snapshot = db.run_sync(lambda tx: _whole(tx, me, "diverse", hidden))
    assert snapshot.status_ids == [newest, hidden, older]
    second = _serve(db, me, "diverse", max_id=first.cursors[-1], limit=2).slice
    assert list(second.ids) == [older]


def test_why_reads_the_newest_snapshot_entry(db):
    me, friend = _accounts(db, "me", "friend")
    f.follow(db, me, friend)
    post = f.status(db, friend, "hello")
    assert db.run_sync(lambda tx: why.last_served(tx, me, post)) is None
    _serve(db, me, "diverse")
    served = db.run_sync(lambda tx: why.last_served(tx, me, post))
    assert served.feed_id == "diverse" and served.version == catalog.ALGORITHMS["diverse"].version
    assert [(t.name, t.weight, t.value) for t in served.terms] == [("page", -1.0, 0.0)]
    f.block(db, me, friend)  # no longer seen: no reason given either
    assert db.run_sync(lambda tx: why.last_served(tx, me, post)) is None


def test_a_direct_post_to_the_viewer_is_served_and_others_are_not(db):
    me, friend, third = _accounts(db, "me", "friend", "third")
    f.follow(db, me, friend)
    to_me = f.status(db, friend, "psst", visibility="direct", mention=[me])
    to_other = f.status(db, friend, "not for me", visibility="direct", mention=[third])
    served = list(_serve(db, me, "diverse").slice.ids)
    assert to_me in served and to_other not in served


def test_version_changes_when_a_parameter_changes():
    algorithm = catalog.ALGORITHMS["diverse"]
    same = algorithm.version_with(dataclasses.replace(diverse.PARAMS))
    changed = algorithm.version_with(dataclasses.replace(diverse.PARAMS, max_share=0.3))
    assert same == algorithm.version
    assert changed != algorithm.version
    bridging_algorithm = catalog.ALGORITHMS["bridging"]
    assert bridging_algorithm.version != bridging_algorithm.version_with(
        dataclasses.replace(bridging.PARAMS, intercept_lambda=0.2)
    )
    versions = {a.version for a in catalog.ALGORITHMS.values()}
    assert len(versions) == len(catalog.ALGORITHMS)


def test_old_snapshots_are_pruned(db):
    me, friend = _accounts(db, "me", "friend")
    f.follow(db, me, friend)
    f.status(db, friend, "hello")
    for i in range(snapshots.KEEP_PER_FEED + 2):
        f.status(db, friend, f"news {i}")  # something new: each first page ranks anew
        _serve(db, me, "diverse")
    from pnyx.db.tables import feed_snapshots

    count = db.run_sync(
        lambda tx: len(tx.rows(feed_snapshots.select().where(feed_snapshots.c.account_id == me)))
    )
    assert count == snapshots.KEEP_PER_FEED
    assert db.run_sync(snapshots.prune) == 0


# --- the pool read from the home feed, and first pages served again -------------------------


def _walked_pool(tx, viewer, limit):
    """Today's pool: home walked page by page, each boosted post once in the whole pool."""
    ids = pool.walk(lambda page: timelines.home(tx, viewer, page), limit)
    return pool.shown_once(pool.load_items(tx, ids), viewer)


def test_the_pool_from_the_feed_equals_walking_home(settings):
    """On a generated instance (follows with options, lists, hashtags, mutes, blocks, boosts,
    replies, direct posts; feeds small enough to have floors), the pool read from each
    viewer's feed in one batch is the pool walked through home's pages."""
    db = Database(dataclasses.replace(settings, feed_size=40))
    try:
        rng = random.Random(5)
        people = [db.run_sync(lambda tx, i=i: factories_account(tx, f"p{i}")) for i in range(40)]
        for person in people[:30]:
            db.run_sync(rebuild.rebuild, person)
        _generate(db, rng, people)
        registry.drain(db)
        compared = floors = 0
        for viewer in people[:30]:
            assert db.run_sync(entries.state, viewer) is not None
            floor = db.run_sync(lambda tx, v=viewer: entries.state(tx, v).floor_id)
            floors += floor > 0
            for limit in (7, 30, 800):
                batch = db.run_sync(lambda tx, v=viewer, n=limit: pool.home_pool(tx, v, limit=n))
                walked = db.run_sync(lambda tx, v=viewer, n=limit: _walked_pool(tx, v, n))
                # The feed's part of the walk: what it holds, or `limit` of it. (A walk stops
                # at `limit` before its boosts are deduplicated, so it may be one short.)
                assert batch[: len(walked)] == walked[: len(batch)]
                if floor == 0:  # the feed holds everything the walk finds
                    assert batch[: len(walked)] == walked
                assert len(batch) >= min(limit, len(walked)) - 1 or floor > 0
                compared += min(len(walked), len(batch))
        assert compared > 1000 and floors > 0
    finally:
        db.dispose()


def factories_account(tx, name):
    return accounts.create_local(tx, name, f"{name}@example.com", "correct horse battery")[0]


def test_a_reload_serves_the_fresh_snapshot_until_something_new_arrives(db):
    me, friend = _accounts(db, "me", "friend")
    _follow(db, me, friend)
    db.run_sync(rebuild.rebuild, me)
    posts = [_post(db, friend, f"post {i}") for i in range(5)]
    registry.drain(db)
    feed = algorithm_feed(catalog.ALGORITHMS["diverse"])

    def read_only(tx):
        return serving.serve_read(tx, me, feed, Page(limit=2))

    assert db.run_sync(read_only, write=False) is None  # to rank: a write's work
    first = _serve(db, me, "diverse", limit=2)
    again = db.run_sync(read_only, write=False)  # a reload: a read transaction serves it
    assert list(again.slice.ids) == list(first.slice.ids) == posts[::-1][:2]
    assert again.version == first.version == catalog.ALGORITHMS["diverse"].version
    made = db.run_sync(lambda tx: snapshots._newest(tx, me, "diverse", 10))
    assert len(made) == 1  # served again, not ranked again
    # The rules still apply at read time: a mute made since hides from the reused snapshot.
    other = _accounts(db, "other")[0]
    _follow(db, me, other)
    # (a follow brings no new entry until the other posts: the mark is unchanged)
    f.mute(db, me, friend)
    assert list(_serve(db, me, "diverse", limit=2).slice.ids) == []
    # A new post in the feed: the next first page ranks anew.
    newer = _post(db, other, "new")
    registry.drain(db)
    assert db.run_sync(read_only, write=False) is None
    fresh = _serve(db, me, "diverse", limit=2)
    assert newer in list(fresh.slice.ids)
    assert len(db.run_sync(lambda tx: snapshots._newest(tx, me, "diverse", 10))) == 2


def test_a_snapshot_older_than_the_published_reuse_is_not_served_again(db):
    me, friend = _accounts(db, "me", "friend")
    _follow(db, me, friend)
    db.run_sync(rebuild.rebuild, me)
    _post(db, friend, "hello")
    registry.drain(db)
    _serve(db, me, "diverse")
    old = datetime.now(UTC) - timedelta(seconds=snapshots.REUSE_SECONDS + 1)
    db.run_sync(lambda tx: tx.execute(feed_snapshots.update().values(created_at=old)))
    _serve(db, me, "diverse")
    assert len(db.run_sync(lambda tx: snapshots._newest(tx, me, "diverse", 10))) == 2
    # Catch-up and bridging read other sources than the home feed: always ranked anew.
    _serve(db, me, "catch-up")
    _serve(db, me, "catch-up")
    assert len(db.run_sync(lambda tx: snapshots._newest(tx, me, "catch-up", 10))) == 2
    described = catalog.describe(catalog.ALGORITHMS["diverse"], "", "https://pnyx.test")
    assert {"name": "reuse_seconds", "value": snapshots.REUSE_SECONDS} in described["parameters"]


def test_an_unfollow_makes_the_next_first_page_rank_anew(db):
    """Removing entries (the unfollow's job) changes the source mark: no reuse of a
    snapshot holding the unfollowed account's posts."""
    me, kept, dropped = _accounts(db, "me", "kept", "dropped")
    _follow(db, me, kept)
    _follow(db, me, dropped)
    db.run_sync(rebuild.rebuild, me)
    stay = _post(db, kept, "stays")
    _post(db, dropped, "goes")
    registry.drain(db)
    assert len(_serve(db, me, "diverse").slice.ids) == 2
    db.run_sync(follows.unfollow, me, dropped)
    registry.drain(db)
    assert list(_serve(db, me, "diverse").slice.ids) == [stay]
    assert len(db.run_sync(lambda tx: snapshots._newest(tx, me, "diverse", 10))) == 2
