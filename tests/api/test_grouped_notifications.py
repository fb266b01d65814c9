"""Grouped notifications (`/api/v2/notifications`, Mastodon 4.3), which Phanpy and Ice Cubes
read instead of v1: favourites and boosts of one post and new followers are grouped within a
12-hour window, everything else stands alone; the same rules as v1 decide what shows."""

from __future__ import annotations

import re

import factories as f


def groups(response) -> list[dict]:
    assert response.status_code == 200, response.text
    return response.json()["notification_groups"]


def favourite(client, user, status_id) -> None:
    answer = client.post(f"/api/v1/statuses/{status_id}/favourite", headers=user.headers)
    assert answer.status_code == 200, answer.text


def test_favourites_of_one_post_are_one_group(client, db, make_user):
    me, ann, bob, cat, dan = (make_user(n) for n in ("me", "ann", "bob", "cat", "dan"))
    post = f.status(db, me.account_id, "my post")
    other = f.status(db, me.account_id, "another")
    for fan in (ann, bob, cat):
        favourite(client, fan, post)
    favourite(client, dan, other)
    client.post(f"/api/v1/accounts/{me.account_id}/follow", headers=ann.headers)
    mention = f.status(db, dan.account_id, "hi @me", mention=[me.account_id])
    f.notification(db, me.account_id, dan.account_id, "mention", mention)

    answer = client.get("/api/v2/notifications", headers=me.headers)
    found = groups(answer)
    assert [(g["type"], g["notifications_count"]) for g in found] == [
        ("mention", 1),
        ("follow", 1),
        ("favourite", 1),
        ("favourite", 3),
    ]
    mention_group, follow_group, other_group, post_group = found
    assert mention_group["group_key"].startswith("ungrouped-")
    assert post_group["status_id"] == str(post) and other_group["status_id"] == str(other)
    assert post_group["sample_account_ids"] == [
        str(cat.account_id),
        str(bob.account_id),
        str(ann.account_id),
    ]
    assert "status_id" not in follow_group
    body = answer.json()
    assert {a["id"] for a in body["accounts"]} == {str(u.account_id) for u in (ann, bob, cat, dan)}
    assert {s["id"] for s in body["statuses"]} == {str(post), str(other), str(mention)}
    for key in ("most_recent_notification_id", "page_min_id", "page_max_id"):
        assert isinstance(post_group[key], str)
    assert int(post_group["page_min_id"]) < int(post_group["page_max_id"])

    # v1 names the same groups.
    v1 = client.get("/api/v1/notifications?types[]=favourite", headers=me.headers).json()
    assert {n["group_key"] for n in v1} == {post_group["group_key"], other_group["group_key"]}

    # Not grouping favourites: each stands alone.
    alone = groups(
        client.get(
            "/api/v2/notifications?grouped_types[]=follow&types[]=favourite", headers=me.headers
        )
    )
    assert [g["notifications_count"] for g in alone] == [1, 1, 1, 1]
    assert all(g["group_key"].startswith("ungrouped-") for g in alone)


def test_one_group_its_accounts_and_dismissing_it(client, db, make_user):
    me, ann, bob = make_user("me"), make_user("ann"), make_user("bob")
    post = f.status(db, me.account_id, "my post")
    favourite(client, ann, post)
    favourite(client, bob, post)
    [group] = groups(client.get("/api/v2/notifications", headers=me.headers))
    key = group["group_key"]

    one = client.get(f"/api/v2/notifications/{key}", headers=me.headers)
    assert groups(one)[0]["notifications_count"] == 2
    accounts = client.get(f"/api/v2/notifications/{key}/accounts", headers=me.headers).json()
    assert [a["username"] for a in accounts] == ["bob", "ann"]
    assert client.get(f"/api/v2/notifications/{key}", headers=ann.headers).status_code == 404
    for junk in ("nonsense", "favourite-x-1", "ungrouped-1"):
        assert client.get(f"/api/v2/notifications/{junk}", headers=me.headers).status_code == 404
    assert client.get("/api/v2/notifications/unread_count", headers=me.headers).json() == {
        "count": 1
    }

    assert client.post(f"/api/v2/notifications/{key}/dismiss", headers=ann.headers).json() == {}
    assert len(groups(client.get("/api/v2/notifications", headers=me.headers))) == 1  # not hers
    client.post(f"/api/v2/notifications/{key}/dismiss", headers=me.headers)
    assert groups(client.get("/api/v2/notifications", headers=me.headers)) == []
    assert client.get("/api/v1/notifications", headers=me.headers).json() == []


def test_pages_of_groups_with_link_headers(client, db, make_user):
    me = make_user("me")
    fans = [make_user(f"fan{i}") for i in range(3)]
    posts = [f.status(db, me.account_id, f"post {i}") for i in range(5)]
    for post in posts:
        for fan in fans:
            favourite(client, fan, post)
    first = client.get("/api/v2/notifications?limit=2", headers=me.headers)
    assert [g["status_id"] for g in groups(first)] == [str(posts[4]), str(posts[3])]
    assert all(g["notifications_count"] == 3 for g in groups(first))
    nxt = re.search(r"<[^?]+\?([^>]+)>; rel=\"next\"", first.headers["link"]).group(1)
    second = client.get("/api/v2/notifications?" + nxt, headers=me.headers)
    assert [g["status_id"] for g in groups(second)] == [str(posts[2]), str(posts[1])]
    prev = re.search(r"<[^?]+\?([^>]+)>; rel=\"prev\"", second.headers["link"]).group(1)
    back = client.get("/api/v2/notifications?" + prev, headers=me.headers)
    assert [g["status_id"] for g in groups(back)] == [str(posts[4]), str(posts[3])]


def test_what_v1_hides_v2_hides(client, db, make_user):
    me, ann, blocked = make_user("me"), make_user("ann"), make_user("blocked")
    post = f.status(db, me.account_id, "my post")
    favourite(client, ann, post)
    favourite(client, blocked, post)
    client.post(f"/api/v1/accounts/{blocked.account_id}/block", headers=me.headers)
    [group] = groups(client.get("/api/v2/notifications", headers=me.headers))
    assert group["notifications_count"] == 1
    assert group["sample_account_ids"] == [str(ann.account_id)]
    assert client.get("/api/v2/notifications").status_code == 401
    reader = make_user("reader", scopes="read:statuses")
    assert client.get("/api/v2/notifications", headers=reader.headers).status_code == 403


def test_keys_out_of_range_name_nothing(client, make_user):
    """Ids past 64 bits and windows past the calendar are not looked up: 404, not a 500."""
    me = make_user("me")
    for key in (
        "ungrouped-99999999999999999999",
        "ungrouped-9223372036854775808",
        "follow-999999999999",
        "favourite-1-99999999999999",
        "favourite-99999999999999999999-1",
        "reblog-1-9223372036854775808",
    ):
        for path in (f"/api/v2/notifications/{key}", f"/api/v2/notifications/{key}/accounts"):
            assert client.get(path, headers=me.headers).status_code == 404, path
        dismissed = client.post(f"/api/v2/notifications/{key}/dismiss", headers=me.headers)
        assert dismissed.status_code == 200, key
