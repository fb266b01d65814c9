"""One process's live streams: its connected clients, by stream and viewer, and the loop that
turns signals into their messages.

Signals arrive from `listener` (PostgreSQL) or `signals.LOCAL` (SQLite) and are handled one at
a time, in order, so that a post's `update` never overtakes its `status.update` or `delete`.
For each, the broker takes a snapshot of who listens to which stream here, lets
`messages.for_signal` decide and render in a database thread, and puts each message on the
queues of the clients it is for. A client that does not read what it is sent (its queue
full) is cut off rather than let its backlog grow.

A client costs a small object, a set of stream keys and a queue; the transports
(api/streaming.py) write what the queue holds.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterable

import orjson

from pnyx.core.stream_audience import StreamKey, Viewer
from pnyx.db.engine import Database
from pnyx.streaming import listener, messages, signals

log = logging.getLogger("pnyx.streaming")

# Messages waiting for one client before it is cut off.
QUEUE_SIZE = 256

Message = tuple[StreamKey, str, str | None]  # stream, event, payload (None: it has none)


class Client:
    """One connection (a WebSocket, or one server-sent-events response)."""

    __slots__ = ("keys", "notifications", "queue", "viewer_id")

    def __init__(self, viewer_id: Viewer, *, notifications: bool) -> None:
        self.viewer_id = viewer_id
        self.notifications = notifications  # may its `user` stream carry notifications?
        self.keys: set[StreamKey] = set()
        self.queue: asyncio.Queue[Message | None] = asyncio.Queue(QUEUE_SIZE)

    def push(self, key: StreamKey, event: str, payload: str | None) -> None:
        if event == "notification" and key[0] == "user" and not self.notifications:
            return
        try:
            self.queue.put_nowait((key, event, payload))
        except asyncio.QueueFull:
            log.info("cut off a stream client that does not keep up")
            self.close()

    def close(self) -> None:
        """Tell the transport to end the connection (None in the queue)."""
        with contextlib.suppress(asyncio.QueueFull):
            while not self.queue.empty():
                self.queue.get_nowait()
            self.queue.put_nowait(None)


class Broker:
    def __init__(self, db: Database) -> None:
        self.db = db
        self.streams: dict[StreamKey, dict[Viewer, set[Client]]] = {}
        self._signals: asyncio.Queue[str] = asyncio.Queue()
        self._tasks: list[asyncio.Task] = []

    # --- Life -----------------------------------------------------------------------------

    async def start(self) -> None:
        self._tasks.append(asyncio.create_task(self._consume(), name="pnyx-stream-broker"))
        if self.db.is_sqlite:
            signals.LOCAL.add(asyncio.get_running_loop(), self.receive)
        else:
            url = listener.psycopg_url(self.db.engine.url)
            self._tasks.append(
                asyncio.create_task(listener.listen(url, self.receive), name="pnyx-stream-listen")
            )

    async def stop(self) -> None:
        signals.LOCAL.remove(self.receive)
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._tasks.clear()
        for by_viewer in self.streams.values():
            for clients in by_viewer.values():
                for client in clients:
                    client.close()

    # --- Clients --------------------------------------------------------------------------

    def subscribe(self, client: Client, key: StreamKey) -> None:
        client.keys.add(key)
        self.streams.setdefault(key, {}).setdefault(client.viewer_id, set()).add(client)

    def unsubscribe(self, client: Client, key: StreamKey) -> None:
        client.keys.discard(key)
        by_viewer = self.streams.get(key)
        if by_viewer is None:
            return
        clients = by_viewer.get(client.viewer_id)
        if clients is not None:
            clients.discard(client)
            if not clients:
                del by_viewer[client.viewer_id]
        if not by_viewer:
            del self.streams[key]

    def remove(self, client: Client) -> None:
        for key in list(client.keys):
            self.unsubscribe(client, key)

    def clients(self) -> int:
        return sum(len(c) for by_viewer in self.streams.values() for c in by_viewer.values())

    # --- Signals --------------------------------------------------------------------------

    def receive(self, text: str) -> None:
        """A signal from the listener or the local bus (on the loop's thread)."""
        self._signals.put_nowait(text)

    async def _consume(self) -> None:
        while True:
            text = await self._signals.get()
            try:
                await self.handle(orjson.loads(text))
            except Exception:
                log.exception("a stream signal could not be handled: %s", text)

    async def handle(self, signal: dict) -> None:
        listening = self._listening(signal)
        if not listening:
            return
        deliveries = await self.db.read(messages.for_signal, signal, listening)
        self.deliver(deliveries)

    def deliver(self, deliveries: Iterable[messages.Delivery]) -> None:
        for d in deliveries:
            for client in self.streams.get(d.key, {}).get(d.viewer, ()):
                client.push(d.key, d.event, d.payload)

    def _listening(self, signal: dict) -> dict[StreamKey, frozenset[Viewer]]:
        """Who listens to which stream here, as the database thread will read it (a copy:
        clients come and go on the loop meanwhile). A notification or a change of filters
        concerns one account; an announcement, the `user` streams alone."""
        kind = signal.get("t")
        if kind in signals.TO_ONE_ACCOUNT:
            recipient = signal.get("a")
            keys = [("user", None)]
            if kind == signals.NOTIFICATION:
                keys.append(("user:notification", None))
            return {
                key: frozenset({recipient})
                for key in keys
                if recipient in self.streams.get(key, {})
            }
        if kind in signals.TO_EVERY_USER:
            users = frozenset(v for v in self.streams.get(("user", None), {}) if v is not None)
            return {("user", None): users} if users else {}
        return {key: frozenset(by_viewer) for key, by_viewer in self.streams.items()}
