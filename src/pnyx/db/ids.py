"""Time-sortable 64-bit ids: milliseconds since the epoch shifted left 16 bits, plus a sequence.

Sorting by id sorts by creation time, which is what Mastodon's pagination (max_id, since_id,
min_id) relies on: within one process ids only ever grow. The sequence starts at a random
point in each millisecond so that several processes writing in the same millisecond are very
unlikely to collide.
"""

from __future__ import annotations

import secrets
import threading
import time
from datetime import datetime

_lock = threading.Lock()
_last_ms = 0
_seq = 0
_at_seq = secrets.randbelow(1 << 16)  # for ids of a given moment (imported, backdated)


def new_id(at: datetime | None = None) -> int:
    """A new id for now (strictly greater than every id this process made before), or for
    the moment `at`."""
    global _last_ms, _seq, _at_seq
    with _lock:
        if at is not None:
            _at_seq = (_at_seq + 1) & 0xFFFF
            return (int(at.timestamp() * 1000) << 16) | _at_seq
        ms = max(int(time.time() * 1000), _last_ms)
        if ms == _last_ms and _seq < 0xFFFF:
            _seq += 1
        else:
            if ms == _last_ms:  # 65,536 ids in one millisecond: borrow the next one
                ms += 1
            # Each millisecond's sequence starts at a random point in its lower half, so that
            # processes writing in the same millisecond are unlikely to collide and the rest
            # of the range is left for more ids in that millisecond.
            _seq = secrets.randbelow(1 << 15)
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
