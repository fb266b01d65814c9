"""The `stream` subscription to core's events: a small signal to every web process.

It runs in the change's transaction (`pnyx.registry`), and costs no job: on PostgreSQL it is a
`pg_notify` there, which PostgreSQL delivers at commit (and never on rollback) to every
process that LISTENs on the channel, so several web processes, and job workers in processes
of their own, share the events. On SQLite (one process) the signal waits for the commit
(`Tx.on_commit`) and goes to the brokers of this process (`LOCAL`).

A signal is `{"t": kind, "id": ..., ...}`: what happened and its ids, well under the 8,000
bytes a notification may carry. Whoever receives it reads the change back.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import threading
from collections.abc import Callable

import orjson
import sqlalchemy as sa

from pnyx.core import events
from pnyx.db.engine import Tx

log = logging.getLogger("pnyx.streaming")

CHANNEL = "pnyx_stream"

STATUS = "status"  # a post or a boost was made: `update`
EDIT = "edit"  # a post was edited: `status.update`
DELETE = "delete"  # a post or boost is gone: `delete`
NOTIFICATION = "notification"  # a notification was made: `notification`
FILTERS = "filters"  # someone's filters changed: `filters_changed`, to them only
ANNOUNCEMENT = "announcement"  # published or edited: `announcement`, to every `user` stream
ANNOUNCEMENT_GONE = "announcement.delete"  # unpublished or deleted: `announcement.delete`
REACTION = "announcement.reaction"  # a reaction's count changed: `announcement.reaction`

# Signals for every signed-in viewer's `user` stream, and those for one account only (`a`).
TO_EVERY_USER = frozenset({ANNOUNCEMENT, ANNOUNCEMENT_GONE, REACTION})
TO_ONE_ACCOUNT = frozenset({NOTIFICATION, FILTERS})

STREAMED = frozenset(
    {
        events.StatusCreated,
        events.StatusBoosted,
        events.StatusEdited,
        events.StatusDeleted,
        events.BoostUndone,
        events.NotificationCreated,
        events.FiltersChanged,
        events.AnnouncementPublished,
        events.AnnouncementWithdrawn,
        events.AnnouncementReacted,
    }
)


def signal_of(event: events.Event) -> dict | None:
    """What the streams need to know of an event, or None (nothing to stream)."""
    if isinstance(event, events.StatusCreated):
        return {"t": STATUS, "id": event.status_id}
    if isinstance(event, events.StatusBoosted):
        return {"t": STATUS, "id": event.boost_id}
    if isinstance(event, events.StatusEdited):
        return {"t": EDIT, "id": event.status_id}
    if isinstance(event, events.StatusDeleted) and event.status_id is not None:
        return {"t": DELETE, "id": event.status_id}
    if isinstance(event, events.BoostUndone) and event.boost_id is not None:
        return {"t": DELETE, "id": event.boost_id}
    if isinstance(event, events.NotificationCreated):
        return {"t": NOTIFICATION, "id": event.notification_id, "a": event.account_id}
    if isinstance(event, events.FiltersChanged):
        return {"t": FILTERS, "a": event.account_id}
    if isinstance(event, events.AnnouncementPublished):
        return {"t": ANNOUNCEMENT, "id": event.announcement_id}
    if isinstance(event, events.AnnouncementWithdrawn):
        return {"t": ANNOUNCEMENT_GONE, "id": event.announcement_id}
    if isinstance(event, events.AnnouncementReacted):
        return {"t": REACTION, "id": event.announcement_id, "name": event.name}
    return None


def on_event(tx: Tx, event: events.Event) -> None:
    signal = signal_of(event)
    if signal is None:
        return
    text = orjson.dumps(signal).decode()
    if tx.is_postgres:
        tx.execute(sa.select(sa.func.pg_notify(CHANNEL, text)))
    else:
        tx.on_commit(functools.partial(LOCAL.publish, text))


class LocalBus:
    """The brokers of this process (SQLite), each with its event loop: a signal committed in
    any thread (a request's database thread, a job thread) is handed to each on its loop."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._receivers: list[tuple[asyncio.AbstractEventLoop, Callable[[str], None]]] = []

    def add(self, loop: asyncio.AbstractEventLoop, receive: Callable[[str], None]) -> None:
        with self._lock:
            self._receivers.append((loop, receive))

    def remove(self, receive: Callable[[str], None]) -> None:
        with self._lock:
            self._receivers = [(lp, r) for lp, r in self._receivers if r != receive]

    def publish(self, text: str) -> None:
        with self._lock:
            receivers = list(self._receivers)
        for loop, receive in receivers:
            try:
                loop.call_soon_threadsafe(receive, text)
            except RuntimeError:  # that loop has closed: its broker is gone
                self.remove(receive)


LOCAL = LocalBus()
