"""Give large buffers back to the system when they are freed (glibc's malloc).

Processing an upload allocates a few buffers of tens of megabytes (a 12 MP photograph is
48 MB decoded, and as much again turned upright). glibc serves a block that large with its
own mmap, returned at free, but only until the first such block is freed: then it raises its
threshold (up to 32 MB) so that later blocks come from the heaps of the threads that ask,
and a heap is not given back while anything above the freed space lives. A web process
that had processed a few images in its worker threads then stayed at 220-680 MB for good
instead of ~110 MB (bench/media.py, BENCHMARKS.md). A fixed threshold keeps every block of
1 MiB or more in its own mapping, returned when freed; the few such blocks a request makes
cost one mmap each, which is nothing next to decoding an image.

Only glibc has `mallopt`; elsewhere (musl, macOS) this does nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging

log = logging.getLogger("pnyx")

M_MMAP_THRESHOLD = -3  # glibc's <malloc.h>
MMAP_THRESHOLD = 1024 * 1024


def return_large_buffers() -> bool:
    """Fix glibc's mmap threshold at 1 MiB for this process; True when it was set."""
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name)
        mallopt = libc.mallopt
    except (OSError, AttributeError, TypeError):
        return False
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    mallopt.restype = ctypes.c_int
    done = mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD) == 1
    if not done:
        log.debug("mallopt(M_MMAP_THRESHOLD) was refused; memory is managed as glibc chooses")
    return done
