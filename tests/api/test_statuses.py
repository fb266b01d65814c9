"""Posting through the Mastodon API: create, show, edit, delete, threads and interactions."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from pnyx.db.ids import new_id
from pnyx.db.tables import accounts, blocks, follows, notifications, statuses, tags


@pytest.fixture
def store(app):
    """The app's own Database, for arranging rows another helper's API would create."""
    return app.state.db


def post(client, user, **body):
    return client.post("/api/v1/statuses", json=body, headers=user.headers)


def posted(client, user, **body) -> dict:
    response = post(client, user, **body)
    assert response.status_code == 200, response.text
    return response.json()


def follow(store, follower, target, *, notify=False):
    def work(tx):
        tx.execute(
            follows.insert().values(
                id=new_id(),
                account_id=follower.account_id,
                target_account_id=target.account_id,
                notify=notify,
                created_at=tx.now,
            )
        )

    store.run_sync(work)


def block(store, blocker, target):
    def work(tx):
        tx.execute(
            blocks.insert().values(
                id=new_id(),
                account_id=blocker.account_id,
                target_account_id=target.account_id,
                created_at=tx.now,
            )
        )

    store.run_sync(work)


def notes(store, user, kind=None) -> list:
    """(type, from_account_id, status_id) of `user`'s notifications."""

    def work(tx):
        query = sa.select(
            notifications.c.type, notifications.c.from_account_id, notifications.c.status_id
        ).where(notifications.c.account_id == user.account_id)
        if kind:
            query = query.where(notifications.c.type == kind)
        return [tuple(r) for r in tx.rows(query.order_by(notifications.c.id))]

    return store.run_sync(work)


def account_row(store, user):
    return store.run_sync(
        lambda tx: tx.one_or_none(sa.select(accounts).where(accounts.c.id == user.account_id))
    )


def status_row(store, status_id):
    return store.run_sync(
        lambda tx: tx.one_or_none(sa.select(statuses).where(statuses.c.id == int(status_id)))
    )


# --- Creating ---------------------------------------------------------------------------------


def test_post_renders_mention_hashtag_link_and_notifies(client, make_user, store):
    alice, bob = make_user("alice"), make_user("bob")
    status = posted(
        client, alice, status="Hey @bob look at https://example.com/page #Pnyx <b>x</b>"
    )
    assert status["content"] == (
        '<p>Hey <span class="h-card" translate="no"><a href="https://pnyx.test/@bob" '
        'class="u-url mention">@<span>bob</span></a></span> look at '
        '<a href="https://example.com/page" target="_blank" '
        'rel="nofollow noopener noreferrer" translate="no"><span class="invisible">https://'
        '</span><span class="">example.com/page</span><span class="invisible"></span></a> '
        '<a href="https://pnyx.test/tags/pnyx" class="mention hashtag" rel="tag">'
        "#<span>Pnyx</span></a> &lt;b&gt;x&lt;/b&gt;</p>"
    )
    assert status["mentions"] == [
        {
            "id": str(bob.account_id),
            "username": "bob",
            "url": "https://pnyx.test/@bob",
            "acct": "bob",
        }
    ]
    assert status["tags"] == [{"name": "pnyx", "url": "https://pnyx.test/tags/pnyx"}]
    assert status["visibility"] == "public"
    assert status["uri"] == f"https://pnyx.test/users/alice/statuses/{status['id']}"
    assert status["url"] == f"https://pnyx.test/@alice/{status['id']}"
    assert status["application"]["name"] == "test app"
    assert status["account"]["id"] == str(alice.account_id)
    assert notes(store, bob) == [("mention", alice.account_id, int(status["id"]))]
    assert store.run_sync(lambda tx: tx.scalars(sa.select(tags.c.name))) == ["pnyx"]
    author = account_row(store, alice)
    assert author.statuses_count == 1 and author.last_status_at is not None
    # Conversation of a new thread is the status itself.
    assert status_row(store, status["id"]).conversation_id == int(status["id"])


def test_mention_of_someone_who_blocks_the_author_does_not_notify(client, make_user, store):
    alice, bob = make_user("alice"), make_user("bob")
    block(store, bob, alice)
    posted(client, alice, status="hi @bob")
    assert notes(store, bob) == []


