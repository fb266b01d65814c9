"""FEP-c390 identity statements: made here, checked here, and refused when anything is off."""

from __future__ import annotations

import copy
from datetime import UTC, datetime

from pnyx.federation import data_integrity, identity_proofs

ALICE = "https://a.example/users/alice"
WHEN = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)


def test_a_statement_proves_itself_for_its_actor():
    private = data_integrity.new_private_key()
    made = identity_proofs.statement(ALICE, private, WHEN)
    assert made["type"] == "VerifiableIdentityStatement"
    assert made["alsoKnownAs"] == ALICE
    assert made["subject"].startswith("did:key:z6Mk")  # an Ed25519 did:key
    assert made["proof"]["verificationMethod"] == made["subject"]
    assert made["proof"]["cryptosuite"] == "eddsa-jcs-2022"
    assert identity_proofs.verified_subject(made, ALICE) == made["subject"]
    public = identity_proofs.public_key_of_did(made["subject"])
    assert public == data_integrity.public_key_of(private)
    assert identity_proofs.did_key(public) == made["subject"]


def test_the_fep_example_subject_is_an_ed25519_key():
    did = "did:key:z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2"
    public = identity_proofs.public_key_of_did(did)
    assert len(public) == 32
    assert identity_proofs.did_key(public) == did


def test_anything_off_is_not_a_proof():
    private = data_integrity.new_private_key()
    good = identity_proofs.statement(ALICE, private, WHEN)
    # Another actor's statement does not prove this one.
    assert identity_proofs.verified_subject(good, "https://a.example/users/mallory") is None
    # A changed alsoKnownAs breaks the proof (and names another actor).
    moved = {**good, "alsoKnownAs": "https://evil.example/users/alice"}
    assert identity_proofs.verified_subject(moved, "https://evil.example/users/alice") is None
    # A subject swapped for another key's: the proof is not by that key.
    other = identity_proofs.did_key(data_integrity.public_key_of(data_integrity.new_private_key()))
    swapped = copy.deepcopy(good)
    swapped["subject"] = other
    swapped["proof"]["verificationMethod"] = other
    assert identity_proofs.verified_subject(swapped, ALICE) is None
    # A proof by another key than the subject's.
    by_other = identity_proofs.statement(ALICE, data_integrity.new_private_key(), WHEN)
    mixed = {**good, "proof": by_other["proof"]}
    assert identity_proofs.verified_subject(mixed, ALICE) is None
    # Not a did:key, not a statement, not a dict.
    assert identity_proofs.verified_subject({**good, "subject": "did:web:a.example"}, ALICE) is None
    assert identity_proofs.verified_subject({**good, "type": "PropertyValue"}, ALICE) is None
    assert identity_proofs.verified_subject("statement", ALICE) is None


def test_the_subjects_of_an_actor_document():
    private = data_integrity.new_private_key()
    good = identity_proofs.statement(ALICE, private, WHEN)
    forged = {**identity_proofs.statement(ALICE, data_integrity.new_private_key(), WHEN)}
    forged["alsoKnownAs"] = "https://a.example/users/bob"
    doc = {
        "id": ALICE,
        "type": "Person",
        "attachment": [
            {"type": "PropertyValue", "name": "site", "value": "x"},
            forged,
            good,
            good,
        ],
    }
    assert identity_proofs.subjects_of(doc) == [good["subject"]]
    assert identity_proofs.subjects_of({"id": ALICE, "attachment": good}) == [good["subject"]]
    assert identity_proofs.subjects_of({"id": ALICE}) == []
