"""The streaming API in process (Starlette's test client, both databases): who receives what,
in Mastodon's message format. The real server, its WebSocket implementation and several
processes are tests/e2e/test_streaming.py."""

from __future__ import annotations

import orjson
import pytest
from starlette.testclient import WebSocketDenialResponse

import factories as f


def post(client, user, text: str, **extra) -> dict:
    r = client.post("/api/v1/statuses", json={"status": text, **extra}, headers=user.headers)
    assert r.status_code == 200, r.text
    return r.json()


def follow(client, follower, target) -> None:
    r = client.post(f"/api/v1/accounts/{target.account_id}/follow", headers=follower.headers)
    assert r.status_code == 200 and r.json()["following"], r.text


def next_message(ws) -> dict:
    message = orjson.loads(ws.receive_text())
    if message.get("event") not in (None, "delete"):
        message["payload"] = orjson.loads(message["payload"])
    return message


def barrier(ws) -> None:
    """Messages are handled in order: once the answer to a bad subscription arrives, the
    subscriptions sent before it are in place."""
    ws.send_text(orjson.dumps({"type": "subscribe", "stream": "nonsense"}).decode())
    assert next_message(ws) == {"error": "Unknown stream type", "status": 400}


def test_a_follower_receives_posts_edits_and_deletes(client, make_user):
    alice, bob = make_user("alice"), make_user("bob")
    follow(client, bob, alice)
    with client.websocket_connect("/api/v1/streaming?stream=user", headers=bob.headers) as ws:
        status = post(client, alice, "hello followers", visibility="private")
        message = next_message(ws)
        assert message["stream"] == ["user"] and message["event"] == "update"
        assert message["payload"]["id"] == status["id"]
        assert message["payload"]["favourited"] is False  # rendered for bob

        client.post(f"/api/v1/statuses/{status['id']}/favourite", headers=bob.headers)
        r = client.put(
            f"/api/v1/statuses/{status['id']}", json={"status": "edited"}, headers=alice.headers
        )
        assert r.status_code == 200, r.text
        message = next_message(ws)
        assert message["event"] == "status.update"
        assert "edited" in message["payload"]["content"]
        assert message["payload"]["favourited"] is True

        client.delete(f"/api/v1/statuses/{status['id']}", headers=alice.headers)
        assert next_message(ws) == {"stream": ["user"], "event": "delete", "payload": status["id"]}


def test_notifications_reach_the_user_and_notification_streams(client, make_user):
    alice, bob = make_user("alice"), make_user("bob")
    with (
        client.websocket_connect("/api/v1/streaming?stream=user", headers=bob.headers) as user,
        client.websocket_connect(
            "/api/v1/streaming?stream=user:notification", headers=bob.headers
        ) as only,
    ):
        status = post(client, alice, "@bob look")
        for ws, stream in ((user, ["user"]), (only, ["user:notification"])):
            message = next_message(ws)
            assert message["stream"] == stream and message["event"] == "notification"
            assert message["payload"]["type"] == "mention"
            assert message["payload"]["status"]["id"] == status["id"]


def test_the_instances_notifications_stream_with_what_they_carry(client, app, make_user):
    """A strike and the follows a block of a server ended reach the user:notification stream
    rendered as the list renders them; so does a sign-up, for the staff."""
    boss = make_user("boss", role="admin", scopes="read write follow admin:read admin:write")
    bob = make_user("bob")
    far = f.remote_account(app.state.db, "far", "far.example")
    f.follow(app.state.db, far, bob.account_id)
    with (
        client.websocket_connect(
            "/api/v1/streaming?stream=user:notification", headers=bob.headers
        ) as ws,
        client.websocket_connect(
            "/api/v1/streaming?stream=user:notification", headers=boss.headers
        ) as staff,
    ):
        barrier(ws)
        barrier(staff)
        r = client.post(
            f"/api/v1/admin/accounts/{bob.account_id}/action",
            data={"type": "none", "text": "Mind the rules.", "send_email_notification": "true"},
            headers=boss.headers,
        )
        assert r.status_code == 200, r.text
        warned = next_message(ws)["payload"]
        assert warned["type"] == "moderation_warning"
        assert warned["moderation_warning"]["text"] == "Mind the rules."
        listed = client.get("/api/v1/notifications", headers=bob.headers).json()
        assert listed[0] == warned

        r = client.post(
            "/api/v1/domain_blocks", data={"domain": "far.example"}, headers=bob.headers
        )
        assert r.status_code == 200
        severed = next_message(ws)["payload"]
        assert severed["type"] == "severed_relationships"
        assert severed["event"]["target_name"] == "far.example"
        assert severed["event"]["followers_count"] == 1

        newcomer = make_user("newcomer")
        signed_up = next_message(staff)["payload"]
        assert signed_up["type"] == "admin.sign_up"
        assert signed_up["account"]["id"] == str(newcomer.account_id)


