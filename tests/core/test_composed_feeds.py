"""Composed feeds in core: each source and filter, each order, and the replay of a composed
feed's page from its snapshot."""

from __future__ import annotations

import factories as f
from pnyx.core import accounts, lists
from pnyx.core.algorithms import composed, feeds, refresh, serving, snapshots
from pnyx.core.paging import Page
from pnyx.db.tables import statuses


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


def _compose(db, owner, sources, filters=None, order="newest"):
    def work(tx):
        recipe = composed.validate(tx, owner, "mine", "", sources, filters or {}, order)
        return composed.create(tx, owner, recipe)

    return db.run_sync(work)


def _read(db, reader, feed, limit=40):
    def work(tx):
        served = serving.serve(tx, reader, feeds.composed_feed(feed), Page(limit=limit))
        return list(served.slice.ids)

    return db.run_sync(work)


def test_sources_follows_lists_hashtags_local(db):
    owner, reader, friend, member, stranger = _accounts(
        db, "owner", "reader", "friend", "member", "stranger"
    )
    f.follow(db, reader, friend)
    f.follow(db, owner, member)
    list_id = db.run_sync(lambda tx: lists.create(tx, owner, "people").id)
    db.run_sync(lambda tx: lists.add_members(tx, owner, list_id, [member]))
    by_friend = f.status(db, friend, "friend")
    by_member = f.status(db, member, "member")
    tagged = f.status(db, stranger, "#birds", tag_names=["birds"])
    remote = f.status(db, stranger, "from afar", local=False)

    assert _read(db, reader, _compose(db, owner, {"follows": True})) == [by_friend]
    assert _read(db, reader, _compose(db, owner, {"lists": [list_id]})) == [by_member]
    assert _read(db, reader, _compose(db, owner, {"hashtags": ["birds"]})) == [tagged]
    local = _read(db, reader, _compose(db, owner, {"local": True}))
    assert remote not in local and set(local) == {by_friend, by_member, tagged}
    everything = _read(db, reader, _compose(db, owner, {"federated": True}))
    assert everything == [remote, tagged, by_member, by_friend]


def test_filters(db):
    owner, poster, booster, other = _accounts(db, "owner", "poster", "booster", "other")
    f.follow(db, owner, poster)
    f.follow(db, owner, booster)
    english = f.status(db, poster, "hello", language="en")
    german = f.status(db, poster, "hallo", language="de")
    pictured = f.status(db, poster, "look", has_media=True, language="en")
    elsewhere = f.status(db, other, "not followed", language="en")
    boost = f.status(db, booster, reblog_of=elsewhere)
    db.run_sync(
        lambda tx: tx.execute(
            statuses.update().where(statuses.c.id == german).values(favourites_count=2)
        )
    )
    follows = {"follows": True}
    assert _read(db, owner, _compose(db, owner, follows)) == [boost, pictured, german, english]
    assert _read(db, owner, _compose(db, owner, follows, {"languages": ["en"]})) == [
        boost,
        pictured,
        english,
    ]
    assert _read(db, owner, _compose(db, owner, follows, {"media_only": True})) == [pictured]
    no_boosts = _read(db, owner, _compose(db, owner, follows, {"no_boosts": True}))
    assert no_boosts == [pictured, german, english]
    popular = _read(db, owner, _compose(db, owner, follows, {"min_interactions": 2}))
    assert popular == [german]


def test_catch_up_and_bridging_orders_and_replay(db):
    owner, a, b, poster = _accounts(db, "owner", "a", "b", "poster")
    f.follow(db, owner, a)
    f.follow(db, owner, b)
    quiet = f.status(db, poster, "nobody cares")
    loved = f.status(db, poster, "two favourites")
    liked = f.status(db, poster, "one favourite")
    newest = f.status(db, poster, "newest")
    f.favourite(db, a, loved)
    f.favourite(db, b, loved)
    f.favourite(db, a, liked)
    feed = _compose(db, owner, {"local": True}, order="catch-up")
    assert _read(db, owner, feed) == [loved, liked, newest, quiet]

    snapshot = db.run_sync(lambda tx: _whole(tx, owner, str(feed.id), loved))
    assert snapshot.version == feed.version
    assert feed.order.rank(snapshot.inputs) == snapshot.items

    refresh.fit_bridging(db)
    bridged = _compose(db, owner, {"local": True}, order="bridging")
    served = _read(db, owner, bridged)
    assert set(served) == {quiet, loved, liked, newest}
    again = db.run_sync(lambda tx: _whole(tx, owner, str(bridged.id), loved))
    assert bridged.order.rank(again.inputs) == again.items
    assert [i.status_id for i in again.items] == served


def test_version_follows_the_recipe(db):
    (owner,) = _accounts(db, "owner")
    one = _compose(db, owner, {"local": True})
    two = _compose(db, owner, {"local": True}, {"no_boosts": True})
    same = _compose(db, owner, {"local": True})
    assert one.version == same.version != two.version
