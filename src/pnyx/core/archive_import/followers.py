"""followers.csv of a Pnyx export: the old account's followers, kept at import time.

Mastodon's exports have no followers list (a follower is the follower's to move); a Pnyx
export adds one (`Account address`, one `name@server` a line), for the day the old server is
gone: the new account can then tell those followers' servers itself (`core.pull_moves`).
The file is read as a stream, row by row; what does not look like an address is passed over.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator

from pnyx.core.archive_import.archive_files import ArchiveFiles

FOLLOWERS = "followers.csv"
HEADER = "Account address"
MAX_ROWS = 100_000
# name@host[:port], as an export writes it (no leading @, no spaces).
_ADDRESS = re.compile(r"^[^\s@/\\?#]{1,64}@[A-Za-z0-9.\-]{1,253}(?::\d{1,5})?$")
MAX_LINE = 1024


def addresses(archive: ArchiveFiles) -> Iterator[str]:
    """The followers' addresses in the archive's followers.csv, in order, each once (none
    when it has no such file)."""
    if FOLLOWERS not in archive.members:
        return
    seen: set[str] = set()
    with archive.stream(FOLLOWERS) as raw:
        text = io.TextIOWrapper(raw, encoding="utf-8", errors="replace", newline="")
        lines = (line[:MAX_LINE] for line in text)
        for number, row in enumerate(csv.reader(lines)):
            if number >= MAX_ROWS + 1:
                return
            if not row:
                continue
            value = row[0].strip().lstrip("@")
            if value == HEADER or not _ADDRESS.match(value):
                continue
            key = value.lower()
            if key not in seen:
                seen.add(key)
                yield value