def test_form_encoded_post_with_poll(client, make_user):
    alice = make_user("alice")
    response = client.post(
        "/api/v1/statuses",
        data={
            "status": "Which?",
            "poll[options][]": ["a", "b"],
            "poll[expires_in]": "3600",
            "poll[multiple]": "true",
        },
        headers=alice.headers,
    )
    assert response.status_code == 200, response.text
    poll = response.json()["poll"]
    assert [o["title"] for o in poll["options"]] == ["a", "b"]
    assert poll["multiple"] is True and poll["expired"] is False


@pytest.mark.parametrize(
    "body, message",
    [
        ({"status": ""}, "Validation failed: Text can't be blank"),
        ({"status": "   "}, "Validation failed: Text can't be blank"),
        ({"status": "x" * 501}, "Validation failed: Text character limit of 500 exceeded"),
        (
            {"status": "x" * 400, "spoiler_text": "y" * 101},
            "Validation failed: Text character limit of 500 exceeded",
        ),
        ({"status": "x", "visibility": "everyone"}, None),
        (
            {"status": "x", "media_ids": ["123"]},
            "Media 123 not found or already attached to another post",
        ),
        (
            {"status": "x", "scheduled_at": "not a time"},
            "Validation failed: Scheduled at is invalid",
        ),
        (
            {"status": "x", "poll": {"options": ["a"], "expires_in": 3600}},
            "Validation failed: Poll options must have more than one item",
        ),
        (
            {"status": "x", "poll": {"options": ["a", "b", "c", "d", "e"], "expires_in": 3600}},
            "Validation failed: Poll options can't contain more than 4 items",
        ),
        (
            {"status": "x", "poll": {"options": ["a", "a"], "expires_in": 3600}},
            "Validation failed: Poll options must not contain duplicate items",
        ),
        (
            {"status": "x", "poll": {"options": ["a", "b" * 51], "expires_in": 3600}},
            "Validation failed: Poll options cannot be longer than 50 characters each",
        ),
        (
            {"status": "x", "poll": {"options": ["a", "b"], "expires_in": 10}},
            "Validation failed: Poll expires at is too soon",
        ),
        (
            {"status": "x", "poll": {"options": ["a", "b"], "expires_in": 99999999}},
            "Validation failed: Poll expires at is too far into the future",
        ),
    ],
)
def test_invalid_posts_are_422(client, make_user, store, body, message):
    alice = make_user("alice")
    response = post(client, alice, **body)
    assert response.status_code == 422, response.text
    if message:
        assert response.json() == {"error": message}
    assert account_row(store, alice).statuses_count == 0


def test_links_count_as_23_characters(client, make_user):
    alice = make_user("alice")
    long_link = "https://example.com/" + "a" * 600
    assert post(client, alice, status="x" * 470 + " " + long_link).status_code == 200


def test_malformed_json_is_400(client, make_user):
    alice = make_user("alice")
    response = client.post(
        "/api/v1/statuses",
        content=b'{"status": "oops',
        headers={**alice.headers, "Content-Type": "application/json"},
    )
    assert response.status_code == 400
    assert "error" in response.json()


def test_posting_needs_write_statuses_scope(client, make_user):
    reader = make_user("reader", scopes="read")
    assert post(client, reader, status="hi").status_code == 403
    assert client.post("/api/v1/statuses", json={"status": "hi"}).status_code == 401


def test_idempotency_key_returns_the_same_status(client, make_user, store):
    alice, bob = make_user("alice"), make_user("bob")
    headers = {**alice.headers, "Idempotency-Key": "abc-123"}
    first = client.post("/api/v1/statuses", json={"status": "once"}, headers=headers)
    second = client.post("/api/v1/statuses", json={"status": "once"}, headers=headers)
    assert first.status_code == second.status_code == 200
    assert first.json()["id"] == second.json()["id"]
    assert account_row(store, alice).statuses_count == 1
    other = client.post(
        "/api/v1/statuses",
        json={"status": "once"},
        headers={**bob.headers, "Idempotency-Key": "abc-123"},
    )
    assert other.json()["id"] != first.json()["id"]
    third = client.post("/api/v1/statuses", json={"status": "again"}, headers=alice.headers)
    assert third.json()["id"] != first.json()["id"]


def test_default_visibility_comes_from_user_settings(client, make_user, store):
    from pnyx.db.tables import users

    alice = make_user("alice")
    store.run_sync(
        lambda tx: tx.execute(
            users.update().where(users.c.id == alice.user_id).values(default_visibility="unlisted")
        )
    )
    assert posted(client, alice, status="hi")["visibility"] == "unlisted"
    assert posted(client, alice, status="hi", visibility="public")["visibility"] == "public"


