"""The `export.build` job survives its worker's death: a worker killed mid-way (SIGKILL, in a
process of its own) leaves the export running and the job leased; once the lease runs out the
job is claimed again, the build starts over and completes, and parts the dead attempt stored
beyond the new last one are removed."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

import factories
from images import png
from pnyx import registry
from pnyx.core.exports import records
from pnyx.core.media_store import store_for
from pnyx.db.engine import Database
from pnyx.db.tables import jobs
from pnyx.portability import archive
from portability.archives import manifest, parts_of

# The worker that dies: it claims the job as any worker does, builds, and is killed (SIGKILL,
# nothing runs after it) by its own progress report once `KILL_AT` items are written.
DOOMED = """
import os, signal, sys
from pnyx import registry  # installs the media store
from pnyx.config import load_settings
from pnyx.db.engine import Database
from pnyx.jobs import queue
from pnyx.portability import archive

kill_at, part_bytes = int(sys.argv[1]), int(sys.argv[2]) or None
db = Database(load_settings())
[job] = db.run_sync(lambda tx: queue.claim(tx, "doomed-worker", kinds=["export.build"]))

def progress(done, total):
    if done >= kill_at:
        os.kill(os.getpid(), signal.SIGKILL)

archive.build(db, job.payload["export_id"], progress=progress, part_bytes=part_bytes)
print("not killed")
"""


# Enough posts that the build reports its progress before the end (every PROGRESS_EVERY).
POSTS = 500


@pytest.fixture
def short_leases(settings):
    """A one-second lease: a dead worker's job is claimed again a second later."""
    return settings.with_overrides(job_lease_seconds=1)


@pytest.fixture
def workers_db(short_leases):
    """The database as the surviving workers see it (their leases are short too)."""
    database = Database(short_leases)
    yield database
    database.dispose()


def _die_mid_build(settings, kill_at: int, part_bytes: int = 0) -> None:
    env = {
        **os.environ,
        "PNYX_DATABASE_URL": settings.database_url,
        "PNYX_DATA_DIR": settings.data_dir,
        "PNYX_DOMAIN": settings.domain,
        "PNYX_SCHEME": settings.scheme,
        "PNYX_JOB_LEASE_SECONDS": "1",
        "PNYX_CONFIG": str(Path(settings.data_dir) / "absent.toml"),
    }
    child = subprocess.run(
        [sys.executable, "-c", DOOMED, str(kill_at), str(part_bytes)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert child.returncode == -signal.SIGKILL, child.stdout + child.stderr


def _retry_until_done(db, export_id: int) -> records.Export:
    """Run due jobs as a worker would until the export is built: the dead worker's lease
    runs out within a second; bounded, so a job never claimed again fails the test."""
    for _ in range(300):
        registry.drain(db)
        export = db.run_sync(records.get, export_id)
        if export.state == records.DONE:
            return export
        time.sleep(0.1)
    pytest.fail(f"the export was not rebuilt: {export}")


def _job(db, export_id: int):
    return db.run_sync(
        lambda tx: tx.one_or_none(
            sa.select(jobs).where(jobs.c.unique_key == f"export.build:{export_id}")
        )
    )


def test_a_worker_killed_mid_way_leaves_the_job_to_be_retried(
    app, short_leases, workers_db, make_user
):
    db = app.state.db
    alice = make_user("alice")
    for index in range(POSTS):
        factories.status(db, alice.account_id, f"post {index}")
    export = db.run_sync(records.request, alice.account_id)
    _die_mid_build(short_leases, kill_at=archive.PROGRESS_EVERY)
    halfway = db.run_sync(records.get, export.id)
    assert halfway.state == records.RUNNING and halfway.attempts == 1
    assert 0 < halfway.done < halfway.total == POSTS  # the progress it wrote before dying
    job = _job(db, export.id)
    assert job.locked_by == "doomed-worker" and job.attempts == 1 and job.failed_at is None

    built = _retry_until_done(workers_db, export.id)
    assert built.attempts == 2 and (built.done, built.total) == (POSTS, POSTS)
    [files] = parts_of(db, built)
    assert len(json.loads(files["outbox.json"])["orderedItems"]) == POSTS
    assert _job(db, export.id) is None  # done with


def test_a_rebuild_overwrites_the_parts_and_removes_those_left_over(
    app, client, short_leases, workers_db, make_user
):
    db = app.state.db
    alice = make_user("alice")
    media_ids = []
    for index in range(3):
        media = client.post(
            "/api/v1/media",
            files={"file": (f"{index}.png", png(30 + index, 20), "image/png")},
            headers=alice.headers,
        ).json()
        media_ids.append(media["id"])
    client.post(
        "/api/v1/statuses", json={"status": "three", "media_ids": media_ids}, headers=alice.headers
    )
    export = db.run_sync(records.request, alice.account_id)
    # The dead attempt splits the archive into a part per file (a limit of one byte) and is
    # killed at its last progress report: every part stored, the export not finished.
    _die_mid_build(short_leases, kill_at=4, part_bytes=1)
    dead = db.run_sync(records.get, export.id)
    assert dead.state == records.RUNNING and [p.number for p in dead.parts] == [1, 2, 3, 4]
    store = store_for(db.settings)
    left_over = [p.key for p in dead.parts[1:]]
    assert all(store.get(key) is not None for key in left_over)

    built = _retry_until_done(workers_db, export.id)  # 512 MB parts: one
    assert [p.number for p in built.parts] == [1]
    assert built.parts[0].key == dead.parts[0].key  # written again under the same key
    assert all(store.get(key) is None for key in left_over)
    [files] = parts_of(db, built)
    assert (manifest(files)["part"], manifest(files)["parts"]) == (1, 1)
    assert len([n for n in files if n.startswith("media_attachments/")]) == 3
