"""The `user` stream beyond posts and notifications (both databases, in process): a change of
one's filters, the staff's announcements and their reactions, and posts with a hashtag one
follows, as Mastodon's streaming server sends them."""

from __future__ import annotations

from urllib.parse import quote

import orjson
import sqlalchemy as sa

from api.test_announcements import publish
from api.test_streaming import barrier, follow, next_message, post
from pnyx.db.tables import announcements
from web.test_admin import post as admin_post
from web.test_admin import sign_in

USER = "/api/v1/streaming?stream=user"


def raw(ws) -> dict:
    return orjson.loads(ws.receive_text())


def test_filters_changed_reaches_the_owner_alone_for_every_kind_of_change(client, make_user):
    alice, bob = make_user("alice"), make_user("bob")
    follow(client, bob, alice)
    status = post(client, alice, "something to filter")
    changes = []

    def change(method: str, path: str, who=alice, **body):
        r = client.request(method, path, json=body or None, headers=who.headers)
        assert r.status_code == 200, r.text
        changes.append(path)
        return r.json()

    with (
        client.websocket_connect(USER, headers=alice.headers) as mine,
        client.websocket_connect(USER, headers=bob.headers) as theirs,
        client.websocket_connect(
            "/api/v1/streaming?stream=user:notification", headers=alice.headers
        ) as notifications_only,
    ):
        barrier(theirs)
        barrier(notifications_only)
        made = change("POST", "/api/v2/filters", title="t", context=["home"])
        change("PUT", f"/api/v2/filters/{made['id']}", title="t2")
        keyword = change("POST", f"/api/v2/filters/{made['id']}/keywords", keyword="x")
        change("PUT", f"/api/v2/filters/keywords/{keyword['id']}", keyword="y")
        change("DELETE", f"/api/v2/filters/keywords/{keyword['id']}")
        filtered = change("POST", f"/api/v2/filters/{made['id']}/statuses", status_id=status["id"])
        change("DELETE", f"/api/v2/filters/statuses/{filtered['id']}")
        change("DELETE", f"/api/v2/filters/{made['id']}")
        old = change("POST", "/api/v1/filters", phrase="cats", context=["home"])
        change("PUT", f"/api/v1/filters/{old['id']}", phrase="dogs", context=["home"])
        change("DELETE", f"/api/v1/filters/{old['id']}")
        for _ in changes:  # one message per change, with no payload (Mastodon's form)
            assert raw(mine) == {"stream": ["user"], "event": "filters_changed"}
        # Then nothing more for her, and nothing at all on Bob's stream nor on her
        # notifications-only one: the next message of each is what comes after.
        mention = post(client, bob, "@alice done?")
        assert next_message(theirs)["payload"]["id"] == mention["id"]
        for ws in (mine, notifications_only):
            message = next_message(ws)
            assert message["event"] == "notification"
            assert message["payload"]["status"]["id"] == mention["id"]


def test_a_refused_filter_change_says_nothing(client, make_user):
    alice = make_user("alice")
    with client.websocket_connect(USER, headers=alice.headers) as ws:
        r = client.post("/api/v2/filters", json={"title": "", "context": []}, headers=alice.headers)
        assert r.status_code == 422
        barrier(ws)  # the only message: the barrier's answer


