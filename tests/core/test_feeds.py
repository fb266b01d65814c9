"""Materialized feeds (`core.feeds`): what fan-out writes for each source and why, for local
posts and for posts received from other servers; what the relation changes take out; bounds,
batches, retries; and home and list pages read from feeds equal to the read-time pages on a
generated instance."""

from __future__ import annotations

import dataclasses
import random
from datetime import timedelta

import pytest
import sqlalchemy as sa

import factories
from pnyx import registry
from pnyx.core import (
    accounts,
    blocks_mutes,
    follows,
    hashtags,
    interactions,
    lists,
    statuses,
    timelines,
)
from pnyx.core.feeds import entries, fan_out, provenance, rebuild
from pnyx.core.feeds import reasons as why
from pnyx.core.oauth import lookup_viewer
from pnyx.core.paging import Page
from pnyx.core.statuses import StatusInput
from pnyx.core.timelines import feed_source, home_timeline, list_timeline
from pnyx.db.engine import Database
from pnyx.db.tables import blocks, feed_entries, feed_states, jobs, mutes, tags
from pnyx.db.tables import follows as follow_rows
from pnyx.db.tables import lists as list_rows
from pnyx.db.tables import statuses as status_table
from pnyx.federation import handlers


def _account(db, name: str) -> int:
    return db.run_sync(accounts.create_local, name, f"{name}@example.com", "long enough pw")[0]


def _post(db, author: int, text: str, **options) -> int:
    return db.run_sync(statuses.create, author, StatusInput(text=text, **options))


def _feed(db, viewer: int, list_id: int = 0) -> dict[int, tuple]:
    rows = db.run_sync(
        lambda tx: tx.rows(
            sa.select(feed_entries).where(
                feed_entries.c.viewer_id == viewer, feed_entries.c.list_id == list_id
            )
        ),
        write=False,
    )
    return {r.status_id: (r.reasons, r.via_account_id, r.via_tag_id) for r in rows}


def _tag_id(db, name: str) -> int:
    return db.run_sync(lambda tx: tx.scalar(sa.select(tags.c.id).where(tags.c.name == name)))


def _follow(db, follower: int, target: int, **options) -> None:
    db.run_sync(follows.follow, follower, target, **options)


@pytest.fixture
def small(settings):
    """A database whose fan-out writes 3 followers per job and whose feeds keep 10 entries."""
    database = Database(dataclasses.replace(settings, feed_fanout_batch=3, feed_size=10))
    yield database
    database.dispose()


