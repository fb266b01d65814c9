"""Proofs on what this server publishes (FEP-8b32): every object and activity carries an
`eddsa-jcs-2022` Data Integrity proof by its actor's Ed25519 key, so that anyone holding a copy
(a server it was relayed to, an export archive, `pnyx verify`) can check who wrote it without
asking the server it came from. The key is the one the actor announces in `assertionMethod`
(FEP-521a, `assertion_method`), `<actor uri>#ed25519-key`; the instance actor has one too.

A proof is made before any other signature (the HTTP signature of a delivery signs the body
that already carries it). Proofs are deterministic: Ed25519 signatures are, and the `created`
time of an object's proof is the object's own time (a post's last edit, else its creation),
never "now"; so a document served many times carries the same proof each time, and the proof
is computed once per version of the document (`sign_with` keeps the recent ones).

`signed` and `signed_status_document` are the entry points other modules use (the archive
export among them); `signed_activity` is what delivery runs on each rendered activity.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from datetime import datetime
from typing import Any

import orjson

from pnyx.core import cache_bypass, integrity_keys
from pnyx.core import federation_reads as reads
from pnyx.core.errors import NotFound
from pnyx.db.engine import Tx
from pnyx.federation import data_integrity
from pnyx.federation import internal_to_as2 as as2
from pnyx.federation.as2_common import id_of, parse_datetime
from pnyx.federation.vocab import ACTOR_TYPES

DATA_INTEGRITY_CONTEXT = data_integrity.CONTEXT
MULTIKEY_CONTEXT = data_integrity.MULTIKEY_CONTEXT
# Defines `assertionMethod` on an actor (FEP-521a's example context; Fedify's actors use it).
DID_CONTEXT = "https://www.w3.org/ns/did/v1"
# Recent proofs by what they sign: a hot post is signed once, not at every fetch.
CACHE_SIZE = 4096


# --- Keys --------------------------------------------------------------------------------------


def key_of(tx: Tx, account_id: int | None) -> integrity_keys.IntegrityKey:
    """The signing key of a local account (None: the instance actor), made on first need."""
    if account_id is None:
        return integrity_keys.instance_key(tx)
    return integrity_keys.ensure_local(tx, account_id)


def assertion_method(actor_uri: str, key: integrity_keys.IntegrityKey) -> list[dict]:
    """What an actor document announces (FEP-521a): the key its objects' proofs are made with."""
    return [
        {
            "id": key.key_id,
            "type": "Multikey",
            "controller": actor_uri,
            "publicKeyMultibase": data_integrity.multikey(key.public_key),
        }
    ]


def with_context(context: Any, *extra: str | dict) -> list:
    """`context` (one or a list) followed by the `extra` contexts it does not hold yet."""
    found = list(context) if isinstance(context, list) else [] if context is None else [context]
    return found + [c for c in extra if c not in found]


def announcing_key(doc: dict, key: integrity_keys.IntegrityKey) -> dict:
    """An actor document with its key in `assertionMethod` and the contexts that define it,
    added last: the DID and data-integrity contexts protect their terms (`alsoKnownAs`
    among them), which no context after them may define otherwise."""
    context = with_context(
        doc.get("@context"), DATA_INTEGRITY_CONTEXT, DID_CONTEXT, MULTIKEY_CONTEXT
    )
    return {
        **doc,
        "@context": context,
        "assertionMethod": assertion_method(doc["id"], key),
    }


# --- Signing -----------------------------------------------------------------------------------

_cache: OrderedDict[bytes, dict] = OrderedDict()
_cache_lock = threading.Lock()


