"""Pnyx's proofs (FEP-8b32) between real servers, judged by an independent implementation.

Server A (SQLite) and B (PostgreSQL when PNYX_TEST_DATABASE_URL is set) run for real, with a
stand-in server (`Peer`) that follows Alice on A and so receives what A delivers. Fedify
(`fedify.py`) then fetches from A, over loopback, Alice's actor, the instance actor, a post,
its Create, and checks them and the activities A delivered: every proof holds under the key
the actor announces, and a tampered copy fails. Last, the stand-in relays to B a post Alice
sent it alone: B takes it as Alice's because of her proof, though the stand-in delivered it,
and refuses a tampered copy (that test needs no Fedify: it runs where node is missing).
"""

from __future__ import annotations

import copy
import uuid
from dataclasses import dataclass

import httpx
import pytest
import sqlalchemy as sa

from server import PnyxServer

from . import fedify
from .peer import Peer
from .people import Person, eventually, login, two_servers

AP = {"Accept": "application/activity+json"}


@dataclass
class World:
    a: PnyxServer
    b: PnyxServer
    alice: Person
    bob: Person
    peer: Peer
    post_uri: str

    @property
    def alice_uri(self) -> str:
        return self.a.url("/users/alice")


def _delivered(peer: Peer, kind: str, object_id: str | None = None) -> dict | None:
    for activity in peer.of_type(kind):
        obj = activity.get("object")
        if object_id is None or (isinstance(obj, dict) and obj.get("id") == object_id):
            return activity
    return None


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    peer = Peer("taka")
    try:
        with two_servers(tmp_path_factory, "proofs") as (a, b):
            alice = login(a, "alice")
            follow = {
                "@context": "https://www.w3.org/ns/activitystreams",
                "id": f"{peer.actor}/follows/{uuid.uuid4().hex}",
                "type": "Follow",
                "actor": peer.actor,
                "object": a.url("/users/alice"),
            }
            assert peer.send(a.url("/users/alice/inbox"), follow) == 202
            assert eventually(lambda: peer.of_type("Accept")), "A never accepted the follow"
            post = alice.api.status_post("words that carry their author's proof")
            assert eventually(lambda: _delivered(peer, "Create", post["uri"]))
            yield World(a, b, alice, login(b, "bob"), peer, post["uri"])
    finally:
        peer.close()


def _served(url: str) -> dict:
    return httpx.get(url, headers=AP, timeout=30).json()


def test_fedify_verifies_what_pnyx_serves_and_delivers(world: World):
    create = _served(world.post_uri + "/activity")
    delivered = _delivered(world.peer, "Create", world.post_uri)
    accept = world.peer.of_type("Accept")[0]
    verdicts = fedify.verify(
        [
            {"name": "actor", "url": world.alice_uri},
            {"name": "instance actor", "url": world.a.url("/actor")},
            {"name": "post", "url": world.post_uri},
            {"name": "its Create", "url": world.post_uri + "/activity"},
            {"name": "the Note in it", "document": create["object"]},
            {"name": "delivered Create", "document": delivered},
            {"name": "delivered Note", "document": delivered["object"]},
            {"name": "delivered Accept", "document": accept},
        ]
    )
    key = world.alice_uri + "#ed25519-key"
    for name, verdict in verdicts.items():
        assert verdict["verified"], (name, verdict)
        expected = world.a.url("/actor#ed25519-key") if name == "instance actor" else key
        assert verdict["keys"] == [expected], (name, verdict)
    assert len(verdicts) == 8


def test_fedify_refuses_tampered_copies(world: World):
    post = _served(world.post_uri)
    actor = _served(world.alice_uri)
    delivered = copy.deepcopy(_delivered(world.peer, "Create", world.post_uri))
    delivered["object"]["content"] = "<p>words Alice never wrote</p>"
    other_key = copy.deepcopy(post)
    other_key["proof"]["verificationMethod"] = world.a.url("/actor#ed25519-key")
    verdicts = fedify.verify(
        [
            {"name": "post", "document": {**post, "content": "<p>not hers</p>"}},
            {"name": "actor", "document": {**actor, "name": "Mallory"}},
            {"name": "delivered Create", "document": delivered},
            {"name": "signed by another key", "document": other_key},
            {"name": "untouched", "document": post},
        ]
    )
    assert verdicts["untouched"]["verified"], verdicts["untouched"]
    for name in ("post", "actor", "delivered Create", "signed by another key"):
        assert not verdicts[name]["verified"], (name, verdicts[name])


def _stored_on_b(world: World, uri: str) -> str | None:
    """The uri of the author B holds the post `uri` under, or None."""
    engine = sa.create_engine(world.b.database_url)
    try:
        with engine.connect() as conn:
            return conn.execute(
                sa.text(
                    "SELECT a.uri FROM statuses s JOIN accounts a ON a.id = s.account_id"
                    " WHERE s.uri = :uri"
                ),
                {"uri": uri},
            ).scalar()
    finally:
        engine.dispose()


def test_a_post_relayed_by_another_server_is_taken_as_its_authors(world: World):
    # B knows Alice (Bob follows her), so her posts concern someone there.
    alice_on_b = world.bob.api.account_lookup(world.alice.handle)
    world.bob.api.account_follow(alice_on_b["id"])
    assert eventually(lambda: world.bob.api.account_relationships(alice_on_b["id"])[0]["following"])
    # Alice writes to the stand-in alone: A delivers it there, not to B.
    handle = f"@{world.peer.username}@{world.peer.domain}"
    note = world.alice.api.status_post(f"{handle} for your eyes", visibility="direct")
    delivered = eventually(lambda: _delivered(world.peer, "Create", note["uri"]))
    assert delivered is not None
    assert _stored_on_b(world, note["uri"]) is None

    tampered = copy.deepcopy(delivered)
    tampered["object"]["content"] = "<p>words Alice never wrote</p>"
    assert world.peer.send(world.b.url("/inbox"), tampered) == 401
    # The stand-in passes it on, signing the request with its own key: the proof decides.
    assert world.peer.send(world.b.url("/inbox"), delivered) == 202
    assert eventually(lambda: _stored_on_b(world, note["uri"])) == world.alice_uri
    logs = world.b.logs()
    assert f"(its proof) from {world.peer.actor}" in logs
    assert "The activity's proof does not verify" in logs