def test_fan_out_of_local_posts_records_each_reason(db):
    viewer, author, booster, stranger, writer = (
        _account(db, n) for n in ("viewer", "author", "booster", "stranger", "writer")
    )
    _follow(db, viewer, author)
    _follow(db, viewer, booster)
    db.run_sync(hashtags.follow, viewer, "cats")
    listed = db.run_sync(lists.create, viewer, "friends").id
    db.run_sync(lists.add_members, viewer, listed, [author])
    db.run_sync(rebuild.rebuild, viewer)
    db.run_sync(rebuild.rebuild, viewer, listed)
    registry.drain(db)

    own = _post(db, viewer, "mine")
    by_author = _post(db, author, "by the author")
    elsewhere = _post(db, stranger, "not followed")
    boost = db.run_sync(interactions.reblog, booster, elsewhere)
    tagged = _post(db, stranger, "look #cats")
    direct = _post(db, writer, "@viewer just you", visibility="direct")
    private = _post(db, writer, "@viewer and my followers", visibility="private")
    _post(db, writer, "@viewer in public")  # a public mention is no reason (read-time neither)
    author_boost = db.run_sync(interactions.reblog, author, tagged)
    both = _post(db, author, "@viewer followers only", visibility="private")
    registry.drain(db)

    cats = _tag_id(db, "cats")
    assert _feed(db, viewer) == {
        own: (why.OWN, None, None),
        by_author: (why.FOLLOWED_AUTHOR, None, None),
        boost: (why.BOOSTED_BY_FOLLOWED, booster, None),
        tagged: (why.FOLLOWED_TAG, None, cats),
        direct: (why.MENTIONED, None, None),
        private: (why.MENTIONED, None, None),
        author_boost: (why.BOOSTED_BY_FOLLOWED, author, None),
        both: (why.FOLLOWED_AUTHOR | why.MENTIONED, None, None),
    }
    assert _feed(db, viewer, listed) == {
        by_author: (why.IN_LIST, author, None),
        author_boost: (why.IN_LIST, author, None),
        both: (why.IN_LIST, author, None),
    }
    assert _feed(db, author) == {}  # never read, never built: not maintained
    assert why.describe(why.BOOSTED_BY_FOLLOWED | why.MENTIONED, booster) == [
        {"reason": "mentioned"},
        {"reason": "boosted_by", "account_id": str(booster)},
    ]
    assert why.describe(why.FOLLOWED_TAG, None, cats) == [
        {"reason": "followed_tag", "tag_id": str(cats)}
    ]
    # The served page's reasons, from the entries, equal those computed read-time.
    page = db.run_sync(timelines.home, viewer, Page(limit=40), write=False)
    stored = db.run_sync(provenance.page_reasons, viewer, 0, page.ids, write=False)
    db.run_sync(rebuild.drop, (viewer, 0))
    computed = db.run_sync(provenance.page_reasons, viewer, 0, page.ids, write=False)
    assert stored == computed and set(stored) == set(page.ids)


def _remote_note(db, settings, signer: int, who: str, n: int, **fields) -> int:
    uri = f"https://remote.example/users/{who}/statuses/{n}"
    note = {
        "id": uri,
        "type": "Note",
        "attributedTo": f"https://remote.example/users/{who}",
        "content": f"<p>note {n}</p>",
        "to": ["https://www.w3.org/ns/activitystreams#Public"],
        "cc": [],
        "published": "2026-11-20T10:00:00Z",
        **fields,
    }
    create = {
        "id": f"{uri}/activity",
        "type": "Create",
        "actor": f"https://remote.example/users/{who}",
        "object": note,
    }
    handlers.process(db, settings, create, signer)
    return db.run_sync(
        lambda tx: tx.scalar(sa.select(status_table.c.id).where(status_table.c.uri == uri))
    )


def test_fan_out_of_posts_from_other_servers(app):
    db, settings = app.state.db, app.state.settings
    viewer, local_author = _account(db, "viewer"), _account(db, "local")
    rita = factories.remote_account(db, "rita", "remote.example")
    sam = factories.remote_account(db, "sam", "remote.example")
    factories.follow(db, viewer, rita)  # accepted by rita's server
    factories.follow(db, local_author, sam)  # so that sam's posts are stored here
    db.run_sync(hashtags.follow, viewer, "cats")
    db.run_sync(rebuild.rebuild, viewer)
    registry.drain(db)

    followed = _remote_note(db, settings, rita, "rita", 1)
    tagged = _remote_note(
        db,
        settings,
        sam,
        "sam",
        2,
        tag=[{"type": "Hashtag", "name": "#cats", "href": "https://remote.example/tags/cats"}],
    )
    me = "https://pnyx.test/users/viewer"
    direct = _remote_note(
        db,
        settings,
        sam,
        "sam",
        3,
        to=[me],
        tag=[{"type": "Mention", "href": me, "name": "@viewer"}],
    )
    original = _post(db, local_author, "boosted from afar")
    original_uri = db.run_sync(
        lambda tx: tx.scalar(sa.select(status_table.c.uri).where(status_table.c.id == original))
    )
    announce = {
        "id": "https://remote.example/users/rita/announces/1",
        "type": "Announce",
        "actor": "https://remote.example/users/rita",
        "object": original_uri,
        "to": ["https://www.w3.org/ns/activitystreams#Public"],
        "published": "2026-11-20T11:00:00Z",
    }
    handlers.process(db, settings, announce, rita)
    boost = db.run_sync(
        lambda tx: tx.scalar(
            sa.select(status_table.c.id).where(status_table.c.reblog_of_id == original)
        )
    )
    registry.drain(db)

    assert _feed(db, viewer) == {
        followed: (why.FOLLOWED_AUTHOR, None, None),
        tagged: (why.FOLLOWED_TAG, None, _tag_id(db, "cats")),
        direct: (why.MENTIONED, None, None),
        boost: (why.BOOSTED_BY_FOLLOWED, rita, None),
    }
    shown = db.run_sync(timelines.home, viewer, Page(limit=10), write=False).ids
    assert list(shown) == sorted([followed, tagged, direct, boost], reverse=True)


