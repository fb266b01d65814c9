"""User domain blocks and endorsements through the Mastodon API.

A domain block hides that server's accounts' posts (and boosts of them) from the blocker's
timelines and threads and their notifications, ends follows both ways, and shows in the
Relationship; endorsements need a follow, end with it, and are listed for anyone."""

from __future__ import annotations

import factories as f
from pnyx import registry


def ids(response) -> list[str]:
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()]


def test_a_domain_block_hides_posts_and_notifications(client, make_user, app):
    db = app.state.db
    alice, bob = make_user("alice"), make_user("bob")
    spam = f.remote_account(db, "spammer", "spam.example")
    other = f.remote_account(db, "friend", "fine.example")
    loud = f.status(db, spam, "buy now", local=False)
    fine = f.status(db, other, "hello", local=False)
    f.follow(db, bob.account_id, spam)  # bob is not part of alice's choice
    f.follow(db, alice.account_id, spam)
    f.follow(db, spam, alice.account_id)
    f.follow(db, alice.account_id, bob.account_id)
    boost = f.status(db, bob.account_id, reblog_of=loud)
    mention = f.status(db, spam, "@alice hi", local=False, mention=[alice.account_id])
    f.notification(db, alice.account_id, spam, "mention", mention)
    f.notification(db, alice.account_id, other, "follow")

    public = "/api/v1/timelines/public?remote=true"
    assert {str(loud), str(fine)} <= set(ids(client.get(public, headers=alice.headers)))
    assert str(boost) in ids(client.get("/api/v1/timelines/home", headers=alice.headers))
    notified = client.get("/api/v1/notifications", headers=alice.headers).json()
    assert sorted(n["type"] for n in notified) == ["follow", "mention"]

    blocked = client.post(
        "/api/v1/domain_blocks", data={"domain": "Spam.Example"}, headers=alice.headers
    )
    assert blocked.status_code == 200 and blocked.json() == {}
    assert client.get("/api/v1/domain_blocks", headers=alice.headers).json() == ["spam.example"]

    seen = set(ids(client.get(public, headers=alice.headers)))
    assert str(fine) in seen and str(loud) not in seen and str(mention) not in seen
    home = ids(client.get("/api/v1/timelines/home", headers=alice.headers))
    assert str(boost) not in home
    # bob did not block anything.
    assert str(loud) in ids(client.get(public, headers=bob.headers))
    notified = client.get("/api/v1/notifications", headers=alice.headers).json()
    # The spammer's mention went; alice is told of the follows her block ended, one each way.
    assert [n["type"] for n in notified] == ["severed_relationships", "follow"]
    event = notified[0]["event"]
    assert notified[0]["account"]["id"] == str(alice.account_id)
    assert (event["type"], event["target_name"], event["purged"]) == (
        "user_domain_block",
        "spam.example",
        False,
    )
    assert (event["followers_count"], event["following_count"]) == (1, 1)
    rel = client.get(f"/api/v1/accounts/relationships?id[]={spam}", headers=alice.headers).json()[0]
    assert rel["domain_blocking"] is True
    assert rel["following"] is False and rel["followed_by"] is False  # both ways, ended
    registry.drain(db)

    assert (
        client.request(
            "DELETE",
            "/api/v1/domain_blocks",
            data={"domain": "spam.example"},
            headers=alice.headers,
        ).json()
        == {}
    )
    assert client.get("/api/v1/domain_blocks", headers=alice.headers).json() == []
    assert str(loud) in ids(client.get(public, headers=alice.headers))


def test_domain_block_validation_and_scopes(client, make_user):
    alice = make_user("alice")
    reader = make_user("reader", scopes="read")
    blank = client.post("/api/v1/domain_blocks", data={"domain": " "}, headers=alice.headers)
    assert blank.status_code == 422 and blank.json()["error"].startswith("Validation failed")
    own = client.post("/api/v1/domain_blocks", data={"domain": "pnyx.test"}, headers=alice.headers)
    assert own.status_code == 422
    refused = client.post(
        "/api/v1/domain_blocks", data={"domain": "x.example"}, headers=reader.headers
    )
    assert refused.status_code == 403
    assert client.get("/api/v1/domain_blocks").status_code == 401
    for n in range(3):
        client.post(
            "/api/v1/domain_blocks", json={"domain": f"s{n}.example"}, headers=alice.headers
        )
    page = client.get("/api/v1/domain_blocks?limit=2", headers=alice.headers)
    assert page.json() == ["s2.example", "s1.example"]
    assert 'rel="next"' in page.headers["link"]


def test_endorsements(client, make_user):
    alice, bob, carol = make_user("alice"), make_user("bob"), make_user("carol")
    pin = f"/api/v1/accounts/{bob.account_id}/pin"
    refused = client.post(pin, headers=alice.headers)
    assert refused.status_code == 422
    assert refused.json()["error"].endswith(
        "You must be already following the person you want to endorse"
    )
    client.post(f"/api/v1/accounts/{bob.account_id}/follow", headers=alice.headers)
    pinned = client.post(pin, headers=alice.headers)
    assert pinned.status_code == 200 and pinned.json()["endorsed"] is True
    assert ids(client.get("/api/v1/endorsements", headers=alice.headers)) == [str(bob.account_id)]
    listed = client.get(f"/api/v1/accounts/{alice.account_id}/endorsements")
    assert ids(listed) == [str(bob.account_id)]
    # Hidden from someone bob blocks.
    client.post(f"/api/v1/accounts/{carol.account_id}/block", headers=bob.headers)
    shown = client.get(f"/api/v1/accounts/{alice.account_id}/endorsements", headers=carol.headers)
    assert ids(shown) == []

    unpinned = client.post(f"/api/v1/accounts/{bob.account_id}/unpin", headers=alice.headers)
    assert unpinned.json()["endorsed"] is False
    again = client.post(f"/api/v1/accounts/{bob.account_id}/endorse", headers=alice.headers)
    assert again.json()["endorsed"] is True
    gone = client.post(f"/api/v1/accounts/{bob.account_id}/unendorse", headers=alice.headers)
    assert gone.json()["endorsed"] is False
    client.post(pin, headers=alice.headers)
    client.post(f"/api/v1/accounts/{bob.account_id}/unfollow", headers=alice.headers)
    assert ids(client.get("/api/v1/endorsements", headers=alice.headers)) == []
    assert client.post("/api/v1/accounts/999/pin", headers=alice.headers).status_code == 404
