"""core.timelines.home directly: the home query (LATERAL on PostgreSQL, IN on SQLite) against a
plain reference computed in Python, walking every page both ways, and the bounded refill."""

from __future__ import annotations

import random

import factories as f
from pnyx.core import accounts, timelines
from pnyx.core.paging import Page


def _account(db, name: str) -> int:
    return db.run_sync(accounts.create_local, name, f"{name}@example.com", "long enough pw")[0]


def _walk(db, viewer: int, limit: int) -> list[int]:
    """Every id of the home timeline, following the `next` cursor page by page."""
    out: list[int] = []
    max_id = None
    for _ in range(100):
        page = db.run_sync(timelines.home, viewer, Page(max_id=max_id, limit=limit), write=False)
        if not page.cursors:
            break
        out.extend(page.ids)
        max_id = page.cursors[-1]
    return out


def test_home_matches_reference_on_every_page(db):
    rng = random.Random(7)
    me = _account(db, "me")
    others = [_account(db, f"acct{i}") for i in range(8)]
    followed = others[:5]
    for target in followed:
        f.follow(db, me, target)
    expected: list[int] = []
    # Skewed: one followed account posts most; unfollowed accounts post too.
    authors = [followed[0]] * 10 + followed[1:] + others[5:] * 3 + [me] * 2
    for i in range(90):
        author = rng.choice(authors)
        visibility = rng.choice(["public", "public", "unlisted", "private", "direct"])
        mention = [me] if visibility == "direct" and rng.random() < 0.3 else []
        sid = f.status(db, author, f"post {i}", visibility=visibility, mention=mention)
        if author == me or mention or (author in followed and visibility != "direct"):
            expected.append(sid)
    expected.reverse()

    for limit in (1, 7, 20, 40):
        assert _walk(db, me, limit) == expected

    # Walking upwards with min_id from the oldest gives the same posts, page by page.
    upward: list[int] = []
    min_id = expected[-1]
    for _ in range(100):
        page = db.run_sync(timelines.home, me, Page(min_id=min_id, limit=6), write=False)
        if not page.ids:
            break
        assert page.ids == sorted(page.ids, reverse=True)  # still shown newest first
        upward = page.ids + upward
        min_id = page.cursors[0]
    assert upward == expected[:-1]

    since = db.run_sync(timelines.home, me, Page(since_id=expected[5], limit=3), write=False)
    assert since.ids == expected[:3]


def test_refill_is_bounded_and_cursors_move_past_hidden_posts(db):
    me, friend, muted = _account(db, "me"), _account(db, "friend"), _account(db, "muted")
    f.follow(db, me, friend)
    f.follow(db, me, muted)
    f.mute(db, me, muted)
    old = f.status(db, friend, "old")
    hidden = [f.status(db, muted, f"m{i}") for i in range(60)]
    page = db.run_sync(timelines.home, me, Page(limit=2), write=False)
    # Four rounds of 2 x 2 candidates cannot get past 60 muted posts: a short page...
    assert page.ids == []
    # ... whose cursor still points past what was scanned, so a client keeps walking.
    assert page.cursors[0] == hidden[-1] and page.cursors[-1] < hidden[-1]
    assert _walk(db, me, 2) == [old]