def test_followers_with_bell_get_status_notification(client, make_user, store):
    alice, bob, carol = make_user("alice"), make_user("bob"), make_user("carol")
    follow(store, bob, alice, notify=True)
    follow(store, carol, alice, notify=False)
    status = posted(client, alice, status="news")
    assert notes(store, bob) == [("status", alice.account_id, int(status["id"]))]
    assert notes(store, carol) == []
    posted(client, alice, status="secret @carol", visibility="direct")
    assert notes(store, bob, "status") == [("status", alice.account_id, int(status["id"]))]


# --- Visibility ---------------------------------------------------------------------------------


def test_private_post_seen_by_followers_and_mentioned_only(client, make_user, store):
    alice, follower, stranger, mentioned = (
        make_user("alice"),
        make_user("fan"),
        make_user("stranger"),
        make_user("menti"),
    )
    follow(store, follower, alice)
    status = posted(client, alice, status="for friends @menti", visibility="private")
    url = f"/api/v1/statuses/{status['id']}"
    assert client.get(url, headers=follower.headers).status_code == 200
    assert client.get(url, headers=mentioned.headers).status_code == 200
    assert client.get(url, headers=alice.headers).status_code == 200
    assert client.get(url, headers=stranger.headers).status_code == 404
    assert client.get(url).status_code == 404
    # Nor can a stranger act on it, reply to it or read its thread.
    for action in ("favourite", "reblog", "bookmark", "mute"):
        response = client.post(f"{url}/{action}", headers=stranger.headers)
        assert response.status_code == 404, action
    assert client.get(f"{url}/context", headers=stranger.headers).status_code == 404
    assert client.get(f"{url}/favourited_by", headers=stranger.headers).status_code == 404
    assert post(client, stranger, status="hm", in_reply_to_id=status["id"]).status_code == 404
    # The follower cannot boost someone else's followers-only post.
    assert client.post(f"{url}/reblog", headers=follower.headers).status_code == 403


def test_direct_post_only_for_mentioned(client, make_user, store):
    alice, bob, follower = make_user("alice"), make_user("bob"), make_user("fan")
    follow(store, follower, alice)
    status = posted(client, alice, status="psst @bob", visibility="direct")
    url = f"/api/v1/statuses/{status['id']}"
    assert client.get(url, headers=bob.headers).status_code == 200
    assert client.get(url, headers=follower.headers).status_code == 404
    assert client.post(f"{url}/reblog", headers=alice.headers).status_code == 403
    assert notes(store, bob) == [("mention", alice.account_id, int(status["id"]))]


def test_reply_cannot_widen_audience(client, make_user, store):
    alice, bob = make_user("alice"), make_user("bob")
    follow(store, bob, alice)
    private = posted(client, alice, status="friends only", visibility="private")
    reply = posted(client, bob, status="@alice sure", in_reply_to_id=private["id"])
    assert reply["visibility"] == "private"
    assert reply["in_reply_to_id"] == private["id"]
    assert reply["in_reply_to_account_id"] == str(alice.account_id)
    dm = posted(client, alice, status="@bob psst", visibility="direct")
    dm_reply = posted(client, bob, status="@alice ok", in_reply_to_id=dm["id"], visibility="public")
    assert dm_reply["visibility"] == "direct"
    public = posted(client, alice, status="hello")
    assert (
        posted(client, bob, status="hi", in_reply_to_id=public["id"], visibility="unlisted")[
            "visibility"
        ]
        == "unlisted"
    )
    assert status_row(store, private["id"]).replies_count == 1


def test_reply_to_missing_status_is_404(client, make_user):
    alice = make_user("alice")
    assert post(client, alice, status="hi", in_reply_to_id="123456").status_code == 404
    assert post(client, alice, status="hi", in_reply_to_id="nope").status_code == 404


def test_blocked_accounts_cannot_see_or_interact(client, make_user, store):
    alice, carol = make_user("alice"), make_user("carol")
    status = posted(client, carol, status="public but not for alice")
    block(store, carol, alice)
    url = f"/api/v1/statuses/{status['id']}"
    assert client.get(url, headers=alice.headers).status_code == 404
    assert client.get(url).status_code == 200
    for action in ("favourite", "reblog", "bookmark", "mute", "unfavourite"):
        assert client.post(f"{url}/{action}", headers=alice.headers).status_code == 404
    assert post(client, alice, status="hey", in_reply_to_id=status["id"]).status_code == 404
    assert client.get(f"{url}/context", headers=alice.headers).status_code == 404
    assert client.get(f"/api/v1/polls/{status['id']}", headers=alice.headers).status_code == 404
    # The blocker does not see the blocked one's posts either.
    alices = posted(client, alice, status="mine")
    assert client.get(f"/api/v1/statuses/{alices['id']}", headers=carol.headers).status_code == 404
    assert notes(store, carol) == []


