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
