"""uvicorn's HTTP protocol with deadlines for slow clients (`pnyx serve` uses it).

uvicorn closes idle keep-alive connections, but a client that sends its request one byte at a
time is never idle and is never closed: a few hundred of those hold a few hundred connections
(and file descriptors) for ever. This subclass of uvicorn's httptools protocol adds two
deadlines, counted from the connection's (or the next request's) first byte:

- PNYX_CLIENT_HEADER_TIMEOUT: the request line and headers must be complete by then;
- PNYX_CLIENT_BODY_TIMEOUT: once the headers are in, the whole body must be in by then.

Past either, the connection is closed. A connection upgraded to a WebSocket (the streaming
API) leaves both behind: it is meant to stay open, and the WebSocket pings watch it. Deadlines rather than idle timeouts, because a
dribbler is never idle. The values come from the settings of the process (read once), as
uvicorn builds this class itself, in each worker process.
"""

from __future__ import annotations

import asyncio
import functools
import logging

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from pnyx.config import load_settings

log = logging.getLogger("pnyx.server")


@functools.cache
def _deadlines() -> tuple[float, float]:
    settings = load_settings()
    return float(settings.client_header_timeout), float(settings.client_body_timeout)


class GuardedHttpToolsProtocol(HttpToolsProtocol):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.header_deadline, self.body_deadline = _deadlines()
        self._deadline: asyncio.TimerHandle | None = None

    def _arm(self, seconds: float, what: str) -> None:
        self._disarm()
        if seconds > 0:
            self._deadline = self.loop.call_later(seconds, self._expire, what)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _expire(self, what: str) -> None:
        self._deadline = None
        if not self.transport.is_closing():
            log.info("closed a connection from %s: %s not received in time", self.client, what)
            self.transport.close()

    def connection_made(self, transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        # Until the first request's headers are in (a connection that never sends counts too).
        self._arm(self.header_deadline, "request headers")

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        if self._deadline is None:  # a later request on a kept-alive connection
            self._arm(self.header_deadline, "request headers")

    def on_headers_complete(self) -> None:
        self._disarm()
        super().on_headers_complete()
        self._arm(self.body_deadline, "request body")

    def on_message_complete(self) -> None:
        self._disarm()
        super().on_message_complete()

    def handle_websocket_upgrade(self) -> None:
        # The connection becomes a live stream (`/api/v1/streaming`) that stays open: the
        # deadlines were for an HTTP request, and the WebSocket protocol's pings take over.
        # (The upgrade request has no body, so on_message_complete disarmed already; this
        # says so where it matters, should a deadline ever outlive the request.)
        self._disarm()
        super().handle_websocket_upgrade()
