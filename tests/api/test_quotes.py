"""Quote posts through the Mastodon API, as Mastodon 4.5 has them: posting a quote, the
`quote` and `quote_approval` of a Status, the policy, revoking, listing, and the `quote` and
`quoted_update` notifications."""

from __future__ import annotations

import orjson
import pytest
import sqlalchemy as sa

from pnyx.db.ids import new_id
from pnyx.db.tables import blocks, follows, notifications


@pytest.fixture
def store(app):
    return app.state.db


def post(client, user, **body):
    return client.post("/api/v1/statuses", json=body, headers=user.headers)


def posted(client, user, **body) -> dict:
    response = post(client, user, **body)
    assert response.status_code == 200, response.text
    return response.json()


def follow(store, follower, target):
    store.run_sync(
        lambda tx: tx.execute(
            follows.insert().values(
                id=new_id(),
                account_id=follower.account_id,
                target_account_id=target.account_id,
                created_at=tx.now,
            )
        )
    )


def notes(store, user, kind) -> list:
    def work(tx):
        query = sa.select(notifications.c.from_account_id, notifications.c.status_id).where(
            notifications.c.account_id == user.account_id, notifications.c.type == kind
        )
        return [(r.from_account_id, str(r.status_id)) for r in tx.rows(query)]

    return store.run_sync(work)


def test_a_quote_of_a_public_post_is_accepted_and_shows_the_quoted_post(client, make_user, store):
    alice, bob = make_user("alice"), make_user("bob")
    original = posted(client, alice, status="the original")
    assert original["quote"] is None
    assert original["quote_approval"] == {
        "automatic": ["public"],
        "manual": [],
        "current_user": "automatic",
    }
    quote = posted(client, bob, status="look at this", quoted_status_id=original["id"])
    assert quote["quote"]["state"] == "accepted"
    quoted = quote["quote"]["quoted_status"]
    assert quoted["id"] == original["id"] and quoted["content"] == original["content"]
    assert quoted["quote"] is None and "quote_approval" in quoted
    # Alice is told, about Bob's post.
    assert notes(store, alice, "quote") == [(bob.account_id, quote["id"])]
    listed = client.get("/api/v1/notifications", headers=alice.headers).json()
    assert listed[0]["type"] == "quote" and listed[0]["status"]["id"] == quote["id"]
    grouped = client.get("/api/v2/notifications", headers=alice.headers).json()
    assert grouped["notification_groups"][0]["type"] == "quote"
    # Seen by anyone, the same.
    seen = client.get(f"/api/v1/statuses/{quote['id']}").json()
    assert seen["quote"]["quoted_status"]["id"] == original["id"]
    assert seen["quote_approval"]["current_user"] == "unknown"


def test_a_quote_of_a_quote_nests_a_shallow_quote(client, make_user):
    alice, bob, carol = make_user("alice"), make_user("bob"), make_user("carol")
    first = posted(client, alice, status="one")
    second = posted(client, bob, status="two", quoted_status_id=first["id"])
    third = posted(client, carol, status="three", quoted_status_id=second["id"])
    inner = third["quote"]["quoted_status"]
    assert inner["id"] == second["id"]
    assert inner["quote"] == {"state": "accepted", "quoted_status_id": first["id"]}


def test_the_policy_decides_who_may_quote(client, make_user, store):
    alice, bob, carol = make_user("alice"), make_user("bob"), make_user("carol")
    follow(store, bob, alice)
    nobody = posted(client, alice, status="mine only", quote_approval_policy="nobody")
    assert nobody["quote_approval"]["automatic"] == []
    refused = post(client, bob, status="no", quoted_status_id=nobody["id"])
    assert refused.status_code == 422
    assert refused.json()["error"].startswith("Validation failed: ")
    # Her own post she may quote.
    assert posted(client, alice, status="me", quoted_status_id=nobody["id"])["quote"]["state"] == (
        "accepted"
    )

    followers = posted(client, alice, status="friends", quote_approval_policy="followers")
    as_bob = client.get(f"/api/v1/statuses/{followers['id']}", headers=bob.headers).json()
    as_carol = client.get(f"/api/v1/statuses/{followers['id']}", headers=carol.headers).json()
    assert as_bob["quote_approval"]["current_user"] == "automatic"
    assert as_carol["quote_approval"]["current_user"] == "denied"
    assert post(client, bob, status="ok", quoted_status_id=followers["id"]).status_code == 200
    assert post(client, carol, status="no", quoted_status_id=followers["id"]).status_code == 422

    bad = post(client, alice, status="x", quote_approval_policy="everyone")
    assert bad.status_code == 422


