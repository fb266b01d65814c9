"""Ed25519 keys for Data Integrity proofs (FEP-8b32): what every actor here signs its objects
and activities with, and the keys other servers' actors announce (FEP-521a `assertionMethod`),
by key id.

A local account's key pair is made on first need (the first time its actor is served or it
publishes something), as its RSA pair is (`core.keys`); once made it never changes by itself.
The instance actor has no account row: its pair is kept beside its RSA pair in
`instance_state` (`instance_key`). Keys are kept as raw bytes: encoding them (Multikey) is
federation's.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from pnyx.db.engine import Tx
from pnyx.db.insert_ignore import insert_ignore
from pnyx.db.tables import accounts, instance_state, integrity_keys

RAW = serialization.Encoding.Raw


@dataclass(frozen=True)
class IntegrityKey:
    key_id: str
    account_id: int | None  # None: the instance actor's
    public_key: bytes
    private_key: bytes | None  # ours only
    created_at: datetime | None = None  # when it was made (or first seen)


def local_key_id(actor_uri: str) -> str:
    """The id a local actor's key has (FEP-521a's example fragment)."""
    return f"{actor_uri}#ed25519-key"


def _row(tx: Tx, key_id: str) -> IntegrityKey | None:
    row = tx.one_or_none(sa.select(integrity_keys).where(integrity_keys.c.key_id == key_id))
    if row is None:
        return None
    private = bytes(row.private_key) if row.private_key is not None else None
    return IntegrityKey(row.key_id, row.account_id, bytes(row.public_key), private, row.created_at)


def ensure_local(tx: Tx, account_id: int) -> IntegrityKey:
    """A local account's key pair, made and stored on first need."""
    uri = tx.scalar(sa.select(accounts.c.uri).where(accounts.c.id == account_id))
    key_id = local_key_id(uri)
    found = _row(tx, key_id)
    if found is None:
        public, private = _new_pair()
        insert_ignore(
            tx,
            integrity_keys,
            {
                "key_id": key_id,
                "account_id": account_id,
                "public_key": public,
                "private_key": private,
                "created_at": tx.now,
            },
        )
        found = _row(tx, key_id)
    assert found is not None
    return found


def _new_pair() -> tuple[bytes, bytes]:
    """(public, private) raw bytes of a fresh Ed25519 pair."""
    private = Ed25519PrivateKey.generate()
    return (
        private.public_key().public_bytes(RAW, serialization.PublicFormat.Raw),
        private.private_bytes(RAW, serialization.PrivateFormat.Raw, serialization.NoEncryption()),
    )


_INSTANCE_KEY = "actor_ed25519_key"  # one row holding both halves, as `keys.instance_keypair`


def instance_actor_uri(tx: Tx) -> str:
    return f"{tx.settings.base_url}/actor"


def instance_key(tx: Tx) -> IntegrityKey:
    """The instance actor's key pair, made and stored on first need (racing makers both
    read back the one that was stored first)."""
    statement = sa.select(instance_state.c.value).where(instance_state.c.key == _INSTANCE_KEY)
    value = tx.scalar(statement)
    if value is None:
        public, private = _new_pair()
        made = tx.now.isoformat()
        insert_ignore(
            tx,
            instance_state,
            {"key": _INSTANCE_KEY, "value": json.dumps([public.hex(), private.hex(), made])},
        )
        value = tx.scalar(statement)
    public_hex, private_hex, made = json.loads(value)
    key_id = local_key_id(instance_actor_uri(tx))
    return IntegrityKey(
        key_id,
        None,
        bytes.fromhex(public_hex),
        bytes.fromhex(private_hex),
        datetime.fromisoformat(made),
    )


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


def remember_carried(tx: Tx, account_id: int, key_id: str, public: bytes, private: bytes) -> None:
    """Keep a key a person brought from their old server (an export's identity.json), under
    its `did:key` id: the account here can then show it is the old one (FEP-c390). Once kept,
    it stays the account's: another account here cannot take it over."""
    insert_ignore(
        tx,
        integrity_keys,
        {
            "key_id": key_id,
            "account_id": account_id,
            "public_key": public,
            "private_key": private,
            "created_at": tx.now,
        },
    )


def carried(tx: Tx, account_id: int) -> list[IntegrityKey]:
    """The keys a local account brought from old servers (their ids are `did:key`s)."""
    rows = tx.rows(
        sa.select(integrity_keys).where(
            integrity_keys.c.account_id == account_id,
            integrity_keys.c.key_id.startswith("did:key:"),
            integrity_keys.c.private_key.is_not(None),
        )
    )
    return [IntegrityKey(r.key_id, r.account_id, bytes(r.public_key), r.private_key) for r in rows]