def test_what_a_viewer_may_not_see_does_not_reach_them(client, make_user):
    alice, bob, carol = make_user("alice"), make_user("bob"), make_user("carol")
    follow(client, bob, alice)
    with (
        client.websocket_connect("/api/v1/streaming?stream=user", headers=bob.headers) as bob_ws,
        client.websocket_connect("/api/v1/streaming?stream=public", headers=carol.headers) as pub,
    ):
        barrier(pub)
        post(client, alice, "only for followers", visibility="private")
        public = post(client, alice, "for everyone")
        # Carol (no follower) sees only the public one; Bob both, in order.
        assert next_message(pub)["payload"]["id"] == public["id"]
        assert next_message(bob_ws)["payload"]["content"].endswith("only for followers</p>")
        assert next_message(bob_ws)["payload"]["id"] == public["id"]

    r = client.post(f"/api/v1/accounts/{carol.account_id}/block", headers=alice.headers)
    assert r.status_code == 200, r.text
    with client.websocket_connect("/api/v1/streaming?stream=public", headers=carol.headers) as ws:
        post(client, alice, "carol is blocked")
        mine = post(client, carol, "carol's own")
        assert next_message(ws)["payload"]["id"] == mine["id"]


def test_public_local_hashtag_and_multiplexing(client, make_user):
    alice, bob = make_user("alice"), make_user("bob")
    with client.websocket_connect("/api/v1/streaming", headers=bob.headers) as ws:
        ws.send_text('{"type": "subscribe", "stream": "hashtag", "tag": "Cats"}')
        ws.send_text('{"type": "subscribe", "stream": "public:local"}')
        barrier(ws)
        tagged = post(client, alice, "look #cats")
        got = sorted(
            (m["stream"], m["payload"]["id"]) for m in (next_message(ws), next_message(ws))
        )
        assert got == [(["hashtag", "cats"], tagged["id"]), (["public:local"], tagged["id"])]
        ws.send_text('{"type": "unsubscribe", "stream": "public:local"}')
        barrier(ws)
        post(client, alice, "untagged")
        again = post(client, alice, "more #cats")
        message = next_message(ws)
        assert message["stream"] == ["hashtag", "cats"] and message["payload"]["id"] == again["id"]


@pytest.mark.parametrize("how", ["header", "query", "subprotocol"])
def test_the_token_in_each_place_clients_put_it(client, make_user, how):
    alice, bob = make_user("alice"), make_user("bob")
    follow(client, bob, alice)
    url, kwargs = "/api/v1/streaming?stream=user", {}
    if how == "header":
        kwargs["headers"] = bob.headers
    elif how == "query":
        url += f"&access_token={bob.token}"
    else:
        kwargs["subprotocols"] = [bob.token]
    with client.websocket_connect(url, **kwargs) as ws:
        if how == "subprotocol":
            assert ws.accepted_subprotocol == bob.token
        status = post(client, alice, "hi")
        assert next_message(ws)["payload"]["id"] == status["id"]


def test_a_bad_or_missing_token_is_refused_before_the_stream_opens(client, make_user):
    for headers in ({"Authorization": "Bearer nope"}, {}):
        with (
            pytest.raises(WebSocketDenialResponse) as denied,
            client.websocket_connect("/api/v1/streaming?stream=user", headers=headers),
        ):
            pass
        assert denied.value.status_code == 401
    r = client.get("/api/v1/streaming/user", headers={"Authorization": "Bearer nope"})
    assert r.status_code == 401 and r.json() == {"error": "Invalid access token"}
    reader = make_user("reader", scopes="read:accounts")
    r = client.get("/api/v1/streaming/public", headers=reader.headers)
    assert r.status_code == 401


def test_health(client):
    r = client.get("/api/v1/streaming/health")
    assert r.status_code == 200 and r.text == "OK"


def test_a_direct_message_is_a_conversation_on_the_direct_stream(client, make_user):
    alice, bob, carol = make_user("alice"), make_user("bob"), make_user("carol")
    with (
        client.websocket_connect("/api/v1/streaming?stream=direct", headers=bob.headers) as bob_ws,
        client.websocket_connect("/api/v1/streaming?stream=direct", headers=carol.headers) as cws,
    ):
        dm = post(client, alice, "@bob between us", visibility="direct")
        message = next_message(bob_ws)
        assert message["stream"] == ["direct"] and message["event"] == "conversation"
        assert message["payload"]["last_status"]["id"] == dm["id"]
        assert [a["id"] for a in message["payload"]["accounts"]] == [str(alice.account_id)]
        assert message["payload"]["unread"] is True
        # Carol was not addressed: what reaches her first is the deletion (sent to everyone).
        client.delete(f"/api/v1/statuses/{dm['id']}", headers=alice.headers)
        assert next_message(cws) == {"stream": ["direct"], "event": "delete", "payload": dm["id"]}


def test_an_https_instance_advertises_wss(client):
    # (The e2e tests check ws:// for a plain-http instance.)
    v1 = client.get("/api/v1/instance").json()
    v2 = client.get("/api/v2/instance").json()
    assert v1["urls"]["streaming_api"] == "wss://pnyx.test"
    assert v2["configuration"]["urls"]["streaming"] == "wss://pnyx.test"
