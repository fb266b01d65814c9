"""Incoming proofs (FEP-8b32) at the inbox of the app in this process, from stand-in servers
on loopback: an activity relayed by another server is taken as its actor's when it carries a
valid proof by a key its actor announces (the actor is fetched when unknown); a proof that
fails, or names a key that is not the actor's, is refused with the reason and logged; a proof
of a suite we do not check is ignored (the HTTP signature decides, as before)."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from pnyx import registry
from pnyx.app import create_app
from pnyx.core import domain_blocks, remote_store
from pnyx.db.tables import accounts, jobs, statuses
from pnyx.federation import data_integrity, resolve
from pnyx.federation.signatures import sign_request

from .peer import AP, PUBLIC, Peer

BASE = "https://pnyx.test"
WHEN = datetime(2026, 5, 1, 9, 30, tzinfo=UTC)
PROOF_LOG = "pnyx.federation.proofs"
READER = f"{BASE}/users/reader"


class SigningPeer(Peer):
    """A stand-in server whose actor announces an Ed25519 key (FEP-521a) and signs with it."""

    def __init__(self, username: str):
        super().__init__(username)
        self.ed25519 = data_integrity.new_private_key()
        self.docs[f"/users/{username}"] = self.actor_document()

    @property
    def key_id(self) -> str:
        return f"{self.actor}#ed25519-key"

    def actor_document(self) -> dict:
        doc = super().actor_document()
        if not hasattr(self, "ed25519"):
            return doc
        public = data_integrity.public_key_of(self.ed25519)
        return {
            **doc,
            "@context": [*doc["@context"], data_integrity.CONTEXT, data_integrity.MULTIKEY_CONTEXT],
            "assertionMethod": [
                {
                    "id": self.key_id,
                    "type": "Multikey",
                    "controller": self.actor,
                    "publicKeyMultibase": data_integrity.multikey(public),
                }
            ],
        }

    def sign(self, doc: dict, *, key_id: str | None = None, private: bytes | None = None):
        return data_integrity.sign(doc, private or self.ed25519, key_id or self.key_id, WHEN)


@pytest.fixture
def app(settings):
    """The app, allowed to fetch from loopback where the stand-ins run."""
    return create_app(
        settings.with_overrides(allow_private_addresses=True), run_workers=False, migrate=False
    )


@pytest.fixture(autouse=True)
def reader(make_user):
    return make_user("reader")


@pytest.fixture
def carol():
    peer = SigningPeer("carol")
    yield peer
    peer.close()


@pytest.fixture
def relay(app):
    """Another server, known here, that passes on what others wrote."""
    peer = SigningPeer("relay")
    resolve.store_actor_document(app.state.db, peer.actor_document())
    yield peer
    peer.close()


def post(client, sender: Peer, activity: dict):
    body = json.dumps(activity).encode()
    headers = sign_request(
        method="POST",
        url=f"{BASE}/inbox",
        body=body,
        key_id=f"{sender.actor}#main-key",
        private_key_pem=sender.keys.private_pem,
    )
    return client.post("/inbox", content=body, headers={**headers, "Content-Type": AP})


def create(author: Peer, number: int = 1, text: str = "relayed words") -> dict:
    note = {
        "id": f"{author.actor}/statuses/{number}",
        "type": "Note",
        "attributedTo": author.actor,
        "content": f"<p>{text} @reader</p>",
        "to": [PUBLIC],
        "cc": [READER],
        # A post naming someone here is kept (one nobody here asked for would be dropped).
        "tag": [{"type": "Mention", "href": READER, "name": "@reader@pnyx.test"}],
        "published": "2026-05-01T09:30:00Z",
    }
    return {
        "@context": ["https://www.w3.org/ns/activitystreams", data_integrity.CONTEXT],
        "id": f"{note['id']}/activity",
        "type": "Create",
        "actor": author.actor,
        "to": [PUBLIC],
        "object": note,
    }


def stored_authors(db) -> dict[str, str]:
    """Each stored post's uri, with its author's uri."""
    rows = db.run_sync(
        lambda tx: tx.rows(
            sa.select(statuses.c.uri, accounts.c.uri.label("author")).join(
                accounts, accounts.c.id == statuses.c.account_id
            )
        )
    )
    return {row.uri: row.author for row in rows}


def queued(db) -> int:
    return db.run_sync(
        lambda tx: tx.scalar(
            sa.select(sa.func.count()).select_from(jobs).where(jobs.c.kind == "inbox.process")
        )
    )


def test_a_relayed_activity_with_its_authors_proof_is_taken_as_the_authors(
    app, client, carol, relay
):
    db = app.state.db
    activity = carol.sign(create(carol))
    assert db.run_sync(remote_store.account_by_uri, carol.actor) is None  # never heard of
    answer = post(client, relay, activity)
    assert answer.status_code == 202, answer.text
    registry.drain(db)
    # Carol's actor was fetched for her key, and the post is hers, not the relay's.
    assert stored_authors(db) == {activity["object"]["id"]: carol.actor}


def test_the_author_s_own_delivery_with_a_proof_is_taken_too(app, client, carol):
    db = app.state.db
    activity = carol.sign(create(carol, 2, "from carol herself"))
    assert post(client, carol, activity).status_code == 202
    registry.drain(db)
    assert stored_authors(db) == {activity["object"]["id"]: carol.actor}


def test_a_tampered_relayed_activity_is_refused_and_logged(app, client, carol, relay, caplog):
    caplog.set_level(logging.INFO)
    activity = carol.sign(create(carol))
    activity["object"]["content"] = "<p>words carol never wrote</p>"
    answer = post(client, relay, activity)
    assert answer.status_code == 401
    assert answer.json() == {"error": "The activity's proof does not verify (forged or tampered)"}
    assert queued(app.state.db) == 0
    assert any(r.name == PROOF_LOG and "does not verify" in r.getMessage() for r in caplog.records)


def test_a_tampered_activity_is_refused_even_from_its_own_actor(app, client, carol):
    activity = carol.sign(create(carol))
    activity["to"] = []
    answer = post(client, carol, activity)  # its HTTP signature holds: the proof does not
    assert answer.status_code == 401
    assert queued(app.state.db) == 0


def test_a_proof_by_the_relay_s_key_is_not_the_author_s(app, client, carol, relay):
    forged = relay.sign(create(carol))  # the relay signs words it attributes to carol
    answer = post(client, relay, forged)
    assert answer.status_code == 401
    assert answer.json()["error"] == "The activity's proof names a key that is not its actor's"
    assert queued(app.state.db) == 0


def test_a_key_on_the_actor_s_server_that_the_actor_does_not_announce_is_refused(
    app, client, carol, relay
):
    stranger = data_integrity.new_private_key()
    forged = carol.sign(create(carol), key_id=f"{carol.actor}#other-key", private=stranger)
    answer = post(client, relay, forged)
    assert answer.status_code == 401
    assert "is not its actor's" in answer.json()["error"]
    assert queued(app.state.db) == 0


def test_a_relayed_activity_without_a_proof_is_refused_as_before(app, client, carol, relay):
    answer = post(client, relay, create(carol))
    assert answer.status_code == 401
    assert "The signer is not the activity's actor" in answer.json()["error"]


def test_a_proof_of_a_suite_not_checked_here_is_ignored(app, client, carol):
    """FEP-8b32: a proof of an unsupported suite is ignored; the HTTP signature decides."""
    db = app.state.db
    activity = create(carol, 3, "another suite")
    activity["proof"] = {
        "type": "DataIntegrityProof",
        "cryptosuite": "eddsa-rdfc-2022",
        "verificationMethod": carol.key_id,
        "proofPurpose": "assertionMethod",
        "proofValue": "z1111",
    }
    resolve.store_actor_document(db, carol.actor_document())
    assert post(client, carol, activity).status_code == 202
    registry.drain(db)
    assert stored_authors(db) == {activity["object"]["id"]: carol.actor}


def test_a_key_changed_since_it_was_read_is_read_again(app, client, carol, relay):
    db = app.state.db
    resolve.store_actor_document(db, carol.actor_document())  # her first key, kept here
    carol.ed25519 = data_integrity.new_private_key()  # she changes it
    carol.docs[f"/users/{carol.username}"] = carol.actor_document()
    activity = carol.sign(create(carol, 4, "with my new key"))
    assert post(client, relay, activity).status_code == 202
    registry.drain(db)
    assert stored_authors(db) == {activity["object"]["id"]: carol.actor}


def test_a_proof_by_an_actor_of_a_suspended_server_is_refused(app, client, carol, relay):
    """The relay's server is fine; the author's is suspended here: nothing of it comes in."""
    db = app.state.db
    block = domain_blocks.BlockInput(severity="suspend")
    db.run_sync(domain_blocks.create, carol.domain, block)
    answer = post(client, relay, carol.sign(create(carol)))
    assert answer.status_code == 403
    assert queued(db) == 0


def test_the_relayed_activity_is_checked_once_per_post(app, client, carol, relay):
    """A second copy (the same id) relayed again is accepted and changes nothing."""
    db = app.state.db
    activity = carol.sign(create(carol, 5, "twice"))
    assert post(client, relay, activity).status_code == 202
    assert post(client, relay, activity).status_code == 202
    registry.drain(db)
    assert list(stored_authors(db)) == [activity["object"]["id"]]


def test_a_malformed_proof_of_the_suite_is_refused(app, client, carol):
    """One that claims eddsa-jcs-2022 but whose value is not a signature is not ignored."""
    activity = carol.sign(create(carol, 6, "garbled"))
    activity["proof"]["proofValue"] = "znot-base58!"
    answer = post(client, carol, activity)
    assert answer.status_code == 401
    assert answer.json() == {"error": "The activity's proof does not verify (forged or tampered)"}
    assert queued(app.state.db) == 0
