"""`pnyx worker --queues`: a worker process serving some queues only, e.g. deliveries apart
from the processing of what other servers send."""

from __future__ import annotations

import sqlalchemy as sa
from click.testing import CliRunner

from pnyx.cli import main
from pnyx.config import Settings
from pnyx.db.engine import Database
from pnyx.db.tables import jobs
from pnyx.jobs.queue import enqueue


def _env(tmp_path) -> dict[str, str]:
    return {
        "PNYX_DATABASE_URL": f"sqlite:///{tmp_path / 'queues.sqlite3'}",
        "PNYX_DOMAIN": "pnyx.test",
        "PNYX_CONFIG": str(tmp_path / "absent.toml"),
    }


def test_worker_runs_only_the_queues_it_is_given(tmp_path):
    env = _env(tmp_path)
    runner = CliRunner()
    assert runner.invoke(main, ["migrate"], env=env, catch_exceptions=False).exit_code == 0
    db = Database(Settings(database_url=env["PNYX_DATABASE_URL"]))
    try:

        def work(tx):
            enqueue(tx, "deliver", {"inbox": "https://far.example/inbox", "account_id": 1})
            enqueue(tx, "poll.close", {"poll_id": 12345})  # default queue
            enqueue(tx, "mentions.resolve", {"status_id": 1, "uris": []})  # inbox queue

        db.run_sync(work)
        ran = runner.invoke(
            main, ["worker", "--once", "--queues", "inbox,default"], env=env, catch_exceptions=False
        )
        assert ran.exit_code == 0 and "Ran 2 job(s)." in ran.output
        left = db.run_sync(lambda tx: tx.rows(sa.select(jobs.c.kind, jobs.c.attempts)))
        assert [tuple(row) for row in left] == [("deliver", 0)]
    finally:
        db.dispose()


def test_an_unknown_queue_is_a_usage_error(tmp_path):
    result = CliRunner().invoke(
        main, ["worker", "--once", "--queues", "inbox,outbox"], env=_env(tmp_path)
    )
    assert result.exit_code == 2
    assert "outbox" in result.output and "Traceback" not in result.output
