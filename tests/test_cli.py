"""`pnyx user ...`: each command's effect, seen through the database and the API, and its
errors: a clear message and a non-zero exit, never a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

import factories
from pnyx.cli import main
from pnyx.core import accounts as core_accounts
from pnyx.core import staff
from pnyx.db.tables import moderation_log, users
from pnyx.jobs.queue import enqueue

PASSWORD = "correct horse battery"


@pytest.fixture
def cli(database_url, tmp_path):
    """Run `pnyx ...` in-process against the test database."""
    runner = CliRunner()
    env = {
        "PNYX_DATABASE_URL": database_url,
        "PNYX_DOMAIN": "pnyx.test",
        "PNYX_CONFIG": str(tmp_path / "absent.toml"),
    }

    def run(*args: str):
        return runner.invoke(main, ["user", *args], env=env, catch_exceptions=False)

    return run


def _user(db, name: str):
    def work(tx):
        account = core_accounts.find_local(tx, name)
        if account is None:
            return None, None
        return account, tx.one_or_none(sa.select(users).where(users.c.account_id == account.id))

    return db.run_sync(work)


def test_create_and_list(cli, db):
    r = cli("create", "alice", "--email", "alice@example.com", "--password", PASSWORD)
    assert r.exit_code == 0, r.output
    assert "Created @alice" in r.output
    r = cli("create", "root_admin", "--email", "ra@example.com", "--password", PASSWORD, "--admin")
    assert r.exit_code == 0, r.output
    r = cli("create", "mod", "--email", "mod@example.com", "--password", PASSWORD, "--moderator")
    assert r.exit_code == 0, r.output
    account, user = _user(db, "root_admin")
    assert user.role == "admin" and user.approved
    assert _user(db, "mod")[1].role == "moderator"
    assert db.run_sync(core_accounts.authenticate, "alice", PASSWORD) is not None

    r = cli("list")
    assert r.exit_code == 0
    lines = r.output.splitlines()
    assert lines[0].split() == ["USERNAME", "EMAIL", "ROLE", "STATUS", "CREATED"]
    rows = {line.split()[0]: line.split() for line in lines[1:]}
    assert rows["alice"][1:4] == ["alice@example.com", "user", "active"]
    assert rows["root_admin"][2] == "admin"


def test_list_when_empty(cli):
    r = cli("list")
    assert r.exit_code == 0
    assert "No users yet" in r.output


def test_create_errors(cli):
    assert cli("create", "alice", "--email", "a@example.com", "--password", PASSWORD).exit_code == 0
    cases = [
        (("create", "alice", "--email", "b@example.com", "--password", PASSWORD), "taken"),
        (("create", "bob", "--email", "a@example.com", "--password", PASSWORD), "taken"),
        (("create", "bob", "--email", "b@example.com", "--password", "short"), "too short"),
        (("create", "bad name", "--email", "c@example.com", "--password", PASSWORD), "Username"),
        (("create", "carol", "--email", "nope", "--password", PASSWORD), "Email"),
    ]
    for args, expected in cases:
        r = cli(*args)
        assert r.exit_code != 0, args
        assert expected in r.output, r.output
        assert "Traceback" not in r.output
    r = cli("create", "dave", "--password", PASSWORD)
    assert r.exit_code == 2
    assert "--email" in r.output


def test_unknown_user_errors(cli):
    for args in (
        ("suspend", "ghost"),
        ("unsuspend", "ghost"),
        ("approve", "ghost"),
        ("promote", "ghost", "--role", "admin"),
        ("reset-password", "ghost"),
    ):
        r = cli(*args)
        assert r.exit_code != 0, args
        assert "No local user named 'ghost'" in r.output
        assert "Traceback" not in r.output


def test_suspend_and_unsuspend(cli, client, make_user, db):
    alice = make_user("alice")
    factories.rule(db, "Be kind")
    factories.rule(db, "No spam")
    r = cli("suspend", "@alice", "--reason", "spam", "--rule", "2")
    assert r.exit_code == 0, r.output
    account, _ = _user(db, "alice")
    assert account.suspended_at is not None
    assert account.suspension_reason == "spam"
    assert (
        client.get("/api/v1/accounts/verify_credentials", headers=alice.headers).status_code == 401
    )
    assert "suspended" in cli("list").output

    assert cli("unsuspend", "alice", "--reason", "appeal heard").exit_code == 0
    assert _user(db, "alice")[0].suspended_at is None
    assert [(e.action, e.reason) for e in db.run_sync(staff.recent_actions, 2)] == [
        ("unsuspend", "appeal heard"),
        ("suspend", "spam"),
    ]
    assert db.run_sync(core_accounts.authenticate, "alice", PASSWORD) is not None
    cited = db.run_sync(
        lambda tx: tx.scalar(
            sa.select(moderation_log.c.rule_text).where(moderation_log.c.action == "suspend")
        )
    )
    assert cited == "No spam"  # the second rule, as /about lists them


def test_suspend_needs_a_reason_and_a_rule(cli, client, make_user, db):
    """The README says `suspend` requires a reason: without one (or with only spaces) the
    command says what to do, exits non-zero, and nothing changes or is logged."""
    dave = make_user("dave")
    r = cli("suspend", "dave", "--reason", "spam", "--rule", "1")
    assert r.exit_code != 0 and "no rules yet" in r.output, r.output
    factories.rule(db, "No spam")
    for args in (("suspend", "dave"), ("suspend", "dave", "--reason", "   ", "--rule", "1")):
        r = cli(*args)
        assert r.exit_code != 0, r.output
        assert '--reason "..."' in r.output and "Traceback" not in r.output
    r = cli("suspend", "dave", "--reason", "spam")
    assert r.exit_code != 0 and "--rule N" in r.output and "Traceback" not in r.output
    r = cli("suspend", "dave", "--reason", "spam", "--rule", "3")
    assert r.exit_code != 0 and "There is no rule 3" in r.output
    assert _user(db, "dave")[0].suspended_at is None
    assert db.run_sync(staff.recent_actions) == []
    assert (
        client.get("/api/v1/accounts/verify_credentials", headers=dave.headers).status_code == 200
    )


def test_promote(cli, make_user, db):
    make_user("alice")
    r = cli("promote", "alice", "--role", "moderator")
    assert r.exit_code == 0, r.output
    assert _user(db, "alice")[1].role == "moderator"
    assert cli("promote", "alice", "--role", "user").exit_code == 0
    assert _user(db, "alice")[1].role == "user"
    r = cli("promote", "alice", "--role", "king")
    assert r.exit_code == 2
    assert "king" in r.output


def test_approve(cli, db):
    db.run_sync(
        lambda tx: core_accounts.create_local(
            tx, "pending", "p@example.com", PASSWORD, approved=False
        )
    )
    assert "pending" in cli("list").output.split("\n")[1]
    r = cli("approve", "pending")
    assert r.exit_code == 0, r.output
    assert _user(db, "pending")[1].approved is True


def test_reset_password_generates_one_and_revokes_tokens(cli, client, make_user, db):
    alice = make_user("alice")
    r = cli("reset-password", "alice")
    assert r.exit_code == 0, r.output
    new_password = r.output.strip().rsplit(" ", 1)[-1]
    assert len(new_password) >= 12
    assert db.run_sync(core_accounts.authenticate, "alice", new_password) is not None
    assert db.run_sync(core_accounts.authenticate, "alice", PASSWORD) is None
    assert (
        client.get("/api/v1/accounts/verify_credentials", headers=alice.headers).status_code == 401
    )

    r = cli("reset-password", "alice", "--password", "chosen password 2")
    assert r.exit_code == 0
    assert "chosen password 2" not in r.output
    assert db.run_sync(core_accounts.authenticate, "alice", "chosen password 2") is not None
    r = cli("reset-password", "alice", "--password", "short")
    assert r.exit_code != 0
    assert "too short" in r.output


def _pnyx() -> str:
    beside = Path(sys.executable).parent / "pnyx"
    return str(beside if beside.exists() else Path(__file__).parent.parent / ".venv/bin/pnyx")


def test_real_subprocess(tmp_path):
    """The installed console script, on a fresh SQLite file it migrates itself."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PNYX_")}
    env.update(
        PNYX_DATABASE_URL=f"sqlite:///{tmp_path / 'cli.sqlite3'}",
        PNYX_DOMAIN="pnyx.test",
        PNYX_CONFIG=str(tmp_path / "absent.toml"),
    )

    def pnyx(*args):
        return subprocess.run(
            [_pnyx(), "user", *args],
            env=env,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=120,
        )

    r = pnyx("create", "admin_ann", "--email", "ann@example.com", "--password", PASSWORD, "--admin")
    assert r.returncode == 0, r.stderr
    assert "Created @admin_ann (admin)" in r.stdout
    r = pnyx("list")
    assert r.returncode == 0
    assert "admin_ann" in r.stdout and "admin" in r.stdout
    r = pnyx("create", "admin_ann", "--email", "x@example.com", "--password", PASSWORD)
    assert r.returncode != 0
    assert "Username has already been taken" in r.stderr
    assert "Traceback" not in r.stderr
    r = pnyx("suspend", "nobody")
    assert r.returncode != 0
    assert "No local user named 'nobody'" in r.stderr
    assert "Traceback" not in r.stderr