def test_a_reply_into_a_conversation_the_viewer_is_not_in_is_not_read(db):
    """Such a home entry is left out by the feed's statement itself (the rules would hide
    it), with the same exceptions as the rules: a reply to someone the viewer follows, to the
    viewer, to its own author, or with a hashtag the viewer follows. Following the person
    replied to shows the reply on the next page."""
    viewer, writer, stranger, friend = (
        _account(db, n) for n in ("rviewer", "rwriter", "rstranger", "rfriend")
    )
    db.run_sync(rebuild.rebuild, viewer)
    for target in (writer, friend):
        _follow(db, viewer, target)
    db.run_sync(hashtags.follow, viewer, "tides")
    to_stranger = _post(db, stranger, "thread start")
    to_friend = _post(db, friend, "friend's post")
    to_viewer = _post(db, viewer, "viewer's post")
    own_thread = _post(db, writer, "writer's post")
    hidden = _post(db, writer, "into a stranger's thread", in_reply_to_id=to_stranger)
    tagged = _post(db, writer, "about #tides", in_reply_to_id=to_stranger)
    shown = [
        _post(db, writer, "to a friend", in_reply_to_id=to_friend),
        _post(db, writer, "to the viewer", in_reply_to_id=to_viewer),
        _post(db, writer, "to myself", in_reply_to_id=own_thread),
        tagged,
    ]
    registry.drain(db)
    assert hidden in _feed(db, viewer)  # fan-out wrote it: following changes what shows

    def read(tx):
        fetch = feed_source._entries_fetch(tx, viewer, entries.HOME, Page(limit=40), 0)
        return [c.id for c in fetch(None, None, 40)]

    read_ids = db.run_sync(read, write=False)
    assert hidden not in read_ids
    assert set(shown) <= set(read_ids)
    page = list(db.run_sync(timelines.home, viewer, Page(limit=40), write=False).ids)
    assert hidden not in page and set(shown) <= set(page)

    _follow(db, viewer, stranger)
    page = list(db.run_sync(timelines.home, viewer, Page(limit=40), write=False).ids)
    assert hidden in page


