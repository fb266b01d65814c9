"""Proofs on what this server publishes (`federation.object_proofs`): a local post's Note and
the instance actor's objects carry an eddsa-jcs-2022 proof by the key their actor announces,
the proof is the same at every signing (its time is the post's, not the clock's), an edit
changes it, and an activity's own embedded object is signed by its author before the
activity is."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

import factories
from pnyx.core import accounts, federation_reads, integrity_keys
from pnyx.core.errors import NotFound
from pnyx.db.tables import statuses
from pnyx.federation import data_integrity, object_proofs
from pnyx.federation import internal_to_as2 as as2

WHEN = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)


@pytest.fixture
def author(db) -> int:
    return db.run_sync(
        lambda tx: accounts.create_local(tx, "alice", "alice@example.com", "correct horse b")[0]
    )


def test_a_post_is_signed_by_its_author_and_the_proof_is_stable(db, author):
    post = factories.status(db, author, "signed words")
    first = db.run_sync(object_proofs.signed_status_document, post)
    again = db.run_sync(object_proofs.signed_status_document, post)
    assert first == again  # deterministic: a hot post is signed the same at every fetch
    key = db.run_sync(integrity_keys.local_public, author)
    assert first["proof"]["verificationMethod"] == key.key_id
    assert key.key_id == first["attributedTo"] + "#ed25519-key"
    assert data_integrity.CONTEXT in first["@context"]
    assert data_integrity.verify(first, key.public_key)
    created = db.run_sync(
        lambda tx: tx.scalar(sa.select(statuses.c.created_at).where(statuses.c.id == post))
    )
    assert first["proof"]["created"] == data_integrity.proof_time(created)
    tampered = {**first, "content": "<p>other words</p>"}
    assert not data_integrity.verify(tampered, key.public_key)


def test_an_edit_gives_the_post_a_proof_of_its_edit_time(db, author):
    post = factories.status(db, author, "first words")
    before = db.run_sync(object_proofs.signed_status_document, post)
    db.run_sync(
        lambda tx: tx.execute(
            sa.update(statuses)
            .where(statuses.c.id == post)
            .values(content="<p>second words</p>", edited_at=WHEN)
        )
    )
    after = db.run_sync(object_proofs.signed_status_document, post)
    assert after["proof"]["created"] == "2026-03-01T12:00:00Z"
    assert after["proof"]["proofValue"] != before["proof"]["proofValue"]
    key = db.run_sync(integrity_keys.local_public, author)
    assert data_integrity.verify(after, key.public_key)


def test_what_is_not_a_local_post_has_no_signed_document(db, author):
    post = factories.status(db, author, "words")
    boost = factories.status(db, author, reblog_of=post)
    with pytest.raises(NotFound):
        db.run_sync(object_proofs.signed_status_document, boost)
    with pytest.raises(NotFound):
        db.run_sync(object_proofs.signed_status_document, 424242)


def test_the_instance_actor_signs_with_a_key_of_its_own(db):
    doc = {"@context": as2.AS_CONTEXT, "id": "https://x.example/flag/1", "type": "Flag"}
    proven = db.run_sync(object_proofs.signed, None, doc, WHEN)
    key = db.run_sync(integrity_keys.instance_key)
    assert key.account_id is None
    assert proven["proof"]["verificationMethod"] == db.settings.base_url + "/actor#ed25519-key"
    assert proven["@context"] == [as2.AS_CONTEXT, data_integrity.CONTEXT]
    assert data_integrity.verify(proven, key.public_key)
    assert db.run_sync(integrity_keys.instance_key) == key  # made once, kept


def test_an_activity_embedding_its_authors_note_carries_two_proofs(db, author):
    post = factories.status(db, author, "hello")
    note = db.run_sync(
        lambda tx: as2.status_note(federation_reads.published(tx, [post]), post, tx.settings)
    )
    activity = as2.create(note, actor_uri=note["attributedTo"])
    proven = db.run_sync(object_proofs.signed_activity, author, activity)
    key = db.run_sync(integrity_keys.local_public, author)
    assert data_integrity.verify(proven, key.public_key)
    embedded = proven["object"]
    assert data_integrity.verify(embedded, key.public_key)  # on its own, out of the activity
    # The embedded Note is the post exactly as served, proof included.
    assert embedded == db.run_sync(object_proofs.signed_status_document, post)


def test_an_object_with_a_proof_of_its_own_keeps_it(db, author):
    theirs = data_integrity.sign(
        {"@context": as2.AS_CONTEXT, "id": "https://x.example/l/1", "type": "Label"},
        data_integrity.new_private_key(),
        "https://x.example/users/l#ed25519-key",
        WHEN,
    )
    assert db.run_sync(integrity_keys.local_public, author) is None  # made on first need
    activity = {
        "@context": as2.AS_CONTEXT,
        "id": "https://pnyx.test/c/1",
        "type": "Create",
        "actor": "https://x.example/users/l",
        "object": theirs,
    }
    proven = db.run_sync(object_proofs.signed_activity, author, activity)
    assert proven["object"] == theirs
    assert "proof" in proven


def test_a_profile_update_carries_the_actor_with_its_key_signed(db, author):
    actor = {
        "@context": as2.ACTOR_CONTEXT,
        "id": "https://pnyx.test/users/alice",
        "type": "Person",
        "published": "2020-01-01T00:00:00Z",
    }
    update = as2.update_actor(actor, id="https://pnyx.test/users/alice#updates/1")
    proven = db.run_sync(object_proofs.signed_activity, author, update)
    key = db.run_sync(integrity_keys.local_public, author)
    embedded = proven["object"]
    (method,) = embedded["assertionMethod"]
    assert method["id"] == key.key_id
    assert data_integrity.public_key_from_multikey(method["publicKeyMultibase"]) == key.public_key
    assert data_integrity.verify(embedded, key.public_key)
    assert data_integrity.verify(proven, key.public_key)
    # Signed at the update (now), not at the account's creation.
    assert embedded["proof"]["created"] != "2020-01-01T00:00:00Z"
