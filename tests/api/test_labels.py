"""Labels through the Pnyx API, on one server: any account defines labels and labels a post;
someone who subscribes sees it as a `filtered` result (warn) in every timeline, no longer sees
the post once they set the label to hide, and sees it plainly after the labeler takes the label
back or after it expires. The instance's labels apply to everyone by default."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from pnyx.db.tables import accounts
from pnyx.db.tables import labels as labels_table

DEFINITIONS = {
    "definitions": [
        {
            "value": "disputed",
            "severity": "warn",
            "default_setting": "warn",
            "locales": [{"lang": "en", "name": "Disputed", "description": "Claims in dispute"}],
        },
        {"value": "gore", "severity": "hide", "default_setting": "hide"},
    ]
}


def post(client, user, text: str) -> dict:
    answer = client.post("/api/v1/statuses", json={"status": text}, headers=user.headers)
    assert answer.status_code == 200, answer.text
    return answer.json()


def follow(client, user, target) -> None:
    answer = client.post(f"/api/v1/accounts/{target.account_id}/follow", headers=user.headers)
    assert answer.status_code == 200, answer.text


def shown(client, user, path: str, status_id: str) -> dict | None:
    answer = client.get(path, headers=user.headers)
    assert answer.status_code == 200, answer.text
    return next((s for s in answer.json() if s["id"] == status_id), None)


def label_titles(status: dict) -> list[tuple[str, str]]:
    return [(f["filter"]["title"], f["filter"]["filter_action"]) for f in status["filtered"]]


def test_a_subscriber_sees_a_label_as_a_filter_then_hides_it_then_it_is_taken_back(
    client, make_user
):
    checkers, author, reader, other = (
        make_user(n) for n in ("checkers", "author", "reader", "other")
    )
    assert (
        client.put("/api/v1/pnyx/labeler", json=DEFINITIONS, headers=checkers.headers).status_code
        == 200
    )
    follow(client, reader, author)
    follow(client, other, author)
    status = post(client, author, "The moon is made of cheese")

    labeled = client.post(
        "/api/v1/pnyx/labels",
        json={"subject": status["uri"], "value": "disputed", "reason": "See the survey"},
        headers=checkers.headers,
    )
    assert labeled.status_code == 200, labeled.text
    assert labeled.json()["labeler"]["acct"] == "checkers"

    # Before subscribing: nothing applies.
    assert label_titles(shown(client, reader, "/api/v1/timelines/home", status["id"])) == []
    answer = client.post(
        f"/api/v1/pnyx/labelers/{checkers.account_id}/subscribe", headers=reader.headers
    )
    assert answer.status_code == 200, answer.text
    warned = [("Label: disputed (by @checkers)", "warn")]
    for path in ("/api/v1/timelines/home", "/api/v1/timelines/public"):
        assert label_titles(shown(client, reader, path, status["id"])) == warned, path
    one = client.get(f"/api/v1/statuses/{status['id']}", headers=reader.headers).json()
    assert label_titles(one) == warned
    # Someone who did not subscribe sees no label.
    assert label_titles(shown(client, other, "/api/v1/timelines/home", status["id"])) == []
    # The labels on a subject, for anyone.
    on = client.get("/api/v1/pnyx/labels", params={"subject": status["uri"]}).json()
    assert [(x["value"], x["labeler"]["acct"], x["reason"]) for x in on] == [
        ("disputed", "checkers", "See the survey")
    ]

    # Set to hide: the post is gone from the reader's timelines.
    answer = client.post(
        f"/api/v1/pnyx/labelers/{checkers.account_id}/settings",
        json={"value": "disputed", "setting": "hide"},
        headers=reader.headers,
    )
    assert answer.status_code == 200, answer.text
    assert shown(client, reader, "/api/v1/timelines/home", status["id"]) is None
    assert shown(client, reader, "/api/v1/timelines/public", status["id"]) is None
    # ... but still there for the other reader.
    assert shown(client, other, "/api/v1/timelines/home", status["id"]) is not None

    # The labeler takes it back: shown again, plainly.
    answer = client.post(
        "/api/v1/pnyx/labels",
        json={"subject": status["uri"], "value": "disputed", "neg": True},
        headers=checkers.headers,
    )
    assert answer.status_code == 200 and answer.json()["neg"] is True
    again = shown(client, reader, "/api/v1/timelines/home", status["id"])
    assert again is not None and label_titles(again) == []
    assert client.get("/api/v1/pnyx/labels", params={"subject": status["uri"]}).json() == []


def test_a_label_that_expires_stops_applying(client, make_user):
    checkers, author, reader = (make_user(n) for n in ("checkers", "author", "reader"))
    client.put("/api/v1/pnyx/labeler", json=DEFINITIONS, headers=checkers.headers)
    follow(client, reader, author)
    client.post(f"/api/v1/pnyx/labelers/{checkers.account_id}/subscribe", headers=reader.headers)
    status = post(client, author, "Gruesome")
    answer = client.post(
        "/api/v1/pnyx/labels",
        json={"subject": status["uri"], "value": "gore", "expires_in": 3600},
        headers=checkers.headers,
    )
    assert answer.status_code == 200, answer.text
    assert shown(client, reader, "/api/v1/timelines/home", status["id"]) is None  # hide default
    db = client.app.state.db
    db.run_sync(
        lambda tx: tx.execute(
            labels_table.update().values(expires_at=tx.now - timedelta(seconds=1))
        )
    )
    assert shown(client, reader, "/api/v1/timelines/home", status["id"]) is not None


def test_labels_are_checked(client, make_user):
    checkers, author = make_user("checkers"), make_user("author")
    status = post(client, author, "hello")
    # No definitions yet: nothing to label with.
    answer = client.post(
        "/api/v1/pnyx/labels",
        json={"subject": status["uri"], "value": "disputed"},
        headers=checkers.headers,
    )
    assert answer.status_code == 422 and "no such label" in answer.json()["error"]
    client.put("/api/v1/pnyx/labeler", json=DEFINITIONS, headers=checkers.headers)
    for bad in (
        {"subject": "not a uri", "value": "disputed"},
        {"subject": status["uri"], "value": "Nope!"},
    ):
        answer = client.post("/api/v1/pnyx/labels", json=bad, headers=checkers.headers)
        assert answer.status_code == 422, bad
    bad_definitions = {"definitions": [{"value": "x", "severity": "loud"}]}
    answer = client.put("/api/v1/pnyx/labeler", json=bad_definitions, headers=checkers.headers)
    assert answer.status_code == 422
    # Subscribing to an account that labels nothing, or to oneself, is refused.
    answer = client.post(
        f"/api/v1/pnyx/labelers/{author.account_id}/subscribe", headers=checkers.headers
    )
    assert answer.status_code == 422
    answer = client.post(
        f"/api/v1/pnyx/labelers/{checkers.account_id}/subscribe", headers=checkers.headers
    )
    assert answer.status_code == 422
    # A setting names one of the labeler's labels, and one of show, warn, hide.
    for body in ({"value": "disputed", "setting": "loud"}, {"value": "other", "setting": "hide"}):
        answer = client.post(
            f"/api/v1/pnyx/labelers/{checkers.account_id}/settings",
            json=body,
            headers=author.headers,
        )
        assert answer.status_code == 422, body
    # Signed out: the labels on a subject are public; labeling is not.
    assert client.get("/api/v1/pnyx/labels", params={"subject": status["uri"]}).status_code == 200
    assert (
        client.post(
            "/api/v1/pnyx/labels", json={"subject": status["uri"], "value": "disputed"}
        ).status_code
        == 401
    )
    rows = client.app.state.db.run_sync(lambda tx: tx.rows(sa.select(labels_table)))
    assert rows == []


def test_labels_on_an_author_apply_in_streaming_search_and_notifications(client, make_user):
    """The one pipeline: a label on an account reaches the live stream (warn: the update
    carries `filtered`; hide: nothing is sent), search and notifications, as a filter would."""
    import orjson

    checkers, author, reader = (make_user(n) for n in ("checkers", "author", "reader"))
    client.put("/api/v1/pnyx/labeler", json=DEFINITIONS, headers=checkers.headers)
    follow(client, reader, author)
    client.post(f"/api/v1/pnyx/labelers/{checkers.account_id}/subscribe", headers=reader.headers)
    actor_uri = client.app.state.db.run_sync(
        lambda tx: tx.scalar(sa.select(accounts.c.uri).where(accounts.c.id == author.account_id))
    )
    answer = client.post(
        "/api/v1/pnyx/labels",
        json={"subject": actor_uri, "value": "disputed"},
        headers=checkers.headers,
    )
    assert answer.status_code == 200, answer.text

    with client.websocket_connect("/api/v1/streaming?stream=user", headers=reader.headers) as ws:
        first = post(client, author, "labeled author speaks, @reader")
        message = orjson.loads(ws.receive_text())
        payload = orjson.loads(message["payload"])
        if message["event"] == "notification":  # the mention may come first
            assert label_titles(payload["status"]) == [("Label: disputed (by @checkers)", "warn")]
            message = orjson.loads(ws.receive_text())
            payload = orjson.loads(message["payload"])
        assert message["event"] == "update" and payload["id"] == first["id"]
        assert label_titles(payload) == [("Label: disputed (by @checkers)", "warn")]

    found = client.get(
        "/api/v2/search", params={"q": "labeled author", "type": "statuses"}, headers=reader.headers
    ).json()["statuses"]
    assert [label_titles(s) for s in found] in ([], [[("Label: disputed (by @checkers)", "warn")]])
    told = client.get("/api/v1/notifications", headers=reader.headers).json()
    mention = next(n for n in told if n["type"] == "mention")
    assert label_titles(mention["status"]) == [("Label: disputed (by @checkers)", "warn")]

    # Hide: the next post is not streamed to the reader at all.
    client.post(
        f"/api/v1/pnyx/labelers/{checkers.account_id}/settings",
        json={"value": "disputed", "setting": "hide"},
        headers=reader.headers,
    )
    with client.websocket_connect("/api/v1/streaming?stream=user", headers=reader.headers) as ws:
        post(client, author, "hidden now")
        mine = post(client, reader, "my own post")
        message = orjson.loads(ws.receive_text())
        assert orjson.loads(message["payload"])["id"] == mine["id"]