def test_batch_get_returns_only_visible(client, make_user):
    alice, bob = make_user("alice"), make_user("bob")
    one = posted(client, alice, status="one")
    two = posted(client, alice, status="two", visibility="private")
    response = client.get(
        "/api/v1/statuses",
        params=[("id[]", one["id"]), ("id[]", two["id"]), ("id[]", "999")],
        headers=bob.headers,
    )
    assert response.status_code == 200
    assert [s["id"] for s in response.json()] == [one["id"]]
    mine = client.get(
        "/api/v1/statuses", params=[("id[]", two["id"]), ("id[]", one["id"])], headers=alice.headers
    )
    assert [s["id"] for s in mine.json()] == [two["id"], one["id"]]


def test_unknown_status_is_404(client, make_user):
    alice = make_user("alice")
    assert client.get("/api/v1/statuses/123", headers=alice.headers).status_code == 404
    assert client.get("/api/v1/statuses/99999999999999999999999").status_code == 404


# --- Edit, history, source, delete ---------------------------------------------------------------


def test_edit_keeps_history_and_notifies_boosters(client, make_user, store):
    alice, bob = make_user("alice"), make_user("bob")
    status = posted(client, alice, status="first #one", spoiler_text="cw")
    client.post(f"/api/v1/statuses/{status['id']}/reblog", headers=bob.headers)
    url = f"/api/v1/statuses/{status['id']}"
    response = client.put(url, json={"status": "second #two"}, headers=alice.headers)
    assert response.status_code == 200, response.text
    edited = response.json()
    assert edited["content"].startswith("<p>second")
    assert edited["edited_at"] is not None
    assert edited["spoiler_text"] == ""
    assert [t["name"] for t in edited["tags"]] == ["two"]
    client.put(url, json={"status": "third"}, headers=alice.headers)

    history = client.get(f"{url}/history", headers=alice.headers).json()
    assert [h["content"][:8] for h in history] == ["<p>first", "<p>secon", "<p>third"]
    assert history[0]["spoiler_text"] == "cw"
    assert history[0]["account"]["id"] == str(alice.account_id)
    assert history[0]["created_at"] == status["created_at"]
    assert client.get(f"{url}/source", headers=alice.headers).json() == {
        "id": status["id"],
        "text": "third",
        "spoiler_text": "",
    }
    assert notes(store, bob, "update") == [("update", alice.account_id, int(status["id"]))] * 2
    # Others cannot edit it, nor read its source.
    assert client.put(url, json={"status": "hacked"}, headers=bob.headers).status_code == 404
    assert client.get(f"{url}/source", headers=bob.headers).status_code == 404
    assert client.put(url, json={"status": "x" * 501}, headers=alice.headers).status_code == 422


def test_unedited_history_is_the_post_itself(client, make_user):
    alice = make_user("alice")
    status = posted(client, alice, status="just me")
    history = client.get(f"/api/v1/statuses/{status['id']}/history").json()
    assert len(history) == 1 and history[0]["content"] == status["content"]


def test_delete_returns_source_and_undoes_counters(client, make_user, store):
    alice, bob = make_user("alice"), make_user("bob")
    parent = posted(client, bob, status="parent")
    status = posted(
        client,
        alice,
        status="bye @bob",
        spoiler_text="cw",
        in_reply_to_id=parent["id"],
        poll={"options": ["yes", "no"], "expires_in": 3600},
    )
    client.post(f"/api/v1/statuses/{status['id']}/favourite", headers=bob.headers)
    client.post(f"/api/v1/statuses/{status['id']}/reblog", headers=bob.headers)
    assert account_row(store, bob).statuses_count == 2
    assert status_row(store, parent["id"]).replies_count == 1

    assert client.delete(f"/api/v1/statuses/{status['id']}", headers=bob.headers).status_code == 404
    response = client.delete(f"/api/v1/statuses/{status['id']}", headers=alice.headers)
    assert response.status_code == 200
    gone = response.json()
    assert gone["text"] == "bye @bob"
    assert gone["spoiler_text"] == "cw"
    assert [o["title"] for o in gone["poll"]["options"]] == ["yes", "no"]
    assert client.get(f"/api/v1/statuses/{status['id']}").status_code == 404
    assert account_row(store, alice).statuses_count == 0
    assert account_row(store, bob).statuses_count == 1  # the boost went with it
    assert status_row(store, parent["id"]).replies_count == 0
    assert notes(store, bob) == []  # the mention notification went too
    assert notes(store, alice) == []


