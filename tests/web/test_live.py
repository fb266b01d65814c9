"""Web UI: live timelines over Server-Sent Events (issue 4).

Streams are read with the TestClient's `stream`; each test shortens the stream's lifetime
(a module setting) so that a broken stream fails the test instead of hanging it.
"""

from __future__ import annotations

import json
import threading
import time

import pytest

import factories
from pnyx.core import statuses
from pnyx.web import live

from .forms import sign_in


@pytest.fixture(autouse=True)
def short_streams(monkeypatch):
    monkeypatch.setattr(live, "DURATION_SECONDS", 15.0)


def post(db, account_id: int, text: str, visibility: str = "public") -> int:
    return db.run_sync(
        statuses.create, account_id, statuses.StatusInput(text=text, visibility=visibility)
    )


def events(response):
    """(event name, data, id) for each event; comments and `retry:` come as ("", line, None)."""
    name, data, event_id = "", [], None
    for line in response.iter_lines():
        if line.startswith(":") or line.startswith("retry:"):
            yield "", line, None
        elif line.startswith("event: "):
            name = line[len("event: ") :]
        elif line.startswith("data: "):
            data.append(line[len("data: ") :])
        elif line.startswith("id: "):
            event_id = line[len("id: ") :]
        elif line == "" and data:
            yield name, json.loads("\n".join(data)), event_id
            name, data, event_id = "", [], None


def updates_until(response, wanted_id: int) -> list[dict]:
    """Every update up to and including the one for `wanted_id` (the stream's end fails)."""
    seen = []
    for name, data, _ in events(response):
        if name == "update":
            seen.append(data)
            if data["id"] == str(wanted_id):
                return seen
    raise AssertionError(f"the stream ended without {wanted_id}; got {[d['id'] for d in seen]}")


def test_home_stream_needs_a_session_and_unknown_streams_are_404(client):
    assert client.get("/live/home").status_code == 401
    assert client.get("/live/nonsense").status_code == 404
    assert client.get("/live/hashtag:").status_code == 404


def test_local_stream_sends_new_posts_the_viewer_may_see(client, make_user):
    db = client.app.state.db
    make_user("me")
    bob, carol = make_user("bob"), make_user("carol")
    since = post(db, bob.account_id, "already on the page")
    hidden = post(db, carol.account_id, "for carol's followers only", visibility="private")
    fresh = post(db, bob.account_id, "a brand new post")
    sign_in(client, "me")
    with client.stream("GET", f"/live/public:local?since={since}") as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        assert response.headers["cache-control"] == "no-store"
        got = updates_until(response, fresh)
    # Events come oldest first, so a leaked followers-only post would have come before.
    assert [d["id"] for d in got] == [str(fresh)]
    assert str(hidden) not in json.dumps(got)
    html = got[0]["html"]
    assert html.lstrip().startswith("<article") and f'id="status-{fresh}"' in html
    assert "a brand new post" in html
    # Rendered for the signed-in viewer; its forms return to the timeline page, not here.
    if "return_to" in html:
        assert 'value="/public/local#status-' in html and "/live/" not in html


def test_a_post_made_while_the_stream_is_open_arrives(client, make_user):
    db = client.app.state.db
    bob = make_user("bob")
    since = post(db, bob.account_id, "old news")
    made: dict = {}

    def later():
        time.sleep(0.5)
        made["id"] = post(db, bob.account_id, "breaking news")

    with client.stream("GET", f"/live/public?since={since}") as response:
        thread = threading.Thread(target=later)
        thread.start()
        data, event_id = next((d, i) for name, d, i in events(response) if name == "update")
        thread.join()
    assert data["id"] == str(made["id"]) and event_id == data["id"]
    assert "breaking news" in data["html"] and "old news" not in data["html"]


def test_stream_starts_with_retry_and_labels_keeps_alive_and_ends(client, monkeypatch):
    monkeypatch.setattr(live, "DURATION_SECONDS", 0.6)
    monkeypatch.setattr(live, "KEEPALIVE_SECONDS", 0.1)
    body = client.get("/live/public", headers={"Accept-Language": "fr"}).text
    assert body.startswith("retry: ")
    assert "event: labels" in body and "nouveaux messages" in body
    assert ": keep-alive" in body
    assert client.app.state.live_slots.open == 0


def test_home_stream_follows_the_home_rules(client, make_user):
    db = client.app.state.db
    me, friend, stranger = make_user("me"), make_user("friend"), make_user("stranger")
    factories.follow(db, me.account_id, friend.account_id)
    since = post(db, friend.account_id, "seen already")
    post(db, stranger.account_id, "not followed, public")
    post(db, stranger.account_id, "not followed, private", visibility="private")
    private = post(db, friend.account_id, "for my followers", visibility="private")
    sign_in(client, "me")
    with client.stream("GET", f"/live/home?since={since}") as response:
        got = updates_until(response, private)
    assert [d["id"] for d in got] == [str(private)]


def test_hashtag_stream_and_resuming_from_the_last_event(client, make_user):
    db = client.app.state.db
    bob = make_user("bob")
    first = factories.status(db, bob.account_id, "one #Cats", tag_names=["cats"])
    second = factories.status(db, bob.account_id, "two #Cats", tag_names=["cats"])
    factories.status(db, bob.account_id, "dogs only", tag_names=["dogs"])
    third = factories.status(db, bob.account_id, "three #Cats", tag_names=["cats"])
    with client.stream("GET", f"/live/hashtag:Cats?since={first}") as response:
        got = updates_until(response, third)
    assert [d["id"] for d in got] == [str(second), str(third)]
    # A reconnecting EventSource names the last event it saw; the stream carries on from it.
    with client.stream(
        "GET", f"/live/hashtag:cats?since={first}", headers={"Last-Event-ID": str(second)}
    ) as response:
        got = updates_until(response, third)
    assert [d["id"] for d in got] == [str(third)]


def test_streams_are_capped_per_process(client, make_user, monkeypatch):
    monkeypatch.setattr(live, "MAX_STREAMS", 1)
    db = client.app.state.db
    bob = make_user("bob")
    since = post(db, bob.account_id, "before")
    fresh = post(db, bob.account_id, "after")
    with client.stream("GET", f"/live/public?since={since}") as response:
        updates_until(response, fresh)  # the stream is open and holds its slot
        refused = client.get("/live/public")
        assert refused.status_code == 503 and refused.headers["retry-after"]
    deadline = time.monotonic() + 5
    while client.app.state.live_slots.open and time.monotonic() < deadline:
        time.sleep(0.05)
    assert client.app.state.live_slots.open == 0