def test_unfollow_block_and_mute_take_entries_out(db):
    viewer, a, b, c, d = (_account(db, n) for n in ("viewer", "a", "b", "c", "d"))
    for target in (a, b, c, d):
        _follow(db, viewer, target)
    db.run_sync(hashtags.follow, viewer, "dogs")
    listed = db.run_sync(lists.create, viewer, "some").id
    db.run_sync(lists.add_members, viewer, listed, [d])
    db.run_sync(rebuild.rebuild, viewer)
    db.run_sync(rebuild.rebuild, viewer, listed)
    registry.drain(db)
    pa, pb, pc, pd = (_post(db, who, "hello") for who in (a, b, c, d))
    kept_for_tag = _post(db, a, "still about #dogs")
    c_boost = db.run_sync(interactions.reblog, d, pc)  # a boost of the muted one's post
    registry.drain(db)
    assert set(_feed(db, viewer)) == {pa, pb, pc, pd, kept_for_tag, c_boost}

    def shown() -> list[int]:
        return list(db.run_sync(timelines.home, viewer, Page(limit=20), write=False).ids)

    db.run_sync(follows.unfollow, viewer, a)
    db.run_sync(blocks_mutes.block, viewer, b)
    db.run_sync(blocks_mutes.mute, viewer, c)
    db.run_sync(lists.remove_members, viewer, listed, [d])
    # Before any job: the entries are there, and not shown.
    assert {pa, pb, pc} <= set(_feed(db, viewer))
    assert shown() == [kept_for_tag, pd]
    registry.drain(db)
    dogs = _tag_id(db, "dogs")
    assert _feed(db, viewer) == {
        pd: (why.FOLLOWED_AUTHOR, None, None),
        kept_for_tag: (why.FOLLOWED_TAG, None, dogs),  # still there for its hashtag
    }
    assert _feed(db, viewer, listed) == {}
    assert shown() == [kept_for_tag, pd]
    db.run_sync(lists.add_members, viewer, listed, [d])
    registry.drain(db)
    assert _feed(db, viewer, listed) == {  # merged back
        pd: (why.IN_LIST, d, None),
        c_boost: (why.IN_LIST, d, None),
    }
    db.run_sync(lists.delete, viewer, listed)
    assert _feed(db, viewer, listed) == {} and db.run_sync(entries.state, viewer, listed) is None

    db.run_sync(blocks_mutes.unmute, viewer, c)
    db.run_sync(blocks_mutes.unblock, viewer, b)
    registry.drain(db)  # back: what still belongs (b is no longer followed: a block ends it)
    assert set(_feed(db, viewer)) == {pc, c_boost, pd, kept_for_tag}
    assert _feed(db, viewer)[c_boost] == (why.BOOSTED_BY_FOLLOWED, d, None)
    assert shown() == [c_boost, kept_for_tag, pd, pc]
    db.run_sync(blocks_mutes.mute, viewer, c)
    registry.drain(db)
    later = _post(db, c, "muted: fan-out skips the viewer")
    registry.drain(db)
    assert later not in _feed(db, viewer) and pc not in _feed(db, viewer)

    db.run_sync(hashtags.unfollow, viewer, "dogs")
    registry.drain(db)
    assert _feed(db, viewer) == {pd: (why.FOLLOWED_AUTHOR, None, None)}

    # A block by the other side takes the blocker's posts out of the viewer's feed too.
    db.run_sync(blocks_mutes.block, d, viewer)
    registry.drain(db)
    assert _feed(db, viewer) == {}


def test_a_new_follow_merges_the_followees_posts(db):
    viewer, a = _account(db, "viewer"), _account(db, "a")
    db.run_sync(rebuild.rebuild, viewer)
    before = [_post(db, a, f"p{i}") for i in range(3)]
    registry.drain(db)
    assert _feed(db, viewer) == {}
    _follow(db, viewer, a)
    db.run_sync(hashtags.follow, viewer, "birds")
    tagged = _post(db, _account(db, "other"), "#birds", visibility="unlisted")
    registry.drain(db)
    assert set(_feed(db, viewer)) == set(before) | {tagged}


def _walk(db, fn, limit: int) -> list[int]:
    out: list[int] = []
    max_id = None
    for _ in range(200):
        page = db.run_sync(fn, Page(max_id=max_id, limit=limit), write=False)
        if not page.cursors:
            break
        out.extend(page.ids)
        max_id = page.cursors[-1]
    return out