# --- Threads --------------------------------------------------------------------------------------


def test_context_orders_thread_and_respects_visibility(client, make_user, store):
    alice, bob, carol, dave = (
        make_user("alice"),
        make_user("bob"),
        make_user("carol"),
        make_user("dave"),
    )
    root = posted(client, alice, status="root")
    a = posted(client, bob, status="a", in_reply_to_id=root["id"])
    b = posted(client, carol, status="b", in_reply_to_id=root["id"])
    a1 = posted(client, alice, status="a1", in_reply_to_id=a["id"])
    a1x = posted(client, bob, status="a1x", in_reply_to_id=a1["id"])
    hidden = posted(client, alice, status="dm @bob", in_reply_to_id=a["id"], visibility="direct")
    thread = client.get(f"/api/v1/statuses/{a['id']}/context", headers=bob.headers).json()
    assert [s["id"] for s in thread["ancestors"]] == [root["id"]]
    assert [s["id"] for s in thread["descendants"]] == [a1["id"], a1x["id"], hidden["id"]]

    whole = client.get(f"/api/v1/statuses/{root['id']}/context", headers=dave.headers).json()
    assert whole["ancestors"] == []
    assert [s["id"] for s in whole["descendants"]] == [a["id"], a1["id"], a1x["id"], b["id"]]
    assert status_row(store, a1x["id"]).conversation_id == int(root["id"])

    block(store, dave, carol)
    blocked = client.get(f"/api/v1/statuses/{root['id']}/context", headers=dave.headers).json()
    assert b["id"] not in [s["id"] for s in blocked["descendants"]]
    anonymous = client.get(f"/api/v1/statuses/{a1['id']}/context").json()
    assert [s["id"] for s in anonymous["ancestors"]] == [root["id"], a["id"]]


# --- Interactions ---------------------------------------------------------------------------------


def test_favourite_counts_notifies_and_is_idempotent(client, make_user, store):
    alice, bob, carol = make_user("alice"), make_user("bob"), make_user("carol")
    status = posted(client, alice, status="like me")
    url = f"/api/v1/statuses/{status['id']}"
    for _ in range(2):
        response = client.post(f"{url}/favourite", headers=bob.headers)
        assert response.status_code == 200
        assert response.json()["favourited"] is True
        assert response.json()["favourites_count"] == 1
    client.post(f"{url}/favourite", headers=carol.headers)
    assert notes(store, alice, "favourite") == [
        ("favourite", bob.account_id, int(status["id"])),
        ("favourite", carol.account_id, int(status["id"])),
    ]
    listing = client.get(f"{url}/favourited_by", params={"limit": 1}, headers=alice.headers)
    assert [a["id"] for a in listing.json()] == [str(carol.account_id)]
    assert 'rel="next"' in listing.headers["link"]
    block(store, alice, carol)
    listing = client.get(f"{url}/favourited_by", headers=alice.headers)
    assert [a["id"] for a in listing.json()] == [str(bob.account_id)]

    for _ in range(2):
        response = client.post(f"{url}/unfavourite", headers=bob.headers)
        assert response.json()["favourited"] is False
        assert response.json()["favourites_count"] == 1
    assert notes(store, alice, "favourite") == [("favourite", carol.account_id, int(status["id"]))]
    assert (
        client.post(f"{url}/favourite", headers=make_user("x", scopes="read").headers).status_code
        == 403
    )


