"""Time-sortable 64-bit ids: milliseconds since the epoch shifted left 16 bits, plus a sequence.

Sorting by id sorts by creation time, which is what Mastodon's pagination (max_id, since_id,
min_id) relies on. The sequence starts at a random point in each process so that several
processes writing in the same millisecond are very unlikely to collide.
"""

from __future__ import annotations

import secrets
import threading
import time
from datetime import datetime

_lock = threading.Lock()
_last_ms = 0
_seq = secrets.randbelow(1 << 16)


def new_id(at: datetime | None = None) -> int:
    global _last_ms, _seq
    with _lock:
        ms = int(at.timestamp() * 1000) if at else int(time.time() * 1000)
        if at is None and ms < _last_ms:
            ms = _last_ms
        _seq = (_seq + 1) & 0xFFFF
        if at is None:
            _last_ms = ms
        return (ms << 16) | _seq


def id_floor(at: datetime) -> int:
    """The smallest id that could have been made at `at`; for time-based pagination."""
    return int(at.timestamp() * 1000) << 16


def parse_id(value: object) -> int | None:
    """An id from a client (always a string in the API), or None if it is not one."""
    if value is None:
        return None
    try:
        number = int(str(value).strip())
    except ValueError:
        return None
    return number if 0 < number < (1 << 63) else None
