"""Every actor served here announces an Ed25519 Multikey (FEP-521a), and what is served at an
id (actors, the instance actor, Notes, their Creates) or delivered (every activity) carries an
eddsa-jcs-2022 proof by that key (FEP-8b32), checked here with nothing but the documents a
remote server would see: the key is read from the actor document, not from our tables."""

from __future__ import annotations

import sqlalchemy as sa
from starlette.testclient import TestClient

import factories
from pnyx import registry
from pnyx.app import create_app
from pnyx.core import accounts as core_accounts
from pnyx.core import follows, statuses
from pnyx.core.statuses import StatusInput
from pnyx.db.tables import accounts, jobs
from pnyx.federation import data_integrity
from pnyx.jobs import worker

AP = {"Accept": "application/activity+json"}
BASE = "https://pnyx.test"


def _ap(client, path: str) -> dict:
    response = client.get(path, headers=AP)
    assert response.status_code == 200, response.text
    return response.json()


def announced_key(actor: dict) -> tuple[str, bytes]:
    """(key id, public key) of the one Multikey an actor announces for assertions, checked
    the way FEP-521a says: controlled by the actor, with the contexts that define it."""
    (method,) = actor["assertionMethod"]
    assert method["type"] == "Multikey"
    assert method["controller"] == actor["id"]
    assert method["id"] == actor["id"] + "#ed25519-key"
    assert data_integrity.CONTEXT in actor["@context"]
    assert data_integrity.MULTIKEY_CONTEXT in actor["@context"]
    return method["id"], data_integrity.public_key_from_multikey(method["publicKeyMultibase"])


def proven_by(doc: dict, key: tuple[str, bytes]) -> bool:
    key_id, public = key
    return doc["proof"]["verificationMethod"] == key_id and data_integrity.verify(doc, public)


def test_every_local_actor_announces_its_key_and_signs_its_document(client, make_user):
    make_user("alice")
    actor = _ap(client, "/users/alice")
    key = announced_key(actor)
    assert proven_by(actor, key)
    assert actor["publicKey"]["id"] == actor["id"] + "#main-key"  # RSA for HTTP signatures
    # Signed as of its last change, so a second fetch carries the very same proof.
    assert _ap(client, "/users/alice") == actor
    tampered = {**actor, "name": "Mallory"}
    assert not proven_by(tampered, key)


def test_the_instance_actor_announces_a_key_of_its_own(client):
    actor = _ap(client, "/actor")
    key = announced_key(actor)
    assert actor["id"] == BASE + "/actor"
    assert proven_by(actor, key)
    assert _ap(client, "/actor") == actor


def test_a_post_and_its_create_are_signed_by_the_author(client, make_user):
    alice = make_user("alice")
    response = client.post("/api/v1/statuses", headers=alice.headers, json={"status": "hi"})
    status_id = response.json()["id"]
    key = announced_key(_ap(client, "/users/alice"))
    note = _ap(client, f"/users/alice/statuses/{status_id}")
    assert proven_by(note, key)
    assert note["proof"]["created"] == note["published"]
    assert data_integrity.CONTEXT in note["@context"]
    create = _ap(client, f"/users/alice/statuses/{status_id}/activity")
    assert proven_by(create, key)
    assert create["object"] == note  # the Note inside is the one served, its proof with it
    assert not proven_by({**note, "content": "<p>bye</p>"}, key)


def test_an_edited_post_is_signed_as_of_its_edit(client, make_user):
    alice = make_user("alice")
    status_id = client.post(
        "/api/v1/statuses", headers=alice.headers, json={"status": "first"}
    ).json()["id"]
    before = _ap(client, f"/users/alice/statuses/{status_id}")
    edited = client.put(
        f"/api/v1/statuses/{status_id}", headers=alice.headers, json={"status": "second"}
    )
    assert edited.status_code == 200, edited.text
    after = _ap(client, f"/users/alice/statuses/{status_id}")
    key = announced_key(_ap(client, "/users/alice"))
    assert proven_by(after, key)
    assert after["proof"]["created"] == after["updated"]
    assert after["proof"]["proofValue"] != before["proof"]["proofValue"]


def test_in_authorized_fetch_mode_the_minimal_actor_still_announces_and_is_signed(
    settings, make_user
):
    app = create_app(settings.with_overrides(authorized_fetch=True), run_workers=False)
    with TestClient(app, base_url=BASE) as client:
        app.state.db.run_sync(
            lambda tx: core_accounts.create_local(tx, "bob", "bob@example.com", "correct horse b")
        )
        actor = _ap(client, "/users/bob")
    assert "outbox" not in actor  # unsigned request: the minimal document
    assert proven_by(actor, announced_key(actor))


def _pending_before_delivery(tx) -> int:
    """Jobs left before the deliveries: the event's, then `federate`."""
    return tx.scalar(sa.select(sa.func.count()).select_from(jobs).where(jobs.c.kind != "deliver"))


def test_a_delivered_create_carries_the_authors_proofs(db, make_user, app):
    alice = make_user("alice").account_id
    zed = factories.remote_account(db, "zed", "remote.example")

    def follower(tx):
        tx.execute(
            accounts.update()
            .where(accounts.c.id == zed)
            .values(inbox_url="https://remote.example/inbox")
        )
        follows.follow(tx, zed, alice)

    db.run_sync(follower)
    db.run_sync(lambda tx: tx.execute(jobs.delete()))  # the follow's own jobs
    db.run_sync(statuses.create, alice, StatusInput(text="signed", visibility="public"))
    while db.run_sync(_pending_before_delivery):
        assert worker.run_one(db, "test-worker", registry.JOBS)
    (payload,) = db.run_sync(
        lambda tx: tx.scalars(sa.select(jobs.c.payload).where(jobs.c.kind == "deliver"))
    )
    with TestClient(app, base_url=BASE) as c:
        key = announced_key(_ap(c, "/users/alice"))
        activity = payload["activity"]
        assert activity["type"] == "Create"
        assert proven_by(activity, key)
        assert proven_by(activity["object"], key)  # the Note first, on its own
        served = _ap(c, activity["object"]["id"].removeprefix(BASE))
    assert activity["object"] == served
