"""Aliases and moving out through the Pnyx API (/api/v1/pnyx/aliases, /api/v1/pnyx/move).

The accounts here are on this server or already known (no network in these tests); moves
between real servers are in tests/federation/test_moves_three_servers.py."""

from __future__ import annotations

import factories as f

PASSWORD = "correct horse battery"  # tests/conftest.py's make_user


def test_aliases_are_added_by_acct_or_uri_listed_and_removed(client, make_user, app):
    alice, old = make_user("alice"), make_user("alice_old")
    there = f.remote_account(app.state.db, "alice", "old.example")

    added = client.post("/api/v1/pnyx/aliases", json={"acct": "@alice_old"}, headers=alice.headers)
    assert added.status_code == 200, added.text
    assert added.json()["acct"] == "alice_old@pnyx.test"
    assert added.json()["uri"] == "https://pnyx.test/users/alice_old"
    assert added.json()["account"]["id"] == str(old.account_id)
    by_uri = client.post(
        "/api/v1/pnyx/aliases",
        data={"uri": "https://old.example/users/alice"},
        headers=alice.headers,
    )
    assert by_uri.status_code == 200, by_uri.text
    listed = client.get("/api/v1/pnyx/aliases", headers=alice.headers).json()
    assert [a["id"] for a in listed] == [str(there), str(old.account_id)]  # newest first
    me = client.get("/api/v1/pnyx/move", headers=alice.headers).json()
    assert me["also_known_as"] == [
        "https://pnyx.test/users/alice_old",
        "https://old.example/users/alice",
    ]

    again = client.post("/api/v1/pnyx/aliases", json={"acct": "alice_old"}, headers=alice.headers)
    assert again.status_code == 422
    assert again.json() == {"error": "Validation failed: This account is already an alias"}
    own = client.post("/api/v1/pnyx/aliases", json={"acct": "alice"}, headers=alice.headers)
    assert own.json() == {"error": "Validation failed: You cannot name your own account"}
    nobody = client.post("/api/v1/pnyx/aliases", json={"acct": "nobody"}, headers=alice.headers)
    assert nobody.status_code == 422 and "could not be found" in nobody.json()["error"]
    blank = client.post("/api/v1/pnyx/aliases", json={}, headers=alice.headers)
    assert blank.status_code == 422

    gone = client.delete(f"/api/v1/pnyx/aliases/{old.account_id}", headers=alice.headers)
    assert gone.status_code == 200 and gone.json() == {}
    assert (
        client.delete(f"/api/v1/pnyx/aliases/{old.account_id}", headers=alice.headers).status_code
        == 404
    )
    by_uri = client.delete(
        "/api/v1/pnyx/aliases",
        params={"uri": "https://old.example/users/alice"},
        headers=alice.headers,
    )
    assert by_uri.status_code == 200
    assert client.get("/api/v1/pnyx/aliases", headers=alice.headers).json() == []


def test_aliases_need_the_accounts_scopes(client, make_user):
    reader = make_user("reader", scopes="read")
    make_user("other")
    refused = client.post("/api/v1/pnyx/aliases", json={"acct": "other"}, headers=reader.headers)
    assert refused.status_code == 403
    assert client.get("/api/v1/pnyx/aliases", headers=reader.headers).status_code == 200
    assert client.get("/api/v1/pnyx/aliases").status_code == 401


def test_moving_to_an_account_here(client, make_user):
    alice, new, dave, erin = (make_user(n) for n in ("alice", "alice_new", "dave", "erin"))
    client.post(f"/api/v1/accounts/{alice.account_id}/follow", headers=dave.headers)

    def move(**body):
        return client.post("/api/v1/pnyx/move", json=body, headers=alice.headers)

    wrong = move(target="alice_new", current_password="not it")
    assert wrong.status_code == 422
    assert wrong.json() == {"error": "Validation failed: Current password is invalid"}
    unlinked = move(target="alice_new", current_password=PASSWORD)
    assert unlinked.json() == {
        "error": "Validation failed: @alice_new@pnyx.test does not name this account as an "
        "alias (alsoKnownAs): add @alice@pnyx.test as an alias on @alice_new@pnyx.test first"
    }
    assert move(target="alice", current_password=PASSWORD).status_code == 422
    assert move(current_password=PASSWORD).status_code == 422

    client.post("/api/v1/pnyx/aliases", json={"acct": "alice"}, headers=new.headers)
    moved = move(target="@alice_new@pnyx.test", current_password=PASSWORD)
    assert moved.status_code == 200, moved.text
    state = moved.json()
    assert state["moved_to"]["id"] == str(new.account_id)
    assert state["account"]["moved"]["id"] == str(new.account_id)
    assert [m["target"]["acct"] for m in state["moves"]] == ["alice_new"]
    assert state["cooldown_days"] == 30 and state["cooldown_until"] is not None

    # Everyone sees where the account went (Mastodon's Account.moved).
    seen = client.get(f"/api/v1/accounts/{alice.account_id}", headers=erin.headers).json()
    assert seen["moved"]["acct"] == "alice_new"
    # It can no longer be followed: the answer names the new account.
    follow = client.post(f"/api/v1/accounts/{alice.account_id}/follow", headers=erin.headers)
    assert follow.status_code == 403
    assert follow.json() == {
        "error": "This account has moved to @alice_new@pnyx.test: follow that account instead"
    }
    # The cooldown.
    again = move(target="alice_new", current_password=PASSWORD)
    assert again.status_code == 422
    assert again.json()["error"].startswith("Validation failed: You moved less than 30 days ago")