def test_feeds_are_bounded_and_older_pages_come_from_the_posts(small):
    db = small
    viewer, a = _account(db, "viewer"), _account(db, "a")
    _follow(db, viewer, a)
    db.run_sync(rebuild.rebuild, viewer)
    posts = [_post(db, a, f"p{i}") for i in range(40)]
    registry.drain(db)
    held = _feed(db, viewer)
    assert 10 <= len(held) <= 11  # its size and its slack
    assert set(held) <= set(posts[-11:])
    floor = db.run_sync(lambda tx: entries.state(tx, viewer).floor_id)
    assert floor == min(held)
    newest_first = posts[::-1]
    for limit in (3, 7, 40):
        assert _walk(db, lambda tx, p: timelines.home(tx, viewer, p), limit) == newest_first
    upward = db.run_sync(timelines.home, viewer, Page(min_id=posts[5], limit=8), write=False)
    assert list(upward.ids) == posts[6:14][::-1]
    since = db.run_sync(timelines.home, viewer, Page(since_id=posts[20], limit=50), write=False)
    assert list(since.ids) == posts[21:][::-1]


def test_fan_out_runs_in_batches_and_a_crash_is_retried_whole(small):
    db = small
    author = _account(db, "author")
    followers = [_account(db, f"f{i}") for i in range(10)]
    for follower in followers:
        _follow(db, follower, author)
        db.run_sync(rebuild.rebuild, follower)
    registry.drain(db)
    post = _post(db, author, "to all")
    # The post's first batch went in with it (the fan-out runs in its transaction) and the
    # next is a job: undone here, to run the handler by hand below.
    assert sum(1 for f in followers if _feed(db, f)) == 3
    assert fan_out.MORE_JOB in db.run_sync(lambda tx: tx.scalars(sa.select(jobs.c.kind)))
    db.run_sync(lambda tx: tx.execute(jobs.delete()))
    db.run_sync(
        lambda tx: tx.execute(feed_entries.delete().where(feed_entries.c.status_id == post))
    )

    def crash(tx):
        fan_out.fan_out(tx, post)
        raise RuntimeError("the worker died")

    with pytest.raises(RuntimeError):
        db.run_sync(crash)
    assert all(_feed(db, f) == {} for f in followers)  # nothing half done

    db.run_sync(fan_out.fan_out, post)  # one batch of 3, and the job of the next
    assert sum(1 for f in followers if _feed(db, f)) == 3
    more = db.run_sync(lambda tx: tx.scalars(sa.select(jobs.c.kind)))
    assert more == [fan_out.MORE_JOB]
    db.run_sync(fan_out.fan_out, post)  # run twice (a retry): nothing twice
    registry.drain(db)
    for follower in followers:
        assert _feed(db, follower) == {post: (why.FOLLOWED_AUTHOR, None, None)}


def test_a_returning_account_has_its_feed_rebuilt(client, make_user):
    db = client.app.state.db
    me, friend = make_user("me"), make_user("friend")
    _follow(db, me.account_id, friend.account_id)
    first = _post(db, friend.account_id, "hello")
    registry.drain(db)
    got = client.get("/api/v1/timelines/home", headers=me.headers)
    assert [s["id"] for s in got.json()] == [str(first)]  # read from the posts meanwhile
    registry.drain(db)  # the rebuild the read asked for
    assert _feed(db, me.account_id) == {first: (why.FOLLOWED_AUTHOR, None, None)}

    def away(tx, days: int):
        tx.execute(feed_states.update().values(seen_at=tx.now - timedelta(days=days)))

    db.run_sync(away, 2)
    client.get("/api/v1/timelines/home", headers=me.headers)
    assert db.run_sync(lambda tx: entries.state(tx, me.account_id)).stale is False  # seen

    db.run_sync(away, 15)
    assert db.run_sync(rebuild.prune) == 1
    second = _post(db, friend.account_id, "while you were away")
    registry.drain(db)
    assert _feed(db, me.account_id) == {}  # not maintained meanwhile
    got = client.get("/api/v1/timelines/home", headers=me.headers)
    assert [s["id"] for s in got.json()] == [str(second), str(first)]
    registry.drain(db)
    assert set(_feed(db, me.account_id)) == {first, second}

    # A list's feed too: read from the posts, then built by the job its first read asks for.
    listed = db.run_sync(lists.create, me.account_id, "close").id
    db.run_sync(lists.add_members, me.account_id, listed, [friend.account_id])
    registry.drain(db)
    got = client.get(f"/api/v1/timelines/list/{listed}", headers=me.headers)
    assert [s["id"] for s in got.json()] == [str(second), str(first)]
    assert _feed(db, me.account_id, listed) == {}
    registry.drain(db)
    assert set(_feed(db, me.account_id, listed)) == {first, second}
    got = client.get(f"/api/v1/timelines/list/{listed}", headers=me.headers)
    assert [s["id"] for s in got.json()] == [str(second), str(first)]


