"""Rows of posts and accounts kept in memory between requests, checked by render version.

A page of statuses is made of many rows: each post's own, its mentions, hashtags, media, link
card, poll and quote, and its author's. Reading them all again for every page was most of a
home timeline's cost (a dozen queries of wide rows; BENCHMARKS.md, "Session 8"), although they
rarely change. The database keeps a `render_version` on each post and account, moved by
triggers on every change to the row or to what it is shown with (migration 0031), whoever
writes it. So a page reads the versions alone (one narrow query each for posts and accounts)
and reads the rows only of what is not here at that version.

Kept only from read transactions: a write transaction could still roll back what it read.
The version is read before the rows, so rows read while another transaction commits are
kept under the older version, which no later reader asks for.

Bounded (least recently used go first): a home page holds ~20 posts and ~15 authors, and
the bounds hold the pages of a few thousand active readers; ~2 KB a post with its parts,
~1.5 KB an account. A fresh process starts empty.
"""

from __future__ import annotations

import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from pnyx.core import cache_bypass
from pnyx.core.rows import AccountRow, PollRow, StatusRow
from pnyx.db.engine import Tx

POST_ENTRIES = 32768
ACCOUNT_ENTRIES = 16384

V = TypeVar("V")

# Every cache made, for `clear` (weakly: a cache made for a while is not kept by this).
_every: weakref.WeakSet[VersionedCache[Any]] = weakref.WeakSet()


@dataclass(frozen=True)
class PostParts:
    """A post's row and the rows of what it is shown with, as of one render version."""

    row: StatusRow
    mentions: tuple[Any, ...]
    tags: tuple[Any, ...]
    media: tuple[Any, ...]
    card: Any | None
    poll: PollRow | None
    quote: Any | None  # its row of `quotes`, when it quotes a post
    quotes_count: int  # accepted quotes of it
    notes: tuple[Any, ...] = ()  # its community notes (not deleted), oldest first
    imported: Any | None = None  # where it was first posted, when imported from an archive


class VersionedCache(Generic[V]):
    """Values by id, each valid for one version (a render version here, a fingerprint for
    `presenters.render_cache`: anything compared with ==); least recently used dropped past
    `size`. Shared by threads: the lock is held for dict operations only, never while a
    value is built."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._entries: OrderedDict[int, tuple[Any, V]] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0
        _every.add(self)

    def take(self, versions: dict[int, Any]) -> tuple[dict[int, V], list[int]]:
        """The values held at the given versions, and the ids not held at them."""
        found: dict[int, V] = {}
        missing: list[int] = []
        with self._lock:
            entries = self._entries
            for key, version in versions.items():
                entry = entries.get(key)
                if entry is not None and entry[0] == version:
                    entries.move_to_end(key)
                    found[key] = entry[1]
                else:
                    missing.append(key)
            self.hits += len(found)
            self.misses += len(missing)
        return found, missing

    def get(self, key: int, version: Any, build: Callable[[], V]) -> V:
        """The value held for `key` at `version`, else `build()`'s (held in its place)."""
        found, _ = self.take({key: version})
        if key in found:
            return found[key]
        value = build()
        self.keep([(key, version, value)])
        return value

    def keep(self, items: Iterable[tuple[int, Any, V]]) -> None:
        """Store (id, version, value) triples."""
        with self._lock:
            entries = self._entries
            for key, version, value in items:
                entries[key] = (version, value)
                entries.move_to_end(key)
            while len(entries) > self.size:
                entries.popitem(last=False)

    def __len__(self) -> int:
        return len(self._entries)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self.hits = self.misses = 0


posts: VersionedCache[PostParts] = VersionedCache(POST_ENTRIES)
accounts: VersionedCache[AccountRow] = VersionedCache(ACCOUNT_ENTRIES)
# A local account's staff role, or None (a change of its user moves the account's version).
roles: VersionedCache[str | None] = VersionedCache(ACCOUNT_ENTRIES)
# Client apps (id, name, website), at version 0: an app is never changed nor deleted (its
# tokens are revoked), so the name a post shows stays right.
apps: VersionedCache[Any] = VersionedCache(ACCOUNT_ENTRIES)


def may_keep(tx: Tx) -> bool:
    """Rows read in a write transaction are not kept: it could still roll back. Nor are those
    read inside `cache_bypass.passing()` (an export reading every post of an account once)."""
    return cache_bypass.keeping() and not tx.conn.get_execution_options().get("pnyx_write")


def clear() -> None:
    """Forget everything every cache holds (tests that compare with what the database holds
    now; each test has its own database)."""
    for each in list(_every):
        each.clear()
