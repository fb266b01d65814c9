"""The open feeds through the real app (httpx via Starlette's TestClient): the catalog, a
ranked feed's pages and version header, and a composed feed created, read with pagination,
shared, followed and refused when invalid."""

from __future__ import annotations

import factories as f
from api.test_timelines import ids, link_params
from pnyx import registry
from pnyx.core.algorithms import catalog, snapshots
from pnyx.core.feeds import rebuild
from pnyx.db.tables import feed_snapshots


def _next(response) -> str | None:
    """The next page's query from the Link header (`api.test_timelines.link_params`)."""
    return link_params(response).get("next")


def test_the_catalog_is_public_and_names_versions_and_sources(client, make_user):
    body = client.get("/api/v1/pnyx/feeds").json()
    assert [e["id"] for e in body] == list(catalog.ALGORITHMS)
    diverse = next(e for e in body if e["id"] == "diverse")
    assert diverse["version"] == catalog.ALGORITHMS["diverse"].version
    assert {"name": "max_share", "value": 0.25} in diverse["parameters"]
    assert diverse["changelog"][0]["date"] == "2026-12-05"
    assert diverse["source_url"] == "https://pnyx.test/feeds/diverse/source"
    source = client.get("/feeds/diverse/source")
    assert source.status_code == 200 and source.headers["content-type"].startswith("text/plain")
    assert "max_share: float = 0.25" in source.text
    assert client.get("/api/v1/pnyx/feeds/bridging").json()["id"] == "bridging"
    assert client.get("/api/v1/pnyx/feeds/nope").status_code == 404
    page = client.get("/feeds")
    assert page.status_code == 200 and "Diverse" in page.text


def test_a_ranked_feed_pages_through_its_snapshot_with_its_version(client, db, make_user):
    me, loud = make_user("me"), make_user("loud")
    f.follow(db, me.account_id, loud.account_id)
    posts = [f.status(db, loud.account_id, f"post {i}") for i in range(7)]
    assert client.get("/api/v1/pnyx/feeds/diverse/statuses").status_code == 401
    first = client.get("/api/v1/pnyx/feeds/diverse/statuses?limit=3", headers=me.headers)
    version = catalog.ALGORITHMS["diverse"].version
    assert first.headers["pnyx-feed-version"] == f"diverse@{version}"
    browser = client.get(
        "/api/v1/pnyx/feeds/diverse/statuses",
        headers={**me.headers, "Origin": "https://elk.example"},
    )
    assert "pnyx-feed-version" in browser.headers["access-control-expose-headers"].lower()
    seen = ids(first)
    query = _next(first)
    while query:
        response = client.get(f"/api/v1/pnyx/feeds/diverse/statuses?{query}", headers=me.headers)
        got = ids(response)
        if not got:
            break
        seen += got
        query = _next(response)
    assert seen == list(reversed(posts))
    home = client.get("/api/v1/pnyx/feeds/following/statuses", headers=me.headers)
    assert ids(home) == list(reversed(posts))
    assert home.headers["pnyx-feed-version"].startswith("following@")


def test_a_composed_feed_is_created_read_shared_and_followed(client, db, make_user):
    owner, reader = make_user("owner"), make_user("reader")
    poster = make_user("poster")
    tagged = [
        f.status(db, poster.account_id, f"#cats {i}", tag_names=["cats"], language="en")
        for i in range(5)
    ]
    f.status(db, poster.account_id, "#cats auf Deutsch", tag_names=["cats"], language="de")
    f.status(db, poster.account_id, "no tag", language="en")
    recipe = {
        "title": "Cats in English",
        "description": "All the cats",
        "sources": {"hashtags": ["#Cats"]},
        "filters": {"languages": ["en"]},
        "order": "newest",
    }
    created = client.post("/api/v1/pnyx/feeds", json=recipe, headers=owner.headers)
    assert created.status_code == 200, created.text
    feed = created.json()
    assert feed["sources"]["hashtags"] == ["cats"] and feed["owned"] is True
    feed_id = feed["id"]

    first = client.get(f"/api/v1/pnyx/feeds/{feed_id}/statuses?limit=2", headers=owner.headers)
    assert first.headers["pnyx-feed-version"] == f"{feed_id}@{feed['version']}"
    seen = ids(first)
    query = _next(first)
    while query:
        got = ids(
            client.get(f"/api/v1/pnyx/feeds/{feed_id}/statuses?{query}", headers=owner.headers)
        )
        if not got:
            break
        seen += got
        query = _next(
            client.get(f"/api/v1/pnyx/feeds/{feed_id}/statuses?{query}", headers=owner.headers)
        )
    assert seen == list(reversed(tagged))

    # Shared by link: anyone reads its description; another account reads and follows it.
    shown = client.get(f"/api/v1/pnyx/feeds/{feed_id}").json()
    assert shown["title"] == "Cats in English" and shown["following"] is False
    got = ids(client.get(f"/api/v1/pnyx/feeds/{feed_id}/statuses", headers=reader.headers))
    assert got == list(reversed(tagged))
    followed = client.post(f"/api/v1/pnyx/feeds/{feed_id}/follow", headers=reader.headers)
    assert followed.json()["following"] is True and followed.json()["followers_count"] == 1
    mine = client.get("/api/v1/pnyx/feeds", headers=reader.headers).json()
    assert feed_id in [e["id"] for e in mine]
    unfollowed = client.post(f"/api/v1/pnyx/feeds/{feed_id}/unfollow", headers=reader.headers)
    assert unfollowed.json()["following"] is False

    # Only the owner changes or deletes it.
    changed = dict(recipe, title="Cats", order="bridging")
    assert (
        client.put(
            f"/api/v1/pnyx/feeds/{feed_id}", json=changed, headers=reader.headers
        ).status_code
        == 404
    )
    updated = client.put(f"/api/v1/pnyx/feeds/{feed_id}", json=changed, headers=owner.headers)
    assert updated.json()["title"] == "Cats" and updated.json()["version"] != feed["version"]
    assert client.delete(f"/api/v1/pnyx/feeds/{feed_id}", headers=reader.headers).status_code == 404
    assert client.delete(f"/api/v1/pnyx/feeds/{feed_id}", headers=owner.headers).status_code == 200
    assert client.get(f"/api/v1/pnyx/feeds/{feed_id}").status_code == 404


