"""Data Integrity proofs (FEP-8b32, eddsa-jcs-2022): the published test vector verifies, what we
sign verifies, and any change to the object, the proof or the key makes it fail without raising."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import base58
import pytest

from pnyx.federation import data_integrity as di

VECTOR = Path(__file__).resolve().parents[1] / "fixtures" / "data_integrity"
# The example key pair of the vc-di-eddsa specification ("Representation: eddsa-jcs-2022").
VECTOR_PUBLIC = "z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2"
VECTOR_SECRET = "z3u2en7t5LR2WtQH5PfFqMqwVHBeXouLzo6haApm8XHqvjxq"  # 0x8026 (ed25519-priv) + 32
ACTOR = "https://a.example/users/alice"
KEY_ID = f"{ACTOR}#ed25519-key"
CREATED = datetime(2024, 5, 1, 12, 0, 7, tzinfo=UTC)
ACTIVITY = {
    "@context": [
        "https://www.w3.org/ns/activitystreams",
        "https://w3id.org/security/data-integrity/v2",
    ],
    "id": f"{ACTOR}/statuses/1/activity",
    "type": "Create",
    "actor": ACTOR,
    "to": ["https://www.w3.org/ns/activitystreams#Public"],
    "object": {
        "id": f"{ACTOR}/statuses/1",
        "type": "Note",
        "attributedTo": ACTOR,
        "content": "<p>Grüße aus Athen 🏛️</p>",
        "published": "2024-05-01T12:00:00Z",
        "sensitive": False,
        "tag": [],
    },
}


def _vector() -> dict:
    return json.loads((VECTOR / "eddsa_jcs_2022_vector.json").read_text())


@pytest.fixture(scope="module")
def alice() -> bytes:
    return di.new_private_key()


@pytest.fixture(scope="module")
def signed(alice) -> dict:
    return di.sign(ACTIVITY, alice, KEY_ID, CREATED)


# The test vector


def test_the_published_vector_verifies_with_its_did_key():
    vector = _vector()
    public = di.public_key_from_multikey(VECTOR_PUBLIC)
    assert di.verify(vector, public)
    assert di.proof_key_id(vector) == f"did:key:{VECTOR_PUBLIC}#{VECTOR_PUBLIC}"


def test_signing_the_vector_again_with_the_published_secret_gives_the_same_proof():
    """Ed25519 is deterministic: our sign() must produce the vector's proof exactly, @context
    in the proof included (the spec's Create Proof copies the document's into it)."""
    vector = _vector()
    secret = base58.b58decode(VECTOR_SECRET[1:])
    assert secret[:2] == b"\x80\x26"
    private = secret[2:]
    assert di.multikey(di.public_key_of(private)) == VECTOR_PUBLIC
    again = di.sign(
        vector,
        private,
        vector["proof"]["verificationMethod"],
        datetime(2023, 2, 24, 23, 36, 38, tzinfo=UTC),
    )
    assert again == vector


def test_the_vector_fails_once_changed():
    vector = _vector()
    vector["credentialSubject"]["alumniOf"] = "The School of Forgeries"
    assert not di.verify(vector, di.public_key_from_multikey(VECTOR_PUBLIC))


# Signing and verifying an activity


def test_sign_adds_a_proof_and_leaves_the_document_alone(alice, signed):
    assert "proof" not in ACTIVITY
    assert {k: v for k, v in signed.items() if k != "proof"} == ACTIVITY
    proof = signed["proof"]
    assert proof == {
        "type": "DataIntegrityProof",
        "cryptosuite": "eddsa-jcs-2022",
        "verificationMethod": KEY_ID,
        "proofPurpose": "assertionMethod",
        "created": "2024-05-01T12:00:07Z",
        "@context": ACTIVITY["@context"],
        "proofValue": proof["proofValue"],
    }
    assert proof["proofValue"].startswith("z")
    assert len(base58.b58decode(proof["proofValue"][1:])) == 64
    assert di.verify(signed, di.public_key_of(alice))
    assert di.proof_key_id(signed) == KEY_ID


def test_verify_survives_a_trip_through_json(alice, signed):
    """A receiver gets bytes, in any key order and spacing: JCS makes that irrelevant."""
    received = json.loads(json.dumps(signed, indent=3, sort_keys=True, ensure_ascii=True))
    assert di.verify(received, di.public_key_of(alice))


def test_created_is_written_in_utc_and_must_have_a_time_zone(alice):
    athens = timezone(timedelta(hours=3))
    doc = di.sign(ACTIVITY, alice, KEY_ID, datetime(2024, 5, 1, 15, 0, 7, 999, tzinfo=athens))
    assert doc["proof"]["created"] == "2024-05-01T12:00:07Z"
    with pytest.raises(ValueError, match="timezone"):
        di.sign(ACTIVITY, alice, KEY_ID, datetime(2024, 5, 1, 12, 0, 7))


def test_signing_again_replaces_the_proof(alice, signed):
    later = di.sign(signed, alice, KEY_ID, CREATED + timedelta(days=1))
    assert later["proof"]["created"] == "2024-05-02T12:00:07Z"
    assert di.verify(later, di.public_key_of(alice))


def test_a_document_without_context_gets_a_proof_without_one(alice):
    bare = {k: v for k, v in ACTIVITY.items() if k != "@context"}
    doc = di.sign(bare, alice, KEY_ID, CREATED)
    assert "@context" not in doc["proof"]
    assert di.verify(doc, di.public_key_of(alice))


def test_contexts_added_after_the_signed_ones_are_allowed(alice, signed):
    """The spec's Verify Proof checks that the document's @context starts with the proof's."""
    extended = copy.deepcopy(signed)
    extended["@context"].append({"toot": "http://joinmastodon.org/ns#"})
    assert di.verify(extended, di.public_key_of(alice))


