"""PostgreSQL's side of the signals: one connection per web process that LISTENs on the
channel `signals.on_event` notifies, handing each payload to the broker.

PostgreSQL delivers a NOTIFY at the commit of the transaction that made it, to every
listening connection, in commit order; a listener that loses its connection reconnects (what
was committed meanwhile is not streamed: a client catching up reloads its timeline, as
Mastodon's apps do after a reconnection).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

import psycopg
from sqlalchemy.engine import URL

from pnyx.streaming.signals import CHANNEL

log = logging.getLogger("pnyx.streaming")

RECONNECT_SECONDS = 1.0


def psycopg_url(url: URL) -> str:
    """The engine's URL as psycopg takes it (no `+psycopg` driver part)."""
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


async def listen(url: str, receive: Callable[[str], None]) -> None:
    """LISTEN until cancelled, reconnecting after a failure."""
    while True:
        try:
            conn = await psycopg.AsyncConnection.connect(url, autocommit=True)
            async with conn:
                await conn.execute(f"LISTEN {CHANNEL}")
                async for notify in conn.notifies():
                    receive(notify.payload)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.warning("stream listener lost its connection (%s); reconnecting", exc)
            await asyncio.sleep(RECONNECT_SECONDS)
