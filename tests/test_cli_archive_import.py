"""`pnyx import archive USERNAME ZIP [ZIP...]`: an archive's posts imported from the command
line with a progress bar, what was skipped said; an unknown user, a missing file and a
refused archive say why, without a traceback."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from mastodon_archive import make_zip
from pnyx.cli import main
from pnyx.core import accounts as core_accounts
from pnyx.db.tables import imported_statuses


@pytest.fixture
def cli(database_url, tmp_path):
    runner = CliRunner()
    env = {
        "PNYX_DATABASE_URL": database_url,
        "PNYX_DOMAIN": "pnyx.test",
        "PNYX_DATA_DIR": str(tmp_path),
        "PNYX_CONFIG": str(tmp_path / "absent.toml"),
    }

    def run(*args: str):
        return runner.invoke(main, ["import", "archive", *args], env=env, catch_exceptions=False)

    return run


def test_an_archive_is_imported_with_a_progress_bar(cli, db, tmp_path):
    db.run_sync(
        lambda tx: core_accounts.create_local(tx, "alice", "a@example.com", "correct horse")
    )
    result = cli("alice", str(make_zip(tmp_path / "archive.zip")))
    assert result.exit_code == 0, result.output
    assert "Importing posts into @alice" in result.output
    assert "Imported 12 post(s) of 14 item(s) into @alice; 2 skipped, 0 failed." in result.output
    assert "skipped (boost): 1" in result.output and "skipped (direct): 1" in result.output
    count = db.run_sync(
        lambda tx: tx.scalar(sa.select(sa.func.count()).select_from(imported_statuses))
    )
    assert count == 12
    again = cli("alice", str(make_zip(tmp_path / "again.zip")))
    assert "Imported 0 post(s) of 14 item(s)" in again.output
    assert "skipped (already_imported): 12" in again.output


def test_mistakes_say_what_is_wrong(cli, db, tmp_path):
    archive = str(make_zip(tmp_path / "archive.zip"))
    unknown = cli("nobody", archive)
    assert unknown.exit_code == 1 and "No local account @nobody" in unknown.output
    db.run_sync(
        lambda tx: core_accounts.create_local(tx, "alice", "a@example.com", "correct horse")
    )
    missing = cli("alice", str(tmp_path / "absent.zip"))
    assert missing.exit_code == 1 and "no such file" in missing.output
    text = tmp_path / "notes.zip"
    text.write_text("no zip")
    refused = cli("alice", str(text))
    assert refused.exit_code == 1
    assert "Archive refused: the file is not a zip archive" in refused.output
    assert "Traceback" not in refused.output
