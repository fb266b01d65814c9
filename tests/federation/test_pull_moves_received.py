"""A Move sent by the new actor (FEP-7628's second sub-type), received here while the old
actor's server is gone: accepted when the new actor's document, read again from its server
(a stand-in, `Peer`), proves by a FEP-c390 statement the key the old actor was known by here;
refused otherwise, and nothing changes. `handlers.process` runs the fetches it asks for, on
this thread (the inbox runs them as jobs)."""

from __future__ import annotations

import copy
import uuid
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

import factories
from pnyx import registry
from pnyx.core import integrity_keys
from pnyx.core import remote_store as received
from pnyx.db.tables import accounts, follow_requests, follows
from pnyx.federation import data_integrity, handlers, identity_proofs, resolve

from .peer import Peer

WHEN = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)
GONE = "127.0.0.1:9"  # nothing listens there: the old server is gone


class World:
    def __init__(self, db, peer: Peer, make_user):
        self.db, self.peer = db, peer
        self.key = data_integrity.new_private_key()  # the old actor's, carried by its owner
        self.old = factories.remote_account(db, "alice", GONE)
        self.old_uri = self.row(self.old).uri
        public = data_integrity.public_key_of(self.key)
        db.run_sync(integrity_keys.remember_remote, self.old, self.old_uri + "#ed25519-key", public)
        self.reader = make_user("reader").account_id
        factories.follow(db, self.reader, self.old)

    def row(self, account_id: int):
        return self.db.run_sync(
            lambda tx: tx.one_or_none(accounts.select().where(accounts.c.id == account_id))
        )

    def publish(self, *attachments: dict, **extra) -> int:
        """The stand-in's actor now attaches these; stored here as known (fetched once)."""
        doc = {**self.peer.actor_document(), "attachment": list(attachments), **extra}
        self.peer.docs[f"/users/{self.peer.username}"] = doc
        return resolve.fetch_actor(self.db, self.db.settings, self.peer.actor)

    def statement(self, private: bytes | None = None) -> dict:
        return identity_proofs.statement(self.peer.actor, private or self.key, WHEN)

    def move(self, signer_id: int, *, obj: str | None = None, target: str | None = None) -> None:
        doc = {
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": f"{self.peer.actor}#moves/pull/{uuid.uuid4().hex}",
            "type": "Move",
            "actor": self.peer.actor,
            "object": obj or self.old_uri,
            "target": target or self.peer.actor,
        }
        handlers.process(self.db, self.db.settings, doc, signer_id)

    def moved_to(self) -> int | None:
        return self.row(self.old).moved_to_account_id


@pytest.fixture
def world(local_db, peer, make_user) -> World:
    return World(local_db, peer, make_user)


def test_the_new_actor_proving_the_old_key_moves_the_followers(world: World):
    new = world.publish(world.statement())
    world.move(new)
    assert world.moved_to() == new
    # core.moves' job: the reader asks to follow the new account, and leaves the old one.
    registry.drain(world.db, queues=("default",))
    requested = world.db.run_sync(
        lambda tx: tx.scalars(
            sa.select(follow_requests.c.target_account_id).where(
                follow_requests.c.account_id == world.reader
            )
        )
    )
    assert requested == [new]
    left = world.db.run_sync(
        lambda tx: tx.scalars(
            sa.select(follows.c.id).where(follows.c.target_account_id == world.old)
        )
    )
    assert left == []


def test_the_statement_is_read_fresh_not_as_once_kept(world: World):
    new = world.publish(world.statement())  # kept at the first fetch...
    world.peer.docs[f"/users/{world.peer.username}"] = world.peer.actor_document()  # ...gone now
    world.move(new)
    assert world.moved_to() is None


def test_a_statement_for_another_key_moves_nobody(world: World):
    new = world.publish(world.statement(data_integrity.new_private_key()))
    world.move(new)
    assert world.moved_to() is None


def test_a_forged_statement_moves_nobody(world: World):
    """The old key's subject, with a proof made by another key."""
    forged = copy.deepcopy(world.statement(data_integrity.new_private_key()))
    good = world.statement()
    forged["subject"] = forged["proof"]["verificationMethod"] = good["subject"]
    new = world.publish(forged)
    world.move(new)
    assert world.moved_to() is None


def test_announcing_the_old_key_proves_nothing(world: World):
    public = data_integrity.public_key_of(world.key)
    copied = [
        {
            "id": f"{world.peer.actor}#ed25519-key",
            "type": "Multikey",
            "controller": world.peer.actor,
            "publicKeyMultibase": data_integrity.multikey(public),
        }
    ]
    new = world.publish(assertionMethod=copied)
    world.move(new)
    assert world.moved_to() is None


def test_a_third_actor_moves_nobody(world: World, make_user):
    new = world.publish(world.statement())
    world.move(new, target="https://elsewhere.example/users/alice")
    assert world.moved_to() is None
    # Nor can it move an account of this server.
    local = make_user("carol").account_id
    local_uri = world.row(local).uri
    world.move(new, obj=local_uri)
    assert world.row(local).moved_to_account_id is None


def test_an_unknown_old_actor_on_a_server_that_is_gone_moves_nobody(world: World):
    new = world.publish(world.statement())
    missing = f"https://{GONE}/users/nobody"
    world.move(new, obj=missing)
    assert world.db.run_sync(received.account_by_uri, missing) is None


def test_without_proofs_a_live_old_server_may_still_vouch(world: World):
    """No statement, but the old server answers, and both actors name each other."""
    old_server = Peer("olda")
    try:
        old_server.docs["/users/olda"] = {
            **old_server.actor_document(),
            "alsoKnownAs": [world.peer.actor],
        }
        old = resolve.fetch_actor(world.db, world.db.settings, old_server.actor)
        new = world.publish(alsoKnownAs=[old_server.actor])
        world.move(new, obj=old_server.actor)
        assert world.row(old).moved_to_account_id == new
        # Without the old server's word, the aliases of the new actor alone move nobody.
        other = Peer("oldb")
        try:
            other_id = resolve.fetch_actor(world.db, world.db.settings, other.actor)
            world.publish(alsoKnownAs=[other.actor])
            world.move(new, obj=other.actor)
            assert world.row(other_id).moved_to_account_id is None
        finally:
            other.close()
    finally:
        old_server.close()
