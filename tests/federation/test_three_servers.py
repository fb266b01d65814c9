"""Three real servers: a post reaches followers on two others, and a reply from the third
server reaches someone it mentions on the second, who had never heard of its author. The
first server runs in secure mode (PNYX_AUTHORIZED_FETCH): everything the others fetch from it
goes through signed requests."""

from __future__ import annotations

import os
import uuid

import httpx

from server import PnyxServer

from .people import eventually, find_in_home, login

PG_URL = os.environ.get("PNYX_TEST_DATABASE_URL", "")


def test_three_servers_talk_to_each_other(tmp_path):
    servers = [
        # A runs in secure mode: B and C must sign their fetches of Alice's actor and posts.
        PnyxServer(tmp_path / "a", backend="sqlite", env={"PNYX_AUTHORIZED_FETCH": "1"}),
        PnyxServer(tmp_path / "b", backend="postgres" if PG_URL else "sqlite"),
        PnyxServer(tmp_path / "c", backend="sqlite"),
    ]
    started = []
    try:
        for server in servers:
            started.append(server.start())
        a, b, c = servers
        alice, bob, dave = login(a, "alice"), login(b, "bob"), login(c, "dave")

        for follower in (bob, dave):
            there = follower.api.account_lookup(alice.handle)
            follower.api.account_follow(there["id"])
            assert eventually(
                lambda f=follower, t=there: f.api.account_relationships(t["id"])[0]["following"]
            )
        assert eventually(lambda: alice.api.account(alice.id)["followers_count"] == 2)

        word = f"everyone{uuid.uuid4().hex[:8]}"
        alice.api.status_post(f"{word}: hello, two servers")
        on_b = eventually(lambda: find_in_home(bob, word))
        on_c = eventually(lambda: find_in_home(dave, word))
        assert on_b and on_c
        assert on_b["uri"] == on_c["uri"]
        # Secure mode: an unsigned fetch of the post is refused; B and C fetched signed.
        unsigned = httpx.get(on_b["uri"], headers={"Accept": "application/activity+json"})
        assert unsigned.status_code == 401

        # Dave (on C) replies and mentions Bob (on B), whom C resolves through WebFinger; B has
        # never seen Dave and fetches his actor to check the signature.
        dave.api.account_lookup(bob.handle)
        dave.api.status_post(
            f"@{alice.handle} @{bob.handle} replying from C", in_reply_to_id=on_c["id"]
        )

        def mention_on(person):
            for note in person.api.notifications(types=["mention"]):
                if note["account"]["acct"] == dave.handle:
                    return note
            return None

        assert eventually(lambda: mention_on(bob)), b.logs()[-2000:]
        assert eventually(lambda: mention_on(alice))
        reply_on_b = mention_on(bob)["status"]
        assert reply_on_b["in_reply_to_id"] == on_b["id"]
    finally:
        for server in started:
            server.stop()
