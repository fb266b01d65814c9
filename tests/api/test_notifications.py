"""Notifications through the API: listing and filters, what never shows, dismiss, clear, and
the unread count against the notifications marker."""

from __future__ import annotations

import re

import factories as f


def ids(response) -> list[int]:
    assert response.status_code == 200, response.text
    return [int(n["id"]) for n in response.json()]


def test_list_shapes_and_filters(client, db, make_user):
    me, fan, other = make_user("me"), make_user("fan"), make_user("other")
    post = f.status(db, me.account_id, "my post")
    n_follow = f.notification(db, me.account_id, fan.account_id, "follow")
    n_fav = f.notification(db, me.account_id, fan.account_id, "favourite", post)
    mention = f.status(db, other.account_id, "hi @me", mention=[me.account_id])
    n_mention = f.notification(db, me.account_id, other.account_id, "mention", mention)
    f.notification(db, fan.account_id, me.account_id, "follow")  # someone else's

    response = client.get("/api/v1/notifications", headers=me.headers)
    assert ids(response) == [n_mention, n_fav, n_follow]
    mention_entity, fav_entity, follow_entity = response.json()
    assert mention_entity["type"] == "mention"
    assert mention_entity["group_key"] == f"ungrouped-{n_mention}"
    assert mention_entity["account"]["username"] == "other"
    assert mention_entity["status"]["id"] == str(mention)
    assert isinstance(mention_entity["created_at"], str)
    assert fav_entity["status"]["id"] == str(post)
    assert fav_entity["status"]["pinned"] is False  # rendered for me, the author
    assert "status" not in follow_entity  # as Mastodon: no status key for follows

    assert ids(client.get("/api/v1/notifications?types[]=follow", headers=me.headers)) == [n_follow]
    assert ids(
        client.get(
            "/api/v1/notifications?exclude_types[]=follow&exclude_types[]=mention",
            headers=me.headers,
        )
    ) == [n_fav]
    assert ids(
        client.get(f"/api/v1/notifications?account_id={other.account_id}", headers=me.headers)
    ) == [n_mention]
    assert ids(client.get("/api/v1/notifications?account_id=junk", headers=me.headers)) == []

    one = client.get(f"/api/v1/notifications/{n_fav}", headers=me.headers)
    assert one.status_code == 200 and one.json()["type"] == "favourite"
    assert client.get(f"/api/v1/notifications/{n_fav}", headers=fan.headers).status_code == 404
    assert client.get("/api/v1/notifications").status_code == 401
    reader = make_user("reader", scopes="read:statuses")
    assert client.get("/api/v1/notifications", headers=reader.headers).status_code == 403


def test_pagination_and_link_header(client, db, make_user):
    me, fan = make_user("me"), make_user("fan")
    made = [f.notification(db, me.account_id, fan.account_id, "follow") for _ in range(5)]
    first = client.get("/api/v1/notifications?limit=2", headers=me.headers)
    assert ids(first) == [made[4], made[3]]
    link = first.headers["link"]
    assert f"max_id={made[3]}" in link and f"min_id={made[4]}" in link
    nxt = re.search(r"<[^?]+\?([^>]+)>; rel=\"next\"", link).group(1)
    assert ids(client.get("/api/v1/notifications?" + nxt, headers=me.headers)) == [
        made[2],
        made[1],
    ]
    assert ids(
        client.get(f"/api/v1/notifications?min_id={made[0]}&limit=2", headers=me.headers)
    ) == [made[2], made[1]]
    assert ids(client.get(f"/api/v1/notifications?since_id={made[2]}", headers=me.headers)) == [
        made[4],
        made[3],
    ]


def test_hidden_sources_never_show(client, db, make_user):
    me = make_user("me")
    blocked, blocker, muted, quiet_mute, gone, friend = (
        make_user(n) for n in ("blocked", "blocker", "muted", "quietmute", "gone", "friend")
    )
    f.block(db, me.account_id, blocked.account_id)
    f.block(db, blocker.account_id, me.account_id)
    f.mute(db, me.account_id, muted.account_id)  # hide_notifications defaults to true
    f.mute(db, me.account_id, quiet_mute.account_id, hide_notifications=False)
    for source in (blocked, blocker, muted, gone):
        f.notification(db, me.account_id, source.account_id, "follow")
    kept_mute = f.notification(db, me.account_id, quiet_mute.account_id, "follow")
    f.suspend(db, gone.account_id)

    # A notification about a post I can no longer see is skipped too.
    private = f.status(db, friend.account_id, "followers only", visibility="private")
    f.notification(db, me.account_id, friend.account_id, "status", private)
    kept = f.notification(db, me.account_id, friend.account_id, "follow")

    assert ids(client.get("/api/v1/notifications", headers=me.headers)) == [kept, kept_mute]
    count = client.get("/api/v1/notifications/unread_count", headers=me.headers).json()
    assert count == {"count": 2}  # what the list hides is not counted either
    # With limit=2 the two newest are read first, one of them hidden: the count reads on.
    url = "/api/v1/notifications/unread_count?limit=2"
    assert client.get(url, headers=me.headers).json() == {"count": 2}


def test_dismiss_and_clear(client, db, make_user):
    me, fan = make_user("me"), make_user("fan")
    a = f.notification(db, me.account_id, fan.account_id, "follow")
    b = f.notification(db, me.account_id, fan.account_id, "follow")
    theirs = f.notification(db, fan.account_id, me.account_id, "follow")

    assert (
        client.post(f"/api/v1/notifications/{theirs}/dismiss", headers=me.headers).status_code
        == 404
    )
    response = client.post(f"/api/v1/notifications/{a}/dismiss", headers=me.headers)
    assert response.status_code == 200 and response.json() == {}
    assert ids(client.get("/api/v1/notifications", headers=me.headers)) == [b]
    assert client.post(f"/api/v1/notifications/{a}/dismiss", headers=me.headers).status_code == 404

    assert client.post("/api/v1/notifications/clear", headers=me.headers).json() == {}
    assert ids(client.get("/api/v1/notifications", headers=me.headers)) == []
    assert ids(client.get("/api/v1/notifications", headers=fan.headers)) == [theirs]


def test_unread_count_follows_the_marker(client, db, make_user):
    me, fan = make_user("me"), make_user("fan")
    made = [f.notification(db, me.account_id, fan.account_id, "follow") for _ in range(4)]
    url = "/api/v1/notifications/unread_count"
    assert client.get(url, headers=me.headers).json() == {"count": 4}

    saved = client.post(
        "/api/v1/markers", data={"notifications[last_read_id]": str(made[1])}, headers=me.headers
    )
    assert saved.status_code == 200, saved.text
    assert client.get(url, headers=me.headers).json() == {"count": 2}
    assert client.get(url + "?limit=1", headers=me.headers).json() == {"count": 1}
    assert client.get(url + "?types[]=mention", headers=me.headers).json() == {"count": 0}

    client.post(
        "/api/v1/markers",
        json={"notifications": {"last_read_id": str(made[3])}},
        headers=me.headers,
    )
    assert client.get(url, headers=me.headers).json() == {"count": 0}
    assert client.get(url).status_code == 401
