"""The staff label instead of removing: a post labeled `disputed` by the instance shows as a
`filtered` warning to everyone here (they apply the instance's labels by default), a person
may set it to show, `spam-suspected` hides by default; each label is in the public log and a
strike its author is told of; taking it back lifts it."""

from __future__ import annotations

STAFF_SCOPES = "read write follow admin:read admin:write"


def post(client, user, text: str) -> dict:
    answer = client.post("/api/v1/statuses", json={"status": text}, headers=user.headers)
    assert answer.status_code == 200, answer.text
    return answer.json()


def status_for(client, user, status_id: str) -> dict:
    answer = client.get(f"/api/v1/statuses/{status_id}", headers=user.headers)
    assert answer.status_code == 200, answer.text
    return answer.json()


def public_ids(client, user) -> list[str]:
    return [s["id"] for s in client.get("/api/v1/timelines/public", headers=user.headers).json()]


def test_the_instance_labels_a_post_and_everyone_applies_it_by_default(client, make_user):
    mod = make_user("mod", role="moderator", scopes=STAFF_SCOPES)
    author, reader = make_user("author"), make_user("reader")
    status = post(client, author, "Vaccines contain microchips")
    answer = client.post(
        "/api/v1/pnyx/admin/labels",
        json={"status_id": status["id"], "value": "disputed", "text": "Contradicted by studies"},
        headers=mod.headers,
    )
    assert answer.status_code == 200, answer.text
    labeler_id = answer.json()["labeler_id"]

    shown = status_for(client, reader, status["id"])
    assert [(f["filter"]["title"], f["filter"]["filter_action"]) for f in shown["filtered"]] == [
        ("Label: disputed (by @moderation)", "warn")
    ]
    # The reader may set the instance's label to show.
    answer = client.post(
        f"/api/v1/pnyx/labelers/{labeler_id}/settings",
        json={"value": "disputed", "setting": "show"},
        headers=reader.headers,
    )
    assert answer.status_code == 200, answer.text
    assert status_for(client, reader, status["id"])["filtered"] == []
    # The author was told, and the public log has it with its reason.
    told = client.get("/api/v1/notifications", headers=author.headers).json()
    assert [(n["type"], n["moderation_warning"]["action"]) for n in told] == [
        ("moderation_warning", "label")
    ]
    log = client.get("/api/v1/pnyx/moderation_log").json()
    assert (log[0]["action"], log[0]["reason"]) == ("label:disputed", "Contradicted by studies")
    # The labeler's list includes the instance's by default.
    applied = client.get("/api/v1/pnyx/labelers", headers=reader.headers).json()
    assert [(a["acct"], a["subscribed"], a["settings"]) for a in applied] == [
        ("moderation", False, {"disputed": "show"})
    ]


def test_a_hiding_label_and_taking_it_back(client, make_user):
    mod = make_user("mod", role="moderator", scopes=STAFF_SCOPES)
    author, reader = make_user("author"), make_user("reader")
    status = post(client, author, "Buy cheap pills here")
    assert status["id"] in public_ids(client, reader)
    body = {"status_id": status["id"], "value": "spam-suspected", "text": "Same link 40 times"}
    assert (
        client.post("/api/v1/pnyx/admin/labels", json=body, headers=mod.headers).status_code == 200
    )
    assert status["id"] not in public_ids(client, reader)
    assert status["id"] in public_ids(client, author)  # one's own posts match no label
    answer = client.post(
        "/api/v1/pnyx/admin/labels/unlabel",
        json={"status_id": status["id"], "value": "spam-suspected"},
        headers=mod.headers,
    )
    assert answer.status_code == 200, answer.text
    assert status["id"] in public_ids(client, reader)
    actions = [e["action"] for e in client.get("/api/v1/pnyx/moderation_log").json()]
    assert actions[:2] == ["unlabel:spam-suspected", "label:spam-suspected"]


def test_labels_are_for_staff_with_a_reason_and_a_defined_value(client, make_user):
    mod = make_user("mod", role="moderator", scopes=STAFF_SCOPES)
    author = make_user("author")
    status = post(client, author, "hello")
    refused = client.post(
        "/api/v1/pnyx/admin/labels",
        json={"status_id": status["id"], "value": "disputed", "text": "x"},
        headers=author.headers,
    )
    assert refused.status_code == 403
    for body, code in (
        ({"status_id": status["id"], "value": "disputed"}, 422),  # no reason
        ({"status_id": status["id"], "value": "nonsense", "text": "x"}, 422),
        ({"value": "disputed", "text": "x"}, 422),  # no subject
        ({"status_id": "12345", "value": "disputed", "text": "x"}, 404),
    ):
        answer = client.post("/api/v1/pnyx/admin/labels", json=body, headers=mod.headers)
        assert answer.status_code == code, (body, answer.text)
