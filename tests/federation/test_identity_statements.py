"""FEP-c390 statements on actor documents: every local actor publishes one for its own key,
one more per key it carried from an old server, the same at every fetch; and the statements
of an actor fetched from elsewhere are kept (valid ones only) and replaced at the next fetch."""

from __future__ import annotations

import copy
from datetime import UTC, datetime

from starlette.testclient import TestClient

from pnyx.app import create_app
from pnyx.core import identity_links, integrity_keys
from pnyx.core import remote_store as received
from pnyx.federation import data_integrity, identity_proofs, identity_statements, resolve

AP = {"Accept": "application/activity+json"}
WHEN = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)


def _actor(client, name: str) -> dict:
    response = client.get(f"/users/{name}", headers=AP)
    assert response.status_code == 200, response.text
    return response.json()


def statements(actor: dict) -> list[dict]:
    return [a for a in actor.get("attachment", []) if a.get("type") == identity_proofs.STATEMENT]


def test_an_actor_states_its_own_key(client, make_user):
    make_user("alice")
    actor = _actor(client, "alice")
    (method,) = actor["assertionMethod"]
    own = identity_proofs.did_key(
        data_integrity.public_key_from_multikey(method["publicKeyMultibase"])
    )
    assert identity_proofs.subjects_of(actor) == [own]
    assert identity_statements.CONTEXT in actor["@context"]
    # The terms FEP-c390 defines come before the contexts that protect theirs.
    assert actor["@context"].index(identity_statements.CONTEXT) < actor["@context"].index(
        data_integrity.CONTEXT
    )
    assert _actor(client, "alice") == actor  # stable: the same statement and proof each time
    # The actor's own proof covers its statements.
    public = data_integrity.public_key_from_multikey(method["publicKeyMultibase"])
    assert data_integrity.verify(actor, public)
    tampered = copy.deepcopy(actor)
    statements(tampered)[0]["subject"] = "did:key:z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2"
    assert not data_integrity.verify(tampered, public)


def test_a_carried_key_is_stated_too(client, make_user, db):
    me = make_user("alice2").account_id
    before = _actor(client, "alice2")
    private = data_integrity.new_private_key()
    public = data_integrity.public_key_of(private)
    carried = identity_proofs.did_key(public)
    db.run_sync(integrity_keys.remember_carried, me, carried, public, private)
    actor = _actor(client, "alice2")
    own = identity_proofs.subjects_of(before)
    assert identity_proofs.subjects_of(actor) == [*own, carried]
    stated = statements(actor)[-1]
    assert stated["alsoKnownAs"] == actor["id"]
    assert stated["proof"]["verificationMethod"] == carried
    assert _actor(client, "alice2") == actor


def test_the_minimal_actor_of_authorized_fetch_leaves_them_out(settings, make_user):
    app = create_app(settings.with_overrides(authorized_fetch=True), run_workers=False)
    with TestClient(app, base_url="https://pnyx.test") as client:
        make_user("bob")
        actor = _actor(client, "bob")
    assert "attachment" not in actor and "outbox" not in actor
    (method,) = actor["assertionMethod"]
    assert data_integrity.verify(
        actor, data_integrity.public_key_from_multikey(method["publicKeyMultibase"])
    )


def test_only_valid_statements_are_read():
    actor = "https://b.example/users/alice"
    private = data_integrity.new_private_key()
    good = identity_proofs.statement(actor, private, WHEN)
    elsewhere = identity_proofs.statement("https://b.example/users/mallory", private, WHEN)
    forged = copy.deepcopy(identity_proofs.statement(actor, data_integrity.new_private_key(), WHEN))
    forged["subject"] = forged["proof"]["verificationMethod"] = good["subject"]
    doc = {
        "id": actor,
        "type": "Person",
        "attachment": [
            {"type": "PropertyValue", "name": "a", "value": "b"},
            elsewhere,
            forged,
            good,
        ],
    }
    assert identity_statements.proven_subjects(doc) == [
        (good["subject"], data_integrity.public_key_of(private))
    ]
    assert identity_statements.proven_subjects({"id": actor}) == []
    assert identity_statements.proven_subjects("not a document") == []


def test_a_fetched_actors_statements_are_kept_and_replaced(local_db, peer):
    first, second = data_integrity.new_private_key(), data_integrity.new_private_key()
    doc = peer.actor_document()
    peer.docs[f"/users/{peer.username}"] = {
        **doc,
        "attachment": [identity_proofs.statement(peer.actor, first, WHEN)],
    }
    account_id = resolve.fetch_actor(local_db, local_db.settings, peer.actor)
    first_did = identity_proofs.did_key(data_integrity.public_key_of(first))
    assert local_db.run_sync(identity_links.subjects, account_id) == [first_did]
    peer.docs[f"/users/{peer.username}"] = {
        **doc,
        "attachment": [identity_proofs.statement(peer.actor, second, WHEN)],
    }
    resolve.fetch_actor(local_db, local_db.settings, peer.actor)
    second_did = identity_proofs.did_key(data_integrity.public_key_of(second))
    assert local_db.run_sync(identity_links.subjects, account_id) == [second_did]
    peer.docs[f"/users/{peer.username}"] = doc
    resolve.fetch_actor(local_db, local_db.settings, peer.actor)
    assert local_db.run_sync(identity_links.subjects, account_id) == []
    assert local_db.run_sync(received.account_by_uri, peer.actor) is not None
