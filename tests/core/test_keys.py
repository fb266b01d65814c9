"""Key pairs of local accounts and of the instance actor."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding

import factories
from pnyx.core import keys
from pnyx.core.errors import NotFound


def _sign_and_check(pair: keys.KeyPair) -> None:
    private = serialization.load_pem_private_key(pair.private_pem.encode(), None)
    public = serialization.load_pem_public_key(pair.public_pem.encode())
    signature = private.sign(b"hello", padding.PKCS1v15(), hashes.SHA256())
    public.verify(signature, b"hello", padding.PKCS1v15(), hashes.SHA256())


def test_account_keypair_is_made_once_and_kept(db, make_user):
    alice = make_user("alice")
    first = db.run_sync(keys.ensure_keypair, alice.account_id)
    again = db.run_sync(keys.ensure_keypair, alice.account_id)
    assert first == again
    assert first.public_pem.startswith("-----BEGIN PUBLIC KEY-----")
    _sign_and_check(first)


def test_remote_accounts_have_no_local_keypair(db):
    remote = factories.remote_account(db, "bob", "elsewhere.example")
    with pytest.raises(NotFound):
        db.run_sync(keys.ensure_keypair, remote)


def test_instance_keypair_is_stable(db):
    first = db.run_sync(keys.instance_keypair)
    assert db.run_sync(keys.instance_keypair) == first
    _sign_and_check(first)
