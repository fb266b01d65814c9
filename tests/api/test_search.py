"""Search through the API: accounts (exact handle first, prefixes, blocks and suspensions),
hashtags, and statuses only among those the searcher may see."""

from __future__ import annotations

import factories as f


def accts(response) -> list[str]:
    assert response.status_code == 200, response.text
    return [a["acct"] for a in response.json()["accounts"]]


def test_account_search_exact_first_and_prefix(client, db, make_user):
    me = make_user("me")
    make_user("bob")
    make_user("bobby")
    make_user("Bobcat")
    f.remote_account(db, "bob", "remote.example", "Remote Bob")
    f.remote_account(db, "alice", "127.0.0.1:9002", "Bobbie")

    got = accts(client.get("/api/v2/search?q=bob&type=accounts", headers=me.headers))
    assert got[0] == "bob"
    assert set(got) == {"bob", "bobby", "Bobcat", "bob@remote.example", "alice@127.0.0.1:9002"}

    exact = accts(client.get("/api/v2/search?q=@bob@remote.example&type=accounts&resolve=true"))
    assert exact == ["bob@remote.example"]
    assert accts(client.get("/api/v2/search?q=BOB@Remote.Example&type=accounts")) == [
        "bob@remote.example"
    ]
    port = accts(client.get("/api/v2/search?q=alice@127.0.0.1:9002&type=accounts"))
    assert port == ["alice@127.0.0.1:9002"]
    # The local domain counts as local.
    assert accts(client.get("/api/v2/search?q=bob@pnyx.test&type=accounts"))[0] == "bob"

    limited = accts(client.get("/api/v2/search?q=bob&type=accounts&limit=2", headers=me.headers))
    assert len(limited) == 2 and limited[0] == "bob"
    rest = accts(
        client.get("/api/v2/search?q=bob&type=accounts&limit=10&offset=2", headers=me.headers)
    )
    assert len(rest) == 3 and not set(rest) & set(limited)
    # Pagination without a token is refused, as Mastodon does.
    assert client.get("/api/v2/search?q=bob&offset=1").status_code == 401


def test_a_profile_address_finds_that_account(client, db, make_user):
    """A profile address pasted into search answers with that one account, as Mastodon does:
    one of ours (its id or its page), one stored from elsewhere (its id, or its page as its
    server gave it), and our own page of it (`/@bob@remote.example`), with or without
    `resolve`. A suspended account is not found that way either."""
    me = make_user("me")
    make_user("alice")
    make_user("alicia")
    f.remote_account(db, "bob", "remote.example")
    gone = make_user("gone")
    f.suspend(db, gone.account_id)
    cases = [
        ("https://pnyx.test/@alice", ["alice"]),
        ("https://pnyx.test/users/alice", ["alice"]),
        ("https://pnyx.test/@bob@remote.example", ["bob@remote.example"]),
        ("https://remote.example/users/bob", ["bob@remote.example"]),
        ("https://remote.example/@bob", ["bob@remote.example"]),
        ("https://pnyx.test/@nobody", []),
        ("https://pnyx.test/@gone", []),
    ]
    for q, expected in cases:
        for resolve in ("false", "true"):
            params = {"q": q, "resolve": resolve}
            answer = client.get("/api/v2/search", params=params, headers=me.headers)
            assert accts(answer) == expected, (q, resolve)
            assert answer.json()["statuses"] == [] and answer.json()["hashtags"] == []
        typed = client.get("/api/v2/search", params={"q": q, "type": "accounts"})
        assert accts(typed) == expected, q
    v1 = client.get("/api/v1/accounts/search?q=https://pnyx.test/@alice", headers=me.headers)
    assert [a["acct"] for a in v1.json()] == ["alice"]


