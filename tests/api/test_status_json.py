"""A feed page served from kept JSON (`presenters.status_json`) equals the same page rendered
the usual way, for each viewer, whatever they marked, boosted, pinned or filtered; a page
with a post that cannot be kept is rendered the usual way; and every change shows on the
next page."""

from __future__ import annotations

import pytest

from api.test_filters import make_filter
from api.test_render_cache import posted, varied_statuses
from pnyx import registry
from pnyx.core import row_cache
from pnyx.core.feeds import entries, rebuild
from pnyx.db.tables import feed_states
from pnyx.presenters import render_cache, status_json


@pytest.fixture(autouse=True)
def empty_caches():
    row_cache.clear()
    render_cache.clear()
    yield
    row_cache.clear()
    render_cache.clear()


def home(client, viewer) -> list[dict]:
    response = client.get("/api/v1/timelines/home", headers=viewer.headers)
    assert response.status_code == 200, response.text
    return response.json()


def rendered_afresh(client, viewer) -> list[dict]:
    """The page rendered the usual way: nothing kept (it is kept afterwards)."""
    row_cache.clear()
    render_cache.clear()
    return home(client, viewer)


def served_from_kept(client, viewer) -> list[dict]:
    """The page again, asserting that every post on it came from the kept JSON."""
    hits, misses = status_json.statuses.hits, status_json.statuses.misses
    page = home(client, viewer)
    assert status_json.statuses.misses == misses
    assert status_json.statuses.hits - hits >= len(page) > 0
    return page


def follow(client, who, whom) -> None:
    response = client.post(f"/api/v1/accounts/{whom.account_id}/follow", headers=who.headers)
    assert response.status_code == 200, response.text


def act(client, viewer, status_id, action: str) -> dict:
    response = client.post(f"/api/v1/statuses/{status_id}/{action}", headers=viewer.headers)
    assert response.status_code == 200, response.text
    return response.json()


def built(db, client, viewer, list_id: int = entries.HOME) -> None:
    """The viewer's home feed (or list's) built and settled, so the page reads its entries."""
    db.run_sync(rebuild.rebuild, viewer.account_id, list_id)
    registry.drain(db)
    db.run_sync(
        lambda tx: tx.execute(
            feed_states.update()
            .where(feed_states.c.viewer_id == viewer.account_id)
            .values(built_at=tx.now - entries.SETTLE * 2)
        )
    )


@pytest.fixture
def plain_feed(client, db, make_user):
    """Alice's feed of plain posts (no poll, quote, emoji or crediting card) by people she
    follows and herself, with her marks of every kind on them and a boost of a boost."""
    alice, bob, carol, dave = (make_user(n) for n in ("alice", "bob", "carol", "dave"))
    for other in (bob, carol):
        follow(client, alice, other)
    follow(client, bob, carol)
    posts = {
        "bob": posted(client, bob, status="hello from bob, mentioning @alice"),
        "carol": posted(client, carol, status="carol talks about spoilers", spoiler_text="cw"),
        "dave": posted(client, dave, status="dave, whom alice does not follow"),
        "alice": posted(client, alice, status="alice's own"),
        "private": posted(client, bob, status="for followers", visibility="private"),
        "direct": posted(client, bob, status="@alice just us", visibility="direct"),
    }
    act(client, bob, posts["dave"]["id"], "reblog")  # a boost of someone alice does not follow
    act(client, carol, posts["bob"]["id"], "reblog")
    act(client, alice, posts["carol"]["id"], "favourite")
    act(client, alice, posts["bob"]["id"], "bookmark")
    act(client, alice, posts["dave"]["id"], "favourite")
    act(client, alice, posts["alice"]["id"], "pin")
    act(client, alice, posts["carol"]["id"], "reblog")
    posted(client, bob, status="a reply to carol", in_reply_to_id=posts["carol"]["id"])
    built(db, client, alice)
    return alice, bob, carol, posts


def test_a_page_served_from_kept_json_equals_the_page_rendered_afresh(client, plain_feed):
    alice, _bob, _carol, posts = plain_feed
    fresh = rendered_afresh(client, alice)
    kept = served_from_kept(client, alice)
    assert kept == fresh
    # The page is as varied as it says: boosts, marks, a pin, a followers-only and a direct post.
    by_id = {s["id"]: s for s in kept}
    assert any(s["reblog"] for s in kept)
    assert any(s["favourited"] for s in kept) and any(s["bookmarked"] for s in kept)
    assert any(s["reblogged"] for s in kept)
    assert by_id[posts["alice"]["id"]]["pinned"] is True
    assert "pinned" not in by_id[posts["bob"]["id"]]
    assert {posts["private"]["id"], posts["direct"]["id"]} <= by_id.keys()
    boosted_dave = next(s for s in kept if s["reblog"] and s["reblog"]["id"] == posts["dave"]["id"])
    assert boosted_dave["favourited"] and boosted_dave["reblog"]["favourited"]