def test_migrate_and_worker_once(tmp_path):
    """`pnyx migrate` builds the schema once; `pnyx worker --once` runs the jobs that are due."""
    from pnyx.config import Settings
    from pnyx.db.engine import Database

    url = f"sqlite:///{tmp_path / 'ops.sqlite3'}"
    env = {
        "PNYX_DATABASE_URL": url,
        "PNYX_DOMAIN": "pnyx.test",
        "PNYX_CONFIG": str(tmp_path / "absent.toml"),
    }
    runner = CliRunner()
    first = runner.invoke(main, ["migrate"], env=env, catch_exceptions=False)
    from pnyx.db.migrate import MIGRATIONS_DIR

    expected = len(list((MIGRATIONS_DIR / "versions").glob("0*.py")))
    assert first.exit_code == 0 and f"Applied {expected} migration(s)." in first.output
    again = runner.invoke(main, ["migrate"], env=env, catch_exceptions=False)
    assert "Database is up to date." in again.output

    db = Database(Settings(database_url=url))
    # A poll that was deleted before its closing job ran: the job finishes without effect.
    db.run_sync(lambda tx: enqueue(tx, "poll.close", {"poll_id": 12345}))
    db.dispose()
    ran = runner.invoke(main, ["worker", "--once"], env=env, catch_exceptions=False)
    assert ran.exit_code == 0 and "Ran 1 job(s)." in ran.output
    idle = runner.invoke(main, ["worker", "--once"], env=env, catch_exceptions=False)
    assert "Ran 0 job(s)." in idle.output