def test_account_search_hides_blocked_and_suspended(client, db, make_user):
    me, blocked, blocker, gone, friend = (
        make_user(n) for n in ("me", "sam_blocked", "sam_blocker", "sam_gone", "sam_friend")
    )
    f.block(db, me.account_id, blocked.account_id)
    f.block(db, blocker.account_id, me.account_id)
    f.suspend(db, gone.account_id)
    f.follow(db, me.account_id, friend.account_id)
    assert accts(client.get("/api/v2/search?q=sam&type=accounts", headers=me.headers)) == [
        "sam_friend"
    ]
    assert accts(client.get("/api/v2/search?q=sam_gone&type=accounts", headers=me.headers)) == []
    assert accts(client.get("/api/v2/search?q=sam_blocker", headers=me.headers)) == []
    assert len(accts(client.get("/api/v2/search?q=sam&type=accounts"))) == 3

    v1 = client.get("/api/v1/accounts/search?q=sam&following=true", headers=me.headers)
    assert [a["acct"] for a in v1.json()] == ["sam_friend"]
    assert client.get("/api/v1/accounts/search?q=sam").status_code == 401


def test_account_search_hides_sign_ups_waiting_for_approval(client, db, make_user):
    me = make_user("me")
    make_user("pat_visible")
    waiting = make_user("pat_waiting")

    def unapprove(tx):
        from pnyx.db.tables import users

        tx.execute(users.update().where(users.c.id == waiting.user_id).values(approved=False))

    db.run_sync(unapprove)
    assert accts(client.get("/api/v2/search?q=pat&type=accounts", headers=me.headers)) == [
        "pat_visible"
    ]
    assert accts(client.get("/api/v2/search?q=pat_waiting", headers=me.headers)) == []


def test_hashtag_search(client, db, make_user):
    me = make_user("me")
    f.status(
        db, me.account_id, "#python #pythonista #rust", tag_names=["python", "pythonista", "rust"]
    )
    got = client.get("/api/v2/search?q=%23python&type=hashtags").json()
    assert [t["name"] for t in got["hashtags"]] == ["python", "pythonista"]
    assert got["hashtags"][0] == {
        "name": "python",
        "url": "https://pnyx.test/tags/python",
        "history": [],
    }
    assert got["accounts"] == [] and got["statuses"] == []


def test_status_search_respects_visibility(client, db, make_user):
    author, follower, stranger, mentioned = (
        make_user(n) for n in ("author", "follower", "stranger", "mentioned")
    )
    f.follow(db, follower.account_id, author.account_id)
    public = f.status(db, author.account_id, "secret pancake recipe")
    private = f.status(db, author.account_id, "private pancake plans", visibility="private")
    direct = f.status(
        db, author.account_id, "direct pancake", visibility="direct", mention=[mentioned.account_id]
    )

    def found(user, q="pancake"):
        response = client.get(f"/api/v2/search?q={q}&type=statuses", headers=user.headers)
        assert response.status_code == 200, response.text
        return [int(s["id"]) for s in response.json()["statuses"]]

    assert found(stranger) == [public]
    # A followers-only post is found only by those whose library holds it (Mastodon 4.2):
    # following its author is not enough, being mentioned or having favourited it is.
    assert found(follower) == [public]
    assert found(mentioned) == [direct, public]
    assert found(author) == [direct, private, public]
    assert found(stranger, "pancake plans") == []
    assert found(follower, "PANCAKE plans") == []
    f.favourite(db, follower.account_id, private)
    assert found(follower, "PANCAKE plans") == [private]
    # Without a token, no statuses at all.
    assert client.get("/api/v2/search?q=pancake&type=statuses").json()["statuses"] == []
    # Blocking hides the author's posts from search as everywhere else.
    f.block(db, author.account_id, stranger.account_id)
    assert found(stranger) == []
    # Searching by a post's address finds that post only if it may be seen.
    address = f"https://pnyx.test/statuses/{private}"
    assert found(follower, address) == [private]
    assert found(mentioned, address) == []
    web_address = f"https://pnyx.test/@author/{public}"
    assert found(follower, web_address) == [public]
    scoped = client.get(
        f"/api/v2/search?q=pancake&type=statuses&account_id={follower.account_id}",
        headers=follower.headers,
    )
    assert scoped.json()["statuses"] == []
