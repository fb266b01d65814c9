"""The social graph through the Mastodon API, as apps drive it: follow, requests, blocks, mutes."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from pnyx.core import accounts as core_accounts
from pnyx.db.tables import accounts, follow_requests, follows, mutes, notifications


def _db(client):
    return client.app.state.db


def _counts(client, account_id: int) -> tuple[int, int]:
    """(followers_count, following_count) as stored."""

    def work(tx):
        row = tx.one_or_none(
            sa.select(accounts.c.followers_count, accounts.c.following_count).where(
                accounts.c.id == account_id
            )
        )
        return row.followers_count, row.following_count

    return _db(client).run_sync(work)


def _notifications(client, recipient_id: int) -> list[tuple[str, int]]:
    def work(tx):
        return [
            (r.type, r.from_account_id)
            for r in tx.rows(
                sa.select(notifications.c.type, notifications.c.from_account_id).where(
                    notifications.c.account_id == recipient_id
                )
            )
        ]

    return _db(client).run_sync(work)


def _rows(client, table, **where) -> int:
    def work(tx):
        query = sa.select(sa.func.count()).select_from(table)
        for column, value in where.items():
            query = query.where(table.c[column] == value)
        return tx.scalar(query)

    return _db(client).run_sync(work)


def _set(client, account_id: int, **values) -> None:
    _db(client).run_sync(
        lambda tx: tx.execute(accounts.update().where(accounts.c.id == account_id).values(**values))
    )


def _rel(client, viewer, target) -> dict:
    r = client.get(
        "/api/v1/accounts/relationships",
        params={"id[]": str(target.account_id)},
        headers=viewer.headers,
    )
    assert r.status_code == 200, r.text
    return r.json()[0]


def test_follow_and_unfollow_with_mastodon_py_form(client, make_user):
    alice, bob = make_user("alice"), make_user("bob")
    r = client.post(
        f"/api/v1/accounts/{bob.account_id}/follow",
        data={"reblogs": "1", "notify": "0"},
        headers=alice.headers,
    )
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/json")
    rel = r.json()
    assert rel["id"] == str(bob.account_id)
    assert rel["following"] is True
    assert rel["showing_reblogs"] is True
    assert rel["notifying"] is False
    assert rel["requested"] is False
    assert rel["followed_by"] is False
    assert set(rel) >= {
        "languages",
        "blocking",
        "blocked_by",
        "muting",
        "muting_notifications",
        "requested_by",
        "domain_blocking",
        "endorsed",
        "note",
    }
    assert _counts(client, alice.account_id) == (0, 1)
    assert _counts(client, bob.account_id) == (1, 0)
    assert _notifications(client, bob.account_id) == [("follow", alice.account_id)]
    assert _rel(client, bob, alice)["followed_by"] is True

    r = client.post(f"/api/v1/accounts/{bob.account_id}/unfollow", headers=alice.headers)
    assert r.status_code == 200
    assert r.json()["following"] is False
    assert _counts(client, alice.account_id) == (0, 0)
    assert _counts(client, bob.account_id) == (0, 0)
    assert _notifications(client, bob.account_id) == []
    # Unfollowing again changes nothing and is not an error.
    r = client.post(f"/api/v1/accounts/{bob.account_id}/unfollow", headers=alice.headers)
    assert r.status_code == 200
    assert _counts(client, bob.account_id) == (0, 0)


def test_follow_with_empty_json_then_change_options(client, make_user):
    alice, bob = make_user("alice"), make_user("bob")
    r = client.post(f"/api/v1/accounts/{bob.account_id}/follow", json={}, headers=alice.headers)
    assert r.status_code == 200, r.text
    assert r.json()["following"] is True
    assert r.json()["showing_reblogs"] is True

    r = client.post(
        f"/api/v1/accounts/{bob.account_id}/follow",
        json={"reblogs": False, "notify": True, "languages": ["en", "de"]},
        headers=alice.headers,
    )
    assert r.status_code == 200, r.text
    rel = r.json()
    assert rel["following"] is True
    assert rel["showing_reblogs"] is False
    assert rel["notifying"] is True
    assert rel["languages"] == ["en", "de"]
    # Following again only changed the options: one row, one notification, counters unchanged.
    assert _rows(client, follows, account_id=alice.account_id) == 1
    assert _counts(client, bob.account_id) == (1, 0)
    assert _notifications(client, bob.account_id) == [("follow", alice.account_id)]

    # Options not sent keep their value.
    r = client.post(f"/api/v1/accounts/{bob.account_id}/follow", json={}, headers=alice.headers)
    assert r.json()["showing_reblogs"] is False
    assert r.json()["notifying"] is True


def test_cannot_follow_yourself_or_a_suspended_account(client, make_user):
    alice, bob = make_user("alice"), make_user("bob")
    r = client.post(f"/api/v1/accounts/{alice.account_id}/follow", headers=alice.headers)
    assert r.status_code == 422
    assert "error" in r.json()
    _db(client).run_sync(core_accounts.suspend, bob.account_id, "spam")
    r = client.post(f"/api/v1/accounts/{bob.account_id}/follow", headers=alice.headers)
    assert r.status_code == 404
    assert r.json() == {"error": "Record not found"}
    assert _counts(client, bob.account_id) == (0, 0)


def test_locked_account_request_then_authorize(client, make_user):
    alice = make_user("alice")
    carol = make_user("carol", locked=True)
    r = client.post(f"/api/v1/accounts/{carol.account_id}/follow", headers=alice.headers)
    assert r.status_code == 200, r.text
    assert r.json()["following"] is False
    assert r.json()["requested"] is True
    assert _counts(client, carol.account_id) == (0, 0)
    assert _notifications(client, carol.account_id) == [("follow_request", alice.account_id)]
    assert _rel(client, carol, alice)["requested_by"] is True

    r = client.get("/api/v1/follow_requests", headers=carol.headers)
    assert r.status_code == 200
    assert [a["id"] for a in r.json()] == [str(alice.account_id)]
    # Nobody else sees carol's requests in their own list.
    assert client.get("/api/v1/follow_requests", headers=alice.headers).json() == []

    r = client.post(f"/api/v1/follow_requests/{alice.account_id}/authorize", headers=carol.headers)
    assert r.status_code == 200, r.text
    assert r.json()["id"] == str(alice.account_id)
    assert r.json()["followed_by"] is True
    assert r.json()["requested_by"] is False
    assert _rel(client, alice, carol)["following"] is True
    assert _rel(client, alice, carol)["requested"] is False
    assert _counts(client, carol.account_id) == (1, 0)
    assert _counts(client, alice.account_id) == (0, 1)
    assert client.get("/api/v1/follow_requests", headers=carol.headers).json() == []
    assert _notifications(client, carol.account_id) == []
    # Authorizing again: there is no request any more.
    r = client.post(f"/api/v1/follow_requests/{alice.account_id}/authorize", headers=carol.headers)
    assert r.status_code == 404


def test_locked_account_reject_and_withdraw(client, make_user):
    alice, dave = make_user("alice"), make_user("dave")
    carol = make_user("carol", locked=True)
    client.post(f"/api/v1/accounts/{carol.account_id}/follow", headers=alice.headers)
    client.post(f"/api/v1/accounts/{carol.account_id}/follow", headers=dave.headers)

    r = client.post(f"/api/v1/follow_requests/{alice.account_id}/reject", headers=carol.headers)
    assert r.status_code == 200, r.text
    assert r.json()["requested_by"] is False
    assert r.json()["followed_by"] is False
    assert _rel(client, alice, carol)["requested"] is False
    assert _counts(client, carol.account_id) == (0, 0)

    # dave withdraws his request by unfollowing; the notification goes with it.
    r = client.post(f"/api/v1/accounts/{carol.account_id}/unfollow", headers=dave.headers)
    assert r.json()["requested"] is False
    assert _rows(client, follow_requests, target_account_id=carol.account_id) == 0
    assert _notifications(client, carol.account_id) == []
    # Only the requested account can answer a request.
    client.post(f"/api/v1/accounts/{carol.account_id}/follow", headers=dave.headers)
    r = client.post(f"/api/v1/follow_requests/{dave.account_id}/authorize", headers=alice.headers)
    assert r.status_code == 404
    assert _rel(client, dave, carol)["requested"] is True


def test_block_removes_follows_both_ways_and_prevents_refollow(client, make_user):
    alice, bob = make_user("alice"), make_user("bob")
    carol = make_user("carol", locked=True)
    client.post(f"/api/v1/accounts/{bob.account_id}/follow", headers=alice.headers)
    client.post(f"/api/v1/accounts/{alice.account_id}/follow", headers=bob.headers)
    client.post(f"/api/v1/accounts/{carol.account_id}/follow", headers=alice.headers)
    assert _counts(client, alice.account_id) == (1, 1)  # the request to carol is pending

    r = client.post(f"/api/v1/accounts/{bob.account_id}/block", headers=alice.headers)
    assert r.status_code == 200, r.text
    rel = r.json()
    assert rel["blocking"] is True
    assert rel["following"] is False and rel["followed_by"] is False
    assert _counts(client, alice.account_id) == (0, 0)
    assert _counts(client, bob.account_id) == (0, 0)
    assert _rel(client, bob, alice)["blocked_by"] is True

    # A pending request to the blocker disappears too.
    r = client.post(f"/api/v1/accounts/{alice.account_id}/block", headers=carol.headers)
    assert r.status_code == 200
    assert _rows(client, follow_requests, target_account_id=carol.account_id) == 0

    # Neither side can follow again while the block stands.
    r = client.post(f"/api/v1/accounts/{alice.account_id}/follow", headers=bob.headers)
    assert r.status_code == 403
    assert r.json() == {"error": "This action is not allowed"}
    r = client.post(f"/api/v1/accounts/{bob.account_id}/follow", headers=alice.headers)
    assert r.status_code == 403
    assert _counts(client, bob.account_id) == (0, 0)

    r = client.get("/api/v1/blocks", headers=alice.headers)
    assert r.status_code == 200
    assert [a["id"] for a in r.json()] == [str(bob.account_id)]
    assert "Link" in r.headers

    r = client.post(f"/api/v1/accounts/{bob.account_id}/unblock", headers=alice.headers)
    assert r.status_code == 200
    assert r.json()["blocking"] is False
    assert client.get("/api/v1/blocks", headers=alice.headers).json() == []
    r = client.post(f"/api/v1/accounts/{alice.account_id}/follow", headers=bob.headers)
    assert r.status_code == 200
    assert r.json()["following"] is True


def test_mute_with_duration_and_without_notifications(client, make_user):
    alice, bob, carol = make_user("alice"), make_user("bob"), make_user("carol")
    r = client.post(
        f"/api/v1/accounts/{bob.account_id}/mute",
        data={"duration": "3600"},
        headers=alice.headers,
    )
    assert r.status_code == 200, r.text
    assert r.json()["muting"] is True
    assert r.json()["muting_notifications"] is True
    r = client.post(
        f"/api/v1/accounts/{carol.account_id}/mute",
        json={"notifications": False},
        headers=alice.headers,
    )
    assert r.json()["muting"] is True
    assert r.json()["muting_notifications"] is False

    r = client.get("/api/v1/mutes", headers=alice.headers)
    assert r.status_code == 200
    listed = {a["id"]: a for a in r.json()}
    assert set(listed) == {str(bob.account_id), str(carol.account_id)}
    assert listed[str(carol.account_id)]["mute_expires_at"] is None
    expires = listed[str(bob.account_id)]["mute_expires_at"]
    assert expires is not None and expires.endswith("Z")

    # A muted account's follow does not notify, unless the mute spares notifications.
    client.post(f"/api/v1/accounts/{alice.account_id}/follow", headers=bob.headers)
    client.post(f"/api/v1/accounts/{alice.account_id}/follow", headers=carol.headers)
    assert _notifications(client, alice.account_id) == [("follow", carol.account_id)]

    # Once the mute has run out it is gone everywhere.
    _db(client).run_sync(
        lambda tx: tx.execute(
            mutes.update()
            .where(mutes.c.target_account_id == bob.account_id)
            .values(expires_at=tx.now - timedelta(seconds=1))
        )
    )
    assert _rel(client, alice, bob)["muting"] is False
    ids = [a["id"] for a in client.get("/api/v1/mutes", headers=alice.headers).json()]
    assert ids == [str(carol.account_id)]

    r = client.post(f"/api/v1/accounts/{carol.account_id}/unmute", headers=alice.headers)
    assert r.json()["muting"] is False
    assert client.get("/api/v1/mutes", headers=alice.headers).json() == []

    r = client.post(
        f"/api/v1/accounts/{bob.account_id}/mute", data={"duration": "-5"}, headers=alice.headers
    )
    assert r.status_code == 422


def test_relationships_for_several_ids(client, make_user):
    alice, bob, carol, dave = (make_user(n) for n in ("alice", "bob", "carol", "dave"))
    client.post(f"/api/v1/accounts/{bob.account_id}/follow", headers=alice.headers)
    client.post(f"/api/v1/accounts/{alice.account_id}/follow", headers=carol.headers)
    client.post(f"/api/v1/accounts/{dave.account_id}/block", headers=alice.headers)
    client.post(
        f"/api/v1/accounts/{carol.account_id}/note",
        data={"comment": "met at the pnyx"},
        headers=alice.headers,
    )
    ids = [carol.account_id, bob.account_id, 999999999, dave.account_id]
    r = client.get(
        "/api/v1/accounts/relationships",
        params=[("id[]", str(i)) for i in ids] + [("id[]", "junk")],
        headers=alice.headers,
    )
    assert r.status_code == 200, r.text
    rels = r.json()
    assert [x["id"] for x in rels] == [
        str(carol.account_id),
        str(bob.account_id),
        str(dave.account_id),
    ]
    carol_rel, bob_rel, dave_rel = rels
    assert carol_rel["followed_by"] is True and carol_rel["following"] is False
    assert carol_rel["note"] == "met at the pnyx"
    assert bob_rel["following"] is True and bob_rel["followed_by"] is False
    assert bob_rel["note"] == ""
    assert dave_rel["blocking"] is True

    # A single `id` works too; suspended accounts only with with_suspended.
    _db(client).run_sync(core_accounts.suspend, bob.account_id, "spam")
    r = client.get(
        "/api/v1/accounts/relationships", params={"id": str(bob.account_id)}, headers=alice.headers
    )
    assert r.json() == []
    r = client.get(
        "/api/v1/accounts/relationships",
        params={"id": str(bob.account_id), "with_suspended": "true"},
        headers=alice.headers,
    )
    assert [x["id"] for x in r.json()] == [str(bob.account_id)]


def test_note_set_replace_clear_and_limit(client, make_user):
    alice, bob = make_user("alice"), make_user("bob")
    url = f"/api/v1/accounts/{bob.account_id}/note"
    assert client.post(url, json={"comment": "one"}, headers=alice.headers).json()["note"] == "one"
    assert client.post(url, json={"comment": "two"}, headers=alice.headers).json()["note"] == "two"
    # bob does not see alice's note about him.
    assert _rel(client, bob, alice)["note"] == ""
    r = client.post(url, json={"comment": "x" * 2001}, headers=alice.headers)
    assert r.status_code == 422
    assert r.json()["error"].startswith("Validation failed")
    assert client.post(url, json={"comment": ""}, headers=alice.headers).json()["note"] == ""


def test_followers_and_following_paginate_with_link_header(client, make_user):
    star = make_user("star")
    fans = [make_user(f"fan{i}") for i in range(5)]
    for fan in fans:
        r = client.post(f"/api/v1/accounts/{star.account_id}/follow", headers=fan.headers)
        assert r.status_code == 200

    seen: list[str] = []
    url = f"/api/v1/accounts/{star.account_id}/followers?limit=2"
    pages = 0
    while url and pages < 10:
        r = client.get(url, headers=star.headers)
        assert r.status_code == 200, r.text
        page = [a["id"] for a in r.json()]
        if not page:
            break
        seen += page
        pages += 1
        assert len(page) <= 2
        link = r.headers["Link"]
        assert 'rel="next"' in link and 'rel="prev"' in link
        url = link.split(";")[0].strip("<>").replace("https://pnyx.test", "")
    # Newest follower first, each exactly once.
    assert seen == [str(f.account_id) for f in reversed(fans)]
    assert pages == 3

    r = client.get(f"/api/v1/accounts/{fans[0].account_id}/following")
    assert r.status_code == 200  # public without a token
    assert [a["id"] for a in r.json()] == [str(star.account_id)]
    assert r.json()[0]["username"] == "star"

    # min_id walks forward from a follow, newest first within the page.
    first = client.get(f"/api/v1/accounts/{star.account_id}/followers?limit=1").headers["Link"]
    prev = first.split(",")[1].split(";")[0].strip(" <>").replace("https://pnyx.test", "")
    assert client.get(prev).json() == []


def test_followers_lists_leave_out_suspended_and_respect_hide_collections(client, make_user):
    alice, bob, carol, eve = (make_user(n) for n in ("alice", "bob", "carol", "eve"))
    for user in (bob, carol):
        client.post(f"/api/v1/accounts/{alice.account_id}/follow", headers=user.headers)
    _db(client).run_sync(core_accounts.suspend, carol.account_id, "spam")
    followers = f"/api/v1/accounts/{alice.account_id}/followers"
    assert [a["id"] for a in client.get(followers, headers=eve.headers).json()] == [
        str(bob.account_id)
    ]

    _set(client, alice.account_id, hide_collections=True)
    assert client.get(followers, headers=eve.headers).json() == []
    assert client.get(followers).json() == []
    assert client.get(f"/api/v1/accounts/{alice.account_id}/following").json() == []
    # The owner still sees their own.
    r = client.get(followers, headers=alice.headers)
    assert [a["id"] for a in r.json()] == [str(bob.account_id)]

    # Someone alice blocks is not shown her lists.
    _set(client, alice.account_id, hide_collections=False)
    client.post(f"/api/v1/accounts/{eve.account_id}/block", headers=alice.headers)
    assert client.get(followers, headers=eve.headers).json() == []
    assert len(client.get(followers, headers=bob.headers).json()) == 1


def test_remove_from_followers(client, make_user):
    alice, bob = make_user("alice"), make_user("bob")
    client.post(f"/api/v1/accounts/{alice.account_id}/follow", headers=bob.headers)
    r = client.post(
        f"/api/v1/accounts/{bob.account_id}/remove_from_followers", headers=alice.headers
    )
    assert r.status_code == 200, r.text
    assert r.json()["followed_by"] is False
    assert _counts(client, alice.account_id) == (0, 0)
    assert _counts(client, bob.account_id) == (0, 0)


def test_familiar_followers(client, make_user):
    me, friend, shy, target = (make_user(n) for n in ("me", "friend", "shy", "target"))
    for user in (friend, shy):
        client.post(f"/api/v1/accounts/{user.account_id}/follow", headers=me.headers)
        client.post(f"/api/v1/accounts/{target.account_id}/follow", headers=user.headers)
    _set(client, shy.account_id, hide_collections=True)
    r = client.get(
        "/api/v1/accounts/familiar_followers",
        params=[("id[]", str(target.account_id)), ("id[]", str(friend.account_id))],
        headers=me.headers,
    )
    assert r.status_code == 200, r.text
    assert r.json() == [
        {"id": str(target.account_id), "accounts": [r.json()[0]["accounts"][0]]},
        {"id": str(friend.account_id), "accounts": []},
    ]
    assert r.json()[0]["accounts"][0]["id"] == str(friend.account_id)


def test_unknown_ids_are_404(client, make_user):
    alice = make_user("alice")
    missing = 123456789
    for action in (
        "follow",
        "unfollow",
        "block",
        "unblock",
        "mute",
        "unmute",
        "remove_from_followers",
        "note",
    ):
        r = client.post(f"/api/v1/accounts/{missing}/{action}", headers=alice.headers)
        assert r.status_code == 404, action
        assert r.json() == {"error": "Record not found"}
    for listing in ("followers", "following"):
        assert client.get(f"/api/v1/accounts/{missing}/{listing}").status_code == 404
    for answer in ("authorize", "reject"):
        r = client.post(f"/api/v1/follow_requests/{missing}/{answer}", headers=alice.headers)
        assert r.status_code == 404
    # Ids beyond 64 bits are simply unknown.
    r = client.post(f"/api/v1/accounts/{'9' * 30}/follow", headers=alice.headers)
    assert r.status_code == 404


def test_scopes_are_enforced(client, make_user):
    reader = make_user("reader", scopes="read")
    blocker = make_user("blocker", scopes="write:blocks read:blocks")
    follower = make_user("follower", scopes="follow")
    target = make_user("target")
    r = client.post(f"/api/v1/accounts/{target.account_id}/follow", headers=reader.headers)
    assert r.status_code == 403
    assert r.json() == {"error": "This action is outside the authorized scopes"}
    assert _counts(client, target.account_id) == (0, 0)
    r = client.post(f"/api/v1/accounts/{target.account_id}/follow", headers=blocker.headers)
    assert r.status_code == 403
    r = client.post(f"/api/v1/accounts/{target.account_id}/mute", headers=blocker.headers)
    assert r.status_code == 403
    r = client.post(f"/api/v1/accounts/{target.account_id}/note", headers=follower.headers)
    assert r.status_code == 403
    r = client.get("/api/v1/mutes", headers=blocker.headers)
    assert r.status_code == 403
    assert client.get("/api/v1/blocks", headers=blocker.headers).status_code == 200
    r = client.post(f"/api/v1/accounts/{target.account_id}/block", headers=blocker.headers)
    assert r.status_code == 200
    # The old `follow` scope covers following, blocking and muting.
    r = client.post(f"/api/v1/accounts/{target.account_id}/follow", headers=follower.headers)
    assert r.status_code == 200
    assert client.get("/api/v1/accounts/relationships").status_code == 401
    r = client.post(f"/api/v1/accounts/{target.account_id}/follow")
    assert r.status_code == 401


def test_bad_input_is_a_4xx(client, make_user):
    alice, bob = make_user("alice"), make_user("bob")
    follow = f"/api/v1/accounts/{bob.account_id}/follow"
    headers = {**alice.headers, "Content-Type": "application/json"}
    assert client.post(follow, content=b"{not json", headers=headers).status_code == 400
    r = client.post(follow, json={"languages": {"a": {"b": 1}}}, headers=alice.headers)
    assert r.status_code == 422
    r = client.post(follow, json={"reblogs": "perhaps"}, headers=alice.headers)
    assert r.status_code == 422
    assert _counts(client, bob.account_id) == (0, 0)
    mute = f"/api/v1/accounts/{bob.account_id}/mute"
    assert client.post(mute, data={"duration": "soon"}, headers=alice.headers).status_code == 422
    r = client.post(mute, data={"duration": str(10**30)}, headers=alice.headers)
    assert r.status_code == 422
    note = f"/api/v1/accounts/{bob.account_id}/note"
    assert client.post(note, json={"comment": {"a": 1}}, headers=alice.headers).status_code == 422
    r = client.get(
        "/api/v1/accounts/relationships",
        params=[("id[]", str(i)) for i in range(1, 200)],
        headers=alice.headers,
    )
    assert r.status_code == 422
    r = client.get(f"/api/v1/accounts/{bob.account_id}/followers?limit=lots")
    assert r.status_code == 422
    r = client.get(f"/api/v1/accounts/{bob.account_id}/followers?max_id=junk&limit=0")
    assert r.status_code == 200
