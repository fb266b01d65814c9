"""Lists through the API: CRUD, members (only followed accounts), someone else's list being
404, the list timeline with its replies policies and the decision pipeline, exclusive lists
leaving the home timeline, and unfollowing taking an account out of one's lists."""

from __future__ import annotations

import re

import factories as f


def ids(response) -> list[int]:
    assert response.status_code == 200, response.text
    return [int(s["id"]) for s in response.json()]


def new_list(client, user, title="friends", **extra) -> str:
    response = client.post("/api/v1/lists", data={"title": title, **extra}, headers=user.headers)
    assert response.status_code == 200, response.text
    return response.json()["id"]


def add(client, user, list_id, *account_ids):
    return client.post(
        f"/api/v1/lists/{list_id}/accounts",
        data={"account_ids[]": [str(a) for a in account_ids]},
        headers=user.headers,
    )


def test_list_crud_and_validation(client, make_user):
    me = make_user("me")
    created = client.post("/api/v1/lists", json={"title": "Friends"}, headers=me.headers)
    assert created.status_code == 200, created.text
    entity = created.json()
    assert entity == {
        "id": entity["id"],
        "title": "Friends",
        "replies_policy": "list",
        "exclusive": False,
    }
    list_id = entity["id"]
    assert client.get(f"/api/v1/lists/{list_id}", headers=me.headers).json() == entity
    changed = client.put(
        f"/api/v1/lists/{list_id}",
        data={"title": "Close friends", "replies_policy": "none", "exclusive": "true"},
        headers=me.headers,
    ).json()
    assert changed == {
        **entity,
        "title": "Close friends",
        "replies_policy": "none",
        "exclusive": True,
    }
    # Only what is sent changes.
    again = client.put(f"/api/v1/lists/{list_id}", json={"title": "Close"}, headers=me.headers)
    assert again.json()["replies_policy"] == "none" and again.json()["exclusive"] is True
    second = new_list(client, me, "work", replies_policy="followed")
    listed = client.get("/api/v1/lists", headers=me.headers).json()
    assert [item["id"] for item in listed] == [list_id, second]

    blank = client.post("/api/v1/lists", data={"title": "  "}, headers=me.headers)
    assert blank.status_code == 422 and blank.json()["error"].startswith("Validation failed")
    bad = client.post(
        "/api/v1/lists", data={"title": "x", "replies_policy": "all"}, headers=me.headers
    )
    assert bad.status_code == 422
    assert (
        client.put(f"/api/v1/lists/{list_id}", data={"title": ""}, headers=me.headers).status_code
        == 422
    )

    assert client.delete(f"/api/v1/lists/{list_id}", headers=me.headers).json() == {}
    assert client.get(f"/api/v1/lists/{list_id}", headers=me.headers).status_code == 404
    assert [item["id"] for item in client.get("/api/v1/lists", headers=me.headers).json()] == [
        second
    ]


def test_someone_elses_list_is_not_found_and_scopes_are_checked(client, make_user):
    me, other = make_user("me"), make_user("other")
    list_id = new_list(client, me)
    for method, path in (
        ("get", f"/api/v1/lists/{list_id}"),
        ("put", f"/api/v1/lists/{list_id}"),
        ("delete", f"/api/v1/lists/{list_id}"),
        ("get", f"/api/v1/lists/{list_id}/accounts"),
        ("get", f"/api/v1/timelines/list/{list_id}"),
    ):
        response = getattr(client, method)(path, headers=other.headers)
        assert response.status_code == 404, (method, path, response.text)
    assert add(client, other, list_id, me.account_id).status_code == 404
    assert client.get("/api/v1/lists", headers=other.headers).json() == []
    assert client.get(f"/api/v1/lists/{list_id}", headers=me.headers).status_code == 200

    assert client.get("/api/v1/lists").status_code == 401
    reader = make_user("reader", scopes="read")
    refused = client.post("/api/v1/lists", data={"title": "x"}, headers=reader.headers)
    assert refused.status_code == 403
    statuses_only = make_user("narrow", scopes="read:statuses")
    assert client.get("/api/v1/lists", headers=statuses_only.headers).status_code == 403


