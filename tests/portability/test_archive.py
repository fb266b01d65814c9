"""An export's archive holds what Mastodon's BackupService writes, in its format (actor.json,
outbox.json, likes.json, bookmarks.json, the media files at the paths the outbox names, the
avatar and header), Mastodon's CSV files in their exact formats, and Pnyx's manifest; each
post in it is the Note served at its id, with its author's proof, checkable on its own."""

from __future__ import annotations

import csv
import io
import json

import pytest

from pnyx.core.exports import records
from pnyx.core.media_store import store_for
from pnyx.db.tables import media_attachments
from pnyx.federation import data_integrity, identity_proofs, object_proofs
from pnyx.portability import archive
from portability.archives import manifest, parts_of, unzip
from portability.export_world import make_world

PUBLIC = "https://www.w3.org/ns/activitystreams#Public"


@pytest.fixture
def world(client, app, make_user):
    return make_world(client, app.state.db, make_user)


@pytest.fixture
def built(app, world):
    db = app.state.db
    export = db.run_sync(records.request, world.alice.account_id)
    seen: list[tuple[int, int]] = []
    done = archive.build(db, export.id, progress=lambda d, t: seen.append((d, t)))
    assert done is not None and done.state == records.DONE
    return done, seen


def _rows(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8"))))


def test_the_archive_holds_everything_in_mastodons_format(app, world, built):
    db = app.state.db
    export, seen = built
    assert len(export.parts) == 1
    [files] = parts_of(db, export)
    assert seen[-1] == (export.total, export.total) == (10, 10)  # 8 statuses, 2 files

    outbox = json.loads(files["outbox.json"])
    assert outbox["id"] == "outbox.json" and outbox["type"] == "OrderedCollection"
    assert outbox["totalItems"] == len(outbox["orderedItems"]) == 8
    items = outbox["orderedItems"]
    # As Mastodon's, a Create has no @context (the collection's applies; its Note has its own);
    # an Announce is signed as a whole, so it keeps the context its proof covers.
    assert all("@context" not in item for item in items if item["type"] == "Create")
    created = {
        item["object"]["id"].rsplit("/", 1)[-1]: item for item in items if item["type"] == "Create"
    }
    names = {v: k for k, v in world.statuses.items()}
    assert {names[i] for i in created} == {
        "public",
        "unlisted",
        "private",
        "direct",
        "reply",
        "media",
        "poll",
    }
    [announce] = [item for item in items if item["type"] == "Announce"]
    assert world.statuses["boost"] in announce["id"]
    assert announce["object"].endswith("/" + world.statuses["bob"])
    assert announce["actor"].endswith("/users/alice")

    assert created[world.statuses["poll"]]["object"]["type"] == "Question"
    assert created[world.statuses["direct"]]["to"][0].endswith("/users/bob")
    assert PUBLIC in created[world.statuses["unlisted"]]["cc"]
    reply = created[world.statuses["reply"]]["object"]
    assert reply["inReplyTo"] == created[world.statuses["public"]]["object"]["id"]


def test_each_post_is_the_note_as_served_with_a_proof_that_holds(app, world, built):
    db = app.state.db
    export, _ = built
    [files] = parts_of(db, export)
    actor = json.loads(files["actor.json"])
    [method] = actor["assertionMethod"]
    public = data_integrity.public_key_from_multikey(method["publicKeyMultibase"])
    originals = {f["path"]: f["url"] for f in manifest(files)["files"] if "url" in f}
    items = json.loads(files["outbox.json"])["orderedItems"]
    for item in items:
        if item["type"] == "Announce":
            assert data_integrity.verify(item, public)
            continue
        note = item["object"]
        assert note["proof"]["verificationMethod"] == method["id"]
        # Attachment urls are archive paths; the proof was made over the urls as served.
        restored = {
            **note,
            "attachment": [
                {**a, "url": originals.get(a["url"], a["url"])} for a in note["attachment"]
            ],
        }
        if note["attachment"]:
            assert not data_integrity.verify(note, public)
        assert data_integrity.verify(restored, public), note["id"]
        status_id = int(note["id"].rsplit("/", 1)[-1])
        assert restored == db.run_sync(object_proofs.signed_status_document, status_id)
        tampered = {**restored, "content": restored["content"] + "!"}
        assert not data_integrity.verify(tampered, public)


def test_media_files_are_at_the_paths_the_outbox_names(app, world, built):
    db = app.state.db
    export, _ = built
    [files] = parts_of(db, export)
    items = json.loads(files["outbox.json"])["orderedItems"]
    [with_media] = [i for i in items if i["type"] == "Create" and i["object"]["attachment"]]
    attachments = with_media["object"]["attachment"]
    assert [a["name"] for a in attachments] == ["alt of one.jpg", "alt of two.png"]
    store = store_for(db.settings)
    for attachment, media_id in zip(attachments, world.media_ids, strict=True):
        path = attachment["url"]
        assert path.startswith(f"media_attachments/files/{media_id}/original/")
        key = db.run_sync(
            lambda tx, m=media_id: tx.scalar(
                media_attachments.select()
                .with_only_columns(media_attachments.c.file_key)
                .where(media_attachments.c.id == int(m))
            )
        )
        assert files[path] == store.get(key)
    actor = json.loads(files["actor.json"])
    assert actor["icon"]["url"] == "avatar.png" and files["avatar.png"].startswith(b"\x89PNG")
    assert actor["image"]["url"] == "header.jpg" and files["header.jpg"].startswith(b"\xff\xd8")
    assert (actor["outbox"], actor["likes"], actor["bookmarks"]) == (
        "outbox.json",
        "likes.json",
        "bookmarks.json",
    )


def test_likes_bookmarks_and_the_csv_files_are_mastodons(app, world, built):
    db = app.state.db
    export, _ = built
    [files] = parts_of(db, export)
    bob_post = f"https://pnyx.test/users/bob/statuses/{world.statuses['bob']}"
    alice_post = f"https://pnyx.test/users/alice/statuses/{world.statuses['public']}"
    likes = json.loads(files["likes.json"])
    assert (likes["id"], likes["type"], likes["orderedItems"]) == (
        "likes.json",
        "OrderedCollection",
        [bob_post],
    )
    # Newest first, as Mastodon reads them.
    assert json.loads(files["bookmarks.json"])["orderedItems"] == [alice_post, bob_post]
    assert files["following_accounts.csv"].decode() == (
        "Account address,Show boosts,Notify on new posts,Languages\n"
        "carol@remote.example,true,false,\n"
        'bob@pnyx.test,false,true,"fr, en"\n'
    )
    assert files["followers.csv"].decode() == "Account address\nbob@pnyx.test\n"
    assert _rows(files["lists.csv"]) == [
        ["Friends, close", "bob@pnyx.test"],
        ["Friends, close", "carol@remote.example"],
    ]
    assert files["blocked_accounts.csv"].decode() == "dave@pnyx.test\n"
    assert files["muted_accounts.csv"].decode() == (
        "Account address,Hide notifications\nerin@pnyx.test,false\n"
    )
    assert files["blocked_domains.csv"].decode() == "spam.example\n"
    assert files["bookmarks.csv"].decode() == f"{alice_post}\n{bob_post}\n"


def test_the_manifest_names_the_account_the_part_and_its_files(app, world, built):
    db = app.state.db
    export, _ = built
    [files] = parts_of(db, export)
    found = manifest(files)
    assert found["format"] == "pnyx-export" and found["version"] == 1
    assert found["account"] == {"uri": "https://pnyx.test/users/alice", "acct": "alice@pnyx.test"}
    assert (found["part"], found["parts"]) == (1, 1)
    # The FEP-c390 statement: alice's actor and the key her posts are signed with.
    statement = found["identity_proof"]
    assert identity_proofs.verified_subject(statement, "https://pnyx.test/users/alice")
    identity = json.loads(files["identity.json"])
    assert identity["statement"] == statement and identity["subject"] == statement["subject"]
    private = identity_proofs.private_key_from_multikey(identity["secretKeyMultibase"])
    actor = json.loads(files["actor.json"])
    announced = actor["assertionMethod"][0]["publicKeyMultibase"]
    assert data_integrity.multikey(data_integrity.public_key_of(private)) == announced
    assert identity["subject"] == "did:key:" + announced
    listed = {f["path"]: f for f in found["files"]}
    assert set(listed) == set(files) - {"pnyx-export.json"}
    import hashlib

    for path, entry in listed.items():
        assert entry["size"] == len(files[path])
        assert entry["sha256"] == hashlib.sha256(files[path]).hexdigest()
    part = export.parts[0]
    from portability.archives import part_bytes

    data = part_bytes(db, part)
    assert part.size == len(data) and part.sha256 == hashlib.sha256(data).hexdigest()
    assert unzip(data) == files
