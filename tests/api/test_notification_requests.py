"""The notification policy and notification requests (Mastodon 4.3): what the policy filters is
kept aside per sender as a request, what it drops is never made; accepting a request lets the
sender through from then on and brings the notifications back, dismissing removes them."""

from __future__ import annotations

import factories as f


def post(client, user, text, **extra):
    answer = client.post("/api/v1/statuses", headers=user.headers, json={"status": text, **extra})
    assert answer.status_code == 200, answer.text
    return answer.json()["id"]


def notification_types(client, user, query="") -> list[str]:
    answer = client.get(f"/api/v1/notifications{query}", headers=user.headers)
    assert answer.status_code == 200, answer.text
    return [n["type"] for n in answer.json()]


def test_nothing_is_held_until_one_chooses_to(client, db, make_user):
    me, stranger = make_user("me"), make_user("stranger")
    policy = client.get("/api/v2/notifications/policy", headers=me.headers).json()
    assert policy == {
        "for_not_following": "accept",
        "for_not_followers": "accept",
        "for_new_accounts": "accept",
        "for_private_mentions": "accept",
        "for_limited_accounts": "accept",
        "summary": {"pending_requests_count": 0, "pending_notifications_count": 0},
    }
    post(client, stranger, "@me psst", visibility="direct")
    assert notification_types(client, me) == ["mention"]
    assert client.get("/api/v1/notifications/requests", headers=me.headers).json() == []


def test_private_mentions_from_strangers_held_as_mastodon_does(client, db, make_user):
    me, stranger, friend = make_user("me"), make_user("stranger"), make_user("friend")
    client.post(f"/api/v1/accounts/{friend.account_id}/follow", headers=me.headers)
    chosen = client.patch(
        "/api/v2/notifications/policy", headers=me.headers, json={"for_private_mentions": "filter"}
    )
    assert chosen.status_code == 200 and chosen.json()["for_private_mentions"] == "filter"

    dm = post(client, stranger, "@me psst", visibility="direct")
    post(client, stranger, "@me in public")  # a public mention is not held
    post(client, friend, "@me from a friend", visibility="direct")
    assert notification_types(client, me) == ["mention", "mention"]
    assert len(notification_types(client, me, "?include_filtered=true")) == 3
    assert client.get("/api/v1/notifications/unread_count", headers=me.headers).json() == {
        "count": 2
    }

    [request] = client.get("/api/v1/notifications/requests", headers=me.headers).json()
    assert request["account"]["username"] == "stranger"
    assert request["notifications_count"] == "1"
    assert request["last_status"]["id"] == dm
    summary = client.get("/api/v2/notifications/policy", headers=me.headers).json()["summary"]
    assert summary == {"pending_requests_count": 1, "pending_notifications_count": 1}
    # The app shows the request's notifications by asking for that sender's.
    held = client.get(
        f"/api/v1/notifications?account_id={stranger.account_id}", headers=me.headers
    ).json()
    assert [n["status"]["id"] for n in held if n["type"] == "mention"][-1] == dm

    # Accepted: the held one comes back, and later ones are let through.
    answer = client.post(
        f"/api/v1/notifications/requests/{request['id']}/accept", headers=me.headers
    )
    assert answer.status_code == 200 and answer.json() == {}
    assert len(notification_types(client, me)) == 3
    post(client, stranger, "@me again", visibility="direct")
    assert len(notification_types(client, me)) == 4
    assert client.get("/api/v1/notifications/requests", headers=me.headers).json() == []


def test_a_stricter_policy_filters_and_drops(client, db, make_user):
    me, fan, stranger = make_user("me"), make_user("fan"), make_user("stranger")
    mine = f.status(db, me.account_id, "my post")
    answer = client.patch(
        "/api/v2/notifications/policy",
        headers=me.headers,
        json={"for_not_following": "filter", "for_not_followers": "drop"},
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["for_not_following"] == "filter"
    assert answer.json()["for_not_followers"] == "drop"
    assert answer.json()["for_private_mentions"] == "accept"  # unchanged

    client.post(f"/api/v1/accounts/{me.account_id}/follow", headers=fan.headers)
    client.post(f"/api/v1/statuses/{mine}/favourite", headers=fan.headers)  # follows me
    client.post(f"/api/v1/statuses/{mine}/favourite", headers=stranger.headers)  # dropped
    assert notification_types(client, me, "?include_filtered=true") == ["favourite", "follow"]
    assert notification_types(client, me) == []  # I follow neither: filtered
    [request] = client.get("/api/v1/notifications/requests", headers=me.headers).json()
    assert request["account"]["username"] == "fan" and request["notifications_count"] == "2"

    answer = client.post(
        "/api/v1/notifications/requests/dismiss", headers=me.headers, json={"id": [request["id"]]}
    )
    assert answer.status_code == 200
    assert notification_types(client, me, "?include_filtered=true") == []
    assert client.get("/api/v1/notifications/requests", headers=me.headers).json() == []

    bad = client.patch(
        "/api/v2/notifications/policy", headers=me.headers, json={"for_new_accounts": "maybe"}
    )
    assert bad.status_code == 422 and "error" in bad.json()


def test_requests_are_their_owners_alone(client, db, make_user):
    me, stranger, other = make_user("me"), make_user("stranger"), make_user("other")
    client.patch(
        "/api/v2/notifications/policy", headers=me.headers, json={"for_private_mentions": "filter"}
    )
    post(client, stranger, "@me psst", visibility="direct")
    [request] = client.get("/api/v1/notifications/requests", headers=me.headers).json()
    path = f"/api/v1/notifications/requests/{request['id']}"
    assert client.get(path, headers=me.headers).json()["id"] == request["id"]
    assert client.get(path, headers=other.headers).status_code == 404
    assert client.post(path + "/accept", headers=other.headers).status_code == 404
    assert client.get("/api/v1/notifications/requests").status_code == 401
    merged = client.get("/api/v1/notifications/requests/merged", headers=me.headers)
    assert merged.json() == {"merged": True}
