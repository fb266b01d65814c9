"""The export API (`/api/v1/pnyx/exports`): ask, follow the progress, download the parts,
and nothing of anyone else's; one unfinished export at a time; parts expire; the CSV files
are downloadable on their own."""

from __future__ import annotations

import hashlib
import io
import zipfile
from datetime import timedelta

import sqlalchemy as sa

from pnyx.core.exports import records
from pnyx.core.media_store import store_for
from pnyx.db.tables import account_exports
from pnyx.portability import archive


def _built(client, app, user) -> dict:
    asked = client.post("/api/v1/pnyx/exports", headers=user.headers)
    assert asked.status_code == 202, asked.text
    archive.build(app.state.db, int(asked.json()["id"]))
    shown = client.get(f"/api/v1/pnyx/exports/{asked.json()['id']}", headers=user.headers)
    assert shown.status_code == 200
    return shown.json()


def test_ask_follow_and_download(client, app, make_user):
    alice = make_user("alice")
    client.post("/api/v1/statuses", json={"status": "in the archive"}, headers=alice.headers)
    asked = client.post("/api/v1/pnyx/exports", headers=alice.headers)
    assert asked.status_code == 202
    entity = asked.json()
    assert entity["state"] == "queued" and entity["parts"] == []
    assert entity["progress"] == {"done": 0, "total": 0}
    assert set(entity) == {
        "id", "state", "progress", "created_at", "finished_at", "expires_at", "parts"
    }  # fmt: skip
    # One unfinished export at a time: Mastodon's 422 with its reason.
    again = client.post("/api/v1/pnyx/exports", headers=alice.headers)
    assert again.status_code == 422
    assert again.json() == {"error": f"Validation failed: {records.ALREADY_RUNNING}"}

    archive.build(app.state.db, int(entity["id"]))
    done = client.get(f"/api/v1/pnyx/exports/{entity['id']}", headers=alice.headers).json()
    assert done["state"] == "done" and done["progress"] == {"done": 1, "total": 1}
    assert done["finished_at"] and done["expires_at"] > done["finished_at"]
    [part] = done["parts"]
    assert part["number"] == 1
    assert part["url"] == f"https://pnyx.test/api/v1/pnyx/exports/{entity['id']}/parts/1"
    listed = client.get("/api/v1/pnyx/exports", headers=alice.headers).json()
    assert [e["id"] for e in listed] == [entity["id"]]

    download = client.get(part["url"], headers=alice.headers)
    assert download.status_code == 200
    assert download.headers["content-type"] == "application/zip"
    assert download.headers["content-disposition"].startswith(
        'attachment; filename="pnyx-export-alice-'
    )
    assert len(download.content) == part["size"] == int(download.headers["content-length"])
    names = zipfile.ZipFile(io.BytesIO(download.content)).namelist()
    assert "outbox.json" in names and "pnyx-export.json" in names
    # Done, a new one may be asked for.
    assert client.post("/api/v1/pnyx/exports", headers=alice.headers).status_code == 202


def test_someone_elses_export_is_not_found(client, app, make_user):
    alice, mallory = make_user("alice"), make_user("mallory")
    done = _built(client, app, alice)
    url = done["parts"][0]["url"]
    for path in (f"/api/v1/pnyx/exports/{done['id']}", url):
        answer = client.get(path, headers=mallory.headers)
        assert answer.status_code == 404 and answer.json() == {"error": "Record not found"}
        assert client.get(path).status_code == 401
    assert client.get("/api/v1/pnyx/exports", headers=mallory.headers).json() == []
    assert client.get(url.replace("/parts/1", "/parts/2"), headers=alice.headers).status_code == 404
    # Reading needs `read`; asking needs `write:accounts`.
    writer = make_user("writer", scopes="write")
    assert client.get("/api/v1/pnyx/exports", headers=writer.headers).status_code == 403
    reader = make_user("reader", scopes="read")
    assert client.post("/api/v1/pnyx/exports", headers=reader.headers).status_code == 403


def test_parts_expire_then_their_files_go(client, app, make_user):
    db = app.state.db
    alice = make_user("alice")
    done = _built(client, app, alice)
    export = db.run_sync(records.get, int(done["id"]))
    store = store_for(db.settings)
    assert store.get(export.parts[0].key) is not None
    db.run_sync(
        lambda tx: tx.execute(
            account_exports.update()
            .where(account_exports.c.id == export.id)
            .values(expires_at=tx.now - timedelta(seconds=1))
        )
    )
    shown = client.get(f"/api/v1/pnyx/exports/{done['id']}", headers=alice.headers).json()
    assert shown["state"] == "expired" and shown["parts"] == []
    gone = client.get(done["parts"][0]["url"], headers=alice.headers)
    assert gone.status_code == 410 and gone.json() == {"error": "This export has expired"}
    # The periodic sweep removes the files and says so in the row.
    assert records.sweep(db) == 1
    assert store.get(export.parts[0].key) is None
    state = db.run_sync(
        lambda tx: tx.scalar(
            sa.select(account_exports.c.state).where(account_exports.c.id == export.id)
        )
    )
    assert state == "expired"
    assert client.get(done["parts"][0]["url"], headers=alice.headers).status_code == 410


def test_csv_files_download_on_their_own(client, app, make_user):
    alice, bob = make_user("alice"), make_user("bob")
    client.post(
        f"/api/v1/accounts/{bob.account_id}/follow",
        json={"languages": ["de"]},
        headers=alice.headers,
    )
    client.post(f"/api/v1/accounts/{alice.account_id}/follow", headers=bob.headers)
    expected = {
        "following": "Account address,Show boosts,Notify on new posts,Languages\n"
        "bob@pnyx.test,true,false,de\n",
        "followers": "Account address\nbob@pnyx.test\n",
        "lists": "",
        "blocks": "",
        "mutes": "Account address,Hide notifications\n",
        "domain_blocks": "",
        "bookmarks": "",
    }
    for kind, body in expected.items():
        answer = client.get(f"/api/v1/pnyx/exports/csv/{kind}.csv", headers=alice.headers)
        assert answer.status_code == 200, kind
        assert answer.headers["content-type"] == "text/csv; charset=utf-8"
        assert answer.text == body, kind
        assert "attachment" in answer.headers["content-disposition"]
    assert client.get("/api/v1/pnyx/exports/csv/following.csv").status_code == 401
    unknown = client.get("/api/v1/pnyx/exports/csv/passwords.csv", headers=alice.headers)
    assert unknown.status_code == 404 and unknown.json() == {"error": "Record not found"}


def test_the_part_as_downloaded_is_the_part_recorded(client, app, make_user):
    alice = make_user("alice")
    done = _built(client, app, alice)
    export = app.state.db.run_sync(records.get, int(done["id"]))
    data = client.get(done["parts"][0]["url"], headers=alice.headers).content
    assert hashlib.sha256(data).hexdigest() == export.parts[0].sha256