def test_announcements_publish_react_and_withdraw_on_every_user_stream(client, make_user):
    alice, bob = make_user("alice"), make_user("bob")
    make_user("mod", role="moderator")
    sign_in(client, "mod")
    with (
        client.websocket_connect(USER, headers=alice.headers) as a,
        client.websocket_connect(USER, headers=bob.headers) as b,
    ):
        barrier(a)
        barrier(b)
        draft = admin_post(client, "/admin/announcements", text="Not yet")
        assert draft.status_code == 303
        first = publish(client, "Maintenance tonight #ops")
        for ws in (a, b):
            message = next_message(ws)
            assert message["stream"] == ["user"] and message["event"] == "announcement"
            entity = message["payload"]
            assert entity["id"] == first and entity["read"] is False
            assert entity["content"].startswith("<p>Maintenance tonight")
            # The same entity as the API lists for that person.
            listed = client.get("/api/v1/announcements", headers=alice.headers).json()
            assert entity == listed[0]

        path = f"/api/v1/announcements/{first}"
        assert client.post(f"{path}/dismiss", headers=alice.headers).status_code == 200
        thumbs = quote("👍")
        # The count is read when the message is made: one reaction at a time, each awaited.
        for count, who in ((1, alice), (2, bob)):
            r = client.put(f"{path}/reactions/{thumbs}", headers=who.headers)
            assert r.status_code == 200, r.text
            for ws in (a, b):
                message = next_message(ws)
                assert message["event"] == "announcement.reaction"
                assert message["payload"] == {
                    "name": "👍",
                    "count": count,
                    "announcement_id": first,
                }
        assert client.delete(f"{path}/reactions/{thumbs}", headers=bob.headers).status_code == 200
        for ws in (a, b):
            assert next_message(ws)["payload"]["count"] == 1

        # An edit of a published announcement (the admin page's form) is sent again, as
        # each person reads it; a refused one sends nothing.
        refused = admin_post(client, f"/admin/announcements/{first}/edit", text="  ")
        assert refused.status_code == 422 and 'aria-invalid="true"' in refused.text
        draft_id = client.app.state.db.run_sync(
            lambda tx: tx.scalar(
                sa.select(announcements.c.id).where(announcements.c.text == "Not yet")
            )
        )
        quiet = admin_post(client, f"/admin/announcements/{draft_id}/edit", text="Not yet, soon")
        assert quiet.status_code == 303, quiet.text  # a draft: nobody is told
        edited = admin_post(client, f"/admin/announcements/{first}/edit", text="Moved to 23:00")
        assert edited.status_code == 303, edited.text
        mine, theirs = next_message(a)["payload"], next_message(b)["payload"]
        assert "Moved to 23:00" in mine["content"] and mine["read"] is True
        assert mine["reactions"] == [{"name": "👍", "count": 1, "me": True}]
        assert theirs["read"] is False and theirs["reactions"][0]["me"] is False

        assert admin_post(client, f"/admin/announcements/{first}/unpublish").status_code == 303
        for ws in (a, b):
            assert raw(ws) == {"stream": ["user"], "event": "announcement.delete", "payload": first}
        assert admin_post(client, f"/admin/announcements/{first}/publish").status_code == 303
        for ws in (a, b):
            assert next_message(ws)["event"] == "announcement"
        assert admin_post(client, f"/admin/announcements/{first}/delete").status_code == 303
        for ws in (a, b):
            assert raw(ws) == {"stream": ["user"], "event": "announcement.delete", "payload": first}


def test_a_post_with_a_followed_hashtag_arrives_on_the_user_stream(client, make_user):
    alice, bob, carol = make_user("alice"), make_user("bob"), make_user("carol")
    r = client.post("/api/v1/tags/Cats/follow", headers=bob.headers)
    assert r.status_code == 200 and r.json()["following"] is True, r.text
    with client.websocket_connect(USER, headers=bob.headers) as ws:
        barrier(ws)
        post(client, alice, "no tag here")
        post(client, alice, "for followers #cats", visibility="private")
        unlisted = post(client, alice, "quiet #cats", visibility="unlisted")
        tagged = post(client, alice, "look #cats")
        # Not the untagged post nor the followers-only one: the unlisted and public ones,
        # as the home timeline shows them.
        assert next_message(ws)["payload"]["id"] == unlisted["id"]
        message = next_message(ws)
        assert message["stream"] == ["user"] and message["payload"]["id"] == tagged["id"]
        home = client.get("/api/v1/timelines/home", headers=bob.headers).json()
        assert [s["id"] for s in home] == [tagged["id"], unlisted["id"]]
        # Nor a boost of it by someone Bob does not follow.
        r = client.post(f"/api/v1/statuses/{tagged['id']}/reblog", headers=carol.headers)
        assert r.status_code == 200, r.text
        mine = post(client, bob, "my own")
        assert next_message(ws)["payload"]["id"] == mine["id"]

    # A muted author's tagged post stays off the stream, as off the home timeline.
    r = client.post(f"/api/v1/accounts/{alice.account_id}/mute", headers=bob.headers)
    assert r.status_code == 200, r.text
    with client.websocket_connect(USER, headers=bob.headers) as ws:
        post(client, alice, "muted #cats")
        mine = post(client, bob, "my own again")
        assert next_message(ws)["payload"]["id"] == mine["id"]
