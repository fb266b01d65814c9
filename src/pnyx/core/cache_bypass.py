"""Reads that pass through the process-wide caches without filling them.

A server keeps what it read recently, by render version or fingerprint, least recently used
out first: the rows of posts and accounts (`core.row_cache`, up to 32,768 posts), and the
proofs of the documents it signed (`federation.object_proofs`, 4,096). Hot posts then cost no
query and no signature. Work that reads a great many posts once would fill those caches with
posts nobody asks for again: an export reads every post of an account, tens of thousands,
which pushed the hot posts out of a running server's caches and held the memory they take
(BENCHMARKS.md, "Portability"). Inside `passing()` the caches are still read (what they hold
is used), but nothing new is kept.

A context variable: it holds for the code that runs in the block (its thread, or its task),
so requests served by the same process meanwhile keep what they read, as before.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

_passing: ContextVar[bool] = ContextVar("pnyx_cache_bypass", default=False)


@contextmanager
def passing() -> Iterator[None]:
    """A block whose reads keep nothing in the process-wide caches."""
    token = _passing.set(True)
    try:
        yield
    finally:
        _passing.reset(token)


def keeping() -> bool:
    """Whether what is read or made now may be kept in the process-wide caches."""
    return not _passing.get()