# --- the same pages as the read-time timelines, on a generated instance ---------------------

LANGS = ("en", "fr", "de")
TAGS = ("cats", "dogs", "news", "art")


def _generate(db, rng: random.Random, people: list[int]) -> dict[int, list[int]]:
    """Random follows, hashtags, lists, posts, replies, mentions, boosts, mutes and blocks,
    through core (so through fan-out and its jobs); returns each owner's lists."""
    names = {p: db.run_sync(lambda tx, p=p: accounts.get(tx, p).username) for p in people}
    owned: dict[int, list[int]] = {}
    posted: list[int] = []
    for step in range(700):
        who = rng.choice(people)
        roll = rng.random()
        try:
            if roll < 0.12:
                other = rng.choice(people)
                if other != who:
                    langs = [rng.choice(LANGS)] if rng.random() < 0.1 else None
                    reblogs = rng.random() > 0.1
                    _follow(db, who, other, reblogs=reblogs, languages=langs)
            elif roll < 0.14:
                db.run_sync(hashtags.follow, who, rng.choice(TAGS))
            elif roll < 0.16 and len(owned.get(who, [])) < 2:
                policy = rng.choice(["followed", "list", "none"])
                made = db.run_sync(lists.create, who, f"l{step}", policy, rng.random() < 0.3).id
                owned.setdefault(who, []).append(made)
                if rng.random() < 0.5:
                    db.run_sync(rebuild.rebuild, who, made)  # else built later
            elif roll < 0.20 and owned.get(who):
                followed = db.run_sync(
                    lambda tx, who=who: tx.scalars(
                        sa.select(follow_rows.c.target_account_id).where(
                            follow_rows.c.account_id == who
                        )
                    )
                )
                candidates = list(followed) or [who]
                db.run_sync(
                    lists.add_members, who, rng.choice(owned[who]), [rng.choice(candidates)]
                )
            elif roll < 0.22:
                db.run_sync(follows.unfollow, who, rng.choice(people))
            elif roll < 0.235:
                other = rng.choice(people)
                if other != who:
                    db.run_sync(blocks_mutes.mute, who, other)
            elif roll < 0.245:
                other = rng.choice(people)
                if other != who:
                    db.run_sync(blocks_mutes.block, who, other)
            elif roll < 0.36 and posted:
                db.run_sync(interactions.reblog, who, rng.choice(posted))
            else:
                text = f"post {step}"
                if rng.random() < 0.3:
                    text += f" #{rng.choice(TAGS)}"
                if rng.random() < 0.3:
                    text += f" @{names[rng.choice(people)]}"
                reply = rng.choice(posted) if posted and rng.random() < 0.25 else None
                visibility = rng.choice(["public"] * 5 + ["unlisted", "private", "direct"])
                posted.append(
                    _post(
                        db,
                        who,
                        text,
                        visibility=visibility,
                        in_reply_to_id=reply,
                        language=rng.choice(LANGS),
                    )
                )
        except Exception as exc:  # a refusal core makes (blocked, not visible ...): skip
            if type(exc).__module__ != "pnyx.core.errors":
                raise
        if step % 50 == 0:
            registry.drain(db)
    registry.drain(db)
    return owned


