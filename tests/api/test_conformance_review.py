"""Conformance and leak checks found in review: each test pins one behaviour Mastodon has.

Everything goes through the API, as a client would; the database is only touched to arrange
what another part of the system would have done (a moderator suspending someone, a sign-up
waiting for approval).
"""

from __future__ import annotations

import sqlalchemy as sa

from pnyx.db.ids import new_id
from pnyx.db.tables import accounts, users


def _db(client):
    return client.app.state.db


def _set_account(client, user, **values) -> None:
    _db(client).run_sync(
        lambda tx: tx.execute(
            accounts.update().where(accounts.c.id == user.account_id).values(**values)
        )
    )


def _set_user(client, user, **values) -> None:
    _db(client).run_sync(
        lambda tx: tx.execute(users.update().where(users.c.id == user.user_id).values(**values))
    )


def _post(client, user, **body) -> dict:
    response = client.post("/api/v1/statuses", json=body, headers=user.headers)
    assert response.status_code == 200, response.text
    return response.json()


def _follow(client, follower, target) -> None:
    response = client.post(f"/api/v1/accounts/{target.account_id}/follow", headers=follower.headers)
    assert response.status_code == 200, response.text


# --- Accounts --------------------------------------------------------------------------------


def test_suspended_account_shows_nothing_of_its_profile(client, make_user):
    """Mastodon blanks a suspended profile: default images, flags off, no fields."""
    alice, bob = make_user("alice"), make_user("bob")
    _set_account(
        client,
        alice,
        avatar_url="https://pnyx.test/media/alice.png",
        header_url="https://pnyx.test/media/alice-header.png",
        locked=True,
        bot=True,
        discoverable=True,
    )
    _set_account(client, alice, suspended_at=sa.func.now())
    shown = client.get(f"/api/v1/accounts/{alice.account_id}", headers=bob.headers).json()
    assert shown["suspended"] is True
    assert shown["avatar"] == shown["avatar_static"] == "https://pnyx.test/static/avatar.png"
    assert shown["header"] == shown["header_static"] == "https://pnyx.test/static/header.png"
    assert shown["locked"] is False
    assert shown["bot"] is False
    assert shown["discoverable"] is False
    assert shown["fields"] == [] and shown["emojis"] == []


def test_account_waiting_for_approval_is_not_found(client, make_user):
    """A sign-up the staff have not approved yet does not exist for anyone else."""
    alice, bob = make_user("alice"), make_user("bob")
    _set_user(client, alice, approved=False)
    assert client.get(f"/api/v1/accounts/{alice.account_id}").status_code == 404
    assert client.get("/api/v1/accounts/lookup", params={"acct": "alice"}).status_code == 404
    follow = client.post(f"/api/v1/accounts/{alice.account_id}/follow", headers=bob.headers)
    assert follow.status_code == 404
    for path in ("followers", "following"):
        listed = client.get(f"/api/v1/accounts/{alice.account_id}/{path}")
        assert listed.status_code == 404, path
    rels = client.get(
        "/api/v1/accounts/relationships",
        params={"id[]": str(alice.account_id)},
        headers=bob.headers,
    ).json()
    assert rels == []


def test_unconfirmed_account_is_not_found(client, make_user):
    alice, bob = make_user("alice"), make_user("bob")
    _set_user(client, alice, confirmed=False)
    assert client.get(f"/api/v1/accounts/{alice.account_id}").status_code == 404
    assert client.get("/api/v1/accounts/lookup", params={"acct": "alice"}).status_code == 404
    block = client.post(f"/api/v1/accounts/{alice.account_id}/block", headers=bob.headers)
    assert block.status_code == 404


def test_follow_requests_count_leaves_out_suspended_requesters(client, make_user):
    """The count in verify_credentials matches GET /api/v1/follow_requests."""
    alice = make_user("alice", locked=True)
    bob, carol = make_user("bob"), make_user("carol")
    _follow(client, bob, alice)
    _follow(client, carol, alice)
    _set_account(client, carol, suspended_at=sa.func.now())
    listed = client.get("/api/v1/follow_requests", headers=alice.headers).json()
    assert [a["id"] for a in listed] == [str(bob.account_id)]
    me = client.get("/api/v1/accounts/verify_credentials", headers=alice.headers).json()
    assert me["source"]["follow_requests_count"] == 1


