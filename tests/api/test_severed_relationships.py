"""Follows ended by a block of a whole server, told to the people here who lost them
(Mastodon 4.3's `severed_relationships` notification and RelationshipSeveranceEvent); and an
account that moved shows where (`Account.moved`).

A person's own domain block is covered in test_domain_blocks_and_endorsements.py; here the
staff suspend a server through the admin API, which (as Mastodon) now ends follows both ways.
"""

from __future__ import annotations

import sqlalchemy as sa

import factories as f
from pnyx.db.tables import account_warnings, accounts, follows
from pnyx.db.tables import notifications as notifications_table

ADMIN_SCOPES = "read write follow admin:read admin:write"


def notifications(client, user, **params) -> list[dict]:
    answer = client.get("/api/v1/notifications", params=params, headers=user.headers)
    assert answer.status_code == 200, answer.text
    return answer.json()


def follow_pairs(app) -> set[tuple[int, int]]:
    return app.state.db.run_sync(
        lambda tx: {
            (r.account_id, r.target_account_id)
            for r in tx.rows(sa.select(follows.c.account_id, follows.c.target_account_id))
        }
    )


def counters(app) -> dict[int, tuple[int, int]]:
    """(followers, following) of the accounts here."""
    return app.state.db.run_sync(
        lambda tx: {
            r.id: (r.followers_count, r.following_count)
            for r in tx.rows(sa.select(accounts).where(accounts.c.domain.is_(None)))
        }
    )


def test_suspending_a_server_ends_follows_and_tells_who_lost_them(client, make_user, app):
    db = app.state.db
    admin = make_user("boss", role="admin", scopes=ADMIN_SCOPES)
    alice, bob, carol = make_user("alice"), make_user("bob"), make_user("carol")
    one = f.remote_account(db, "one", "bad.example")
    two = f.remote_account(db, "two", "sub.bad.example")  # a subdomain is blocked with it
    fine = f.remote_account(db, "fine", "fine.example")
    f.follow(db, alice.account_id, one)
    f.follow(db, alice.account_id, two)
    f.follow(db, one, alice.account_id)
    f.follow(db, two, bob.account_id)
    f.follow(db, carol.account_id, fine)  # carol loses nothing
    f.follow(db, carol.account_id, alice.account_id)
    before = notifications(client, alice)
    counts_before = counters(app)

    made = client.post(
        "/api/v1/admin/domain_blocks",
        json={"domain": "bad.example", "severity": "suspend"},
        headers=admin.headers,
    )
    assert made.status_code == 200, made.text

    assert follow_pairs(app) == {
        (carol.account_id, fine),
        (carol.account_id, alice.account_id),
    }
    # The counters move with the follows (the factory's follows did not count them).
    lost = {
        i: tuple(a - b for a, b in zip(counts_before[i], n, strict=True))
        for i, n in counters(app).items()
    }
    assert lost[alice.account_id] == (1, 2)
    assert lost[bob.account_id] == (1, 0)
    assert lost[carol.account_id] == (0, 0)

    told = notifications(client, alice)
    assert len(told) == len(before) + 1
    newest = told[0]
    assert newest["type"] == "severed_relationships"
    assert newest["account"]["id"] == str(alice.account_id)
    event = newest["event"]
    assert set(event) == {
        "id", "type", "purged", "target_name", "followers_count", "following_count", "created_at",
    }  # fmt: skip
    assert (event["type"], event["target_name"], event["purged"]) == (
        "domain_block",
        "bad.example",
        False,
    )
    assert (event["followers_count"], event["following_count"]) == (1, 2)
    bobs = notifications(client, bob, **{"types[]": "severed_relationships"})
    assert [(n["event"]["followers_count"], n["event"]["following_count"]) for n in bobs] == [
        (1, 0)
    ]
    assert notifications(client, carol, **{"types[]": "severed_relationships"}) == []
    assert notifications(client, alice, **{"exclude_types[]": "severed_relationships"}) == before

    # The same notification, one by itself, and grouped (v2: it is a group of its own).
    alone = client.get(f"/api/v1/notifications/{newest['id']}", headers=alice.headers).json()
    assert alone == newest
    grouped = client.get("/api/v2/notifications", headers=alice.headers).json()
    group = grouped["notification_groups"][0]
    assert group["group_key"] == f"ungrouped-{newest['id']}"
    assert group["type"] == "severed_relationships" and group["event"] == event

    # Lifting the block, or blocking again, ends nothing more and tells nobody again.
    block_id = made.json()["id"]
    changed = client.put(
        f"/api/v1/admin/domain_blocks/{block_id}",
        json={"severity": "suspend"},
        headers=admin.headers,
    )
    assert changed.status_code == 200
    assert len(notifications(client, alice)) == len(before) + 1