def _pages(db, fn, rng: random.Random, newest: list[int]) -> list:
    """A few walks of one timeline: down with max_id, up with min_id, and since_id."""
    seen = []
    for limit in (5, 20):
        seen.append(_walk(db, fn, limit))
    for _ in range(3):
        if not newest:
            break
        pivot = rng.choice(newest)
        seen.append(list(db.run_sync(fn, Page(min_id=pivot, limit=6), write=False).ids))
        seen.append(list(db.run_sync(fn, Page(since_id=pivot, limit=6), write=False).ids))
        seen.append(list(db.run_sync(fn, Page(max_id=pivot, limit=6), write=False).ids))
    return seen


def test_feed_pages_equal_the_read_time_pages(settings):
    db = Database(dataclasses.replace(settings, feed_size=40))
    try:
        rng = random.Random(11)
        people = [_account(db, f"p{i}") for i in range(60)]
        for person in people[:40]:  # the others are read-time only, or built later
            db.run_sync(rebuild.rebuild, person)
        owned = _generate(db, rng, people)
        for person in people[40:50]:
            db.run_sync(rebuild.rebuild, person)
        registry.drain(db)
        made = db.run_sync(
            lambda tx: (
                {
                    name: tx.scalar(sa.select(sa.func.count()).select_from(table))
                    for name, table in (("mutes", mutes), ("blocks", blocks), ("lists", list_rows))
                }
                | {
                    "boosts": tx.scalar(
                        sa.select(sa.func.count()).where(status_table.c.reblog_of_id.is_not(None))
                    ),
                    "floors": tx.scalar(
                        sa.select(sa.func.count()).where(feed_states.c.floor_id > 0)
                    ),
                }
            )
        )
        assert min(made.values()) > 0, made  # every kind of thing happened
        compared = 0
        for viewer in people[:50:3]:
            assert db.run_sync(entries.state, viewer) is not None
            newest = _walk(db, lambda tx, p, v=viewer: home_timeline.home(tx, v, p), 20)
            assert len(_feed(db, viewer)) <= 45
            seed = rng.random()
            from_feed = _pages(
                db, lambda tx, p, v=viewer: timelines.home(tx, v, p), random.Random(seed), newest
            )
            read_time = _pages(
                db,
                lambda tx, p, v=viewer: home_timeline.home(tx, v, p),
                random.Random(seed),
                newest,
            )
            compared += sum(len(p) for p in read_time)
            assert from_feed == read_time
        assert compared > 300  # not empty pages compared to empty pages
        lists_compared = 0
        for owner, their_lists in owned.items():
            for list_id in their_lists:
                if db.run_sync(entries.state, owner, list_id) is None:
                    db.run_sync(rebuild.rebuild, owner, list_id)  # half were fanned out to

                def feed_fn(tx, p, o=owner, li=list_id):
                    return timelines.list_statuses(tx, o, li, p)

                def read_fn(tx, p, o=owner, li=list_id):
                    return list_timeline.list_statuses(tx, o, li, p)

                newest = _walk(db, read_fn, 20)
                seed = rng.random()
                assert _pages(db, feed_fn, random.Random(seed), newest) == _pages(
                    db, read_fn, random.Random(seed), newest
                )
                lists_compared += len(newest)
        assert lists_compared > 0
    finally:
        db.dispose()


