"""Pinned feeds read as Mastodon lists, and "why am I seeing this", through the real app
(httpx via Starlette's TestClient), on both databases."""

from __future__ import annotations

import factories as f
from api.test_timelines import ids, link_params
from pnyx.core import feed_pins
from pnyx.core.algorithms import catalog


def _next(response) -> str | None:
    """The next page's query from the Link header (`api.test_timelines.link_params`)."""
    return link_params(response).get("next")


def test_a_pinned_feed_is_a_list_that_apps_read(client, db, make_user):
    me, loud = make_user("me"), make_user("loud")
    f.follow(db, me.account_id, loud.account_id)
    posts = [f.status(db, loud.account_id, f"post {i}") for i in range(7)]
    real = client.post("/api/v1/lists", json={"title": "Friends"}, headers=me.headers).json()
    assert client.post("/api/v1/pnyx/feeds/diverse/pin").status_code == 401
    pinned = client.post("/api/v1/pnyx/feeds/diverse/pin", headers=me.headers)
    assert pinned.status_code == 200, pinned.text
    entity = pinned.json()
    assert entity == {
        "id": entity["id"],
        "title": "Diverse",
        "replies_policy": "list",
        "exclusive": False,
    }
    assert feed_pins.is_pin_id(int(entity["id"])) and not feed_pins.is_pin_id(int(real["id"]))
    again = client.post("/api/v1/pnyx/feeds/diverse/pin", headers=me.headers).json()
    assert again["id"] == entity["id"]
    listed = client.get("/api/v1/lists", headers=me.headers).json()
    assert [x["id"] for x in listed] == [real["id"], entity["id"]]
    pin_url = f"/api/v1/lists/{entity['id']}"
    assert client.get(pin_url, headers=me.headers).json() == entity
    assert client.get(f"{pin_url}/accounts", headers=me.headers).json() == []

    # Its timeline is the feed's, paged through the snapshot, with the version header.
    first = client.get(f"/api/v1/timelines/list/{entity['id']}?limit=3", headers=me.headers)
    version = catalog.ALGORITHMS["diverse"].version
    assert first.headers["pnyx-feed-version"] == f"diverse@{version}"
    seen = ids(first)
    query = _next(first)
    while query:
        response = client.get(f"/api/v1/timelines/list/{entity['id']}?{query}", headers=me.headers)
        got = ids(response)
        if not got:
            break
        seen += got
        query = _next(response)
    assert seen == list(reversed(posts))

    # Members: refused with the reason; the real list is untouched by any of this.
    for method in ("POST", "DELETE"):
        refused = client.request(
            method,
            f"{pin_url}/accounts",
            json={"account_ids": [str(loud.account_id)]},
            headers=me.headers,
        )
        assert refused.status_code == 422
        assert refused.json()["error"] == (
            "This list is a Pnyx feed (Diverse): its posts are chosen by its algorithm, "
            "not by members"
        )
    assert client.get(f"/api/v1/accounts/{loud.account_id}/lists", headers=me.headers).json() == []

    # Someone else's pin does not exist for them, as a list.
    other = make_user("other")
    assert client.get(pin_url, headers=other.headers).status_code == 404
    assert (
        client.get(f"/api/v1/timelines/list/{entity['id']}", headers=other.headers).status_code
        == 404
    )

    # A title renames the pin; DELETE unpins; unpin by feed id works too.
    renamed = client.put(pin_url, json={"title": "Fair share"}, headers=me.headers).json()
    assert renamed["title"] == "Fair share"
    assert client.put(pin_url, json={"title": " "}, headers=me.headers).status_code == 422
    assert client.delete(pin_url, headers=me.headers).status_code == 200
    assert [x["id"] for x in client.get("/api/v1/lists", headers=me.headers).json()] == [real["id"]]
    client.post("/api/v1/pnyx/feeds/catch-up/pin", headers=me.headers)
    assert len(client.get("/api/v1/lists", headers=me.headers).json()) == 2
    assert client.post("/api/v1/pnyx/feeds/catch-up/unpin", headers=me.headers).json() == {}
    assert len(client.get("/api/v1/lists", headers=me.headers).json()) == 1
    assert client.post("/api/v1/pnyx/feeds/nothing/pin", headers=me.headers).status_code == 404


