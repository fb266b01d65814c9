"""The served processes fix glibc's mmap threshold, so that an image's buffers are given back
once it is processed (see pnyx.process_memory and the media benchmark)."""

from __future__ import annotations

import ctypes.util
import platform
from pathlib import Path

import pytest

from pnyx.process_memory import return_large_buffers


@pytest.mark.skipif(
    platform.system() != "Linux"
    or platform.libc_ver()[0] != "glibc"
    or not ctypes.util.find_library("c"),
    reason="mallopt is glibc's",
)
def test_the_threshold_is_set_on_glibc():
    assert return_large_buffers() is True


def test_the_server_loads_no_heavy_library_before_it_needs_one():
    """PyAV (FFmpeg's libraries, ~22 MB) and boto3 (S3) are imported on first use, so that an
    idle `pnyx serve` stays small (BENCHMARKS.md, media benchmark: idle RSS < 120 MB). Checked
    in a fresh interpreter: this one has loaded everything other tests needed."""
    import subprocess
    import sys

    code = (
        "import sys; from pnyx.app import create_app; "
        "print(sorted(m for m in ('av', 'boto3', 'botocore') if m in sys.modules))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert loaded == "[]"


def test_fitting_the_bridging_model_leaves_numpy_out_of_the_server(tmp_path):
    """The hourly bridging fit runs in `pnyx serve`'s own worker: its numpy work happens in a
    child process, so the server never loads numpy (tens of MB that would stay). A fresh
    interpreter runs the job on a database with ratings, and reports what it loaded and what
    the fit stored."""
    import subprocess
    import sys

    code = f"""
import sys
sys.path.insert(0, {str(Path(__file__).parent)!r})
import sqlalchemy as sa
import factories as f
from pnyx.app import create_app
from pnyx.config import Settings
from pnyx.core import accounts
from pnyx.core.algorithms import refresh
from pnyx.db.tables import feed_scores

settings = Settings(domain="memory.test", data_dir={str(tmp_path)!r})
db = create_app(settings, run_workers=False).state.db
refresh.refresh_job(db, {{}})  # no ratings yet: as on a new instance
names = ("poster", "a", "b", "c")
made = db.run_sync(lambda tx: [
    accounts.create_local(tx, n, n + "@example.com", "correct horse battery")[0] for n in names
])
poster, people = made[0], made[1:]
for person in people:
    f.follow(db, person, poster)
posts = [f.status(db, poster, "post " + str(i)) for i in range(3)]
for person in people:
    f.favourite(db, person, posts[0])
    f.favourite(db, person, posts[1])
refresh.refresh_job(db, {{}})
stored = db.run_sync(lambda tx: tx.scalar(sa.select(sa.func.count()).select_from(feed_scores)))
print("numpy" in sys.modules, stored > 0)
"""
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert out.splitlines()[-1] == "False True"