def test_the_rebuild_command_builds_every_feed(database_url, tmp_path, db):
    from click.testing import CliRunner

    from pnyx.cli import main

    viewer, friend = _account(db, "viewer"), _account(db, "friend")
    _follow(db, viewer, friend)
    listed = db.run_sync(lists.create, viewer, "close").id
    db.run_sync(lists.add_members, viewer, listed, [friend])
    post = _post(db, friend, "hello")
    env = {
        "PNYX_DATABASE_URL": database_url,
        "PNYX_DOMAIN": "pnyx.test",
        "PNYX_CONFIG": str(tmp_path / "absent.toml"),
    }

    def run(*args: str):
        return CliRunner().invoke(main, ["feeds", "rebuild", *args], env=env)

    assert run().exit_code != 0  # one of --account or --all
    assert "No local account" in run("--account", "nobody").output
    done = run("--account", "friend")
    assert done.exit_code == 0 and "Built 1 feed(s)" in done.output, done.output
    done = run("--all")
    assert done.exit_code == 0 and "Built 3 feed(s), 3 entries" in done.output, done.output
    assert _feed(db, viewer) == {post: (why.FOLLOWED_AUTHOR, None, None)}
    assert _feed(db, viewer, listed) == {post: (why.IN_LIST, friend, None)}
    assert _feed(db, friend) == {post: (why.OWN, None, None)}


def test_a_post_stored_while_the_feed_was_built_is_settled_in(client, make_user):
    """A post committed while its reader's feed was being built can miss both the build (it
    read the posts first) and its own fan-out (it looked for the feed first). Such a post is
    made here by storing it with no fan-out right after the build. For `entries.SETTLE` the
    feed is read from the posts, so the post shows at once; the `feeds.settle` job then
    merges it into the feed, which is read again when settled."""
    db = client.app.state.db
    me, friend = make_user("me"), make_user("friend")
    _follow(db, me.account_id, friend.account_id)
    first = _post(db, friend.account_id, "hello")
    db.run_sync(rebuild.rebuild, me.account_id)
    missed = factories.status(db, friend.account_id, "stored as the build committed")
    assert set(_feed(db, me.account_id)) == {first}

    def home_ids() -> list[str]:
        got = client.get("/api/v1/timelines/home", headers=me.headers)
        return [s["id"] for s in got.json()]

    assert db.run_sync(lambda tx: entries.state(tx, me.account_id)).settling
    assert home_ids() == [str(missed), str(first)]  # read from the posts while settling

    kinds = db.run_sync(lambda tx: tx.scalars(sa.select(jobs.c.kind)))
    assert rebuild.SETTLE_JOB in kinds  # the job that waits SETTLE, then runs
    db.run_sync(rebuild.settle, me.account_id)
    assert set(_feed(db, me.account_id)) == {first, missed}

    def settled(tx):
        tx.execute(feed_states.update().values(built_at=tx.now - entries.SETTLE * 2))

    db.run_sync(settled)
    assert not db.run_sync(lambda tx: entries.state(tx, me.account_id)).settling
    assert home_ids() == [str(missed), str(first)]  # now from the feed


def test_the_home_feed_state_comes_with_the_token_lookup(app, make_user):
    """A signed-in read takes its home feed's state from the token lookup (no query of its
    own), the same as read on its own; with no feed, none; a write transaction reads it
    again (what it wrote since could have changed it)."""
    db = app.state.db
    user = make_user("dora")

    def looked_up(tx):
        viewer = lookup_viewer(tx, user.token)
        return tx.known[(entries.KNOWN_HOME, viewer.account_id)], entries.state(
            tx, viewer.account_id
        )

    known, found = db.run_sync(looked_up, write=False)
    assert known is None and found is None  # no feed built yet

    db.run_sync(rebuild.rebuild, user.account_id)
    known, found = db.run_sync(looked_up, write=False)
    fresh = db.run_sync(lambda tx: entries.state(tx, user.account_id), write=False)
    assert known is not None and found == fresh is not None
    assert known[0] == fresh.floor_id

    def dropped_then_read(tx):
        lookup_viewer(tx, user.token)
        tx.execute(feed_states.delete().where(feed_states.c.viewer_id == user.account_id))
        return entries.state(tx, user.account_id)

    assert db.run_sync(dropped_then_read) is None  # the write transaction read it again
