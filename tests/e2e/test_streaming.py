"""The streaming API of a real `pnyx serve`: a real WebSocket client (the `websockets`
package) and server-sent events read with httpx, against uvicorn's WebSocket implementation
and the server's own HTTP protocol, on both databases; on PostgreSQL, a post made through one
web process reaches a client connected to another.

Users are made with the CLI and log in through Mastodon.py, which posts, follows, edits,
blocks and deletes, as an app does.
"""

from __future__ import annotations

import json
import os
import queue
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import httpx
import pytest
from mastodon import Mastodon
from websockets.exceptions import InvalidStatus
from websockets.sync.client import ClientConnection, connect

from server import PnyxServer

PASSWORD = "correct horse battery staple"
SCOPES = ["read", "write", "follow", "push"]
PG_URL = os.environ.get("PNYX_TEST_DATABASE_URL", "")
WAIT = 20.0  # seconds a message may take on a busy machine (a bound, not an assertion)


@dataclass
class Person:
    name: str
    id: str
    token: str
    api: Mastodon

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


def log_in(server: PnyxServer, name: str) -> Person:
    server.create_user(name, f"{name}@example.com", PASSWORD)
    client_id, secret = Mastodon.create_app(
        "streaming e2e", scopes=SCOPES, api_base_url=server.base_url
    )
    api = Mastodon(client_id=client_id, client_secret=secret, api_base_url=server.base_url)
    token = api.log_in(
        username=f"{name}@example.com", password=PASSWORD, scopes=SCOPES, allow_http=True
    )
    return Person(name, str(api.account_verify_credentials()["id"]), token, api)


@pytest.fixture(scope="module")
def people(server: PnyxServer) -> dict[str, Person]:
    """alice, bob (follows alice) and carol (follows nobody, blocked by alice)."""
    found = {name: log_in(server, name) for name in ("alice", "bob", "carol")}
    found["bob"].api.account_follow(found["alice"].id)
    found["alice"].api.account_block(found["carol"].id)
    return found


def ws_url(server: PnyxServer, query: str = "") -> str:
    return f"ws://{server.domain}/api/v1/streaming" + (f"?{query}" if query else "")


def receive(ws: ClientConnection) -> dict:
    message = json.loads(ws.recv(timeout=WAIT))
    if message.get("event") not in (None, "delete"):
        message["payload"] = json.loads(message["payload"])
    return message


@contextmanager
def sse(server: PnyxServer, path: str, person: Person) -> Iterator[Iterator[tuple[str, str]]]:
    """(event, data) pairs of a server-sent-events stream, once it is open."""
    with httpx.stream(
        "GET", server.url(path), headers=person.headers, timeout=httpx.Timeout(WAIT)
    ) as response:
        assert response.status_code == 200, response.read()
        assert response.headers["content-type"].startswith("text/event-stream")
        lines = response.iter_lines()
        assert next(lines) == ":)"  # sent once the stream is subscribed

        def events() -> Iterator[tuple[str, str]]:
            event = None
            for line in lines:
                if line.startswith("event: "):
                    event = line[len("event: ") :]
                elif line.startswith("data: ") and event:
                    yield event, line[len("data: ") :]
                    event = None

        yield events()


def unique(word: str) -> str:
    return f"{word}{uuid.uuid4().hex[:8]}"


def test_a_follower_gets_update_edit_delete_and_notification(server, people):
    alice, bob = people["alice"], people["bob"]
    with connect(ws_url(server, "stream=user"), additional_headers=bob.headers) as ws:
        status = alice.api.status_post("for my followers", visibility="private")
        message = receive(ws)
        assert message["stream"] == ["user"] and message["event"] == "update"
        assert message["payload"]["id"] == str(status["id"])

        alice.api.status_update(status["id"], "for my followers, edited")
        message = receive(ws)
        assert message["event"] == "status.update"
        assert "edited" in message["payload"]["content"]

        alice.api.status_delete(status["id"])
        assert receive(ws) == {"stream": ["user"], "event": "delete", "payload": str(status["id"])}

        mention = alice.api.status_post("@bob hello")
        seen = [receive(ws), receive(ws)]  # the post in bob's home, and the notification
        notification = next(m for m in seen if m["event"] == "notification")
        assert notification["payload"]["type"] == "mention"
        assert notification["payload"]["status"]["id"] == str(mention["id"])