def test_members_must_be_followed_and_are_paginated(client, db, make_user):
    me, a, b, stranger = (make_user(n) for n in ("me", "a", "b", "stranger"))
    f.follow(db, me.account_id, a.account_id)
    f.follow(db, me.account_id, b.account_id)
    list_id = new_list(client, me)

    refused = add(client, me, list_id, a.account_id, stranger.account_id)
    assert refused.status_code == 422 and "followed" in refused.json()["error"]
    assert client.get(f"/api/v1/lists/{list_id}/accounts", headers=me.headers).json() == []
    assert add(client, me, list_id, 999999999).status_code == 404

    assert add(client, me, list_id, a.account_id, b.account_id).json() == {}
    assert add(client, me, list_id, a.account_id).status_code == 200  # again: nothing changes
    assert add(client, me, list_id, me.account_id).status_code == 200  # oneself may be listed

    first = client.get(f"/api/v1/lists/{list_id}/accounts?limit=2", headers=me.headers)
    assert [acc["id"] for acc in first.json()] == [str(me.account_id), str(b.account_id)]
    next_query = re.search(r'<[^>]+\?([^>]+)>; rel="next"', first.headers["link"]).group(1)
    rest = client.get(f"/api/v1/lists/{list_id}/accounts?{next_query}", headers=me.headers)
    assert [acc["id"] for acc in rest.json()] == [str(a.account_id)]
    everyone = client.get(f"/api/v1/lists/{list_id}/accounts?limit=0", headers=me.headers)
    assert len(everyone.json()) == 3 and "link" not in everyone.headers

    in_lists = client.get(f"/api/v1/accounts/{a.account_id}/lists", headers=me.headers).json()
    assert [item["id"] for item in in_lists] == [list_id]
    assert (
        client.get(f"/api/v1/accounts/{stranger.account_id}/lists", headers=me.headers).json() == []
    )

    removed = client.request(
        "DELETE",
        f"/api/v1/lists/{list_id}/accounts",
        data={"account_ids[]": [str(b.account_id)]},
        headers=me.headers,
    )
    assert removed.status_code == 200, removed.text
    left = client.get(f"/api/v1/lists/{list_id}/accounts", headers=me.headers).json()
    assert {acc["id"] for acc in left} == {str(me.account_id), str(a.account_id)}


def test_unfollowing_or_blocking_takes_an_account_out_of_ones_lists(client, make_user):
    me, a, b = (make_user(n) for n in ("me", "a", "b"))
    for other in (a, b):
        assert client.post(
            f"/api/v1/accounts/{other.account_id}/follow", headers=me.headers
        ).json()["following"]
    list_id = new_list(client, me)
    assert add(client, me, list_id, a.account_id, b.account_id).status_code == 200

    client.post(f"/api/v1/accounts/{a.account_id}/unfollow", headers=me.headers)
    client.post(f"/api/v1/accounts/{me.account_id}/block", headers=b.headers)  # b blocks me
    members = client.get(f"/api/v1/lists/{list_id}/accounts", headers=me.headers).json()
    assert members == []
    # Following again does not bring them back, as in Mastodon.
    client.post(f"/api/v1/accounts/{a.account_id}/follow", headers=me.headers)
    assert client.get(f"/api/v1/lists/{list_id}/accounts", headers=me.headers).json() == []


