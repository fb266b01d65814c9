"""`pnyx import csv USERNAME FILE --type ... [--mode ...]`: Mastodon's files imported from the
command line with a progress bar, the failed rows listed; an unknown user, a missing or bad
file and a wrong type say what to do, without a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from pnyx.cli import main
from pnyx.core import accounts as core_accounts
from pnyx.core import follows as core_follows
from pnyx.db.tables import account_imports, follows

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "mastodon_csv"


@pytest.fixture
def cli(database_url, tmp_path):
    runner = CliRunner()
    env = {
        "PNYX_DATABASE_URL": database_url,
        "PNYX_DOMAIN": "pnyx.test",
        "PNYX_CONFIG": str(tmp_path / "absent.toml"),
    }

    def run(*args: str):
        return runner.invoke(main, ["import", *args], env=env, catch_exceptions=False)

    return run


@pytest.fixture
def people(db):
    def make(tx, name):
        return core_accounts.create_local(tx, name, f"{name}@example.com", "correct horse")[0]

    return {name: db.run_sync(make, name) for name in ("me", "bob", "carol")}


def _followed(db, account_id: int) -> set[int]:
    query = sa.select(follows.c.target_account_id).where(follows.c.account_id == account_id)
    return set(db.run_sync(lambda tx: tx.scalars(query)))


def test_a_following_file_is_imported_with_a_progress_bar_and_its_failures(
    cli, db, people, tmp_path
):
    db.run_sync(core_follows.follow, people["me"], people["carol"])
    path = tmp_path / "following_accounts.csv"
    path.write_text(
        "Account address,Show boosts,Notify on new posts,Languages\nbob@pnyx.test,true,true,\nghost@pnyx.test,true,false,\n"
    )
    result = cli("csv", "me", str(path), "--type", "following", "--mode", "overwrite")
    assert result.exit_code == 0, result.output
    assert "Importing following (overwrite)" in result.output
    assert "Imported 1 of 2 row(s) into @me; 1 failed." in result.output
    assert "  row 3: ghost@pnyx.test: Account not found" in result.output
    assert _followed(db, people["me"]) == {people["bob"]}  # overwrite: carol unfollowed
    state = db.run_sync(lambda tx: tx.scalar(sa.select(account_imports.c.state)))
    assert state == "finished"


def test_mastodon_s_domain_blocks_file(cli, db, people):
    result = cli("csv", "@me", str(FIXTURES / "blocked_domains.csv"), "--type", "domain_blocking")
    assert result.exit_code == 0, result.output
    assert "Imported 2 of 2 row(s) into @me; 0 failed." in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nobody", str(FIXTURES / "blocked_domains.csv"), "--type", "domain_blocking"],
         "No local account @nobody (see: pnyx user list)"),
        (["me", "/no/such/file.csv", "--type", "blocking"], "Cannot read /no/such/file.csv: No such file or directory"),
        (["me", str(FIXTURES / "following_accounts.csv"), "--type", "domain_blocking"],
         "File is incompatible with the selected import type: a domain_blocking file has the columns #domain. "
         "Check --type: it must say what the file holds."),
    ],
)  # fmt: skip
def test_mistakes_say_what_to_do(cli, people, args, message):
    result = cli("csv", *args)
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert (
        f"Error: {message}" in result.output.replace("\n", " ").replace("  ", " ")
        or message in result.output
    )


def test_a_binary_file_and_an_unknown_type(cli, people, tmp_path):
    path = tmp_path / "photo.jpg"
    path.write_bytes(b"\xff\xd8\xff\xe0\x00\x10JFIF")
    result = cli("csv", "me", str(path), "--type", "blocking")
    assert result.exit_code == 1
    assert (
        "File is not a CSV file: it holds binary data. Use the file the old server exported"
        in result.output
    )
    wrong = cli("csv", "me", str(path), "--type", "filters")
    assert wrong.exit_code == 2 and "Invalid value for '--type'" in wrong.output
