"""Federation with a server that is not Pnyx: a real `pnyx serve` against a loopback peer
(tests/federation/peer.py) that behaves as Takahē did when the issue was found.

The peer signs what it sends and answers a Follow with an Accept; but after a block, an
unblock and a new Follow it re-sends its *first* Accept, same id and all.
"""

from __future__ import annotations

import os

import pytest

from pnyx.federation import delivery
from server import PnyxServer

from .peer import Peer
from .people import eventually, login

PG_URL = os.environ.get("PNYX_TEST_DATABASE_URL", "")
# How many polls of `eventually` (0.1 s apart) to allow for the three activities a block sends
# the peer at once. A process has at most delivery.PER_SERVER (2) deliveries in flight to one
# server and puts any other back BUSY_DELAY to 2 * BUSY_DELAY (3-6 s) later without waiting
# (tests/federation/test_delivery.py), so on a busy machine, where the first two are still in
# flight when the third is claimed, one of the three legitimately arrives up to 6 s later.
BURST_ATTEMPTS = (2 * delivery.BUSY_DELAY + 15) * 10
BACKENDS = [
    "sqlite",
    pytest.param("postgres", marks=pytest.mark.skipif(not PG_URL, reason="no PG")),
]


class TakaheLike(Peer):
    """Accepts every Follow; from the second one on, with its first Accept again."""

    def __init__(self):
        super().__init__("taka")
        self.first_accept: dict | None = None
        self.on_activity = self.answer

    def answer(self, activity: dict) -> None:
        if activity.get("type") != "Follow" or activity.get("object") != self.actor:
            return
        if self.first_accept is None:
            self.first_accept = {
                "@context": "https://www.w3.org/ns/activitystreams",
                "id": f"{self.actor}/follow/1/#accept",
                "type": "Accept",
                "actor": self.actor,
                "object": activity,
            }
        self.send(f"{activity['actor']}/inbox", self.first_accept)


@pytest.fixture(params=BACKENDS)
def server(request, tmp_path):
    with PnyxServer(tmp_path / "a", backend=request.param) as a:
        yield a


@pytest.fixture
def peer():
    taka = TakaheLike()
    yield taka
    taka.close()


def undone_follows(peer: Peer) -> list[str]:
    return [
        u["object"]["id"]
        for u in peer.of_type("Undo")
        if isinstance(u.get("object"), dict) and u["object"].get("type") == "Follow"
    ]


def test_block_unblock_and_follow_again_with_a_server_that_reuses_its_accept(server, peer):
    alice = login(server, "alice")
    alice_uri = server.url("/users/alice")
    # Taka follows Alice; Alice's account is open, so Pnyx accepts at once.
    their_follow = {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": f"{peer.actor}/follows/alice",
        "type": "Follow",
        "actor": peer.actor,
        "object": alice_uri,
    }
    assert peer.send(server.url("/users/alice/inbox"), their_follow) == 202
    assert eventually(lambda: peer.of_type("Accept")), server.logs()[-3000:]

    # Alice follows Taka; the peer's Accept makes it a follow.
    taka = alice.api.account_lookup(f"taka@{peer.domain}")
    alice.api.account_follow(taka["id"])
    assert eventually(lambda: alice.api.account_relationships(taka["id"])[0]["following"])
    [first_follow] = peer.of_type("Follow")

    # The block says what Mastodon says: Undo our Follow, Reject theirs, then Block.
    alice.api.account_block(taka["id"])
    # Three activities at once: one of them may be put back (see BURST_ATTEMPTS).
    assert eventually(lambda: peer.of_type("Block"), BURST_ATTEMPTS), server.logs()[-3000:]
    assert eventually(lambda: first_follow["id"] in undone_follows(peer), BURST_ATTEMPTS), (
        peer.received
    )
    assert eventually(lambda: peer.of_type("Reject"), BURST_ATTEMPTS), server.logs()[-3000:]
    [reject] = peer.of_type("Reject")
    assert reject["actor"] == alice_uri and reject["object"]["id"] == their_follow["id"]
    assert alice.api.account(alice.id)["followers_count"] == 0

    alice.api.account_unblock(taka["id"])
    assert eventually(lambda: len(peer.of_type("Undo")) == 2)

    # A new Follow; the peer answers with its first Accept again (same id): it still counts.
    relationship = alice.api.account_follow(taka["id"])
    assert relationship["requested"] and not relationship["following"]
    assert eventually(lambda: len(peer.of_type("Follow")) == 2)
    assert eventually(lambda: alice.api.account_relationships(taka["id"])[0]["following"]), (
        server.logs()[-3000:]
    )
