"""Who of the viewers connected to live streams is shown a post: the home rules (boosts a
follow hides, languages, mutes), the public streams' split between here and elsewhere,
hashtags, direct messages; and signals that exist only once their change has committed."""

from __future__ import annotations

import pytest

import factories
from pnyx.core import events, visibility
from pnyx.core.stream_audience import audience
from pnyx.streaming import signals


@pytest.fixture
def people(app, make_user):
    return app.state.db, *(make_user(n).account_id for n in ("alice", "bob", "carol"))


def shown(db, status_id, listening) -> dict:
    found = db.run_sync(audience, status_id, listening, write=False)
    return {} if found is None else found.streams


def test_home_follows_the_rules_of_the_home_timeline(people):
    db, alice, bob, carol = people
    factories.follow(db, bob, alice, show_reblogs=False, languages=["de"])
    factories.follow(db, carol, alice)
    user = {("user", None): {alice, bob, carol}}
    english = factories.status(db, alice, "hello", language="en")
    assert shown(db, english, user) == {("user", None): {alice, carol}}  # bob reads German
    german = factories.status(db, alice, "hallo", language="de")
    assert shown(db, german, user) == {("user", None): {alice, bob, carol}}
    boost = factories.status(db, alice, reblog_of=factories.status(db, carol, "carol's"))
    assert shown(db, boost, user) == {("user", None): {alice}}  # bob hides her boosts; own post
    factories.mute(db, carol, alice)
    assert shown(db, factories.status(db, alice, "again", language="de"), user) == {
        ("user", None): {alice, bob}
    }


def test_public_streams_split_here_and_elsewhere_and_spare_the_blocked(people):
    db, alice, bob, carol = people
    remote = factories.remote_account(db, "dana", "else.example")
    listening = {
        ("public", None): {bob, carol},
        ("public:local", None): {bob},
        ("public:remote", None): {bob},
        ("hashtag", "cats"): {bob},
        ("hashtag:local", "cats"): {bob},
    }
    factories.block(db, alice, carol)
    here = factories.status(db, alice, "#cats", tag_names=["cats"])
    assert shown(db, here, listening) == {
        ("public", None): {bob},
        ("public:local", None): {bob},
        ("hashtag", "cats"): {bob},
        ("hashtag:local", "cats"): {bob},
    }
    there = factories.status(db, remote, "#cats", tag_names=["cats"], local=False)
    assert shown(db, there, listening) == {
        ("public", None): {bob, carol},
        ("public:remote", None): {bob},
        ("hashtag", "cats"): {bob},
    }
    unlisted = factories.status(db, alice, "quiet #cats", visibility="unlisted", tag_names=["cats"])
    assert shown(db, unlisted, listening) == {}


def test_a_direct_message_reaches_its_people_only(people):
    db, alice, bob, carol = people
    dm = factories.status(db, alice, "psst", visibility="direct", mention=[bob])
    listening = {("direct", None): {alice, bob, carol}, ("user", None): {bob, carol}}
    assert shown(db, dm, listening) == {
        ("direct", None): {alice, bob},
        ("user", None): {bob},
    }


def test_a_signal_is_sent_only_when_its_change_commits(app, make_user):
    db = app.state.db
    if not db.is_sqlite:
        pytest.skip("PostgreSQL delivers pg_notify at commit itself")
    alice = make_user("alice").account_id
    received: list[str] = []

    class Loop:  # what LocalBus needs of an event loop: run the receiver
        def call_soon_threadsafe(self, fn, *args):
            fn(*args)

    signals.LOCAL.add(Loop(), received.append)
    try:
        sid = factories.status(db, alice, "hello")

        def record(tx, fail: bool):
            events.record(tx, events.StatusCreated(sid, alice))
            assert received == []  # not before the commit
            if fail:
                raise RuntimeError("rolled back")

        with pytest.raises(RuntimeError):
            db.run_sync(record, True)
        assert received == []
        db.run_sync(record, False)
        assert received == [f'{{"t":"status","id":{sid}}}']
    finally:
        signals.LOCAL.remove(received.append)


def test_the_facts_of_many_viewers_are_those_of_each(app, make_user):
    """`load_contexts` (one query for a stream's listeners) and `load_context` (one viewer)
    give the same facts, so the same decisions."""
    db = app.state.db
    a, b, c, d = (make_user(n).account_id for n in ("a", "b", "c", "d"))
    factories.follow(db, b, a)
    factories.block(db, c, a)
    factories.block(db, a, d)
    factories.mute(db, d, b)
    post = factories.status(db, a, "hi", visibility="private", mention=[c])
    factories.mute_thread(db, b, post)
    authors, statuses, conversations = [a, b], [post], [post]

    def both(tx):
        many = visibility.load_contexts(tx, [a, b, c, d], authors, statuses, conversations)
        one = {
            v: visibility.load_context(tx, v, authors, statuses, conversations)
            for v in (a, b, c, d)
        }
        return many, one

    def asked(ctx):
        """What a context says about the authors and threads asked about (one viewer's holds
        all of their own rules, which answer the same of those)."""
        return (
            set(ctx.following) & set(authors),
            set(ctx.blocked) & set(authors),
            set(ctx.muted) & set(authors),
            set(ctx.muted_conversations) & set(conversations),
            ctx.mentioned_in,
            ctx.suspended,
            ctx.domain_blocked,
        )

    many, one = db.run_sync(both, write=False)
    assert {v: asked(ctx) for v, ctx in many.items()} == {v: asked(ctx) for v, ctx in one.items()}
    assert many[b].following == {a} and many[c].blocked == {a} and many[d].muted == {b}