def test_private_and_direct_posts_are_not_quotable(client, make_user, store):
    alice, bob = make_user("alice"), make_user("bob")
    follow(store, bob, alice)
    private = posted(client, alice, status="followers only", visibility="private")
    assert private["quote_approval"] == {"automatic": [], "manual": [], "current_user": "automatic"}
    seen = client.get(f"/api/v1/statuses/{private['id']}", headers=bob.headers).json()
    assert seen["quote_approval"]["current_user"] == "denied"
    assert post(client, bob, status="q", quoted_status_id=private["id"]).status_code == 422
    direct = posted(client, alice, status="@bob psst", visibility="direct")
    assert post(client, bob, status="q", quoted_status_id=direct["id"]).status_code == 422
    # What Bob may not see at all is not found.
    carol = make_user("carol")
    assert post(client, carol, status="q", quoted_status_id=private["id"]).status_code == 404
    assert post(client, carol, status="q", quoted_status_id="12345").status_code == 404


def test_a_quote_of_a_post_the_viewer_may_not_see_shows_no_post(client, make_user, store):
    alice, bob, carol = make_user("alice"), make_user("bob"), make_user("carol")
    original = posted(client, alice, status="hi")
    quote = posted(client, bob, status="q", quoted_status_id=original["id"])
    store.run_sync(
        lambda tx: tx.execute(
            blocks.insert().values(
                id=new_id(),
                account_id=carol.account_id,
                target_account_id=alice.account_id,
                created_at=tx.now,
            )
        )
    )
    seen = client.get(f"/api/v1/statuses/{quote['id']}", headers=carol.headers).json()
    assert seen["quote"] == {"state": "blocked_account", "quoted_status": None}


def test_deleting_the_quoted_post_leaves_the_quote_deleted(client, make_user):
    alice, bob = make_user("alice"), make_user("bob")
    original = posted(client, alice, status="soon gone")
    quote = posted(client, bob, status="q", quoted_status_id=original["id"])
    assert client.delete(f"/api/v1/statuses/{original['id']}", headers=alice.headers).is_success
    seen = client.get(f"/api/v1/statuses/{quote['id']}", headers=bob.headers).json()
    assert seen["quote"] == {"state": "deleted", "quoted_status": None}


def test_the_quoted_author_lists_and_revokes_quotes(client, make_user):
    alice, bob, carol = make_user("alice"), make_user("bob"), make_user("carol")
    original = posted(client, alice, status="quote me")
    quotes = [
        posted(client, who, status="q", quoted_status_id=original["id"]) for who in (bob, carol)
    ]
    listed = client.get(f"/api/v1/statuses/{original['id']}/quotes", headers=alice.headers)
    assert [s["id"] for s in listed.json()] == [quotes[1]["id"], quotes[0]["id"]]
    paged = client.get(f"/api/v1/statuses/{original['id']}/quotes?limit=1", headers=alice.headers)
    assert [s["id"] for s in paged.json()] == [quotes[1]["id"]] and "Link" in paged.headers
    # Only the author may list them.
    other = client.get(f"/api/v1/statuses/{original['id']}/quotes", headers=bob.headers)
    assert other.status_code == 404

    path = f"/api/v1/statuses/{original['id']}/quotes/{quotes[0]['id']}/revoke"
    assert client.post(path, headers=bob.headers).status_code == 404
    revoked = client.post(path, headers=alice.headers)
    assert revoked.status_code == 200, revoked.text
    assert revoked.json()["id"] == quotes[0]["id"]
    assert revoked.json()["quote"] == {"state": "revoked", "quoted_status": None}
    listed = client.get(f"/api/v1/statuses/{original['id']}/quotes", headers=alice.headers)
    assert [s["id"] for s in listed.json()] == [quotes[1]["id"]]


def test_the_author_changes_who_may_quote(client, make_user):
    alice, bob = make_user("alice"), make_user("bob")
    original = posted(client, alice, status="open for now")
    path = f"/api/v1/statuses/{original['id']}/interaction_policy"
    changed = client.put(path, json={"quote_approval_policy": "nobody"}, headers=alice.headers)
    assert changed.status_code == 200, changed.text
    assert changed.json()["quote_approval"]["automatic"] == []
    assert post(client, bob, status="q", quoted_status_id=original["id"]).status_code == 422
    not_hers = client.put(path, json={"quote_approval_policy": "public"}, headers=bob.headers)
    assert not_hers.status_code == 404


def test_an_edit_of_the_quoted_post_tells_those_who_quoted_it(client, make_user, store):
    alice, bob = make_user("alice"), make_user("bob")
    original = posted(client, alice, status="first words")
    quote = posted(client, bob, status="q", quoted_status_id=original["id"])
    edited = client.put(
        f"/api/v1/statuses/{original['id']}", json={"status": "second words"}, headers=alice.headers
    )
    assert edited.status_code == 200
    assert notes(store, bob, "quoted_update") == [(alice.account_id, quote["id"])]
    listed = client.get("/api/v1/notifications?types[]=quoted_update", headers=bob.headers).json()
    assert [n["status"]["id"] for n in listed] == [quote["id"]]
    assert listed[0]["status"]["quote"]["quoted_status"]["content"] == "<p>second words</p>"


