"""The proof an incoming activity carries (FEP-8b32), checked against its actor's key.

An HTTP signature says which server delivered an activity; a Data Integrity proof says who
wrote it, and it survives relaying. So a valid proof by the activity's actor outranks the HTTP
signature (FEP-8b32: "the integrity proof MUST be given precedence"): an activity relayed or
forwarded by another server (the HTTP signer is not its actor) is taken as the actor's when
its proof holds. The rules:

- the proof counts when it is one `DataIntegrityProof` of the `eddsa-jcs-2022` suite; any
  other `proof` (another suite, a proof set) is ignored, as the FEP says, and the activity is
  judged by its HTTP signature alone, as an unsigned one is;
- the key it names must be one the actor announces in `assertionMethod` (FEP-521a), kept
  when the actor was fetched (`label_documents.store_labeler` keeps every actor's keys); an
  actor or key not known yet is fetched once, outside any transaction, bounded as key fetches
  are (`key_fetches`), and the check runs again;
- a proof that names a key that is not the actor's, or does not verify, is refused
  (`ProofRefused`, 401): a forged or tampered activity must not fall back to anything.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from pnyx.config import Settings
from pnyx.core import domain_blocks, integrity_keys
from pnyx.core import remote_store as received
from pnyx.db.engine import Database, Tx
from pnyx.federation import authentication, data_integrity, key_fetches, resolve
from pnyx.federation.as2_common import same_origin

DOES_NOT_VERIFY = "The activity's proof does not verify (forged or tampered)"


class ProofRefused(Exception):  # noqa: N818 - a verdict, told to the sender
    def __init__(self, reason: str, status: int = 401):
        super().__init__(reason)
        self.reason = reason
        self.status = status


def carries_proof(doc: dict) -> bool:
    """Whether `doc` has a proof this server checks (one eddsa-jcs-2022 DataIntegrityProof)."""
    proof = doc.get("proof")
    return (
        isinstance(proof, dict)
        and proof.get("type") == data_integrity.PROOF_TYPE
        and proof.get("cryptosuite") == data_integrity.CRYPTOSUITE
    )


def proven_actor(
    tx: Tx, doc: dict, prepared: data_integrity.Prepared, actor_uri: str, *, fetched: bool
) -> Any | None:
    """The account of `actor_uri` when `doc`'s proof (`prepared` from it, outside the
    transaction: canonicalizing is the costly part) holds under a key the actor announced;
    None when the actor or its key must be fetched first (never once `fetched`); ProofRefused
    otherwise. No network: it runs in the inbox's transaction."""
    key_id = data_integrity.proof_key_id(doc)
    if key_id is None or not same_origin(key_id, actor_uri):
        raise ProofRefused("The activity's proof names a key that is not its actor's")
    if same_origin(actor_uri, tx.settings.base_url):
        raise ProofRefused("The activity's actor is an account of this server")
    if domain_blocks.is_suspended(tx, urlsplit(actor_uri).netloc):
        raise ProofRefused("domain blocked", status=403)
    actor = received.account_by_uri(tx, actor_uri)
    key = integrity_keys.find(tx, key_id)
    if actor is None or key is None:
        if fetched:
            raise ProofRefused(f"The key of the activity's proof, {key_id}, is not its actor's")
        return None
    if key.account_id != actor.id:
        raise ProofRefused("The activity's proof names a key that is not its actor's")
    if actor.suspended_at is not None:
        raise ProofRefused("account suspended")
    if not prepared.verify(key.public_key):
        # Its owner may have changed the key since we read it: read it again, once a minute.
        if not fetched and authentication.may_refetch(key_id):
            return None
        raise ProofRefused(DOES_NOT_VERIFY)
    return actor


async def fetch_actor(db: Database, settings: Settings, actor_uri: str) -> None:
    """Read the actor again, with the keys it announces (outside any transaction, bounded as
    key fetches are); ProofRefused when it cannot be had now."""
    if authentication.failed_recently(actor_uri):
        raise ProofRefused(f"the actor {actor_uri} could not be fetched (tried moments ago)")
    try:
        await key_fetches.run(settings, actor_uri, resolve.fetch_actor, db, settings, actor_uri)
    except key_fetches.Busy as exc:
        raise ProofRefused(str(exc), status=503) from None
    except resolve.ResolveError as exc:
        authentication.note_failure(actor_uri)
        raise ProofRefused(f"the actor {actor_uri} could not be fetched: {exc.reason}") from None