def test_a_notification_policy_never_holds_them_back(client, make_user, app):
    """Word from the instance about one's own follows is not a stranger's notification."""
    db = app.state.db
    alice = make_user("alice")
    stranger = f.remote_account(db, "one", "gone.example")
    f.follow(db, stranger, alice.account_id)
    policy = client.put(
        "/api/v2/notifications/policy",
        json={"for_not_following": "drop", "for_not_followers": "drop", "for_new_accounts": "drop"},
        headers=alice.headers,
    )
    assert policy.status_code == 200, policy.text
    blocked = client.post(
        "/api/v1/domain_blocks", data={"domain": "gone.example"}, headers=alice.headers
    )
    assert blocked.status_code == 200
    told = notifications(client, alice)
    assert [n["type"] for n in told] == ["severed_relationships"]
    assert told[0]["event"]["type"] == "user_domain_block"
    assert (told[0]["event"]["followers_count"], told[0]["event"]["following_count"]) == (1, 0)


def test_a_block_that_ends_nothing_tells_nothing(client, make_user, app):
    alice = make_user("alice")
    f.remote_account(app.state.db, "one", "quiet.example")
    assert (
        client.post(
            "/api/v1/domain_blocks", data={"domain": "quiet.example"}, headers=alice.headers
        ).status_code
        == 200
    )
    assert notifications(client, alice) == []


def test_an_account_that_moved_shows_where(client, make_user, app):
    db = app.state.db
    viewer = make_user("viewer")
    old = f.remote_account(db, "old", "was.example", display_name="Old me")
    new = f.remote_account(db, "new", "now.example", display_name="New me")
    db.run_sync(
        lambda tx: tx.execute(
            accounts.update().where(accounts.c.id == old).values(moved_to_account_id=new)
        )
    )
    shown = client.get(f"/api/v1/accounts/{old}", headers=viewer.headers).json()
    assert shown["moved"]["id"] == str(new)
    assert shown["moved"]["acct"] == "new@now.example"
    assert shown["moved"]["display_name"] == "New me" and "moved" not in shown["moved"]
    assert "moved" not in client.get(f"/api/v1/accounts/{new}", headers=viewer.headers).json()
    looked_up = client.get(
        "/api/v1/accounts/lookup", params={"acct": "old@was.example"}, headers=viewer.headers
    ).json()
    assert looked_up["moved"]["id"] == str(new)
    several = client.get(
        "/api/v1/accounts", params={"id[]": [str(old), str(new)]}, headers=viewer.headers
    ).json()
    assert [a.get("moved", {}).get("id") for a in several] == [str(new), None]


def test_suspending_an_account_elsewhere_ends_its_follows_of_people_here(client, make_user, app):
    """As Mastodon: it would go on reading them from its own server otherwise. Who followed it
    keeps the follow (hidden while it is suspended)."""
    db = app.state.db
    mod = make_user("mod", role="moderator", scopes=ADMIN_SCOPES)
    alice, bob = make_user("alice"), make_user("bob")
    troll = f.remote_account(db, "troll", "else.example")
    f.follow(db, troll, alice.account_id)
    f.follow(db, bob.account_id, troll)
    answer = client.post(
        f"/api/v1/admin/accounts/{troll}/action",
        data={"type": "suspend", "text": "Harassment", "rule_id": f.rule(app.state.db)},
        headers=mod.headers,
    )
    assert answer.status_code == 200, answer.text
    assert follow_pairs(app) == {(bob.account_id, troll)}
    [told] = notifications(client, alice)
    assert told["type"] == "severed_relationships"
    event = told["event"]
    assert (event["type"], event["target_name"]) == ("account_suspension", "troll@else.example")
    assert (event["followers_count"], event["following_count"]) == (1, 0)
    assert notifications(client, bob) == []
    # The strike is kept; an account of another server is told nothing here.
    kinds = db.run_sync(
        lambda tx: (
            tx.scalars(sa.select(account_warnings.c.action)),
            tx.scalars(sa.select(notifications_table.c.type).distinct()),
        )
    )
    assert kinds[0] == ["suspend"]
    assert "moderation_warning" not in kinds[1]
