"""Each local account's RSA key pair, which other servers use to check what it signs.

Keys are made on first need (the first time the actor is fetched or something is delivered),
not at sign-up: making a 2048-bit key costs tens of milliseconds, and most accounts of a test
suite or a quiet instance never federate. Once made, a key pair never changes by itself.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import sqlalchemy as sa
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from pnyx.core.errors import NotFound
from pnyx.db.engine import Tx
from pnyx.db.insert_ignore import insert_ignore
from pnyx.db.tables import accounts, instance_state

KEY_BITS = 2048


@dataclass(frozen=True)
class KeyPair:
    private_pem: str
    public_pem: str


def generate_keypair() -> KeyPair:
    key = rsa.generate_private_key(public_exponent=65537, key_size=KEY_BITS)
    private_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    public_pem = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return KeyPair(private_pem, public_pem)


def ensure_keypair(tx: Tx, account_id: int) -> KeyPair:
    """The local account's key pair, made and stored now if it has none yet.

    Two requests racing here both write a pair; the conditional update keeps whichever came
    first, and both callers return that one.
    """
    row = tx.one_or_none(
        sa.select(accounts.c.private_key_pem, accounts.c.public_key_pem, accounts.c.domain).where(
            accounts.c.id == account_id
        )
    )
    if row is None or row.domain is not None:
        raise NotFound("Record not found")
    if row.private_key_pem and row.public_key_pem:
        return KeyPair(row.private_key_pem, row.public_key_pem)
    pair = generate_keypair()
    tx.execute(
        sa.update(accounts)
        .where(accounts.c.id == account_id, accounts.c.private_key_pem.is_(None))
        .values(private_key_pem=pair.private_pem, public_key_pem=pair.public_pem)
    )
    stored = tx.execute(  # the row was read above, in this transaction
        sa.select(accounts.c.private_key_pem, accounts.c.public_key_pem).where(
            accounts.c.id == account_id
        )
    ).one()
    return KeyPair(stored.private_key_pem, stored.public_key_pem)


_INSTANCE_KEY = "actor_keypair"  # one row holding both halves, so a race cannot mix two pairs


def instance_keypair(tx: Tx) -> KeyPair:
    """The instance actor's key pair (it signs fetches made on behalf of the server itself),
    made and stored on first need."""
    statement = sa.select(instance_state.c.value).where(instance_state.c.key == _INSTANCE_KEY)
    value = tx.scalar(statement)
    if value is None:
        pair = generate_keypair()
        insert_ignore(
            tx,
            instance_state,
            {"key": _INSTANCE_KEY, "value": json.dumps([pair.private_pem, pair.public_pem])},
        )
        value = tx.scalar(statement)
    private_pem, public_pem = json.loads(value)
    return KeyPair(private_pem, public_pem)
