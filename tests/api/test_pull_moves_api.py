"""A move announced by the new account, through the API (`/api/v1/pnyx/move/announce`):
a Pnyx archive of an old account elsewhere (its identity.json and followers.csv) is imported,
then announced; its followers here move at once, the others are looked up, and every refusal
is a 422 with its reason."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import sqlalchemy as sa

import factories
from mastodon_archive import ACTOR, make_zip
from pnyx import registry
from pnyx.core import integrity_keys
from pnyx.db.tables import accounts, follows
from pnyx.federation import data_integrity, identity_proofs

PATH = "/api/v1/pnyx/move/announce"
PASSWORD = "correct horse battery"  # tests/conftest.py's make_user
WHEN = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)


def identity(private: bytes, actor: str = ACTOR) -> bytes:
    """identity.json as a Pnyx export writes it."""
    public = data_integrity.public_key_of(private)
    return json.dumps(
        {
            "type": "PnyxIdentity",
            "actor": actor,
            "subject": identity_proofs.did_key(public),
            "secretKeyMultibase": identity_proofs.private_multikey(private),
            "statement": identity_proofs.statement(actor, private, WHEN),
        }
    ).encode()


FOLLOWERS = b"Account address\ndave@pnyx.test\ncarol@127.0.0.1:9\nnot an address\ndave@pnyx.test\n"


def import_archive(client, db, user, tmp_path, members: dict[str, bytes]) -> None:
    path = make_zip(tmp_path / "archive.zip", members=members)
    answer = client.post(
        "/api/v1/pnyx/imports/archive",
        headers=user.headers,
        files={"file": ("archive.zip", path.read_bytes(), "application/zip")},
    )
    assert answer.status_code == 202, answer.text
    registry.drain(db)


def old_account(db, private: bytes) -> int:
    """The old actor as this server knew it: its key, as its actor announced it."""
    old = factories.remote_account(db, "alice", "old.example")
    public = data_integrity.public_key_of(private)
    db.run_sync(integrity_keys.remember_remote, old, ACTOR + "#ed25519-key", public)
    return old


def announce(client, user, **fields):
    return client.post(PATH, headers=user.headers, data=fields)


def test_an_imported_archive_is_announced_and_its_followers_found(client, app, make_user, tmp_path):
    db = app.state.db
    private = data_integrity.new_private_key()
    old = old_account(db, private)
    dave = make_user("dave")
    factories.follow(db, dave.account_id, old)
    alice2 = make_user("alice2")
    empty = client.get(PATH, headers=alice2.headers).json()
    assert empty == {"cooldown_days": 30, "cooldown_until": None, "moves": []}
    import_archive(
        client,
        db,
        alice2,
        tmp_path,
        {"identity.json": identity(private), "followers.csv": FOLLOWERS},
    )
    [ready] = client.get(PATH, headers=alice2.headers).json()["moves"]
    assert (ready["old_uri"], ready["has_key"], ready["state"]) == (ACTOR, True, "ready")
    assert (ready["followers"], ready["found"], ready["failed"]) == (2, 0, 0)
    assert ready["old_account"]["id"] == str(old)

    refused = announce(client, alice2, current_password="wrong")
    assert refused.status_code == 422
    assert refused.json()["error"].endswith("Current password is invalid")
    done = announce(client, alice2, current_password=PASSWORD)
    assert done.status_code == 200, done.text
    assert (done.json()["id"], done.json()["state"]) == (ready["id"], "finding")
    # The old account shows where it went; its follower here follows the new account.
    shown = client.get(f"/api/v1/accounts/{old}", headers=dave.headers).json()
    assert shown["moved"]["id"] == str(alice2.account_id)
    aliases = db.run_sync(
        lambda tx: tx.scalar(
            sa.select(accounts.c.also_known_as).where(accounts.c.id == alice2.account_id)
        )
    )
    assert aliases == [ACTOR]
    registry.drain(db)  # core.moves' job, and the announce's: each address looked up
    followed = db.run_sync(
        lambda tx: tx.scalars(
            sa.select(follows.c.target_account_id).where(follows.c.account_id == dave.account_id)
        )
    )
    assert followed == [alice2.account_id]
    [sent] = client.get(PATH, headers=alice2.headers).json()["moves"]
    assert (sent["state"], sent["found"], sent["failed"], sent["inboxes"]) == ("sent", 1, 1, 0)
    assert [f["address"] for f in sent["failures"]] == ["carol@127.0.0.1:9"]
    again = announce(client, alice2, current_password=PASSWORD, id=sent["id"])
    assert again.status_code == 422
    assert "less than 30 days" in again.json()["error"]


def test_what_cannot_be_announced(client, app, make_user, tmp_path):
    db = app.state.db
    alice2 = make_user("alice2")
    assert client.post(PATH, data={"current_password": PASSWORD}).status_code == 401
    reader = make_user("reader", scopes="read")
    assert announce(client, reader, current_password=PASSWORD).status_code == 403
    nothing = announce(client, alice2, current_password=PASSWORD)
    assert nothing.status_code == 422 and "Import the archive" in nothing.json()["error"]
    assert announce(client, alice2, current_password=PASSWORD, id="abc").status_code == 422
    assert announce(client, alice2, current_password=PASSWORD, id="12345").status_code == 404
    # A Mastodon archive: no key of the old account, so nothing to announce from here.
    import_archive(client, db, alice2, tmp_path, {"followers.csv": FOLLOWERS})
    [kept] = client.get(PATH, headers=alice2.headers).json()["moves"]
    assert (kept["has_key"], kept["followers"]) == (False, 2)
    no_key = announce(client, alice2, current_password=PASSWORD, id=kept["id"])
    assert no_key.status_code == 422 and "carried no key" in no_key.json()["error"]
    # A key that is not the one this server knows the old actor by (a forged archive).
    old_account(db, data_integrity.new_private_key())
    mallory = make_user("mallory")
    forged = {"identity.json": identity(data_integrity.new_private_key())}
    import_archive(client, db, mallory, tmp_path, forged)
    refused = announce(client, mallory, current_password=PASSWORD)
    assert refused.status_code == 422 and "another key" in refused.json()["error"]