def test_counts_and_narrowing(client, make_user, store):
    alice, bob = make_user("alice"), make_user("bob")
    original = posted(client, alice, status="count me")
    posted(client, bob, status="q", quoted_status_id=original["id"])
    assert client.get(f"/api/v1/statuses/{original['id']}").json()["quotes_count"] == 1
    # Her own followers-only post she may quote, in a post no wider than it.
    private = posted(client, alice, status="friends", visibility="private")
    again = posted(client, alice, status="me again", quoted_status_id=private["id"])
    assert again["visibility"] == "private" and again["quote"]["state"] == "accepted"


def test_a_private_mention_quoting_someone_must_name_them(client, make_user):
    alice, bob, carol = make_user("alice"), make_user("bob"), make_user("carol")
    original = posted(client, alice, status="public words")
    unnamed = post(
        client, bob, status="@carol look", visibility="direct", quoted_status_id=original["id"]
    )
    assert unnamed.status_code == 422
    named = post(
        client,
        bob,
        status="@carol @alice look",
        visibility="direct",
        quoted_status_id=original["id"],
    )
    assert named.status_code == 200, named.text
    assert carol.username == "carol"


def test_the_default_quote_policy_is_the_users(client, make_user):
    alice, bob = make_user("alice"), make_user("bob")
    me = client.get("/api/v1/accounts/verify_credentials", headers=alice.headers).json()
    assert me["source"]["quote_policy"] == "public"
    changed = client.patch(
        "/api/v1/accounts/update_credentials",
        data={"source[quote_policy]": "followers"},
        headers=alice.headers,
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["source"]["quote_policy"] == "followers"
    prefs = client.get("/api/v1/preferences", headers=alice.headers).json()
    assert prefs["posting:default:quote_policy"] == "followers"
    new = posted(client, alice, status="by default")
    assert new["quote_approval"]["automatic"] == ["followers"]
    assert post(client, bob, status="q", quoted_status_id=new["id"]).status_code == 422
    bad = client.patch(
        "/api/v1/accounts/update_credentials",
        data={"source[quote_policy]": "friends"},
        headers=alice.headers,
    )
    assert bad.status_code == 422


def test_a_live_stream_shows_each_viewer_the_quote_as_they_may_see_it(client, make_user, store):
    alice, bob, carol = make_user("alice"), make_user("bob"), make_user("carol")
    follow(store, bob, carol)
    store.run_sync(
        lambda tx: tx.execute(
            blocks.insert().values(
                id=new_id(),
                account_id=bob.account_id,
                target_account_id=alice.account_id,
                created_at=tx.now,
            )
        )
    )
    original = posted(client, alice, status="hello")
    with client.websocket_connect("/api/v1/streaming?stream=user", headers=bob.headers) as ws:
        quote = posted(client, carol, status="look", quoted_status_id=original["id"])
        message = orjson.loads(ws.receive_text())
        assert message["event"] == "update"
        payload = orjson.loads(message["payload"])
        assert payload["id"] == quote["id"]
        assert payload["quote"] == {"state": "blocked_account", "quoted_status": None}


def test_an_edit_may_change_who_may_quote(client, make_user):
    alice, bob = make_user("alice"), make_user("bob")
    original = posted(client, alice, status="open")
    edited = client.put(
        f"/api/v1/statuses/{original['id']}",
        json={"status": "closed now", "quote_approval_policy": "nobody"},
        headers=alice.headers,
    )
    assert edited.status_code == 200, edited.text
    assert edited.json()["quote_approval"]["automatic"] == []
    assert post(client, bob, status="q", quoted_status_id=original["id"]).status_code == 422
    kept = client.put(
        f"/api/v1/statuses/{original['id']}", json={"status": "still"}, headers=alice.headers
    )
    assert kept.json()["quote_approval"]["automatic"] == []


def test_a_scheduled_quote_keeps_what_it_quotes(client, make_user):
    alice, bob = make_user("alice"), make_user("bob")
    original = posted(client, alice, status="later quoted")
    scheduled = posted(
        client,
        bob,
        status="soon",
        quoted_status_id=original["id"],
        quote_approval_policy="followers",
        scheduled_at="2030-01-01T00:00:00Z",
    )
    assert scheduled["params"]["quoted_status_id"] == original["id"]
    assert scheduled["params"]["quote_approval_policy"] == "followers"
