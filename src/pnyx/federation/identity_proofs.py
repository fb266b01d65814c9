"""Identity proofs (FEP-c390): a signed statement that an actor and a key belong together.

A person's actor here announces a `VerifiableIdentityStatement` among its `attachment`s: its
`subject` is a `did:key` (the person's Ed25519 key, written as a DID), its `alsoKnownAs` the
actor's id, and its eddsa-jcs-2022 proof is made by that very key. Two actors whose
statements name the same subject are the same person (FEP-7628 calls them linked).

That is what lets a person leave a server that is gone or hostile: the export carries the key,
the new server publishes a statement for the new actor with the same subject, and a server
that knew the old actor (and kept its subject) sees the two are linked without asking the old
server. The old actor's subject is the key of its object proofs too (`object_proofs`), so a
server that only ever verified the old actor's posts knows it as well.

Everything here is pure: no database, no network.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import base58

from pnyx.federation import data_integrity

STATEMENT = "VerifiableIdentityStatement"
CONTEXT = "https://w3id.org/fep/c390"
DID_KEY_PREFIX = "did:key:"
# A statement is small; anything much larger is not one (and is not canonicalized).
MAX_STATEMENT_CHARS = 16_384


def did_key(public: bytes) -> str:
    """The `did:key` of an Ed25519 public key: "did:key:" + its Multikey (z6Mk...)."""
    return DID_KEY_PREFIX + data_integrity.multikey(public)


def public_key_of_did(did: str) -> bytes:
    """The Ed25519 key a `did:key` holds; ValueError says what is wrong with anything else."""
    if not isinstance(did, str) or not did.startswith(DID_KEY_PREFIX):
        raise ValueError("not a did:key")
    return data_integrity.public_key_from_multikey(did[len(DID_KEY_PREFIX) :].split("#", 1)[0])


_ED25519_PRIV_HEADER = b"\x80\x26"  # the multicodec varint for ed25519-priv (0x1300)


def private_multikey(private: bytes) -> str:
    """An Ed25519 private key as a Multikey `secretKeyMultibase` ("z" + base58btc of the
    ed25519-priv multicodec header and the 32 bytes): how an export hands a person their key."""
    if len(private) != 32:
        raise ValueError("an Ed25519 private key is 32 bytes")
    return "z" + base58.b58encode(_ED25519_PRIV_HEADER + private).decode("ascii")


def private_key_from_multikey(value: str) -> bytes:
    """The 32 bytes of a `secretKeyMultibase`; ValueError says what is wrong otherwise."""
    if not isinstance(value, str) or not value.startswith("z"):
        raise ValueError("secretKeyMultibase must start with 'z' (multibase base58btc)")
    try:
        decoded = base58.b58decode(value[1:])
    except ValueError:
        raise ValueError("secretKeyMultibase is not valid base58btc") from None
    if not decoded.startswith(_ED25519_PRIV_HEADER) or len(decoded) != 34:
        raise ValueError("secretKeyMultibase is not an Ed25519 private key")
    return decoded[2:]


def statement(actor_id: str, private: bytes, created: datetime) -> dict[str, Any]:
    """The signed statement that `actor_id` is the holder of `private`'s key."""
    subject = did_key(data_integrity.public_key_of(private))
    unsigned = {"type": STATEMENT, "subject": subject, "alsoKnownAs": actor_id}
    return data_integrity.sign(unsigned, private, subject, created)


def verified_subject(candidate: object, actor_id: str) -> str | None:
    """The subject of a statement that proves itself for `actor_id`, else None.

    FEP-c390's checks: the type; `alsoKnownAs` is this actor; the proof's
    `verificationMethod` is the subject; the proof holds under the key the subject holds.
    Never raises: the statement comes from another server."""
    if not isinstance(candidate, dict) or candidate.get("type") != STATEMENT:
        return None
    subject = candidate.get("subject")
    if candidate.get("alsoKnownAs") != actor_id or not isinstance(subject, str):
        return None
    if len(repr(candidate)) > MAX_STATEMENT_CHARS:
        return None
    if data_integrity.proof_key_id(candidate) != subject:
        return None
    try:
        public = public_key_of_did(subject)
    except ValueError:
        return None
    return subject if data_integrity.verify(candidate, public) else None


def subjects_of(actor_doc: dict[str, Any]) -> list[str]:
    """The subjects of every valid statement an actor document attaches, in order."""
    actor_id = actor_doc.get("id")
    attachments = actor_doc.get("attachment")
    if not isinstance(actor_id, str):
        return []
    if isinstance(attachments, dict):
        attachments = [attachments]
    if not isinstance(attachments, list):
        return []
    found: list[str] = []
    for item in attachments[:20]:
        subject = verified_subject(item, actor_id)
        if subject is not None and subject not in found:
            found.append(subject)
    return found