# --- Statuses ------------------------------------------------------------------------------


def test_pinned_only_on_pinnable_statuses(client, make_user):
    """`pinned` is given for one's own public, unlisted and private posts only (not boosts, DMs)."""
    alice, bob = make_user("alice"), make_user("bob")
    own = _post(client, alice, status="mine")
    assert own["pinned"] is False
    direct = _post(client, alice, status="@bob psst", visibility="direct")
    assert "pinned" not in direct
    theirs = _post(client, bob, status="bob's")
    boost = client.post(f"/api/v1/statuses/{theirs['id']}/reblog", headers=alice.headers).json()
    assert "pinned" not in boost
    assert "pinned" not in boost["reblog"]
    shown = client.get(f"/api/v1/statuses/{theirs['id']}", headers=alice.headers).json()
    assert "pinned" not in shown


def test_boost_url_is_its_activity(client, make_user):
    """A boost has no page of its own: Mastodon gives its activity URI as its url."""
    alice, bob = make_user("alice"), make_user("bob")
    original = _post(client, bob, status="boost me")
    boost = client.post(f"/api/v1/statuses/{original['id']}/reblog", headers=alice.headers)
    data = boost.json()
    assert data["uri"] == f"https://pnyx.test/users/alice/statuses/{data['id']}/activity"
    assert data["url"] == data["uri"]


def test_reblogged_by_lists_only_public_and_unlisted_boosts(client, make_user):
    """An author's followers-only boost of their own post stays off reblogged_by."""
    alice, bob = make_user("alice"), make_user("bob")
    _follow(client, bob, alice)
    private = _post(client, alice, status="followers only", visibility="private")
    boosted = client.post(f"/api/v1/statuses/{private['id']}/reblog", headers=alice.headers)
    assert boosted.status_code == 200, boosted.text
    assert boosted.json()["visibility"] == "private"
    listed = client.get(f"/api/v1/statuses/{private['id']}/reblogged_by", headers=bob.headers)
    assert listed.status_code == 200
    assert listed.json() == []


def test_favourited_and_reblogged_by_leave_out_muted_accounts(client, make_user):
    alice, bob, carol = make_user("alice"), make_user("bob"), make_user("carol")
    status = _post(client, alice, status="popular")
    for user in (bob, carol):
        client.post(f"/api/v1/statuses/{status['id']}/favourite", headers=user.headers)
        client.post(f"/api/v1/statuses/{status['id']}/reblog", headers=user.headers)
    muted = client.post(f"/api/v1/accounts/{carol.account_id}/mute", headers=alice.headers)
    assert muted.status_code == 200
    for path in ("favourited_by", "reblogged_by"):
        listed = client.get(f"/api/v1/statuses/{status['id']}/{path}", headers=alice.headers)
        assert [a["id"] for a in listed.json()] == [str(bob.account_id)], path
        anonymous = client.get(f"/api/v1/statuses/{status['id']}/{path}")
        assert len(anonymous.json()) == 2, path


# --- Polls ---------------------------------------------------------------------------------


def _poll(client, user, **extra) -> dict:
    return _post(
        client,
        user,
        status="Vote!",
        poll={"options": ["a", "b"], "expires_in": 3600, **extra},
    )["poll"]


def test_author_cannot_vote_in_own_poll_with_mastodons_message(client, make_user):
    alice = make_user("alice")
    poll = _poll(client, alice)
    response = client.post(
        f"/api/v1/polls/{poll['id']}/votes", json={"choices": [0]}, headers=alice.headers
    )
    assert response.status_code == 422
    assert response.json() == {"error": "Validation failed: You cannot vote in your own polls"}