def _set(path: str, value):
    def change(doc: dict) -> None:
        *parents, last = path.split(".")
        for key in parents:
            doc = doc[key]
        doc[last] = value

    return change


def _delete(path: str):
    def change(doc: dict) -> None:
        *parents, last = path.split(".")
        for key in parents:
            doc = doc[key]
        del doc[last]

    return change


@pytest.mark.parametrize(
    "tamper",
    [
        _set("id", f"{ACTOR}/statuses/2/activity"),
        _set("actor", "https://evil.example/users/mallory"),
        _set("type", "Update"),
        _set("object.content", "<p>Grüße aus Sparta</p>"),
        _set("object.sensitive", True),
        _set("object.tag", [{"type": "Mention", "href": "https://b.example/users/bob"}]),
        _set("to", []),
        _set("cc", ["https://b.example/users/bob"]),
        _delete("object.published"),
        _set("@context", ["https://www.w3.org/ns/activitystreams"]),
        _set("@context", list(reversed(ACTIVITY["@context"]))),
        _delete("@context"),
        _set("proof.created", "2024-05-01T12:00:08Z"),
        _set("proof.verificationMethod", "https://evil.example/users/mallory#ed25519-key"),
        _set("proof.@context", ["https://www.w3.org/ns/activitystreams"]),
        _set("proof.@context", ["https://evil.example/context"]),
        _delete("proof.@context"),
        _set("proof.extra", "value"),
        _set("proof.proofPurpose", "authentication"),
        _set("proof.cryptosuite", "eddsa-rdfc-2022"),
        _set("proof.type", "Ed25519Signature2020"),
        _set("proof.created", "yesterday"),
        _set("proof.created", "2024-05-01T12:00:07"),  # no time zone
        _delete("proof.type"),
        _delete("proof.verificationMethod"),
        _delete("proof.proofValue"),
        _delete("proof"),
    ],
    ids=lambda tamper: tamper.__qualname__,
)
def test_any_change_fails(alice, signed, tamper):
    doc = copy.deepcopy(signed)
    tamper(doc)
    assert di.verify(doc, di.public_key_of(alice)) is False


def test_another_signature_fails(alice, signed):
    signature = bytearray(base58.b58decode(signed["proof"]["proofValue"][1:]))
    signature[10] ^= 0x01
    doc = copy.deepcopy(signed)
    doc["proof"]["proofValue"] = "z" + base58.b58encode(bytes(signature)).decode()
    assert not di.verify(doc, di.public_key_of(alice))


def test_another_key_fails(signed):
    assert not di.verify(signed, di.public_key_of(di.new_private_key()))


def test_a_signature_by_another_key_fails(alice):
    mallory = di.new_private_key()
    forged = di.sign(ACTIVITY, mallory, KEY_ID, CREATED)
    assert di.verify(forged, di.public_key_of(mallory))
    assert not di.verify(forged, di.public_key_of(alice))


def test_a_linked_data_signature_added_after_the_proof_is_left_out(alice, signed):
    """FEP-8b32: a `signature` made after the proof (Fedify sends both) is removed first."""
    doc = copy.deepcopy(signed)
    doc["signature"] = {"type": "RsaSignature2017", "signatureValue": "c2lnbmVk"}
    assert di.verify(doc, di.public_key_of(alice))
    doc["content"] = "not signed"
    assert not di.verify(doc, di.public_key_of(alice))


