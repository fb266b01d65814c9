"""`/api/v1/pnyx/copies` without the network: the Copy entity, who sees which copy, the
refusals in Mastodon's error format, the follow step. (The flow an app runs against a real
old server: tests/federation/test_lola_two_servers.py::test_the_api_runs_the_same_flow.)"""

from __future__ import annotations

from pnyx.core.lola import clients, following, transfers

PATH = "/api/v1/pnyx/copies"


def copy_of(db, account_id: int) -> int:
    app = db.run_sync(clients.keep, "https://old.example", "https://pnyx.test/cb", "c", None)
    transfer_id, _state, _verifier = db.run_sync(
        transfers.begin, account_id, "alice@old.example", app.id, {"origin": "https://old.example"}
    )
    return transfer_id


def test_copies_are_their_owners_alone(client, db, make_user):
    alice, bob = make_user("alice"), make_user("bob")
    copy_id = copy_of(db, alice.account_id)
    assert client.get(PATH, headers=alice.headers).json() == []  # still authorizing
    shown = client.get(f"{PATH}/{copy_id}", headers=alice.headers).json()
    assert (shown["id"], shown["state"], shown["source"]) == (
        str(copy_id),
        "authorizing",
        "alice@old.example",
    )
    db.run_sync(transfers.authorized, copy_id, "https://old.example/users/alice", "tok")
    [listed] = client.get(PATH, headers=alice.headers).json()
    assert listed["actor_uri"] == "https://old.example/users/alice"
    assert listed["following"] == {"found": 0, "requested_at": None, "followed": 0, "failed": 0}
    assert "tok" not in str(listed)  # the token is never shown
    assert client.get(f"{PATH}/{copy_id}", headers=bob.headers).status_code == 404
    assert client.get(PATH).status_code == 401


def test_refusals_speak_mastodons_error_format(client, db, make_user):
    alice = make_user("alice")
    answer = client.post(PATH, headers=alice.headers, json={"source": "not an address"})
    assert answer.status_code == 422
    assert answer.json() == {
        "error": "Enter the address of your old account: name@server, or its URL."
    }
    answer = client.post(PATH, headers=alice.headers, json={"source": "alice@pnyx.test"})
    assert answer.json() == {"error": "This account is on this server already."}
    copy_id = copy_of(db, alice.account_id)
    db.run_sync(transfers.authorized, copy_id, "https://old.example/users/alice", "tok")
    answer = client.post(PATH, headers=alice.headers, json={"source": "alice@old.example"})
    assert answer.status_code == 422 and "already under way" in answer.json()["error"]
    early = client.post(f"{PATH}/{copy_id}/follow", headers=alice.headers)
    assert early.status_code == 422 and "not over yet" in early.json()["error"]


def test_following_again_through_the_api(client, db, make_user):
    alice = make_user("alice")
    make_user("bob")
    copy_id = copy_of(db, alice.account_id)
    db.run_sync(following.add, copy_id, ["https://pnyx.test/users/bob"])
    db.run_sync(transfers.finish, copy_id)
    answer = client.post(f"{PATH}/{copy_id}/follow", headers=alice.headers)
    assert answer.status_code == 200, answer.text
    assert answer.json()["following"]["found"] == 1
    assert answer.json()["following"]["requested_at"] is not None
    again = client.post(f"{PATH}/{copy_id}/follow", headers=alice.headers)
    assert again.status_code == 422 and "already asked" in again.json()["error"]