def test_hidden_totals_are_hidden_from_the_author_too(client, make_user):
    """Mastodon shows counts of a hide_totals poll to nobody until it ends."""
    alice, bob = make_user("alice"), make_user("bob")
    poll = _poll(client, alice, hide_totals=True)
    client.post(f"/api/v1/polls/{poll['id']}/votes", json={"choices": [1]}, headers=bob.headers)
    own = client.get(f"/api/v1/polls/{poll['id']}", headers=alice.headers).json()
    assert [o["votes_count"] for o in own["options"]] == [None, None]
    assert own["votes_count"] == 1


def test_mention_dropped_by_an_edit_is_hidden_but_keeps_access(client, make_user):
    """As Mastodon: the mention goes silent; a private post stays visible to who was told."""
    alice, bob, carol = make_user("alice"), make_user("bob"), make_user("carol")
    status = _post(client, alice, status="@bob @carol secret", visibility="private")
    assert {m["acct"] for m in status["mentions"]} == {"bob", "carol"}
    edited = client.put(
        f"/api/v1/statuses/{status['id']}", json={"status": "@bob secret"}, headers=alice.headers
    ).json()
    assert [m["acct"] for m in edited["mentions"]] == ["bob"]
    assert client.get(f"/api/v1/statuses/{status['id']}", headers=bob.headers).status_code == 200
    seen = client.get(f"/api/v1/statuses/{status['id']}", headers=carol.headers)
    assert seen.status_code == 200
    assert [m["acct"] for m in seen.json()["mentions"]] == ["bob"]
    again = client.put(
        f"/api/v1/statuses/{status['id']}",
        json={"status": "@bob @carol secret"},
        headers=alice.headers,
    ).json()
    assert {m["acct"] for m in again["mentions"]} == {"bob", "carol"}


def test_mention_dropped_from_a_public_post_is_no_longer_listed(client, make_user):
    make_user("bob")
    alice = make_user("alice")
    status = _post(client, alice, status="hi @bob")
    edited = client.put(
        f"/api/v1/statuses/{status['id']}", json={"status": "hi all"}, headers=alice.headers
    ).json()
    assert edited["mentions"] == []


# --- OAuth ---------------------------------------------------------------------------------


def test_non_ascii_basic_credentials_are_an_oauth_error(client):
    """A Basic header that is not base64 at all is invalid_client (401), never a 500."""
    for path in ("/oauth/token", "/oauth/revoke"):
        response = client.post(
            path,
            data={"grant_type": "client_credentials", "token": "x"},
            headers={"Authorization": "Basic ©©©".encode("latin-1")},
        )
        assert response.status_code == 401, (path, response.text)
        assert response.json()["error"] == "invalid_client"
        assert "error_description" in response.json()


def test_unlocking_an_account_accepts_the_pending_requests(client, make_user):
    alice = make_user("alice", locked=True)
    bob = make_user("bob")
    _follow(client, bob, alice)
    unlocked = client.patch(
        "/api/v1/accounts/update_credentials", json={"locked": False}, headers=alice.headers
    )
    assert unlocked.status_code == 200
    assert unlocked.json()["locked"] is False
    assert unlocked.json()["followers_count"] == 1
    assert unlocked.json()["source"]["follow_requests_count"] == 0
    rel = client.get(
        "/api/v1/accounts/relationships",
        params={"id[]": str(alice.account_id)},
        headers=bob.headers,
    ).json()[0]
    assert rel["following"] is True and rel["requested"] is False


def test_an_account_the_author_blocks_is_not_mentioned(client, make_user):
    """Mastodon drops the mention: not listed, not notified, no way into a direct message."""
    alice, bob = make_user("alice"), make_user("bob")
    client.post(f"/api/v1/accounts/{bob.account_id}/block", headers=alice.headers)
    status = _post(client, alice, status="@bob you cannot read this", visibility="direct")
    assert status["mentions"] == []
    client.post(f"/api/v1/accounts/{bob.account_id}/unblock", headers=alice.headers)
    assert client.get(f"/api/v1/statuses/{status['id']}", headers=bob.headers).status_code == 404


