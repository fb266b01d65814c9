"""`pnyx export USERNAME --out DIR`: the archive built now, with a progress bar, its parts
written to DIR (and kept for the export page); mistakes say what to do."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile

import pytest
from click.testing import CliRunner

from images import png
from pnyx.cli import main
from pnyx.core.exports import records


@pytest.fixture
def cli(database_url, tmp_path):
    runner = CliRunner()
    env = {
        "PNYX_DATABASE_URL": database_url,
        "PNYX_DOMAIN": "pnyx.test",
        "PNYX_DATA_DIR": str(tmp_path),  # the app's: the same media store
        "PNYX_CONFIG": str(tmp_path / "absent.toml"),
    }

    def run(*args: str):
        return runner.invoke(main, ["export", *args], env=env, catch_exceptions=False)

    return run


def test_an_export_is_written_to_the_folder(cli, client, make_user, tmp_path):
    alice = make_user("alice")
    media = client.post(
        "/api/v1/media", files={"file": ("a.png", png(), "image/png")}, headers=alice.headers
    ).json()
    client.post(
        "/api/v1/statuses",
        json={"status": "packed", "media_ids": [media["id"]]},
        headers=alice.headers,
    )
    out = tmp_path / "out"
    result = cli("@alice", "--out", str(out))
    assert result.exit_code == 0, result.output
    assert "Exporting @alice: 1 post(s) and boost(s), 1 file(s)." in result.output
    assert "Writing the archive" in result.output  # the progress bar
    [written] = sorted(out.iterdir())
    assert written.name.startswith("pnyx-export-alice-") and written.name.endswith("-part-1.zip")
    data = written.read_bytes()
    assert hashlib.sha256(data).hexdigest() in result.output
    files = zipfile.ZipFile(io.BytesIO(data))
    outbox = json.loads(files.read("outbox.json"))
    [item] = outbox["orderedItems"]
    path = item["object"]["attachment"][0]["url"]
    assert path.startswith(f"media_attachments/files/{media['id']}/original/")
    assert files.read(path) == client.get(media["url"]).content
    # The person finds it on their export page too, done.
    [shown] = client.get("/api/v1/pnyx/exports", headers=alice.headers).json()
    assert shown["state"] == "done" and len(shown["parts"]) == 1


def test_mistakes_say_what_to_do(cli, client, make_user, tmp_path):
    unknown = cli("nobody", "--out", str(tmp_path / "out"))
    assert unknown.exit_code != 0
    assert "No local user named 'nobody'. `pnyx user list` shows the users" in unknown.output
    alice = make_user("alice")
    assert client.post("/api/v1/pnyx/exports", headers=alice.headers).status_code == 202
    busy = cli("alice", "--out", str(tmp_path / "out"))
    assert busy.exit_code != 0
    assert "An export of @alice is already being prepared" in busy.output
    assert "Traceback" not in unknown.output + busy.output


def test_a_run_that_fails_does_not_block_the_next(cli, make_user, tmp_path, db):
    alice = make_user("alice")
    not_a_folder = tmp_path / "out-file"
    not_a_folder.write_text("a file where the folder should be")
    refused = cli("alice", "--out", str(not_a_folder))
    assert refused.exit_code != 0 and "Traceback" not in refused.output
    assert db.run_sync(records.list_own, alice.account_id) == []  # refused before asking
    # The media store cannot take the part (a file where its folder goes): the run fails,
    # says why, and the export is failed at once rather than left running.
    (tmp_path / "media").mkdir(exist_ok=True)
    (tmp_path / "media" / "exports").write_text("in the way")
    failed = cli("alice", "--out", str(tmp_path / "out"))
    assert failed.exit_code != 0 and "The export failed:" in failed.output
    assert "Traceback" not in failed.output
    (tmp_path / "media" / "exports").unlink()
    assert cli("alice", "--out", str(tmp_path / "out")).exit_code == 0
    states = [e.state for e in db.run_sync(records.list_own, alice.account_id)]
    assert states == [records.DONE, records.FAILED]
