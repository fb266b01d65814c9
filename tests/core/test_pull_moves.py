"""Moves announced by the new account (core.pull_moves) and the links they rest on
(core.identity_links), on both databases: which keys link two accounts, what an archive
import keeps, and every refusal of `announce`."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

import factories
from pnyx.core import identity_links, integrity_keys, pull_moves
from pnyx.core.errors import Invalid
from pnyx.db.tables import accounts, jobs, pull_move_followers
from pnyx.db.tables import pull_moves as pull_moves_table

PASSWORD = "correct horse battery"  # tests/conftest.py's make_user
RAW = serialization.Encoding.Raw


def pair() -> tuple[bytes, bytes]:
    """(public, private) raw bytes of a fresh Ed25519 key."""
    private = Ed25519PrivateKey.generate()
    public = private.public_key().public_bytes(RAW, serialization.PublicFormat.Raw)
    secret = private.private_bytes(
        RAW, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
    return public, secret


def did(public: bytes) -> str:
    return f"did:key:test-{public.hex()[:16]}"  # core never reads the did itself


def old_actor(db, public: bytes, name: str = "alice", domain: str = "old.example") -> int:
    """An account elsewhere whose actor announced `public` (assertionMethod)."""
    account_id = factories.remote_account(db, name, domain)
    key_id = f"https://{domain}/users/{name}#ed25519-key"
    db.run_sync(integrity_keys.remember_remote, account_id, key_id, public)
    return account_id


def uri_of(db, account_id: int) -> str:
    return db.run_sync(
        lambda tx: tx.scalar(sa.select(accounts.c.uri).where(accounts.c.id == account_id))
    )


def carry(db, account_id: int, public: bytes, private: bytes) -> str:
    db.run_sync(integrity_keys.remember_carried, account_id, did(public), public, private)
    return did(public)


def test_linked_when_the_new_account_proves_a_key_the_old_is_known_by(db):
    known, _ = pair()
    other, _ = pair()
    old = old_actor(db, known)
    new = factories.remote_account(db, "alice", "new.example")
    assert not db.run_sync(identity_links.linked, old, new)
    # Announcing the old key (assertionMethod) proves nothing: a public key is public.
    db.run_sync(integrity_keys.remember_remote, new, "https://new.example/users/alice#k", known)
    assert not db.run_sync(identity_links.linked, old, new)
    db.run_sync(identity_links.remember_subjects, new, [("did:key:other", other)])
    assert not db.run_sync(identity_links.linked, old, new)
    db.run_sync(
        identity_links.remember_subjects, new, [("did:key:other", other), ("did:key:a", known)]
    )
    assert db.run_sync(identity_links.linked, old, new)
    assert not db.run_sync(identity_links.linked, new, new)
    # Its next document no longer proves it: forgotten.
    db.run_sync(identity_links.remember_subjects, new, [("did:key:other", other)])
    assert db.run_sync(identity_links.subjects, new) == ["did:key:other"]
    assert not db.run_sync(identity_links.linked, old, new)


def test_an_old_actor_is_known_by_its_statements_too(db):
    stated, _ = pair()
    old = old_actor(db, pair()[0])
    db.run_sync(identity_links.remember_subjects, old, [("did:key:s", stated)])
    new = factories.remote_account(db, "alice", "new.example")
    db.run_sync(identity_links.remember_subjects, new, [("did:key:s", stated)])
    assert db.run_sync(identity_links.linked, old, new)


def test_a_local_account_proves_the_keys_it_carried(db, make_user):
    public, private = pair()
    old = old_actor(db, public)
    me = make_user("alice2").account_id
    assert not db.run_sync(identity_links.linked, old, me)
    carry(db, me, public, private)
    assert db.run_sync(identity_links.linked, old, me)
    keys = db.run_sync(identity_links.statement_keys, me)
    assert [k.public_key for k in keys][1:] == [public]
    assert all(k.private_key and k.created_at for k in keys)


def kept(db, me: int, old_uri: str, subject: str | None, addresses: list[str]) -> int:
    def work(tx):
        move_id = pull_moves.keep_archive(tx, me, None, old_uri, subject)
        pull_moves.keep_followers(tx, move_id, addresses)
        return move_id

    return db.run_sync(work)


def state(db, move_id: int):
    return db.run_sync(pull_moves.get, move_id)


def test_an_archive_keeps_its_followers_once(db, make_user):
    me = make_user("alice2").account_id
    old_uri = "https://old.example/users/alice"
    first = kept(db, me, old_uri, None, ["carol@c.example", "dave@b.example"])
    again = kept(db, me, old_uri, "did:key:x", ["dave@b.example", "erin@e.example"])
    assert first == again
    row = state(db, first)
    assert (row.followers, row.subject, row.state) == (3, "did:key:x", pull_moves.READY)
    # Nothing is kept for an archive of the account itself, or of an account here.
    mine = uri_of(db, me)
    assert db.run_sync(pull_moves.keep_archive, me, None, mine, None) is None
    other_here = uri_of(db, make_user("someone").account_id)
    assert db.run_sync(pull_moves.keep_archive, me, None, other_here, None) is None


def refusal(db, me: int, password: str = PASSWORD, move_id: int | None = None) -> str:
    with pytest.raises(Invalid) as caught:
        db.run_sync(pull_moves.announce, me, password, move_id)
    return caught.value.message


def test_announce_refuses_what_followers_servers_would(db, make_user):
    public, private = pair()
    me = make_user("alice2").account_id
    assert "Import the archive" in refusal(db, me)
    old = old_actor(db, pair()[0])  # known here by another key than the one carried
    move_id = kept(db, me, uri_of(db, old), None, [])
    assert "Import the archive" in refusal(db, me)
    assert "carried no key" in refusal(db, me, move_id=move_id)
    subject = carry(db, me, public, private)
    kept(db, me, uri_of(db, old), subject, [])
    assert "password" in refusal(db, me, password="wrong")
    assert "another key" in refusal(db, me)
    # A key carried by someone else here is not this account's.
    mallory = make_user("mallory").account_id
    kept(db, mallory, uri_of(db, old), subject, [])
    assert "carried no key" in refusal(db, mallory)


def test_announce_moves_followers_here_names_the_alias_and_queues_the_job(db, make_user):
    public, private = pair()
    old = old_actor(db, public)
    old_uri = uri_of(db, old)
    me = make_user("alice2").account_id
    dave = make_user("dave").account_id
    factories.follow(db, dave, old)
    subject = carry(db, me, public, private)
    move_id = kept(db, me, old_uri, subject, ["dave@pnyx.test", "carol@c.example"])
    row = db.run_sync(pull_moves.announce, me, PASSWORD, None)
    assert (row.id, row.state) == (move_id, pull_moves.FINDING)
    assert db.run_sync(
        lambda tx: tx.scalar(sa.select(accounts.c.also_known_as).where(accounts.c.id == me))
    ) == [old_uri]
    moved_to = db.run_sync(
        lambda tx: tx.scalar(sa.select(accounts.c.moved_to_account_id).where(accounts.c.id == old))
    )
    assert moved_to == me
    kinds = db.run_sync(lambda tx: tx.scalars(sa.select(jobs.c.kind)))
    assert pull_moves.PULL_MOVE_JOB in kinds
    assert "being announced" in refusal(db, me)
    # Settled one by one; a second announce asks again for the ones that failed, after the
    # cooldown.
    pending = db.run_sync(pull_moves.pending, move_id, 10)
    assert [p.address for p in pending] == ["dave@pnyx.test", "carol@c.example"]
    db.run_sync(pull_moves.found, move_id, pending[0].id, dave)
    db.run_sync(pull_moves.failed, move_id, pending[1].id, "c.example did not answer")
    db.run_sync(pull_moves.failed, move_id, pending[1].id, "counted once")
    assert db.run_sync(pull_moves.finish, move_id) == []  # dave is here: nothing to send
    db.run_sync(pull_moves.sent, move_id, 0)
    row = state(db, move_id)
    assert (row.state, row.found, row.failed) == (pull_moves.SENT, 1, 1)
    assert [(f.address, f.error) for f in db.run_sync(pull_moves.failures, move_id)] == [
        ("carol@c.example", "c.example did not answer")
    ]
    assert "less than 30 days" in refusal(db, me)
    db.run_sync(
        lambda tx: tx.execute(
            pull_moves_table.update().values(announced_at=tx.now - timedelta(days=31))
        )
    )
    row = db.run_sync(pull_moves.announce, me, PASSWORD, move_id)
    assert (row.state, row.found, row.failed) == (pull_moves.FINDING, 1, 0)
    states = db.run_sync(
        lambda tx: tx.scalars(
            sa.select(pull_move_followers.c.state).order_by(pull_move_followers.c.id)
        )
    )
    assert states == [pull_moves.FOUND, pull_moves.PENDING]


def test_a_moved_account_announces_nothing(db, make_user):
    public, private = pair()
    old = old_actor(db, public)
    me = make_user("alice2").account_id
    elsewhere = make_user("alice3").account_id
    kept(db, me, uri_of(db, old), carry(db, me, public, private), [])
    db.run_sync(
        lambda tx: tx.execute(
            accounts.update().where(accounts.c.id == me).values(moved_to_account_id=elsewhere)
        )
    )
    assert "has moved" in refusal(db, me)