def test_composing_refuses_invalid_recipes(client, make_user):
    owner, other = make_user("owner"), make_user("other")
    other_list = client.post(
        "/api/v1/lists", json={"title": "theirs"}, headers=other.headers
    ).json()
    good = {"title": "x", "sources": {"local": True}, "order": "newest"}
    cases = [
        (dict(good, title=""), "title"),
        (dict(good, order="secret-sauce"), "order"),
        (dict(good, sources={}), "source"),
        (dict(good, sources={"local": False}), "source"),
        (dict(good, sources={"everything": True}), "unknown source"),
        (dict(good, sources={"lists": [other_list["id"]]}), "your own lists"),
        (dict(good, filters={"languages": ["english!"]}), "languages"),
        (dict(good, filters={"min_interactions": -1}), "min_interactions"),
        (dict(good, filters={"boost_weight": 3}), "unknown filter"),
        # Hostile shapes: still a 422, never a 500.
        (dict(good, title=["x"]), "title"),
        (dict(good, sources="everything"), "source"),
        (dict(good, sources={"lists": "123"}), "lists"),
        (dict(good, sources={"lists": [{"id": 1}]}), "lists"),
        (dict(good, sources={"lists": ["99999999999999999999"]}), "lists"),
        (dict(good, sources={"hashtags": ["a b"]}), "hashtag"),
        (dict(good, sources={"hashtags": "cats"}), "hashtags"),
        (dict(good, filters=[1]), "filters"),
        (dict(good, filters={"min_interactions": "lots"}), "min_interactions"),
        (dict(good, filters={"media_only": "maybe"}), "media_only"),
        (dict(good, order=None), "order"),
    ]
    for body, words in cases:
        response = client.post("/api/v1/pnyx/feeds", json=body, headers=owner.headers)
        assert response.status_code == 422, (body, response.text)
        assert words in response.json()["error"], (body, response.json())
    assert client.post("/api/v1/pnyx/feeds", json=good).status_code == 401
    reader = make_user("reader", scopes="read")
    assert client.post("/api/v1/pnyx/feeds", json=good, headers=reader.headers).status_code == 403
    # NUL characters are dropped on the way in (PostgreSQL refuses them in text).
    nul = client.post("/api/v1/pnyx/feeds", json=dict(good, title="n\x00ul"), headers=owner.headers)
    assert nul.status_code == 200 and nul.json()["title"] == "nul"
    for path in ("99999999999999999999", "9999999999999999999", "0", "-1", "x" * 65):
        assert client.get(f"/api/v1/pnyx/feeds/{path}").status_code == 404
        answer = client.get(f"/api/v1/pnyx/feeds/{path}/statuses", headers=owner.headers)
        assert answer.status_code == 404
        assert client.delete(f"/api/v1/pnyx/feeds/{path}", headers=owner.headers).status_code == 404


def test_a_reload_serves_the_same_snapshot_until_a_new_post(client, db, make_user):
    """Through the app: a first page read again within `reuse_seconds` is the snapshot
    ranked for the first one (no new ranking), with its version; a new post in the viewer's
    home makes the next first page rank anew. The parameter is published with the others."""
    me, friend = make_user("me"), make_user("friend")
    assert client.post(
        f"/api/v1/accounts/{friend.account_id}/follow", headers=me.headers
    ).is_success
    db.run_sync(rebuild.rebuild, me.account_id)

    def post(text):
        response = client.post("/api/v1/statuses", json={"status": text}, headers=friend.headers)
        assert response.status_code == 200, response.text
        registry.drain(db)  # fan-out to the follower's feed
        return int(response.json()["id"])

    posts = [post(f"post {i}") for i in range(3)]

    def snapshots_made():
        return db.run_sync(
            lambda tx: len(
                tx.rows(feed_snapshots.select().where(feed_snapshots.c.account_id == me.account_id))
            )
        )

    url = "/api/v1/pnyx/feeds/diverse/statuses?limit=2"
    first = client.get(url, headers=me.headers)
    again = client.get(url, headers=me.headers)
    assert ids(first) == ids(again) == posts[::-1][:2]
    assert again.headers["pnyx-feed-version"] == first.headers["pnyx-feed-version"]
    assert snapshots_made() == 1
    newer = post("something new")
    assert ids(client.get(url, headers=me.headers))[0] == newer
    assert snapshots_made() == 2
    diverse = client.get("/api/v1/pnyx/feeds/diverse").json()
    assert {"name": "reuse_seconds", "value": snapshots.REUSE_SECONDS} in diverse["parameters"]
    assert "reuse_seconds" in client.get("/feeds").text