def sign_with(key: integrity_keys.IntegrityKey, document: dict, created: datetime) -> dict:
    """A copy of `document` with the data-integrity context and a proof by `key`.

    The proof is a pure function of the document, the key and `created`: the recent ones are
    kept by a fingerprint of the three (the document dumped with sorted keys: equal documents
    dump alike), which costs a fraction of canonicalizing and signing again.
    """
    assert key.private_key is not None, "only our own keys sign"
    unsecured = {k: v for k, v in document.items() if k != "proof"}
    unsecured["@context"] = with_context(unsecured.get("@context"), DATA_INTEGRITY_CONTEXT)
    if created.tzinfo is None:
        raise ValueError("created must be timezone-aware")
    fingerprint = hashlib.sha256(
        orjson.dumps(unsecured, option=orjson.OPT_SORT_KEYS)
        + b"\0"
        + key.key_id.encode()
        + b"\0"
        + key.public_key
        + str(int(created.timestamp())).encode()  # the proof's time is to the second
    ).digest()
    with _cache_lock:
        proof = _cache.get(fingerprint)
        if proof is not None:
            _cache.move_to_end(fingerprint)
    if proof is None:
        proof = data_integrity.sign(unsecured, key.private_key, key.key_id, created)["proof"]
        if cache_bypass.keeping():  # an export signs each post once: kept by nobody
            with _cache_lock:
                _cache[fingerprint] = proof
                while len(_cache) > CACHE_SIZE:
                    _cache.popitem(last=False)
    # A copy of the proof, sharing its @context with the document's (never changed in place:
    # a deep copy would cost more than the rest of this function).
    return {**unsecured, "proof": dict(proof)}


def signed(tx: Tx, account_id: int | None, document: dict, created: datetime) -> dict:
    """`document` signed by the local account `account_id` (None: the instance actor), whose
    key is made on first need; `created` is the proof's time (give the document's own)."""
    return sign_with(key_of(tx, account_id), document, created)


def status_time(row: Any) -> datetime:
    """The time a post's proof carries: its last edit, else its creation."""
    return row.edited_at or row.created_at


def signed_status_document(tx: Tx, status_id: int) -> dict:
    """A local post's Note (or Question) exactly as served at its id, with its author's proof
    (at the post's last edit or creation time, so the same post gives the same proof).
    NotFound for what is not a local post (unknown, a boost, another server's)."""
    bundle = reads.published(tx, [status_id])
    row = bundle.statuses.get(status_id)
    if row is None or row.reblog_of_id is not None:
        raise NotFound()
    author = bundle.accounts[row.account_id]
    if author.domain is not None:
        raise NotFound()
    document = as2.status_note(bundle, status_id, tx.settings)
    return signed(tx, row.account_id, document, status_time(row))


# --- Activities on their way out --------------------------------------------------------------

# Activities whose embedded object is the actor's own, signed by it first (FEP-8b32's "signed
# activity with embedded signed object").
_WRAPPING = frozenset({"Create", "Update"})


def _own_time(doc: dict, fallback: datetime) -> datetime:
    """A document's own time for its proof: when it was last updated, else published."""
    for name in ("updated", "published"):
        moment = parse_datetime(doc.get(name))
        if moment is not None:
            return moment
    return fallback


def signed_activity(tx: Tx, account_id: int | None, activity: dict) -> dict:
    """An activity about to be delivered, with its actor's proof (`sign_activity_with`); the
    proof's time is the activity's own (`published`), else now."""
    if "proof" in activity:
        return activity  # rendered with its proof already
    return sign_activity_with(key_of(tx, account_id), activity, tx.now)


def sign_activity_with(
    key: integrity_keys.IntegrityKey, activity: dict, fallback: datetime
) -> dict:
    """`activity` with a proof by `key`, its actor's. An object it embeds that is the actor's
    own (the Note of a Create or Update, the actor itself in a profile's Update) is signed
    first, carrying its own @context so that it can be checked once taken out of the
    activity; an actor so embedded announces the key, as its document does. An object that
    already has a proof (a Label, a community note) keeps it."""
    actor_uri = id_of(activity.get("actor"))
    obj = activity.get("object")
    if (
        activity.get("type") in _WRAPPING
        and isinstance(obj, dict)
        and "proof" not in obj
        and actor_uri is not None
        and actor_uri in (id_of(obj.get("attributedTo")), id_of(obj.get("id")))
    ):
        embedded = {"@context": obj.get("@context", activity.get("@context")), **obj}
        when = _own_time(obj, fallback)
        if id_of(obj.get("id")) == actor_uri and obj.get("type") in ACTOR_TYPES:
            embedded = announcing_key(embedded, key)
            when = fallback  # a profile's `published` is when the account was made
        proven = sign_with(key, embedded, when)
        activity = {**activity, "object": proven}
    return sign_with(key, activity, _own_time(activity, fallback))
