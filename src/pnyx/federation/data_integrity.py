"""Data Integrity proofs: a signature that travels inside an ActivityPub object.

HTTP Signatures (`signatures`) prove who sent a request, but the proof is gone once the body
is stored or forwarded. FEP-8b32 puts the signature in the object itself, as a W3C Data
Integrity `proof` with the `eddsa-jcs-2022` cryptosuite, so that an activity relayed by a
third server can still be checked against its author's key. The key is an Ed25519 `Multikey`
the author's actor announces under `assertionMethod` (FEP-521a).

eddsa-jcs-2022 (https://www.w3.org/TR/vc-di-eddsa/#eddsa-jcs-2022), in short: canonicalize
the proof options (the proof without `proofValue`, carrying the document's `@context`) and the
document (without `proof`) with JCS (RFC 8785); sign SHA-256(options) + SHA-256(document)
with Ed25519; the signature, base58btc-encoded behind a "z", is the `proofValue`.

Everything here is a pure function: no database, no network. Finding the public key named by
a proof's `verificationMethod` is the caller's job (`proof_key_id` says which one), as is
checking that the key belongs to the actor the object is attributed to.
"""

from __future__ import annotations

import copy
import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import base58
import rfc8785
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

PROOF_TYPE = "DataIntegrityProof"
CRYPTOSUITE = "eddsa-jcs-2022"
PROOF_PURPOSE = "assertionMethod"
# The JSON-LD contexts that define `proof` (and DataIntegrityProof's terms) and `Multikey`.
CONTEXT = "https://w3id.org/security/data-integrity/v2"
MULTIKEY_CONTEXT = "https://w3id.org/security/multikey/v1"

_MULTIBASE_BASE58BTC = "z"
_ED25519_PUB_HEADER = b"\xed\x01"  # the multicodec varint for ed25519-pub (0xed)
_KEY_LENGTH = 32
_SIGNATURE_LENGTH = 64


# Keys


def new_private_key() -> bytes:
    """A fresh Ed25519 private key, as the 32 raw bytes (the form RFC 8032 calls the seed)."""
    return Ed25519PrivateKey.generate().private_bytes_raw()


def public_key_of(private: bytes) -> bytes:
    """The 32 raw bytes of the public key that goes with `private`."""
    return Ed25519PrivateKey.from_private_bytes(private).public_key().public_bytes_raw()


def multikey(public: bytes) -> str:
    """`publicKeyMultibase` for an Ed25519 public key, as actors announce it (FEP-521a):
    "z" (base58btc) + base58btc(multicodec ed25519-pub header + the 32 key bytes)."""
    if len(public) != _KEY_LENGTH:
        raise ValueError(f"an Ed25519 public key is {_KEY_LENGTH} bytes, not {len(public)}")
    encoded = base58.b58encode(_ED25519_PUB_HEADER + public).decode("ascii")
    return _MULTIBASE_BASE58BTC + encoded


def public_key_from_multikey(value: str) -> bytes:
    """The 32 raw bytes of an Ed25519 `publicKeyMultibase`; ValueError says what is wrong
    with anything else, because the message ends up in a log about a remote actor."""
    if not value.startswith(_MULTIBASE_BASE58BTC):
        raise ValueError("publicKeyMultibase must start with 'z' (multibase base58btc)")
    try:
        decoded = base58.b58decode(value[1:])
    except ValueError:
        raise ValueError("publicKeyMultibase is not valid base58btc") from None
    if not decoded.startswith(_ED25519_PUB_HEADER):
        raise ValueError("publicKeyMultibase is not an Ed25519 key (multicodec header 0xed01)")
    key = decoded[len(_ED25519_PUB_HEADER) :]
    if len(key) != _KEY_LENGTH:
        raise ValueError(f"an Ed25519 public key is {_KEY_LENGTH} bytes, not {len(key)}")
    return key


# Proofs


def sign(
    document: dict[str, Any], private: bytes, verification_method: str, created: datetime
) -> dict[str, Any]:
    """A copy of `document` with an eddsa-jcs-2022 `proof` by `private`.

    `verification_method` is the id of the key (e.g. "<actor>#ed25519-key") that a receiver
    looks up to verify. A proof the document already had is replaced, not kept beside the new
    one: it is not part of what is signed. The proof carries the document's `@context`, as the
    spec's Create Proof algorithm says, so that a receiver can tell which contexts were signed.
    """
    if created.tzinfo is None:
        raise ValueError("created must be timezone-aware")
    unsecured = {key: value for key, value in document.items() if key != "proof"}
    proof: dict[str, Any] = {
        "type": PROOF_TYPE,
        "cryptosuite": CRYPTOSUITE,
        "verificationMethod": verification_method,
        "proofPurpose": PROOF_PURPOSE,
        "created": proof_time(created),
    }
    if "@context" in unsecured:
        # A copy: adding a context to the document later must not change the signed one.
        proof["@context"] = copy.deepcopy(unsecured["@context"])
    signature = Ed25519PrivateKey.from_private_bytes(private).sign(_hash_data(unsecured, proof))
    proof["proofValue"] = _MULTIBASE_BASE58BTC + base58.b58encode(signature).decode("ascii")
    return {**unsecured, "proof": proof}