def test_a_pinned_composed_feed_goes_when_the_feed_is_deleted(client, db, make_user):
    owner, reader = make_user("owner"), make_user("reader")
    tagged = [f.status(db, owner.account_id, f"#cats {i}", tag_names=["cats"]) for i in range(3)]
    recipe = {"title": "Cats", "sources": {"hashtags": ["cats"]}, "order": "newest"}
    feed = client.post("/api/v1/pnyx/feeds", json=recipe, headers=owner.headers).json()
    pinned = client.post(f"/api/v1/pnyx/feeds/{feed['id']}/pin", headers=reader.headers).json()
    assert pinned["title"] == "Cats"
    timeline = client.get(f"/api/v1/timelines/list/{pinned['id']}", headers=reader.headers)
    assert ids(timeline) == list(reversed(tagged))
    assert timeline.headers["pnyx-feed-version"] == f"{feed['id']}@{feed['version']}"
    client.delete(f"/api/v1/pnyx/feeds/{feed['id']}", headers=owner.headers)
    assert client.get("/api/v1/lists", headers=reader.headers).json() == []


def _why(client, user, status_id):
    response = client.get(f"/api/v1/pnyx/statuses/{status_id}/why", headers=user.headers)
    assert response.status_code == 200, response.text
    return response.json()


def test_why_names_the_part_of_home_that_brought_a_post(client, db, make_user):
    me, friend, stranger = make_user("me"), make_user("friend"), make_user("stranger")
    f.follow(db, me.account_id, friend.account_id)
    mine = f.status(db, me.account_id, "mine")
    theirs = f.status(db, friend.account_id, "theirs")
    stranger_post = f.status(db, stranger.account_id, "a stranger's")
    boost = f.status(db, friend.account_id, reblog_of=stranger_post)
    mention = f.status(
        db, stranger.account_id, "hi @me", mention=[me.account_id], visibility="direct"
    )
    client.post("/api/v1/tags/cats/follow", headers=me.headers)
    tagged = f.status(db, stranger.account_id, "#cats", tag_names=["cats"])
    secret = f.status(db, stranger.account_id, "only for my followers", visibility="private")

    assert _why(client, me, mine) == [{"source": "home", "kind": "own"}]
    friend_ref = {"account_id": str(friend.account_id), "acct": "friend"}
    assert _why(client, me, theirs) == [{"source": "home", "kind": "followed_author", **friend_ref}]
    assert _why(client, me, boost) == [{"source": "home", "kind": "boosted_by", **friend_ref}]
    assert _why(client, me, mention) == [{"source": "home", "kind": "mention"}]
    assert _why(client, me, tagged) == [
        {"source": "home", "kind": "followed_hashtag", "hashtag": "cats"}
    ]
    # Asked about the boosted post itself: home holds it through the boost.
    assert _why(client, me, stranger_post) == [
        {"source": "home", "kind": "boosted_by", **friend_ref}
    ]
    # Visible, but never in my home nor in any feed served to me: no reason.
    unseen = f.status(db, stranger.account_id, "nobody brought it to me")
    assert _why(client, me, unseen) == []
    # Not visible to me: 404, as the post itself.
    assert client.get(f"/api/v1/pnyx/statuses/{secret}/why", headers=me.headers).status_code == 404
    assert client.get("/api/v1/pnyx/statuses/123/why", headers=me.headers).status_code == 404
    assert client.get(f"/api/v1/pnyx/statuses/{mine}/why").status_code == 401


def test_why_shows_a_ranked_posts_score_terms(client, db, make_user):
    me, a, b, author = make_user("me"), make_user("a"), make_user("b"), make_user("author")
    for followed in (a, b, author):
        f.follow(db, me.account_id, followed.account_id)
    post = f.status(db, author.account_id, "liked")
    f.favourite(db, a.account_id, post)
    f.favourite(db, b.account_id, post)
    f.status(db, a.account_id, reblog_of=post)
    served = client.get("/api/v1/pnyx/feeds/catch-up/statuses", headers=me.headers)
    assert post in ids(served)
    reasons = _why(client, me, post)
    assert reasons[0] == {
        "source": "home",
        "kind": "followed_author",
        "account_id": str(author.account_id),
        "acct": "author",
    }
    ranked = reasons[1]
    assert ranked["kind"] == "ranked" and ranked["feed_id"] == "catch-up"
    assert ranked["feed_title"] == "Catch-up"
    assert ranked["version"] == catalog.ALGORITHMS["catch-up"].version
    terms = {t["name"]: (t["weight"], t["value"], t["product"]) for t in ranked["terms"]}
    assert terms == {
        "favourites": (1.0, 2.0, 2.0),
        "boosts": (2.0, 1.0, 2.0),
        "replies": (3.0, 0.0, 0.0),
    }
    assert sum(t["product"] for t in ranked["terms"]) == ranked["score"] == 4.0
    assert ranked["served_at"]
