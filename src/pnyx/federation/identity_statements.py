"""Identity statements (FEP-c390) on actor documents: the ones this server publishes, and the
ones it reads on actors elsewhere.

**Published.** Every local actor attaches, under `attachment`, a `VerifiableIdentityStatement`
for its own Ed25519 key (the key of its objects' proofs, `assertionMethod`); an account that
carried keys from an old server (an export's identity.json, `federation.archive_import`)
attaches one more per carried key: the same subject as the old actor's, `alsoKnownAs` this
actor, signed with the carried key. That is the new account's proof that it is the old one,
which servers that knew the old actor check without asking the old server (FEP-7628's pull
move, `pull_move_receipt`). Each statement's `created` is its key's (when it was made or
carried), so the document, and its proof, stay the same from one fetch to the next; the
statements are signed once per process and kept.

**Read.** The subjects of the valid statements of an actor fetched from elsewhere are kept
with the key each holds (`core.identity_links.remember_subjects`, called when the actor is
stored by `resolve.store_actor_document`), replaced at every fetch.

The FEP-c390 context is written out in the document (the terms of https://w3id.org/fep/c390)
rather than named by its address: JSON-LD processors (Fedify's among them) then have nothing
to fetch.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any

from pnyx.core.integrity_keys import IntegrityKey
from pnyx.federation import identity_proofs
from pnyx.federation.object_proofs import with_context

# https://w3id.org/fep/c390, as its context document defines it.
CONTEXT: dict[str, Any] = {
    "fep": "https://w3id.org/fep#",
    "VerifiableIdentityStatement": {
        "@id": "fep:VerifiableIdentityStatement",
        "@context": {"subject": {"@id": "fep:subject", "@type": "xsd:anyURI"}},
    },
}
CACHE_SIZE = 4096

_cache: OrderedDict[tuple, dict] = OrderedDict()
_lock = threading.Lock()


def statement_for(actor_uri: str, key: IntegrityKey) -> dict:
    """The signed statement that `actor_uri` holds `key` (one of ours: its private half is
    here), made at the key's own time; the same one every time."""
    assert key.private_key is not None and key.created_at is not None
    memo = (actor_uri, key.public_key, key.created_at.isoformat())
    with _lock:
        found = _cache.get(memo)
        if found is not None:
            _cache.move_to_end(memo)
            return found
    made = identity_proofs.statement(actor_uri, key.private_key, key.created_at)
    with _lock:
        _cache[memo] = made
        while len(_cache) > CACHE_SIZE:
            _cache.popitem(last=False)
    return made


def attach(doc: dict, keys: Sequence[IntegrityKey]) -> dict:
    """An actor document with a statement for each of `keys` among its attachments (after
    the profile fields), and the FEP-c390 terms in its context (before the contexts that
    protect their terms, which `object_proofs.announcing_key` appends last)."""
    statements = [statement_for(doc["id"], key) for key in keys]
    if not statements:
        return doc
    current = doc.get("attachment")
    attachments = current if isinstance(current, list) else [] if current is None else [current]
    return {
        **doc,
        "@context": with_context(doc.get("@context"), CONTEXT),
        "attachment": [*attachments, *statements],
    }


def proven_subjects(doc: Any) -> list[tuple[str, bytes]]:
    """(subject, key) of each valid statement an actor document attaches (FEP-c390's checks,
    `identity_proofs.verified_subject`); invalid or forged ones are left out."""
    if not isinstance(doc, dict):
        return []
    found = []
    for subject in identity_proofs.subjects_of(doc):
        try:
            found.append((subject, identity_proofs.public_key_of_did(subject)))
        except ValueError:
            continue
    return found
