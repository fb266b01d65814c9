"""Shared block lists across two real servers (issue 12): a list kept on A, subscribed to by
someone on B, blocks its members on B; a later change to the list on A reaches B (the account
added is blocked, the account removed is unblocked); the subscriber sees which list made each
block, and A never learns who subscribed."""

from __future__ import annotations

import httpx

from .people import Person, eventually, login, two_servers


def pnyx(person: Person, method: str, path: str, **kwargs) -> httpx.Response:
    headers = {"Authorization": f"Bearer {person.api.access_token}"}
    return httpx.request(
        method, person.server.base_url + path, headers=headers, timeout=30, **kwargs
    )


def blocking(person: Person, account_id: str) -> bool:
    return person.api.account_relationships(account_id)[0]["blocking"]


def test_a_block_list_on_a_blocks_its_members_on_b_and_changes_propagate(tmp_path_factory):
    with two_servers(tmp_path_factory, "lists") as (a, b):
        keeper, spammer, troll = login(a, "keeper"), login(a, "spammer"), login(a, "troll")
        bob = login(b, "bob")
        made = pnyx(
            keeper,
            "POST",
            "/api/v1/pnyx/moderation_lists",
            json={"title": "Spam rings", "description": "Accounts that post spam"},
        )
        assert made.status_code == 200, made.text
        listed = made.json()
        answer = pnyx(
            keeper,
            "POST",
            f"/api/v1/pnyx/moderation_lists/{listed['id']}/accounts",
            json={"account_ids": [spammer.id]},
        )
        assert answer.status_code == 200, answer.text

        # Bob on B blocks by the list, named by its URI.
        answer = pnyx(
            bob,
            "POST",
            "/api/v1/pnyx/moderation_lists/subscribe",
            json={"uri": listed["uri"], "action": "block"},
        )
        assert answer.status_code == 200, answer.text
        on_b = answer.json()
        assert on_b["title"] == "Spam rings" and on_b["keeper"]["acct"] == keeper.handle
        spammer_on_b = bob.api.account_lookup(spammer.handle)["id"]
        assert blocking(bob, spammer_on_b)
        caused = pnyx(bob, "GET", "/api/v1/pnyx/moderation_list_subscriptions").json()
        assert [(c["title"], c["action"], c["caused_account_ids"]) for c in caused] == [
            ("Spam rings", "block", [spammer_on_b])
        ]
        # B asked A for the list's changes: A's keeper has one follower, B's instance actor.
        assert eventually(lambda: keeper.api.account(keeper.id)["followers_count"] == 1)
        [follower] = keeper.api.account_followers(keeper.id)
        assert "bob" not in follower["acct"] and follower["acct"].startswith(b.domain)

        # A later change on A reaches B: the troll is added, the spammer removed.
        pnyx(
            keeper,
            "POST",
            f"/api/v1/pnyx/moderation_lists/{listed['id']}/accounts",
            json={"account_ids": [troll.id]},
        )
        pnyx(
            keeper,
            "DELETE",
            f"/api/v1/pnyx/moderation_lists/{listed['id']}/accounts",
            json={"account_ids": [spammer.id]},
        )

        def troll_blocked():
            caused = pnyx(bob, "GET", "/api/v1/pnyx/moderation_list_subscriptions").json()
            return caused[0]["caused_account_ids"] if caused else None

        troll_on_b = bob.api.account_lookup(troll.handle)["id"]
        assert eventually(lambda: troll_blocked() == [troll_on_b]), b.logs()[-3000:]
        assert blocking(bob, troll_on_b) and not blocking(bob, spammer_on_b)
