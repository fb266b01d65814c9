"""Direct conversations (Tusky's and Ice Cubes' Direct tab): each participant here sees the
conversation with the others in it and its newest message; a message from someone else makes
it unread; read and remove work per person; deleting the newest message shows the one before."""

from __future__ import annotations

import factories as f


def dm(client, user, text, **extra) -> str:
    answer = client.post(
        "/api/v1/statuses",
        headers=user.headers,
        json={"status": text, "visibility": "direct", **extra},
    )
    assert answer.status_code == 200, answer.text
    return answer.json()["id"]


def conversations(client, user) -> list[dict]:
    answer = client.get("/api/v1/conversations", headers=user.headers)
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_a_direct_message_starts_a_conversation_for_everyone_in_it(client, db, make_user):
    ann, bob, cat, eve = (make_user(n) for n in ("ann", "bob", "cat", "eve"))
    first = dm(client, ann, "@bob @cat lunch?")
    client.post("/api/v1/statuses", headers=ann.headers, json={"status": "@bob public hi"})

    [mine] = conversations(client, ann)
    assert mine["unread"] is False  # my own message
    assert {a["username"] for a in mine["accounts"]} == {"bob", "cat"}
    assert mine["last_status"]["id"] == first
    [bobs] = conversations(client, bob)
    assert bobs["unread"] is True
    assert {a["username"] for a in bobs["accounts"]} == {"ann", "cat"}
    assert conversations(client, eve) == []

    reply = dm(client, bob, "@ann @cat yes", in_reply_to_id=first)
    [again] = conversations(client, ann)
    assert again["id"] == mine["id"] and again["last_status"]["id"] == reply
    assert again["unread"] is True

    answer = client.post(f"/api/v1/conversations/{again['id']}/read", headers=ann.headers)
    assert answer.status_code == 200 and answer.json()["unread"] is False
    assert conversations(client, ann)[0]["unread"] is False
    assert conversations(client, cat)[0]["unread"] is True  # read for Ann only
    assert (
        client.post(f"/api/v1/conversations/{again['id']}/read", headers=eve.headers).status_code
        == 404
    )

    # Deleting the newest message: the one before is shown again.
    client.delete(f"/api/v1/statuses/{reply}", headers=bob.headers)
    assert conversations(client, ann)[0]["last_status"]["id"] == first

    assert client.delete(f"/api/v1/conversations/{again['id']}", headers=ann.headers).json() == {}
    assert conversations(client, ann) == []
    assert len(conversations(client, bob)) == 1  # still Bob's
    dm(client, cat, "@ann @bob me too", in_reply_to_id=first)
    assert len(conversations(client, ann)) == 1  # a new message brings it back


def test_conversations_page_by_their_newest_message(client, db, make_user):
    ann = make_user("ann")
    friends = [make_user(f"friend{i}") for i in range(3)]
    made = [dm(client, ann, f"@{u.username} hi") for u in friends]
    first = client.get("/api/v1/conversations?limit=2", headers=ann.headers)
    assert [c["last_status"]["id"] for c in first.json()] == [made[2], made[1]]
    assert f"max_id={made[1]}" in first.headers["link"]
    rest = client.get(f"/api/v1/conversations?max_id={made[1]}", headers=ann.headers).json()
    assert [c["last_status"]["id"] for c in rest] == [made[0]]
    assert client.get("/api/v1/conversations").status_code == 401


def test_a_direct_message_from_elsewhere_counts_too(app, db, make_user, client):
    from pnyx.federation import handlers

    me = make_user("me")
    rita = f.remote_account(db, "rita", "remote.example")
    note = {
        "id": "https://remote.example/users/rita/statuses/9",
        "type": "Note",
        "attributedTo": "https://remote.example/users/rita",
        "content": "<p>psst</p>",
        "to": ["https://pnyx.test/users/me"],
        "cc": [],
        "tag": [{"type": "Mention", "href": "https://pnyx.test/users/me", "name": "@me"}],
        "published": "2026-11-20T10:00:00Z",
    }
    create = {
        "id": "https://remote.example/users/rita/activities/9",
        "type": "Create",
        "actor": "https://remote.example/users/rita",
        "object": note,
    }
    handlers.process(db, app.state.settings, create, rita)
    [conversation] = conversations(client, me)
    assert conversation["unread"] is True
    assert [a["acct"] for a in conversation["accounts"]] == ["rita@remote.example"]
