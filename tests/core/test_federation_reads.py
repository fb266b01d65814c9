"""What federation reads through core: the one status loader serving ActivityPub documents,
and the local posts a server may be served at an address."""

from __future__ import annotations

import pytest

import factories
from pnyx.core import accounts, interactions, keys, remote_store, statuses
from pnyx.core import federation_reads as reads
from pnyx.federation import internal_to_as2


@pytest.fixture
def people(db):
    def work(tx):
        return {
            name: accounts.create_local(tx, name, f"{name}@example.com", "correct horse battery")[0]
            for name in ("alice", "bob")
        }

    return db.run_sync(work)


def create(db, account_id, text="hello", **kwargs) -> int:
    return db.run_sync(
        lambda tx: statuses.create(tx, account_id, statuses.StatusInput(text=text, **kwargs))
    )


def test_a_replys_note_names_its_parent_from_the_same_bundle(db, people):
    root = create(db, people["alice"], "root #Zebra #apple")
    reply = create(db, people["bob"], "@alice yes", in_reply_to_id=root)

    bundle = db.run_sync(reads.published, [root, reply])

    assert bundle.in_reply_to_uris == {reply: bundle.statuses[root].uri}
    note = internal_to_as2.status_note(bundle, reply, db.settings)
    assert note["inReplyTo"] == bundle.statuses[root].uri
    assert [t["name"] for t in note["tag"]] == ["@alice@pnyx.test"]
    tags = internal_to_as2.status_note(bundle, root, db.settings)["tag"]
    assert [t["name"] for t in tags] == ["#apple", "#Zebra"]  # by name, as written


def test_rows_are_loaded_whoever_may_see_them(db, people):
    private = create(db, people["alice"], "for followers", visibility="private")

    bundle = db.run_sync(reads.published, [private])

    assert bundle.visible == []  # not for anyone
    note = internal_to_as2.status_note(bundle, private, db.settings)
    assert note["to"] == [bundle.accounts[people["alice"]].followers_url]


def test_only_an_accounts_own_posts_are_served_at_its_addresses(db, people):
    alice, bob = people["alice"], people["bob"]
    post = create(db, alice, "mine")
    boost = db.run_sync(lambda tx: interactions.reblog(tx, bob, post))

    author, bundle = db.run_sync(reads.served_status, "ALICE", post)
    assert author.id == alice and post in bundle.statuses
    assert db.run_sync(reads.served_status, "bob", post) is None
    assert db.run_sync(reads.served_status, "bob", boost) is None
    factories.suspend(db, alice)
    assert db.run_sync(reads.served_status, "alice", post) is None


def test_known_actor_uris(db, people):
    remote = factories.remote_account(db, "dana", "elsewhere.example")
    uri = "https://elsewhere.example/users/dana"

    assert db.run_sync(reads.known_uris, [uri, "https://elsewhere.example/users/nobody"]) == {uri}
    assert db.run_sync(reads.ids_by_uri, [uri]) == [remote]
    assert db.run_sync(reads.remote_id, "DANA", "elsewhere.example") == remote


def remote_with_key(db, username: str, key_id: str | None, pem: str | None = "PEM") -> int:
    incoming = remote_store.IncomingAccount(
        uri=f"https://elsewhere.example/users/{username}",
        username=username,
        domain="elsewhere.example",
        inbox_url=f"https://elsewhere.example/users/{username}/inbox",
        public_key_pem=pem,
        public_key_id=key_id,
    )
    return db.run_sync(remote_store.store_account, incoming)


def test_the_owner_of_a_signing_key(db, people):
    uri = "https://elsewhere.example/users"
    dana = remote_with_key(db, "dana", "https://keys.elsewhere.example/dana")
    erin = remote_with_key(db, "erin", None)
    remote_with_key(db, "finn", f"{uri}/finn#main-key", pem=None)
    owner = lambda key_id: db.run_sync(reads.key_owner, key_id)  # noqa: E731

    assert owner("https://keys.elsewhere.example/dana").id == dana  # the key id on record
    assert owner(f"{uri}/erin#main-key").id == erin  # else the actor the key id names
    assert owner(f"{uri}/erin").id == erin
    assert owner(f"{uri}/finn#main-key") is None  # no key to check with
    assert owner(f"{uri}/nobody#main-key") is None
    db.run_sync(keys.ensure_keypair, people["alice"])
    alice = db.run_sync(reads.account, people["alice"])
    assert alice.public_key_pem  # ours have keys, but never sign what comes in
    assert owner(f"{alice.uri}#main-key") is None


def test_a_local_account_by_its_actor_uri(db, people):
    factories.remote_account(db, "dana", "elsewhere.example")
    alice_uri = db.run_sync(reads.account, people["alice"]).uri
    local_id = lambda uri: db.run_sync(reads.local_account_id, uri)  # noqa: E731

    assert local_id(alice_uri) == people["alice"]
    assert local_id("https://elsewhere.example/users/dana") is None  # not ours
    assert local_id(alice_uri + "x") is None
    assert local_id(None) is None and local_id("") is None
