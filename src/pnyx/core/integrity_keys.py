"""Ed25519 keys for Data Integrity proofs (FEP-8b32): what a labeler here signs its labels with,
and the keys other servers' actors announce (FEP-521a `assertionMethod`), by key id.

A local account's key pair is made on first need (the first label it issues or the first time
its actor is served as a labeler's), as its RSA pair is (`core.keys`); once made it never
changes by itself. Keys are kept as raw bytes: encoding them (Multikey) is federation's.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from pnyx.db.engine import Tx
from pnyx.db.insert_ignore import insert_ignore
from pnyx.db.tables import accounts, integrity_keys

RAW = serialization.Encoding.Raw


@dataclass(frozen=True)
class IntegrityKey:
    key_id: str
    account_id: int
    public_key: bytes
    private_key: bytes | None  # ours only


def local_key_id(actor_uri: str) -> str:
    """The id a local actor's key has (FEP-521a's example fragment)."""
    return f"{actor_uri}#ed25519-key"


def _row(tx: Tx, key_id: str) -> IntegrityKey | None:
    row = tx.one_or_none(sa.select(integrity_keys).where(integrity_keys.c.key_id == key_id))
    if row is None:
        return None
    return IntegrityKey(row.key_id, row.account_id, bytes(row.public_key), row.private_key)


def ensure_local(tx: Tx, account_id: int) -> IntegrityKey:
    """A local account's key pair, made and stored on first need."""
    uri = tx.scalar(sa.select(accounts.c.uri).where(accounts.c.id == account_id))
    key_id = local_key_id(uri)
    found = _row(tx, key_id)
    if found is None:
        private = Ed25519PrivateKey.generate()
        insert_ignore(
            tx,
            integrity_keys,
            {
                "key_id": key_id,
                "account_id": account_id,
                "public_key": private.public_key().public_bytes(
                    RAW, serialization.PublicFormat.Raw
                ),
                "private_key": private.private_bytes(
                    RAW, serialization.PrivateFormat.Raw, serialization.NoEncryption()
                ),
                "created_at": tx.now,
            },
        )
        found = _row(tx, key_id)
    assert found is not None
    return found


def local_public(tx: Tx, account_id: int) -> IntegrityKey | None:
    """A local account's key, if it has one (its actor announces it then)."""
    uri = tx.scalar(sa.select(accounts.c.uri).where(accounts.c.id == account_id))
    return _row(tx, local_key_id(uri)) if uri else None


def remember_remote(tx: Tx, account_id: int, key_id: str, public_key: bytes) -> None:
    """Keep (or replace) a key another server's actor announced."""
    tx.execute(
        integrity_keys.delete().where(
            integrity_keys.c.key_id == key_id, integrity_keys.c.private_key.is_(None)
        )
    )
    insert_ignore(
        tx,
        integrity_keys,
        {
            "key_id": key_id,
            "account_id": account_id,
            "public_key": public_key,
            "private_key": None,
            "created_at": tx.now,
        },
    )


def find(tx: Tx, key_id: str) -> IntegrityKey | None:
    """A key by its id, ours or another server's."""
    return _row(tx, key_id)
