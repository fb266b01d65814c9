"""Rendered JSON kept between requests, checked against the rows each request reads.

Building a Status entity is most of a timeline page's Python (BENCHMARKS.md, "Findings"): the
same posts and authors are rendered again for every viewer whose page holds them. So the part
of a Status that is the same for everyone (its text, media, mentions, tags, emojis, card,
application), and each Account entity, are built once per process and reused.

Why fingerprints rather than invalidation messages: every request still reads the rows a
rendering is made of (`core.status_views.load`), in its own transaction. An entry is stored
with the values it was built from (its *fingerprint*) and is only reused when the rows read
now give the same fingerprint. So a change written by any process (edits, a new card, an
author's new name, a role, an emoji's new image, a media description) is seen by the very
next read in every process, with no message to send or miss; and nothing is reused across
settings (the fingerprint holds the base URL). What changes often and is cheap to show (the
counts, the poll's tallies, the quote's state) and everything that depends on the viewer
(their marks, filters, votes, quote approval) is never stored: it is laid over a copy of the
stored part on every request (`presenters.entities`).

Entries are plain dicts shared between requests and threads. Each Status entity handed out
is a new top-level dict (a copy of the shared part with the rest laid over it), which its
caller may change; what is nested in it (its Account, media, card, ...) is shared and must
never be changed.

Memory is bounded: each cache keeps its most recently used entries only (LRU): 2,048
statuses and 2,048 accounts, ~10 KB per status with its fingerprint's values and its
author's entry (measured on bench/timeline.py's data), so ~20 MB at most once warm. A fresh
process starts empty, so idle RSS is unchanged. The caches are shared by the process's
threads, hence the lock (held for dict operations only, never while building).
"""

from __future__ import annotations

from pnyx.core.row_cache import VersionedCache

# Bounds, in entries: a home page holds 20 statuses and their ~15 authors; a couple of
# thousand cover the posts the active viewers of an instance are reading now.
STATUS_ENTRIES = 2048
ACCOUNT_ENTRIES = 2048


# Most recently used rendered dicts by id, each valid for one fingerprint: the same bounded
# cache as the rows kept by render version (`core.row_cache`), with fingerprints for versions.
statuses: VersionedCache[dict] = VersionedCache(STATUS_ENTRIES)
accounts: VersionedCache[dict] = VersionedCache(ACCOUNT_ENTRIES)


def clear() -> None:
    """Forget everything rendered (tests that compare cached and fresh renderings)."""
    statuses.clear()
    accounts.clear()