def test_list_timeline_shows_members_through_the_pipeline(client, db, make_user):
    me, a, b, outsider = (make_user(n) for n in ("me", "a", "b", "outsider"))
    f.follow(db, me.account_id, a.account_id)
    f.follow(db, me.account_id, b.account_id)
    list_id = new_list(client, me)
    assert add(client, me, list_id, a.account_id, b.account_id).status_code == 200

    a_public = f.status(db, a.account_id, "a public")
    a_private = f.status(db, a.account_id, "a followers-only", visibility="private")
    a_direct_to_me = f.status(
        db, a.account_id, "psst", visibility="direct", mention=[me.account_id]
    )
    outsider_post = f.status(db, outsider.account_id, "not a member")
    b_boost = f.status(db, b.account_id, reblog_of=outsider_post)
    b_post = f.status(db, b.account_id, "b post")
    f.status(db, outsider.account_id, "outsider again")

    got = ids(client.get(f"/api/v1/timelines/list/{list_id}", headers=me.headers))
    assert got == [b_post, b_boost, a_private, a_public]
    assert a_direct_to_me not in got

    # A muted member, and a member who blocks the viewer, are hidden.
    f.mute(db, me.account_id, b.account_id)
    got = ids(client.get(f"/api/v1/timelines/list/{list_id}", headers=me.headers))
    assert got == [a_private, a_public]
    f.block(db, a.account_id, me.account_id)
    assert ids(client.get(f"/api/v1/timelines/list/{list_id}", headers=me.headers)) == []

    page = client.get(f"/api/v1/timelines/list/{list_id}?limit=1", headers=me.headers)
    assert page.status_code == 200


def test_list_replies_policies(client, db, make_user):
    me, a, b, followed, stranger = (make_user(n) for n in ("me", "a", "b", "followed", "stranger"))
    for other in (a, b, followed):
        f.follow(db, me.account_id, other.account_id)
    root_b = f.status(db, b.account_id, "b root")
    root_followed = f.status(db, followed.account_id, "followed root")
    root_stranger = f.status(db, stranger.account_id, "stranger root")
    root_me = f.status(db, me.account_id, "my root")
    to_member = f.status(db, a.account_id, "to b", reply_to=root_b)
    to_followed = f.status(db, a.account_id, "to followed", reply_to=root_followed)
    to_stranger = f.status(db, a.account_id, "to stranger", reply_to=root_stranger)
    to_me = f.status(db, a.account_id, "to me", reply_to=root_me)
    self_reply = f.status(db, a.account_id, "thread", reply_to=to_me)

    def timeline(policy: str) -> set[int]:
        list_id = new_list(client, me, policy, replies_policy=policy)
        assert add(client, me, list_id, a.account_id, b.account_id).status_code == 200
        return set(
            ids(client.get(f"/api/v1/timelines/list/{list_id}?limit=40", headers=me.headers))
        )

    replies = {to_member, to_followed, to_stranger, to_me}
    assert timeline("followed") & replies == {to_member, to_followed, to_me}
    assert timeline("list") & replies == {to_member, to_me}
    assert timeline("none") & replies == {to_me}
    assert self_reply in timeline("none")


def test_exclusive_lists_take_members_out_of_home(client, db, make_user):
    me, a, b = (make_user(n) for n in ("me", "a", "b"))
    f.follow(db, me.account_id, a.account_id)
    f.follow(db, me.account_id, b.account_id)
    a_post = f.status(db, a.account_id, "a")
    b_post = f.status(db, b.account_id, "b")
    a_dm = f.status(db, a.account_id, "psst", visibility="direct", mention=[me.account_id])
    own = f.status(db, me.account_id, "mine")
    inclusive = new_list(client, me, "inclusive")
    assert add(client, me, inclusive, a.account_id, me.account_id).status_code == 200
    home = ids(client.get("/api/v1/timelines/home", headers=me.headers))
    assert home == [own, a_dm, b_post, a_post]

    exclusive = new_list(client, me, "exclusive", exclusive="true")
    assert add(client, me, exclusive, a.account_id, me.account_id).status_code == 200
    home = ids(client.get("/api/v1/timelines/home", headers=me.headers))
    # Addressed to me: still in home. My own posts: always.
    assert home == [own, a_dm, b_post]
    assert a_post in ids(client.get(f"/api/v1/timelines/list/{exclusive}", headers=me.headers))
    client.put(f"/api/v1/lists/{exclusive}", data={"exclusive": "false"}, headers=me.headers)
    assert a_post in ids(client.get("/api/v1/timelines/home", headers=me.headers))