def test_reply_to_a_post_one_may_not_see_is_404_like_a_missing_one(client, make_user):
    """Same status, same body, whether the parent is private, missing or not an id."""
    alice, bob = make_user("alice"), make_user("bob")
    private = _post(client, alice, status="followers only", visibility="private")
    bodies = []
    for parent in (private["id"], "1", "not-an-id"):
        response = client.post(
            "/api/v1/statuses",
            json={"status": "reply", "in_reply_to_id": parent},
            headers=bob.headers,
        )
        assert response.status_code == 404, parent
        bodies.append(response.json())
    assert (
        bodies == [{"error": "The post you are trying to reply to does not appear to exist."}] * 3
    )


def test_pinning_someone_elses_post_uses_mastodons_message(client, make_user):
    alice, bob = make_user("alice"), make_user("bob")
    theirs = _post(client, bob, status="bob's")
    response = client.post(f"/api/v1/statuses/{theirs['id']}/pin", headers=alice.headers)
    assert response.status_code == 422
    assert response.json() == {"error": "Validation failed: Someone else's post cannot be pinned"}


def test_app_website_and_redirect_uris_must_be_safe_links(client):
    """As Mastodon: the website is an http(s) URL; no redirect a browser would run."""
    oob = "urn:ietf:wg:oauth:2.0:oob"
    cases = [
        ({"website": "javascript:alert(1)"}, "Validation failed: Website is invalid"),
        ({"website": "not a url"}, "Validation failed: Website is invalid"),
        (
            {"redirect_uris": "javascript://x.test/%0aalert(1)"},
            "Validation failed: Redirect URI is forbidden by the server",
        ),
        (
            {"redirect_uris": "https://app.test/cb#frag"},
            "Validation failed: Redirect URI cannot contain a fragment",
        ),
    ]
    for extra, message in cases:
        body = {"client_name": "x", "redirect_uris": oob, **extra}
        response = client.post("/api/v1/apps", json=body)
        assert response.status_code == 422, extra
        assert response.json() == {"error": message}
    fine = client.post(
        "/api/v1/apps",
        json={"client_name": "x", "redirect_uris": oob, "website": "https://app.test"},
    )
    assert fine.status_code == 200
    assert fine.json()["website"] == "https://app.test"


def test_noindex_is_given_for_local_accounts_only(client, make_user):
    alice = make_user("alice")
    remote_id = new_id()

    def work(tx):
        tx.execute(
            accounts.insert().values(
                id=remote_id,
                username="zoe",
                domain="remote.test",
                uri="https://remote.test/users/zoe",
                url="https://remote.test/@zoe",
                created_at=tx.now,
                updated_at=tx.now,
            )
        )

    _db(client).run_sync(work)
    assert client.get(f"/api/v1/accounts/{alice.account_id}").json()["noindex"] is False
    remote = client.get(f"/api/v1/accounts/{remote_id}").json()
    assert remote["acct"] == "zoe@remote.test"
    assert "noindex" not in remote


def test_several_accounts_at_once(client, make_user):
    """GET /api/v1/accounts?id[]= (Mastodon 4.3): in order, unknown and pending left out."""
    alice, bob, carol = make_user("alice"), make_user("bob"), make_user("carol")
    _set_user(client, carol, approved=False)
    ids = [bob.account_id, 1, carol.account_id, alice.account_id]
    response = client.get("/api/v1/accounts", params={"id[]": [str(i) for i in ids]})
    assert response.status_code == 200
    assert [a["id"] for a in response.json()] == [str(bob.account_id), str(alice.account_id)]
    too_many = client.get("/api/v1/accounts", params={"id[]": [str(i) for i in range(1, 42)]})
    assert too_many.status_code == 422


def test_several_statuses_at_once_are_limited_to_twenty(client, make_user):
    alice = make_user("alice")
    status = _post(client, alice, status="one")
    repeated = client.get("/api/v1/statuses", params={"id[]": [status["id"]] * 30})
    assert [s["id"] for s in repeated.json()] == [status["id"]]
    ids = [str(i) for i in range(1, 22)]
    assert client.get("/api/v1/statuses", params={"id[]": ids}).status_code == 422