def test_each_viewer_gets_their_own_marks_from_the_same_kept_json(client, db, plain_feed):
    alice, bob, carol, posts = plain_feed
    built(db, client, bob)
    built(db, client, carol)
    act(client, bob, posts["carol"]["id"], "bookmark")
    fresh = {v.account_id: rendered_afresh(client, v) for v in (alice, bob, carol)}
    for v in (alice, bob, carol):  # warmed by every viewer, each then served from kept JSON
        home(client, v)
    for v in (carol, bob, alice):
        assert served_from_kept(client, v) == fresh[v.account_id]


def test_filters_apply_to_a_page_from_kept_json(client, plain_feed):
    alice, _bob, _carol, posts = plain_feed
    make_filter(client, alice, "spoilers", ["home"], "warn", keywords=[("spoilers", True)])
    make_filter(client, alice, "replies", ["home"], "hide", keywords=[("reply", True)])
    fresh = rendered_afresh(client, alice)
    kept = served_from_kept(client, alice)
    assert kept == fresh
    warned = [s for s in kept if s["filtered"]]
    assert warned and all(f["filter"]["title"] == "spoilers" for s in warned for f in s["filtered"])
    assert not any("a reply to carol" in s["content"] for s in kept)


def test_a_page_with_posts_that_cannot_be_kept_is_rendered_as_usual(client, db, store, make_user):
    viewers, _ids = varied_statuses(client, store, make_user)
    alice = viewers[0]
    for other in viewers[1:3]:
        follow(client, alice, other)
    built(db, client, alice)
    fresh = rendered_afresh(client, alice)
    misses = status_json.statuses.misses
    again = home(client, alice)
    assert again == fresh
    assert status_json.statuses.misses > misses  # the poll, the quote and the emoji's posts
    assert any(s["poll"] for s in again) and any(s["quote"] for s in again)


@pytest.fixture
def store(app):
    return app.state.db


def test_every_change_shows_on_the_next_page(client, db, plain_feed):
    alice, bob, carol, posts = plain_feed
    home(client, alice)
    served_from_kept(client, alice)

    act(client, alice, posts["bob"]["id"], "favourite")  # a mark of the viewer's
    client.put(
        f"/api/v1/statuses/{posts['carol']['id']}",
        json={"status": "carol edited"},
        headers=carol.headers,
    )
    client.patch(
        "/api/v1/accounts/update_credentials",
        json={"display_name": "Bob Renamed"},
        headers=bob.headers,
    )
    page = {s["id"]: s for s in home(client, alice)}
    assert page == {s["id"]: s for s in rendered_afresh(client, alice)}
    assert page[posts["bob"]["id"]]["favourited"] is True
    assert "carol edited" in page[posts["carol"]["id"]]["content"]
    assert page[posts["bob"]["id"]]["account"]["display_name"] == "Bob Renamed"
    assert page[posts["bob"]["id"]]["favourites_count"] == 1


def test_a_ranked_feed_page_is_served_from_kept_json_too(client, db, plain_feed):
    """A ranked feed's page (ids from its snapshot, decided without reading the posts'
    versions) reads the versions and the viewer's marks in one query, and is then served
    from the kept JSON: equal to the page rendered afresh."""
    alice, _bob, _carol, _posts = plain_feed

    def ranked() -> list[dict]:
        response = client.get("/api/v1/pnyx/feeds/diverse/statuses", headers=alice.headers)
        assert response.status_code == 200, response.text
        return response.json()

    row_cache.clear()
    render_cache.clear()
    fresh = ranked()  # ranks and stores the snapshot: a write, which keeps nothing
    assert fresh
    assert ranked() == fresh  # the snapshot read back, rendered the usual way and kept
    hits, misses = status_json.statuses.hits, status_json.statuses.misses
    again = ranked()
    assert again == fresh
    assert status_json.statuses.misses == misses
    assert status_json.statuses.hits - hits >= len(again)


def test_a_list_page_is_served_from_kept_json_too(client, db, plain_feed):
    alice, bob, carol, _posts = plain_feed
    made = client.post("/api/v1/lists", json={"title": "friends"}, headers=alice.headers)
    assert made.status_code == 200, made.text
    list_id = made.json()["id"]
    added = client.post(
        f"/api/v1/lists/{list_id}/accounts",
        json={"account_ids": [str(bob.account_id), str(carol.account_id)]},
        headers=alice.headers,
    )
    assert added.status_code == 200, added.text
    built(db, client, alice, int(list_id))

    def page() -> list[dict]:
        response = client.get(f"/api/v1/timelines/list/{list_id}", headers=alice.headers)
        assert response.status_code == 200, response.text
        return response.json()

    row_cache.clear()
    render_cache.clear()
    fresh = page()
    assert fresh and all(
        s["account"]["id"] in (str(bob.account_id), str(carol.account_id)) for s in fresh
    )
    hits, misses = status_json.statuses.hits, status_json.statuses.misses
    assert page() == fresh
    assert status_json.statuses.misses == misses
    assert status_json.statuses.hits - hits >= len(fresh)