def proof_time(created: datetime) -> str:
    """A proof's `created`: UTC to the second, with Z (what every implementation parses)."""
    if created.tzinfo is None:
        raise ValueError("created must be timezone-aware")
    return created.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def verify(document: dict[str, Any], public: bytes) -> bool:
    """Whether `document` carries a valid eddsa-jcs-2022 assertion proof by `public`.

    Never raises: the document comes from another server, and anything wrong with it, from
    a missing proof to a value that JCS cannot represent, just means it is not proven.
    """
    prepared = prepare(document)
    return prepared is not None and prepared.verify(public)


@dataclass(frozen=True)
class Prepared:
    """A proof ready to be checked against a key: what was signed (the two hashes) and the
    signature. Canonicalizing is most of the cost of a check, and needs no key: a caller can
    prepare outside a database transaction and check inside it, once the key is found."""

    digest: bytes
    signature: bytes

    def verify(self, public: bytes) -> bool:
        if not isinstance(public, bytes) or len(public) != _KEY_LENGTH:
            return False
        try:
            Ed25519PublicKey.from_public_bytes(public).verify(self.signature, self.digest)
        except (InvalidSignature, ValueError):
            return False
        return True


def prepare(document: dict[str, Any]) -> Prepared | None:
    """The first steps of eddsa-jcs-2022's Verify Proof (all but the signature check); None
    when the document has no proof this suite can check, or one that is malformed. Never
    raises, as `verify`."""
    try:
        return _prepare(document)
    except (ValueError, TypeError, RecursionError):  # RecursionError: JCS on deep nesting
        return None


def proof_key_id(document: dict[str, Any]) -> str | None:
    """The `verificationMethod` of the document's proof: the key the caller has to find."""
    proof = document.get("proof") if isinstance(document, dict) else None
    if not isinstance(proof, dict):
        return None
    method = proof.get("verificationMethod")
    return method if isinstance(method, str) else None


def _prepare(document: dict[str, Any]) -> Prepared | None:
    proof = document.get("proof") if isinstance(document, dict) else None
    if not isinstance(proof, dict):
        return None  # none, or a proof set: FEP-8b32 objects carry one proof
    if (
        proof.get("type") != PROOF_TYPE
        or proof.get("cryptosuite") != CRYPTOSUITE
        or proof.get("proofPurpose") != PROOF_PURPOSE
        or not isinstance(proof.get("verificationMethod"), str)
    ):
        return None
    created = proof.get("created")
    if created is not None and not _is_datetime(created):
        return None
    signature = _decode_proof_value(proof.get("proofValue"))
    if signature is None:
        return None
    options = {key: value for key, value in proof.items() if key != "proofValue"}
    # A Linked Data signature (`signature`, Mastodon's RsaSignature2017) is made after the
    # proof, over it, by servers that send both (Fedify does): FEP-8b32 says to remove it
    # before checking the proof.
    unsecured = {k: v for k, v in document.items() if k not in ("proof", "signature")}
    if "@context" in options:
        # The signed contexts must open the document's, in order; later ones may have been
        # added since (by another proof, say), and are left out of what is checked.
        signed = _as_list(options["@context"])
        if _as_list(unsecured.get("@context"))[: len(signed)] != signed:
            return None
        unsecured["@context"] = options["@context"]
    return Prepared(_hash_data(unsecured, options), signature)


def _hash_data(unsecured: dict[str, Any], options: dict[str, Any]) -> bytes:
    """What Ed25519 signs: the hash of the proof options, then the hash of the document."""
    return (
        hashlib.sha256(rfc8785.dumps(options)).digest()
        + hashlib.sha256(rfc8785.dumps(unsecured)).digest()
    )


def _decode_proof_value(value: object) -> bytes | None:
    """The 64 signature bytes of a "z"-prefixed base58btc proofValue, or None."""
    if not isinstance(value, str) or not value.startswith(_MULTIBASE_BASE58BTC):
        return None
    try:
        signature = base58.b58decode(value[1:])
    except ValueError:
        return None
    return signature if len(signature) == _SIGNATURE_LENGTH else None


def _is_datetime(value: object) -> bool:
    """Whether `value` is a date-time string with a time zone (XML Schema dateTimeStamp)."""
    if not isinstance(value, str):
        return False
    try:
        return datetime.fromisoformat(value).tzinfo is not None
    except ValueError:
        return False


def _as_list(context: object) -> list[object]:
    """`@context` as a list: one context may be given bare, without the list around it."""
    if context is None:
        return []
    return context if isinstance(context, list) else [context]
