"""Fetching the key of an unknown signer, bounded: per remote host, in all, on its own threads.

An inbox POST signed with an unknown keyId makes us fetch that key before we can say yes or
no, and the fetch waits on someone else's server for up to its deadline (10 s). Anyone can
send such POSTs, so without a bound a flood of made-up keyIds on a slow server would hold as
many threads as requests, and the threads that serve pages with them. Here:

- fetches run on a thread pool of their own (PNYX_KEY_FETCHES threads), never on the threads
  that run database work or pages;
- at most PNYX_KEY_FETCHES are in flight per process, and PNYX_KEY_FETCHES_PER_HOST towards
  one host (one slow server cannot take every slot);
- past either bound the request is not queued: `Busy` is raised at once, and the inbox
  answers 503, which every sender (Mastodon, Misskey ...) retries later, where a 401 is
  final for some.
"""

from __future__ import annotations

import asyncio
import functools
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TypeVar
from urllib.parse import urlsplit

from pnyx.config import Settings

T = TypeVar("T")


class Busy(Exception):
    """Every slot for this host, or every slot in all, is taken."""


@dataclass
class Gate:
    total: int
    per_host: int
    executor: ThreadPoolExecutor
    in_flight: int = 0
    by_host: dict[str, int] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def enter(self, host: str) -> bool:
        with self.lock:
            if self.in_flight >= self.total or self.by_host.get(host, 0) >= self.per_host:
                return False
            self.in_flight += 1
            self.by_host[host] = self.by_host.get(host, 0) + 1
            return True

    def leave(self, host: str) -> None:
        with self.lock:
            self.in_flight -= 1
            left = self.by_host[host] - 1
            if left:
                self.by_host[host] = left
            else:
                del self.by_host[host]


@functools.cache
def _gate(total: int, per_host: int) -> Gate:
    # One per process (and per pair of bounds, for tests that build several apps).
    pool = ThreadPoolExecutor(max_workers=total, thread_name_prefix="pnyx-key-fetch")
    return Gate(total, per_host, pool)


def host_of(key_id: str) -> str:
    try:
        return (urlsplit(key_id).netloc or "").lower()
    except ValueError:
        return ""


async def run(settings: Settings, key_id: str, fn: Callable[..., T], *args) -> T:
    """`fn(*args)` on a key-fetch thread, or `Busy` at once when no slot is free."""
    gate = _gate(max(1, settings.key_fetches), max(1, settings.key_fetches_per_host))
    host = host_of(key_id)
    if not gate.enter(host):
        raise Busy(f"too many key fetches in progress (towards {host or 'that host'})")

    def job() -> T:
        try:
            return fn(*args)
        finally:
            gate.leave(host)

    try:
        future: Future = gate.executor.submit(job)
    except BaseException:
        gate.leave(host)
        raise
    # A slot is given back when the fetch ends, not when the request stops waiting for it: a
    # client that hangs up must not free a slot whose thread is still busy. A job cancelled
    # before it started gives its slot back here.
    future.add_done_callback(lambda f: gate.leave(host) if f.cancelled() else None)
    return await asyncio.wrap_future(future)
