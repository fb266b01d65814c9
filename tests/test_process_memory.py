"""The served processes fix glibc's mmap threshold, so that an image's buffers are given back
once it is processed (see pnyx.process_memory and the media benchmark)."""

from __future__ import annotations

import ctypes.util
import platform

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
