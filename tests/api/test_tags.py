"""Hashtags through the API: the Tag entity (history, following, featuring), following a
hashtag and its posts in the home timeline (public and unlisted only, mutes and blocks
applied), the followed-tags list, and featured tags on a profile."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import factories as f


def ids(response) -> list[int]:
    assert response.status_code == 200, response.text
    return [int(s["id"]) for s in response.json()]


def test_tag_entity_for_known_unknown_and_invalid_names(client, db, make_user):
    me, other = make_user("me"), make_user("other")
    f.status(db, me.account_id, "one", tag_names=["Cats"])
    f.status(db, me.account_id, "two", tag_names=["cats"])
    f.status(db, other.account_id, "three", tag_names=["cats"])

    signed_out = client.get("/api/v1/tags/cats")
    assert signed_out.status_code == 200, signed_out.text
    entity = signed_out.json()
    assert entity["name"] == "Cats" and entity["url"] == "https://pnyx.test/tags/cats"
    assert entity["id"] and "following" not in entity and "featuring" not in entity
    history = entity["history"]
    assert len(history) == 7
    today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    assert history[0] == {"day": str(int(today.timestamp())), "uses": "3", "accounts": "2"}
    assert all(day["uses"] == "0" for day in history[1:])

    mine = client.get("/api/v1/tags/%23CATS", headers=me.headers).json()
    assert mine["following"] is False and mine["featuring"] is False

    unknown = client.get("/api/v1/tags/neverused", headers=me.headers)
    assert unknown.status_code == 200 and unknown.json()["name"] == "neverused"
    assert unknown.json()["id"] == "" and unknown.json()["history"][0]["uses"] == "0"
    for bad in ("not-a-tag", "1234", "x" * 101):
        assert client.get(f"/api/v1/tags/{bad}").status_code == 404


def test_follow_unfollow_and_followed_tags(client, make_user):
    me = make_user("me")
    assert client.post("/api/v1/tags/cats/follow").status_code == 401
    reader = make_user("reader", scopes="read")
    assert client.post("/api/v1/tags/cats/follow", headers=reader.headers).status_code == 403

    for name in ("Cats", "dogs", "birds"):
        followed = client.post(f"/api/v1/tags/{name}/follow", headers=me.headers)
        assert followed.status_code == 200, followed.text
        assert followed.json()["following"] is True and followed.json()["name"] == name
    again = client.post("/api/v1/tags/cats/follow", headers=me.headers).json()
    assert again["following"] is True and again["name"] == "Cats"

    first = client.get("/api/v1/followed_tags?limit=2", headers=me.headers)
    assert [t["name"] for t in first.json()] == ["birds", "dogs"]
    assert all(t["following"] for t in first.json())
    next_query = re.search(r'<[^>]+\?([^>]+)>; rel="next"', first.headers["link"]).group(1)
    rest = client.get(f"/api/v1/followed_tags?{next_query}", headers=me.headers)
    assert [t["name"] for t in rest.json()] == ["Cats"]

    gone = client.post("/api/v1/tags/dogs/unfollow", headers=me.headers).json()
    assert gone["following"] is False
    names = [t["name"] for t in client.get("/api/v1/followed_tags", headers=me.headers).json()]
    assert names == ["birds", "Cats"]
    assert client.post("/api/v1/tags/bad-name/follow", headers=me.headers).status_code == 404
    assert client.get("/api/v1/followed_tags").status_code == 401


def test_followed_tag_posts_come_to_home(client, db, make_user):
    me, stranger, muted, blocker, friend = (
        make_user(n) for n in ("me", "stranger", "muted", "blocker", "friend")
    )
    f.follow(db, me.account_id, friend.account_id, languages=["en"])
    client.post("/api/v1/tags/cats/follow", headers=me.headers)
    public = f.status(db, stranger.account_id, "public #cats", tag_names=["cats"])
    unlisted = f.status(
        db, stranger.account_id, "unlisted #cats", visibility="unlisted", tag_names=["cats"]
    )
    f.status(db, stranger.account_id, "private #cats", visibility="private", tag_names=["cats"])
    other_tag = f.status(db, stranger.account_id, "#dogs", tag_names=["dogs"])
    reply = f.status(db, stranger.account_id, "reply #cats", reply_to=other_tag, tag_names=["cats"])
    f.status(db, muted.account_id, "muted #cats", tag_names=["cats"])
    f.mute(db, me.account_id, muted.account_id)
    f.status(db, blocker.account_id, "blocker #cats", tag_names=["cats"])
    f.block(db, blocker.account_id, me.account_id)
    # A followed author's post with the tag shows once, even in a language the follow leaves
    # out (the hashtag brought it, as Mastodon's fan-out does).
    both = f.status(db, friend.account_id, "#cats aussi", tag_names=["cats"], language="fr")
    f.status(db, friend.account_id, "pas de tag", language="fr")  # the follow's languages rule
    friend_plain = f.status(db, friend.account_id, "no tag", language="en")

    home = ids(client.get("/api/v1/timelines/home?limit=40", headers=me.headers))
    assert home == [friend_plain, both, reply, unlisted, public]

    older = ids(client.get(f"/api/v1/timelines/home?max_id={reply}", headers=me.headers))
    assert older == [unlisted, public]
    newer = ids(client.get(f"/api/v1/timelines/home?min_id={public}&limit=2", headers=me.headers))
    assert newer == [reply, unlisted]

    # Unfollowed, the tag no longer brings the French post past the follow's languages.
    client.post("/api/v1/tags/cats/unfollow", headers=me.headers)
    assert ids(client.get("/api/v1/timelines/home", headers=me.headers)) == [friend_plain]


def test_featured_tags_on_a_profile(client, db, make_user):
    me, other = make_user("me"), make_user("other")
    f.status(db, me.account_id, "one", tag_names=["Cats"])
    f.status(db, me.account_id, "two", tag_names=["cats"], visibility="unlisted")
    f.status(db, me.account_id, "private", tag_names=["cats"], visibility="private")
    f.status(db, other.account_id, "not mine", tag_names=["cats"])
    f.status(db, me.account_id, "recent", tag_names=["dogs", "birds"])

    suggestions = client.get("/api/v1/featured_tags/suggestions", headers=me.headers).json()
    assert {t["name"] for t in suggestions} == {"Cats", "dogs", "birds"}

    created = client.post("/api/v1/featured_tags", data={"name": "#cats"}, headers=me.headers)
    assert created.status_code == 200, created.text
    entity = created.json()
    today = datetime.now(UTC).strftime("%Y-%m-%d")
    assert entity == {
        "id": entity["id"],
        "name": "Cats",
        "url": "https://pnyx.test/@me/tagged/cats",
        "statuses_count": "2",
        "last_status_at": today,
    }
    again = client.post("/api/v1/featured_tags", json={"name": "Cats"}, headers=me.headers)
    assert again.json()["id"] == entity["id"]
    fresh = client.post("/api/v1/featured_tags", data={"name": "brandnew"}, headers=me.headers)
    assert fresh.json()["statuses_count"] == "0" and fresh.json()["last_status_at"] is None
    assert (
        client.post(
            "/api/v1/featured_tags", data={"name": "not a tag"}, headers=me.headers
        ).status_code
        == 422
    )

    public_view = client.get(f"/api/v1/accounts/{me.account_id}/featured_tags")
    assert public_view.status_code == 200
    assert [t["name"] for t in public_view.json()] == ["Cats", "brandnew"]
    assert client.get("/api/v1/featured_tags", headers=me.headers).json() == public_view.json()
    assert client.get(f"/api/v1/accounts/{other.account_id}/featured_tags").json() == []
    assert client.get("/api/v1/accounts/999999999/featured_tags").status_code == 404
    names = {
        t["name"]
        for t in client.get("/api/v1/featured_tags/suggestions", headers=me.headers).json()
    }
    assert names == {"dogs", "birds"}

    assert (
        client.delete(f"/api/v1/featured_tags/{entity['id']}", headers=other.headers).status_code
        == 404
    )
    assert client.delete(f"/api/v1/featured_tags/{entity['id']}", headers=me.headers).json() == {}
    assert [t["name"] for t in client.get("/api/v1/featured_tags", headers=me.headers).json()] == [
        "brandnew"
    ]

    featured = client.post("/api/v1/tags/dogs/feature", headers=me.headers).json()
    assert featured["featuring"] is True and featured["name"] == "dogs"
    unfeatured = client.post("/api/v1/tags/dogs/unfeature", headers=me.headers).json()
    assert unfeatured["featuring"] is False

    for n in range(9):
        client.post("/api/v1/featured_tags", data={"name": f"tag{n}x"}, headers=me.headers)
    over = client.post("/api/v1/featured_tags", data={"name": "onemore"}, headers=me.headers)
    assert over.status_code == 422
    reader = make_user("reader", scopes="read")
    assert (
        client.post("/api/v1/featured_tags", data={"name": "x"}, headers=reader.headers).status_code
        == 403
    )