def test_reblog_and_unreblog(client, make_user, store):
    alice, bob = make_user("alice"), make_user("bob")
    status = posted(client, alice, status="boost me")
    url = f"/api/v1/statuses/{status['id']}"
    first = client.post(f"{url}/reblog", headers=bob.headers)
    assert first.status_code == 200
    boost = first.json()
    assert boost["reblog"]["id"] == status["id"]
    assert boost["reblog"]["reblogs_count"] == 1
    assert boost["reblogged"] is True
    assert boost["account"]["id"] == str(bob.account_id)
    again = client.post(f"{url}/reblog", headers=bob.headers).json()
    assert again["id"] == boost["id"]
    assert status_row(store, status["id"]).reblogs_count == 1
    assert notes(store, alice, "reblog") == [("reblog", bob.account_id, int(status["id"]))]
    assert account_row(store, bob).statuses_count == 1
    # The boost itself can be fetched, and a favourite through it lands on the original.
    assert client.get(f"/api/v1/statuses/{boost['id']}").json()["reblog"]["id"] == status["id"]
    liked = client.post(f"/api/v1/statuses/{boost['id']}/favourite", headers=alice.headers)
    assert liked.json()["id"] == status["id"]
    by = client.get(f"{url}/reblogged_by").json()
    assert [a["id"] for a in by] == [str(bob.account_id)]
    assert (
        client.post(
            f"{url}/reblog", json={"visibility": "direct"}, headers=alice.headers
        ).status_code
        == 422
    )

    undone = client.post(f"{url}/unreblog", headers=bob.headers)
    assert undone.status_code == 200
    assert undone.json()["id"] == status["id"]
    assert undone.json()["reblogged"] is False
    assert undone.json()["reblogs_count"] == 0
    assert notes(store, alice, "reblog") == []
    assert account_row(store, bob).statuses_count == 0
    assert client.get(f"/api/v1/statuses/{boost['id']}").status_code == 404


def test_own_private_post_can_be_boosted_privately(client, make_user):
    alice = make_user("alice")
    status = posted(client, alice, status="mine", visibility="private")
    boost = client.post(f"/api/v1/statuses/{status['id']}/reblog", headers=alice.headers)
    assert boost.status_code == 200
    assert boost.json()["visibility"] == "private"


def test_bookmark(client, make_user):
    alice, bob = make_user("alice"), make_user("bob")
    status = posted(client, alice, status="keep")
    url = f"/api/v1/statuses/{status['id']}"
    assert client.post(f"{url}/bookmark", headers=bob.headers).json()["bookmarked"] is True
    assert client.get(url, headers=bob.headers).json()["bookmarked"] is True
    assert client.get(url, headers=alice.headers).json()["bookmarked"] is False
    assert client.post(f"{url}/unbookmark", headers=bob.headers).json()["bookmarked"] is False


def test_pin_rules_and_limit(client, make_user):
    alice, bob = make_user("alice"), make_user("bob")
    ids = [posted(client, alice, status=f"p{i}")["id"] for i in range(6)]
    for status_id in ids[:5]:
        response = client.post(f"/api/v1/statuses/{status_id}/pin", headers=alice.headers)
        assert response.status_code == 200
        assert response.json()["pinned"] is True
    sixth = client.post(f"/api/v1/statuses/{ids[5]}/pin", headers=alice.headers)
    assert sixth.status_code == 422
    assert sixth.json()["error"] == (
        "Validation failed: You have already pinned the maximum number of posts"
    )
    # Pinning again what is pinned is fine; unpinning frees a slot.
    assert client.post(f"/api/v1/statuses/{ids[0]}/pin", headers=alice.headers).status_code == 200
    unpinned = client.post(f"/api/v1/statuses/{ids[0]}/unpin", headers=alice.headers)
    assert unpinned.json()["pinned"] is False
    assert client.post(f"/api/v1/statuses/{ids[5]}/pin", headers=alice.headers).status_code == 200
    assert client.post(f"/api/v1/statuses/{ids[1]}/pin", headers=bob.headers).status_code == 422
    dm = posted(client, alice, status="@bob hi", visibility="direct")
    assert client.post(f"/api/v1/statuses/{dm['id']}/pin", headers=alice.headers).status_code == 422


def test_muted_conversation_stops_notifications(client, make_user, store):
    alice, bob = make_user("alice"), make_user("bob")
    root = posted(client, alice, status="thread")
    muted = client.post(f"/api/v1/statuses/{root['id']}/mute", headers=alice.headers)
    assert muted.json()["muted"] is True
    posted(client, bob, status="@alice reply", in_reply_to_id=root["id"])
    client.post(f"/api/v1/statuses/{root['id']}/favourite", headers=bob.headers)
    assert notes(store, alice) == []
    unmuted = client.post(f"/api/v1/statuses/{root['id']}/unmute", headers=alice.headers)
    assert unmuted.json()["muted"] is False
    posted(client, bob, status="@alice again", in_reply_to_id=root["id"])
    assert [n[0] for n in notes(store, alice)] == ["mention"]


def test_nul_characters_are_dropped_not_a_server_error(client, make_user):
    alice = make_user("alice")
    status = posted(client, alice, status="a\x00b", spoiler_text="c\x00w")
    assert status["content"] == "<p>ab</p>"
    assert status["spoiler_text"] == "cw"