def test_the_direct_stream_sends_the_conversation_as_the_api_lists_it(server, people):
    alice, bob = people["alice"], people["bob"]
    with connect(ws_url(server, "stream=direct"), additional_headers=bob.headers) as ws:
        secret = alice.api.status_post("@bob just us", visibility="direct")
        message = receive(ws)
        assert message["stream"] == ["direct"] and message["event"] == "conversation"
        conversation = message["payload"]
        assert conversation["last_status"]["id"] == str(secret["id"])
        assert conversation["unread"] is True
        assert [a["id"] for a in conversation["accounts"]] == [alice.id]
        listed = [str(c["id"]) for c in bob.api.conversations()]
        assert conversation["id"] in listed  # the same id as /api/v1/conversations


def test_streams_apply_the_viewers_filters_as_their_timelines_do(server, people):
    """A `hide` filter of the home context keeps a post off the user stream but not off the
    public one; a `warn` filter lets it through with `filtered`, as on the pages."""
    alice, bob = people["alice"], people["bob"]
    hidden, warned = f"hush{uuid.uuid4().hex[:8]}", f"careful{uuid.uuid4().hex[:8]}"
    bob.api.create_filter_v2(
        "Hush", ["home"], "hide", keywords_attributes=[{"keyword": hidden, "whole_word": True}]
    )
    bob.api.create_filter_v2("Careful", ["home"], "warn", keywords_attributes=[{"keyword": warned}])
    with (
        connect(ws_url(server, "stream=user"), additional_headers=bob.headers) as home,
        connect(ws_url(server, "stream=public"), additional_headers=bob.headers) as public,
    ):
        alice.api.status_post(f"about {hidden} things")
        alice.api.status_post(f"about {warned} things")
        on_public = receive(public)["payload"]
        assert hidden in on_public["content"]
        assert [f["filter"]["title"] for f in on_public["filtered"]] == ["Hush"]
        message = receive(home)["payload"]  # the hidden one never came first
        assert warned in message["content"]
        assert [f["filter"]["title"] for f in message["filtered"]] == ["Careful"]


def test_a_list_stream_carries_its_members_posts_to_its_owner_only(server, people):
    alice, bob, carol = people["alice"], people["bob"], people["carol"]
    listed = bob.api.list_create(f"friends {uuid.uuid4().hex[:6]}")
    bob.api.list_accounts_add(listed["id"], [alice.id])
    query = f"stream=list&list={listed['id']}"
    with connect(ws_url(server, query), additional_headers=bob.headers) as ws:
        status = alice.api.status_post("for the list")
        message = receive(ws)
        assert message["stream"] == ["list", str(listed["id"])]
        assert message["event"] == "update" and message["payload"]["id"] == str(status["id"])
    with connect(ws_url(server, query), additional_headers=carol.headers) as theirs:
        refused = json.loads(theirs.recv(timeout=WAIT))
        assert refused == {"error": "Not authorized to stream this list", "status": 401}


def test_who_may_not_see_a_post_does_not_get_it(server, people):
    alice, bob, carol = people["alice"], people["bob"], people["carol"]
    with (
        connect(ws_url(server, "stream=user"), additional_headers=carol.headers) as carol_home,
        connect(ws_url(server, "stream=public"), additional_headers=carol.headers) as carol_pub,
        connect(ws_url(server, "stream=public"), additional_headers=bob.headers) as bob_pub,
    ):
        alice.api.status_post("followers only", visibility="private")
        alice.api.status_post("public, but carol is blocked")
        bob.api.status_post("bob speaks")
        # Each stream is ordered: what carol must not see would have come first.
        assert receive(bob_pub)["payload"]["content"] == "<p>public, but carol is blocked</p>"
        assert receive(carol_pub)["payload"]["content"] == "<p>bob speaks</p>"
        assert receive(bob_pub)["payload"]["content"] == "<p>bob speaks</p>"
        carol.api.status_post("carol writes")
        assert receive(carol_home)["payload"]["content"] == "<p>carol writes</p>"