def test_a_document_without_proof_fails(alice):
    assert di.verify(ACTIVITY, di.public_key_of(alice)) is False
    assert di.proof_key_id(ACTIVITY) is None


@pytest.mark.parametrize(
    "proof_value",
    [
        None,
        123,
        ["z5EhYRJk"],
        "",
        "z",
        "u" + "A" * 86,  # multibase base64url, not base58btc
        "z0OIl" + "1" * 80,  # 0, O, I and l are not base58 characters
        "zé",
        "z" + base58.b58encode(b"\x01" * 32).decode(),  # too short for an Ed25519 signature
        "z" + base58.b58encode(b"\x01" * 65).decode(),  # too long
    ],
)
def test_a_malformed_proof_value_fails_without_raising(alice, signed, proof_value):
    doc = copy.deepcopy(signed)
    doc["proof"]["proofValue"] = proof_value
    assert di.verify(doc, di.public_key_of(alice)) is False


@pytest.mark.parametrize(
    "proof",
    [None, "z5EhYRJk", 42, [], ["a proof set"], {}],
)
def test_a_malformed_proof_fails_without_raising(alice, proof):
    doc = {**ACTIVITY, "proof": proof}
    assert di.verify(doc, di.public_key_of(alice)) is False
    assert di.proof_key_id(doc) is None


def test_a_proof_set_is_not_verified(alice, signed):
    doc = {**signed, "proof": [signed["proof"]]}
    assert di.verify(doc, di.public_key_of(alice)) is False


def test_what_json_cannot_canonicalize_fails_without_raising(alice, signed):
    doc = copy.deepcopy(signed)
    doc["object"]["likes"] = 2**60  # beyond what JCS (I-JSON) represents exactly
    assert di.verify(doc, di.public_key_of(alice)) is False


def test_deep_nesting_fails_without_raising(alice, signed):
    deep: list = []
    for _ in range(1000):  # as deep as orjson parses
        deep = [deep]
    doc = {**signed, "deep": deep}
    assert di.verify(doc, di.public_key_of(alice)) is False


@pytest.mark.parametrize("public", [b"", b"\x00" * 31, b"\x00" * 33, "not bytes", None])
def test_a_malformed_public_key_fails_without_raising(signed, public):
    assert di.verify(signed, public) is False


@pytest.mark.parametrize("document", [None, "a string", [1, 2], 42])
def test_something_else_than_an_object_fails_without_raising(alice, document):
    assert di.verify(document, di.public_key_of(alice)) is False
    assert di.proof_key_id(document) is None


# Multikey


def test_keys_are_32_raw_bytes():
    private = di.new_private_key()
    assert len(private) == 32
    assert len(di.public_key_of(private)) == 32
    assert di.new_private_key() != private


def test_multikey_round_trip():
    public = di.public_key_of(di.new_private_key())
    value = di.multikey(public)
    assert value.startswith("z6Mk")
    assert base58.b58decode(value[1:]) == b"\xed\x01" + public
    assert di.public_key_from_multikey(value) == public


def test_the_vector_multikey_decodes():
    public = di.public_key_from_multikey(VECTOR_PUBLIC)
    assert len(public) == 32
    assert di.multikey(public) == VECTOR_PUBLIC


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("", "must start with 'z'"),
        ("6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2", "must start with 'z'"),
        ("f" + (b"\xed\x01" + b"\x01" * 32).hex(), "must start with 'z'"),
        ("z0OIl", "not valid base58btc"),
        ("z" + base58.b58encode(b"\xe7\x01" + b"\x01" * 33).decode(), "not an Ed25519 key"),
        ("z" + base58.b58encode(b"\x80\x26" + b"\x01" * 32).decode(), "not an Ed25519 key"),
        ("z", "not an Ed25519 key"),
        ("z" + base58.b58encode(b"\xed\x01" + b"\x01" * 31).decode(), "32 bytes, not 31"),
        ("z" + base58.b58encode(b"\xed\x01" + b"\x01" * 33).decode(), "32 bytes, not 33"),
    ],
)
def test_public_key_from_multikey_says_what_is_wrong(value, message):
    with pytest.raises(ValueError, match=message):
        di.public_key_from_multikey(value)


def test_multikey_refuses_a_key_of_the_wrong_length():
    with pytest.raises(ValueError, match="32 bytes, not 33"):
        di.multikey(b"\x01" * 33)
