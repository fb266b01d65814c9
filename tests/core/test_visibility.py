"""The visibility rule, written once, answers the same in Python and in SQL.

`core.visibility.SEE` is evaluated two ways: in Python against the facts `load_context` loads
for a viewer, and as a SQL condition that queries filter with before they limit. Generated
worlds (accounts, follows, blocks either way, suspensions, mentions, posts of every
visibility) are checked for every viewer, signed out included: both forms must pick the same
posts, on both databases. A hand-written expectation pins the rule itself.
"""

from __future__ import annotations

import random
from types import SimpleNamespace as Post

import pytest
import sqlalchemy as sa

import factories as f
from pnyx.core import decisions, status_views, visibility
from pnyx.db.tables import statuses

VISIBILITIES = ("public", "unlisted", "private", "direct")


def _world(db, seed: int) -> tuple[list[int], list[int], dict]:
    """A random small world; returns (accounts, statuses, the facts as plain sets)."""
    rng = random.Random(seed)
    people = [f.remote_account(db, f"p{seed}_{i}", f"s{i % 3}.example") for i in range(7)]
    follows, blocks, mentions, suspended = set(), set(), {}, set()
    for a in people:
        for b in people:
            if a == b:
                continue
            if rng.random() < 0.3:
                f.follow(db, a, b)
                follows.add((a, b))
            if rng.random() < 0.08:
                f.block(db, a, b)
                blocks.add((a, b))
    posts = []
    for _ in range(36):
        author = rng.choice(people)
        named = rng.sample([p for p in people if p != author], k=rng.choice((0, 0, 1, 2)))
        sid = f.status(db, author, visibility=rng.choice(VISIBILITIES), mention=named)
        mentions[sid] = set(named)
        posts.append(sid)
    for a in rng.sample(people, k=1):
        f.suspend(db, a)
        suspended.add(a)
    facts = {"follows": follows, "blocks": blocks, "mentions": mentions, "suspended": suspended}
    return people, posts, facts


def _by_sql(db, viewer_id: int | None, posts: list[int]) -> set[int]:
    def work(tx):
        return set(
            tx.scalars(
                sa.select(statuses.c.id).where(
                    statuses.c.id.in_(posts), visibility.visible_condition(statuses, viewer_id)
                )
            )
        )

    return db.run_sync(work, write=False)


def _by_python(db, viewer_id: int | None, posts: list[int]) -> set[int]:
    def work(tx):
        rows = tx.rows(sa.select(statuses).where(statuses.c.id.in_(posts)))
        ctx = visibility.load_context(tx, viewer_id, {r.account_id for r in rows}, posts)
        return {r.id for r in rows if visibility.may_see(ctx, r)}

    return db.run_sync(work, write=False)


def _expected(viewer_id: int | None, row, facts: dict) -> bool:
    """The rule as the module docstring states it, written out by hand."""
    author = row.account_id
    if author in facts["suspended"]:
        return False
    if viewer_id == author:
        return True
    if viewer_id is not None and (
        (viewer_id, author) in facts["blocks"] or (author, viewer_id) in facts["blocks"]
    ):
        return False
    if row.visibility in ("public", "unlisted"):
        return True
    if viewer_id is None:
        return False
    if viewer_id in facts["mentions"][row.id]:
        return True
    return row.visibility == "private" and (viewer_id, author) in facts["follows"]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_python_and_sql_forms_agree(db, seed):
    people, posts, facts = _world(db, seed)
    rows = db.run_sync(
        lambda tx: tx.rows(sa.select(statuses).where(statuses.c.id.in_(posts))), write=False
    )
    for viewer_id in [None, *people]:
        in_python = _by_python(db, viewer_id, posts)
        in_sql = _by_sql(db, viewer_id, posts)
        assert in_python == in_sql, f"viewer {viewer_id}"
        expected = {r.id for r in rows if _expected(viewer_id, r, facts)}
        assert in_python == expected, f"viewer {viewer_id}"
    # The worlds are not trivial: some posts are hidden from someone, some shown.
    assert 0 < len(_by_python(db, None, posts)) < len(posts)