def test_public_local_remote_and_hashtags_over_server_sent_events(server, people):
    alice, bob = people["alice"], people["bob"]
    tag = unique("tag")
    with (
        sse(server, "/api/v1/streaming/public/local", bob) as local,
        sse(server, f"/api/v1/streaming/hashtag?tag={tag}", bob) as tagged,
        connect(ws_url(server, "stream=public:remote"), additional_headers=bob.headers) as remote,
        connect(ws_url(server), additional_headers=bob.headers) as multiplexed,
    ):
        multiplexed.send(json.dumps({"type": "subscribe", "stream": "hashtag:local", "tag": tag}))
        multiplexed.send(json.dumps({"type": "subscribe", "stream": "no such stream"}))
        assert json.loads(multiplexed.recv(timeout=WAIT))["status"] == 400  # after the first
        alice.api.status_post("nothing special")
        status = alice.api.status_post(f"about #{tag}")
        event, data = next(local)
        assert event == "update" and json.loads(data)["content"] == "<p>nothing special</p>"
        event, data = next(tagged)
        assert event == "update" and json.loads(data)["id"] == str(status["id"])
        message = receive(multiplexed)
        assert message["stream"] == ["hashtag:local", tag]
        assert message["payload"]["id"] == str(status["id"])
        # Nothing here is from elsewhere: the remote stream's next message is a delete.
        alice.api.status_delete(status["id"])
        assert receive(remote) == {
            "stream": ["public:remote"],
            "event": "delete",
            "payload": str(status["id"]),
        }


@pytest.mark.parametrize("how", ["header", "query", "subprotocol"])
def test_the_token_by_header_query_or_subprotocol(server, people, how):
    alice, bob = people["alice"], people["bob"]
    query, options = "stream=user", {}
    if how == "header":
        options["additional_headers"] = bob.headers
    elif how == "query":
        query += f"&access_token={bob.token}"
    else:
        options["subprotocols"] = [bob.token]
    with connect(ws_url(server, query), **options) as ws:
        if how == "subprotocol":
            assert ws.subprotocol == bob.token
        status = alice.api.status_post(f"token by {how}")
        assert receive(ws)["payload"]["id"] == str(status["id"])


def test_a_bad_token_is_refused_with_401(server):
    with pytest.raises(InvalidStatus) as refused:
        connect(ws_url(server, "stream=user&access_token=nonsense"))
    assert refused.value.response.status_code == 401
    answer = httpx.get(server.url("/api/v1/streaming/user?access_token=nonsense"))
    assert answer.status_code == 401 and answer.json() == {"error": "Invalid access token"}
    assert httpx.get(server.url("/api/v1/streaming/health")).text == "OK"


def test_the_instance_advertises_its_streaming_url(server):
    v1 = httpx.get(server.url("/api/v1/instance")).json()
    v2 = httpx.get(server.url("/api/v2/instance")).json()
    assert v1["urls"]["streaming_api"] == f"ws://{server.domain}"
    assert v2["configuration"]["urls"]["streaming"] == f"ws://{server.domain}"


@pytest.mark.skipif(not PG_URL, reason="needs PNYX_TEST_DATABASE_URL")
def test_a_post_through_one_process_reaches_a_client_of_another(tmp_path):
    with (
        PnyxServer(tmp_path / "one", backend="postgres") as one,
        PnyxServer(tmp_path / "two", backend="postgres", same_instance_as=one) as two,
    ):
        alice, bob = log_in(one, "alice"), log_in(one, "bob")
        bob.api.account_follow(alice.id)
        with connect(ws_url(two, "stream=user"), additional_headers=bob.headers) as ws:
            status = alice.api.status_post("through the first process")
            message = receive(ws)
            assert message["payload"]["id"] == str(status["id"])


def test_a_websocket_outlives_the_deadlines_of_http_requests(tmp_path):
    """The server's HTTP protocol closes requests whose headers or body take too long; a
    connection upgraded to a WebSocket is no longer a request, and stays open."""
    env = {"PNYX_CLIENT_HEADER_TIMEOUT": "1", "PNYX_CLIENT_BODY_TIMEOUT": "1"}
    with PnyxServer(tmp_path / "deadlines", env=env) as server:
        alice, bob = log_in(server, "alice"), log_in(server, "bob")
        bob.api.account_follow(alice.id)
        with connect(ws_url(server, "stream=user"), additional_headers=bob.headers) as ws:
            time.sleep(2.5)  # past both deadlines
            status = alice.api.status_post("still there?")
            assert receive(ws)["payload"]["id"] == str(status["id"])


