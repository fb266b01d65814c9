"""Checking any object's proof (FEP-8b32) from the documents anyone can fetch: what `pnyx verify`
runs on a URL or on an object from an export archive, with no database.

The steps are the spec's (Data Integrity "Verify Proof", Controlled Identifiers "Retrieve
Verification Method", FEP-521a and FEP-8b32):

1. the proof is one `DataIntegrityProof` of the `eddsa-jcs-2022` suite, for `assertionMethod`;
2. its `verificationMethod` is resolved: the URL without its fragment is fetched; it is either
   the controller's actor document, whose `assertionMethod` holds a `Multikey` with that id,
   or the `Multikey` itself, whose `controller` is then fetched and must list it in its own
   `assertionMethod`;
3. the key's controller must be the object's owner: the activity's `actor`, the object's
   `attributedTo`, or the actor itself for an actor document (FEP-fe34);
4. the signature is checked (`data_integrity.verify`); an expired key (`expires`) fails.

Every failure is a `Verdict` with the reason in words; nothing here raises on a hostile or
broken document, and a fetch that fails is a reason too.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pnyx.federation import data_integrity
from pnyx.federation.as2_common import as_list, id_of, parse_datetime
from pnyx.federation.fetch import FetchError
from pnyx.federation.vocab import ACTOR_TYPES

Fetch = Callable[[str], dict]


@dataclass(frozen=True)
class Verdict:
    valid: bool
    reason: str = ""  # why not, when not valid
    owner: str | None = None
    key_id: str | None = None
    created: str | None = None


class _Failed(Exception):
    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def owners_of(doc: dict) -> list[str]:
    """Who may have signed `doc`: an actor itself, an activity's actor, an object's authors."""
    if doc.get("type") in ACTOR_TYPES and isinstance(doc.get("id"), str):
        return [doc["id"]]
    if "actor" in doc:
        found = id_of(doc.get("actor"))
        return [found] if found else []
    return [i for i in (id_of(item) for item in as_list(doc.get("attributedTo"))) if i]


def _fetched(fetch: Fetch, url: str) -> dict:
    try:
        return fetch(url)
    except FetchError as exc:
        raise _Failed(f"could not fetch {url}: {exc.reason}") from None


def _listed(actor: dict, key_id: str) -> dict | str | None:
    """The entry of `actor`'s assertionMethod naming `key_id`: the key, or a reference."""
    for entry in as_list(actor.get("assertionMethod")):
        if entry == key_id or (isinstance(entry, dict) and entry.get("id") == key_id):
            return entry
    return None


def _method(fetch: Fetch, key_id: str) -> tuple[dict, str]:
    """(the Multikey named `key_id`, its controller), found as step 2 says."""
    key_url = key_id.split("#", 1)[0]
    document = _fetched(fetch, key_url)
    if document.get("type") in ACTOR_TYPES:
        controller, actor = document.get("id"), document
        listed = _listed(actor, key_id)
        if not isinstance(listed, dict):
            raise _Failed(f"{controller} does not list the key {key_id} in its assertionMethod")
        return listed, str(controller)
    if document.get("id") != key_id:
        raise _Failed(f"{key_url} is neither an actor nor the key {key_id}")
    controller = id_of(document.get("controller"))
    if controller is None:
        raise _Failed(f"the key {key_id} names no controller")
    if not isinstance(_listed(_fetched(fetch, controller), key_id), (dict, str)):
        raise _Failed(f"{controller} does not list the key {key_id} in its assertionMethod")
    return document, controller


def _public_key(method: dict, controller: str, key_id: str) -> bytes:
    if "Multikey" not in as_list(method.get("type")):
        raise _Failed(f"the key {key_id} is not a Multikey")
    if id_of(method.get("controller")) != controller:
        raise _Failed(f"the key {key_id} is not controlled by {controller}")
    expires = method.get("expires")
    if expires is not None:
        moment = parse_datetime(expires)
        if moment is None or moment <= datetime.now(UTC):
            raise _Failed(f"the key {key_id} has expired ({expires})")
    try:
        return data_integrity.public_key_from_multikey(str(method.get("publicKeyMultibase")))
    except ValueError as exc:
        raise _Failed(f"the key {key_id}: {exc}") from None


def check(doc: Any, fetch: Fetch) -> Verdict:
    """Whether `doc` carries a valid proof by its owner's key; `fetch(url)` reads a document
    (FetchError when it cannot)."""
    if not isinstance(doc, dict):
        return Verdict(False, "not a JSON object")
    proof = doc.get("proof")
    if proof is None:
        return Verdict(False, "it has no proof")
    if not isinstance(proof, dict):
        return Verdict(False, "its proof is not one proof object (a proof set is not checked)")
    if proof.get("type") != data_integrity.PROOF_TYPE:
        return Verdict(False, f"its proof is a {proof.get('type')!r}, not a DataIntegrityProof")
    if proof.get("cryptosuite") != data_integrity.CRYPTOSUITE:
        suite = proof.get("cryptosuite")
        return Verdict(False, f"its proof uses the {suite!r} suite, not eddsa-jcs-2022")
    if proof.get("proofPurpose") != data_integrity.PROOF_PURPOSE:
        return Verdict(False, "its proof is not for assertionMethod")
    key_id = data_integrity.proof_key_id(doc)
    if key_id is None:
        return Verdict(False, "its proof names no verificationMethod")
    created = proof.get("created") if isinstance(proof.get("created"), str) else None
    owners = owners_of(doc)
    if not owners:
        return Verdict(False, "it names no actor or author whose key could sign it")
    try:
        method, controller = _method(fetch, key_id)
        public = _public_key(method, controller, key_id)
    except _Failed as exc:
        return Verdict(False, exc.reason, key_id=key_id, created=created)
    if controller not in owners:
        reason = f"it is signed with a key of {controller}, not of {' or '.join(owners)}"
        return Verdict(False, reason, controller, key_id, created)
    if not data_integrity.verify(doc, public):
        reason = "the signature does not match: the object was changed after it was signed"
        return Verdict(False, reason, controller, key_id, created)
    return Verdict(True, "", controller, key_id, created)
