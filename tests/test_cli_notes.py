"""`pnyx notes score` and `pnyx notes export`: a run on demand (in its child process, as the
periodic job), and the open data written as X's TSV files."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from pnyx.cli import main
from pnyx.core.notes import data_files
from tests.core.test_notes_scoring_runs import community


@pytest.fixture
def cli(database_url, tmp_path):
    runner = CliRunner()
    env = {
        "PNYX_DATABASE_URL": database_url,
        "PNYX_DOMAIN": "pnyx.test",
        "PNYX_CONFIG": str(tmp_path / "absent.toml"),
    }

    def run(*args: str):
        return runner.invoke(main, ["notes", *args], env=env, catch_exceptions=False)

    return run


def test_score_with_no_note_says_so(cli, db):
    result = cli("score")
    assert result.exit_code == 0, result.output
    assert "No note to score." in result.output


def test_score_and_export(cli, db, tmp_path):
    community(db)
    result = cli("score")
    assert result.exit_code == 0, result.output
    assert "Scored 73 note(s)" in result.output
    assert "CURRENTLY_RATED_NOT_HELPFUL" in result.output

    out = tmp_path / "data"
    result = cli("export", str(out), "--all")
    assert result.exit_code == 0, result.output
    expected = {
        "notes": data_files.NOTE_COLUMNS,
        "ratings": data_files.RATING_COLUMNS,
        "noteStatusHistory": data_files.STATUS_HISTORY_COLUMNS,
        "userEnrollment": data_files.ENROLLMENT_COLUMNS,
        "noteUris": data_files.URI_COLUMNS,
    }
    for kind, columns in expected.items():
        lines = (out / data_files.file_name(kind)).read_text().splitlines()
        assert lines[0].split("\t") == list(columns), kind
        assert all(len(line.split("\t")) == len(columns) for line in lines[1:]), kind
    assert len((out / "notes-00000.tsv").read_text().splitlines()) == 1 + 73
    # Without --all, only what is 48 hours old: the 12 anchor notes (60 to 65 hours) and the
    # partisan ones written 48 and 49 hours ago (4), not the 5-hour-old key note.
    result = cli("export", str(tmp_path / "delayed"))
    assert result.exit_code == 0, result.output
    delayed = (tmp_path / "delayed" / "notes-00000.tsv").read_text().splitlines()
    assert len(delayed) == 1 + 16


def test_export_to_a_file_path_is_a_clear_error(cli, db, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    result = cli("export", str(blocker / "inside"))
    assert result.exit_code != 0
    assert "Cannot write to" in result.output