def test_worker_runs_several_job_threads_and_stops_on_ctrl_c(tmp_path):
    """`pnyx worker --threads 3` says how many threads it runs, runs due jobs, and Ctrl-C
    (SIGINT) stops it cleanly."""
    import signal
    import time

    from pnyx.config import Settings
    from pnyx.db.engine import Database
    from pnyx.db.tables import jobs
    from server import pnyx_executable

    url = f"sqlite:///{tmp_path / 'worker.sqlite3'}"
    env = {
        **os.environ,
        "PNYX_DATABASE_URL": url,
        "PNYX_DOMAIN": "pnyx.test",
        "PNYX_CONFIG": str(tmp_path / "absent.toml"),
    }
    assert CliRunner().invoke(main, ["migrate"], env=env, catch_exceptions=False).exit_code == 0
    db = Database(Settings(database_url=url))
    db.run_sync(lambda tx: [enqueue(tx, "poll.close", {"poll_id": n}) for n in range(5)])
    process = subprocess.Popen(
        [pnyx_executable(), "worker", "--threads", "3"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert "Worker running with 3 job thread(s)" in process.stdout.readline()
        for _ in range(100):  # bounded: up to 20 s on a busy machine
            left = db.run_sync(  # the periodic media.prune stays, scheduled for the next hour
                lambda tx: tx.scalar(
                    sa.select(sa.func.count()).select_from(jobs).where(jobs.c.kind == "poll.close")
                )
            )
            if left == 0:
                break
            time.sleep(0.2)
        assert left == 0
        process.send_signal(signal.SIGINT)
        code = process.wait(timeout=20)
        assert code in (0, 130), process.stdout.read()
    finally:
        if process.poll() is None:
            process.kill()
        db.dispose()