@pytest.mark.parametrize("seed", [4, 5])
def test_domain_blocks_agree_in_python_and_sql_and_hide_as_mutes(db, seed):
    """`AUTHOR_DOMAIN_BLOCKED` (a viewer blocks the author's server) in both forms, and the
    pipeline that hides muted authors hides those posts and boosts of them too."""
    people, posts, facts = _world(db, seed)
    rng = random.Random(seed)
    domain_of = {p: f"s{i % 3}.example" for i, p in enumerate(people)}
    blocked_pairs = set()
    for viewer in people:
        if rng.random() < 0.5:
            domain = rng.choice(["s0.example", "s1.example", "s2.example"])
            f.domain_block(db, viewer, domain)
            blocked_pairs |= {(viewer, p) for p in people if domain_of[p] == domain and p != viewer}
    fact = visibility.AUTHOR_DOMAIN_BLOCKED

    def work(tx):
        rows = tx.rows(sa.select(statuses).where(statuses.c.id.in_(posts)))
        for viewer in [None, *people]:
            ctx = visibility.load_context(tx, viewer, {r.account_id for r in rows}, posts)
            in_python = {r.id for r in rows if visibility.evaluate(fact, ctx, r)}
            scope = visibility.SqlScope(statuses, viewer)
            in_sql = set(
                tx.scalars(
                    sa.select(statuses.c.id).where(
                        statuses.c.id.in_(posts), visibility.sql_condition(fact, scope)
                    )
                )
            )
            expected = {r.id for r in rows if (viewer, r.account_id) in blocked_pairs}
            assert in_python == in_sql == expected, f"viewer {viewer}"
            for r in rows:
                decision = decisions.decide(decisions.VISIBLE_UNMUTED, ctx, r)
                if (
                    r.id in expected
                    and r.account_id != viewer
                    and decisions.see(ctx, r, None) is None
                ):
                    assert decision.reasons in (("domain_blocked",), ("muted_author",))

    db.run_sync(work, write=False)
    assert blocked_pairs


def test_a_page_checked_for_one_viewer_is_decided_again_for_another(db):
    """CheckedIds carry the viewer they were decided for; anyone else's are decided anew."""
    alice = f.remote_account(db, "alice", "a.example")
    bob = f.remote_account(db, "bob", "b.example")
    secret = f.status(db, alice, visibility="private")
    checked_for_alice = decisions.CheckedIds([secret], alice)

    def shown(viewer_id):
        def work(tx):
            return status_views.load(tx, checked_for_alice, viewer_id).visible

        return db.run_sync(work, write=False)

    assert shown(alice) == [secret]
    assert shown(bob) == []
    assert shown(None) == []


def test_hidden_posts_say_why(db):
    alice = f.remote_account(db, "alice", "a.example")
    bob = f.remote_account(db, "bob", "b.example")
    carol = f.remote_account(db, "carol", "c.example")
    private = f.status(db, alice, visibility="private")
    public = f.status(db, carol, visibility="public")
    f.block(db, carol, bob)
    boost = f.status(db, alice, reblog_of=public)

    def why(viewer_id, sid):
        def work(tx):
            rows = {r.id: r for r in tx.rows(sa.select(statuses))}
            row = rows[sid]
            ctx = visibility.load_context(
                tx, viewer_id, {r.account_id for r in rows.values()}, rows
            )
            original = rows.get(row.reblog_of_id) if row.reblog_of_id else None
            return decisions.decide(decisions.VISIBLE, ctx, row, original)

        return db.run_sync(work, write=False)

    assert why(bob, private) == decisions.hide("not_addressed")
    assert why(bob, public) == decisions.hide("blocked")
    assert why(bob, boost) == decisions.hide("original_blocked")
    assert why(alice, boost) == decisions.SHOW
    f.suspend(db, alice)
    assert why(None, private) == decisions.hide("author_suspended")


@pytest.mark.parametrize(
    ("parent", "chosen", "posted", "suggested"),
    [
        ("public", "public", "public", "public"),
        ("unlisted", "public", "public", "unlisted"),
        ("private", "public", "private", "private"),
        ("direct", "unlisted", "direct", "direct"),
        ("public", "direct", "direct", "direct"),
    ],
)
def test_reply_visibility_rule_and_suggestion(parent, chosen, posted, suggested):
    """One module holds both: what a reply is posted as (never wider than a followers-only or
    direct parent) and what a reply form suggests (the narrower of the two)."""
    assert visibility.reply_visibility(parent, chosen) == posted
    assert visibility.suggested_reply_visibility(parent, chosen) == suggested


def test_what_a_viewer_may_do_with_a_post_they_see():
    """Boost and quote: what anyone may see, or one's own followers-only post; never a direct
    message. Pin: one's own post, not a boost, not a direct message. Reply: anyone signed in."""
    public = Post(id=1, account_id=10, visibility="public")
    private = Post(id=2, account_id=10, visibility="private")
    direct = Post(id=3, account_id=10, visibility="direct")
    for may in (visibility.may_boost, visibility.may_quote):
        assert may(20, public) and may(10, private)
        assert not may(20, private) and not may(10, direct) and not may(None, public)
    assert visibility.boost_refusal(20, private) == "followers_only"
    assert visibility.may_pin(10, private, is_boost=False)
    assert not visibility.may_pin(20, public, is_boost=False)
    assert not visibility.may_pin(10, public, is_boost=True)
    assert visibility.pin_refusal(10, direct, is_boost=False) == (
        "Posts that are only visible to mentioned users cannot be pinned"
    )
    assert visibility.may_reply(20, direct) and not visibility.may_reply(None, public)