def test_mastodon_py_hears_followed_tags_filters_and_announcements(server, people):
    """Mastodon.py's own listener on the `user` stream (server-sent events): a post with a
    hashtag it follows, `filters_changed` (no payload: `data: undefined`, which Mastodon.py
    reads as Mastodon's), and an announcement published by staff in the web admin, reacted to
    through the API, then unpublished."""
    from mastodon.streaming import StreamListener

    alice = people["alice"]
    staff = unique("staff")
    server.create_user(staff, f"{staff}@example.com", PASSWORD, admin=True)
    dan = log_in(server, unique("dan"))
    tag = unique("tag")
    heard: queue.Queue = queue.Queue()

    class Ear(StreamListener):
        def handle_heartbeat(self):
            heard.put(("heartbeat", None))

        def on_update(self, status):
            heard.put(("update", str(status["id"])))

        def on_filters_changed(self):
            heard.put(("filters_changed", None))

        def on_announcement(self, announcement):
            heard.put(("announcement", str(announcement["id"])))

        def on_announcement_reaction(self, reaction):
            heard.put(("announcement.reaction", (reaction["name"], reaction["count"])))

        def on_announcement_delete(self, announcement_id):
            heard.put(("announcement.delete", str(announcement_id)))

        def on_abort(self, err):
            heard.put(("abort", repr(err)))

    def next_heard() -> tuple:
        while True:
            kind, value = heard.get(timeout=WAIT)
            if kind != "heartbeat":
                return kind, value

    handle = dan.api.stream_user(Ear(), run_async=True)
    try:
        assert heard.get(timeout=WAIT)[0] == "heartbeat"  # ":)": the stream is open
        dan.api.tag_follow(tag)
        status = alice.api.status_post(f"news about #{tag}")
        assert next_heard() == ("update", str(status["id"]))

        dan.api.create_filter_v2("Quiet", ["home"], "warn", keywords_attributes=[{"keyword": "x"}])
        assert next_heard() == ("filters_changed", None)

        with httpx.Client(base_url=server.base_url, timeout=WAIT) as web:
            web.get("/auth/sign_in")
            signed_in = web.post(
                "/auth/sign_in",
                data={"login": staff, "password": PASSWORD, "csrf_token": web.cookies["pnyx_csrf"]},
            )
            assert signed_in.status_code == 303, signed_in.text
            published = web.post(
                "/admin/announcements",
                data={"csrf_token": web.cookies["pnyx_csrf"], "text": "Hello all", "publish": "1"},
            )
            assert published.status_code == 303, published.text
            kind, announcement_id = next_heard()
            assert kind == "announcement"
            dan.api.announcement_reaction_create(announcement_id, "🎉")
            assert next_heard() == ("announcement.reaction", ("🎉", 1))
            withdrawn = web.post(
                f"/admin/announcements/{announcement_id}/unpublish",
                data={"csrf_token": web.cookies["pnyx_csrf"]},
            )
            assert withdrawn.status_code == 303, withdrawn.text
            assert next_heard() == ("announcement.delete", announcement_id)
    finally:
        handle.close()


def test_a_pinned_feeds_list_stream_opens_and_sends_nothing(server, people):
    """A pinned feed is a list to apps; its `list` stream is accepted (an app opening it
    gets no error) and never carries anything: a ranked order has no "newer post"."""
    alice, bob, carol = people["alice"], people["bob"], people["carol"]
    pinned = httpx.post(
        server.url("/api/v1/pnyx/feeds/diverse/pin"), headers=bob.headers, timeout=WAIT
    )
    pin_id = pinned.json()["id"]
    query = f"stream=list&list={pin_id}"
    with connect(ws_url(server, query), additional_headers=bob.headers) as ws:
        ws.send(json.dumps({"type": "subscribe", "stream": "user"}))
        status = alice.api.status_post("after the pin")
        message = receive(ws)  # an error or a list message would have come first
        assert message["stream"] == ["user"]
        assert message["payload"]["id"] == str(status["id"])
    with connect(ws_url(server, query), additional_headers=carol.headers) as theirs:
        refused = json.loads(theirs.recv(timeout=WAIT))
        assert refused == {"error": "Not authorized to stream this list", "status": 401}
    httpx.post(server.url("/api/v1/pnyx/feeds/diverse/unpin"), headers=bob.headers, timeout=WAIT)
