"""The database: one sync SQLAlchemy engine, and where each request runs its transaction.

Core functions are plain synchronous functions taking a `Tx`. The web layer runs each request's
database work as one call (`await db.read(fn, ...)`, `await db.write(fn, ...)`), so core stays
easy to test and reason about. Writes run in a worker thread: one thread hop per request
however many queries it makes, and the event loop is free while the database answers.

Reads on PostgreSQL run on the event loop, through psycopg's asyncio connections: SQLAlchemy
runs the read's synchronous code in a greenlet and lets the loop serve other requests while
PostgreSQL answers each statement. In worker threads, the reads' Python and the loop's took
the GIL from one another at every statement, and the home timeline served ~60% more pages
per second this way (BENCHMARKS.md, issue 11, session 10). A few at a time, in arrival
order (`ReadGate`).

SQLite serializes writers; we take a process-wide lock for writes so threads queue politely
instead of spinning on SQLITE_BUSY, and begin write transactions IMMEDIATE so they never
deadlock on upgrade.

Reads on SQLite run in the event loop's own thread (`Database.read`). The module `sqlite3`
lets go of the GIL around every step of a statement (each row), and with several threads
wanting it every step became a handoff between threads: at 32 connections the home timeline
spent more CPU on those handoffs than on its own work (BENCHMARKS.md, "Session 8"). An
indexed SQLite read takes a millisecond or two, less than a thread hop and the handoffs it
causes. They queue in arrival order and the loop runs them a slice at a time (`ReadLane`),
so connections are served in turn.
"""

from __future__ import annotations

import asyncio
import collections
import functools
import json
import logging
import select
import threading
import time
import weakref
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

import anyio
import anyio.to_thread
import orjson
import sqlalchemy as sa
from sqlalchemy.engine import Connection, CursorResult, Engine, Row
from sqlalchemy.sql.base import Executable
from sqlalchemy.util import greenlet_spawn

from pnyx.config import Settings
from pnyx.db import plain_rows
from pnyx.db.types import utcnow

T = TypeVar("T")
log = logging.getLogger("pnyx.db")


def normalize_url(url: str) -> str:
    """Accept plain postgresql:// URLs and pick the psycopg 3 driver for them."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def _read_json(text: str) -> Any:
    """A JSON column's value: orjson, or the standard library for what orjson refuses and
    `json.dumps` may have written (NaN, integers past 64 bits)."""
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return json.loads(text)


# Threads that may run database work at once, per process (PNYX_DB_THREADS); the pool holds a
# connection for each. Few is fast: the work is mostly Python holding the GIL, and with 16
# threads the home timeline served 40% fewer requests per second than with 2 (BENCHMARKS.md).
DB_THREADS = 4
# How much of an SQLite database file is read through a memory map (PRAGMA mmap_size).
SQLITE_MMAP_BYTES = 4 << 30


def create_db_engine(url: str, *, pool_size: int = DB_THREADS + 2) -> Engine:
    url = normalize_url(url)
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = sa.create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": 30},
            # JSON columns come back as text on SQLite: orjson reads them several times faster
            # than the standard library (accounts carry several; every page loads accounts).
            json_deserializer=_read_json,
            pool_size=pool_size,
            max_overflow=4,
        )

        @sa.event.listens_for(engine, "connect")
        def _on_connect(dbapi_conn: Any, _record: Any) -> None:
            dbapi_conn.isolation_level = None  # we issue BEGIN ourselves
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")
            # Pages are read from the file's memory map instead of copied in by a system call
            # each (the default): a home page reads ~100 pages that SQLite's small
            # per-connection cache mostly misses. The mapped pages are the operating system's
            # file cache, shared by every connection and process, not the process's own memory.
            cur.execute(f"PRAGMA mmap_size={SQLITE_MMAP_BYTES}")
            cur.close()

        @sa.event.listens_for(engine, "begin")
        def _on_begin(conn: Connection) -> None:
            # Straight to the driver: through `exec_driver_sql` the statement cost more than
            # SQLite's work for it, on every request.
            begin = "BEGIN IMMEDIATE" if conn.get_execution_options().get("pnyx_write") else "BEGIN"
            conn.connection.driver_connection.execute(begin)  # type: ignore[union-attr]

        return engine
    engine = sa.create_engine(url, pool_size=pool_size, max_overflow=4)
    sa.event.listen(engine, "checkout", _checked_out(engine))
    return engine


def _asyncio_url(url: str) -> str:
    """The PostgreSQL URL with psycopg's asyncio dialect (`Database._reads_on_loop`)."""
    return normalize_url(url).replace("postgresql+psycopg://", "postgresql+psycopg_async://", 1)


def _checked_out(engine: Engine) -> Callable[[Any, Any, Any], None]:
    """The pool's check of a connection it hands out (`_still_connected`)."""

    def on_checkout(dbapi_conn: Any, _record: Any, _proxy: Any) -> None:
        if not _still_connected(engine.dialect, dbapi_conn):
            raise sa.exc.DisconnectionError("the server closed the connection")  # pool reconnects

    return on_checkout


def _still_connected(dialect: sa.Dialect, dbapi_conn: Any) -> bool:
    """Whether a pooled PostgreSQL connection still works, mostly without a round trip.

    `pool_pre_ping` sent `SELECT 1` before every transaction: a round trip on every request
    (~60 µs of CPU and the network's latency), for connections that are nearly always fine.
    Between transactions the server has nothing to say to an idle connection; when it ends
    one (a restart, `pg_terminate_backend`, an idle timeout, a proxy closing it) it sends its
    FATAL message and closes the socket, so the socket becomes readable. So: a closed or
    broken connection is gone; a socket with nothing to read is fine (one `poll` system
    call); one with something to read (that, or a message we did not expect, such as TLS
    housekeeping) is pinged as before, and is gone if the ping fails. A connection that dies
    unannounced (a network cut) is found as with any statement: its transaction fails.
    """
    driver = getattr(dbapi_conn, "driver_connection", dbapi_conn)  # asyncio's adapter
    if driver.closed or getattr(driver, "broken", False):
        return False
    try:
        poller = select.poll()
        poller.register(driver.fileno(), select.POLLIN)
        waiting = bool(poller.poll(0))
    except (OSError, ValueError, AttributeError):  # no socket to look at: ask the server
        waiting = True
    if not waiting:
        return True
    try:
        return bool(dialect.do_ping(dbapi_conn))
    except Exception:
        return False


@dataclass
class Tx:
    """One unit of work: a connection inside a transaction, plus the settings it runs under.

    Side effects that must reach the outside world (federation, notifications to stream) are
    recorded inside the transaction (`pnyx.core.events.record`, `pnyx.jobs.queue.enqueue`)
    and carried out by jobs after it commits.
    """

    conn: Connection
    settings: Settings
    now: datetime = field(default_factory=utcnow)
    # Run, in order, once the transaction has committed (never if it rolls back): what must
    # not be seen before the change is (a live stream's signal on SQLite). `on_commit` adds.
    after_commit: list[Callable[[], None]] = field(default_factory=list)
    # What one step of a request read and a later step of the same transaction needs, keyed
    # by its owner (the token lookup reads the viewer's rules version: `core.viewer_rules`).
    known: dict[Any, Any] = field(default_factory=dict)

    def on_commit(self, fn: Callable[[], None]) -> None:
        """Call `fn()` after this transaction commits; it must not raise (it is logged)."""
        self.after_commit.append(fn)

    # Statements are SQLAlchemy Core (`Executable`); what comes back are SQLAlchemy's rows,
    # read by attribute or unpacked. Core names the shapes it relies on in `pnyx.core.rows`.
    # `Row` and `CursorResult` stay unparameterized: any number of columns of any type, the
    # same under SQLAlchemy 2.0 (one tuple parameter) and 2.1 (a variadic one).

    def execute(
        self,
        statement: Executable,
        params: Mapping[str, Any] | Sequence[Mapping[str, Any]] | None = None,
    ) -> CursorResult:
        return (
            self.conn.execute(statement, params)
            if params is not None
            else self.conn.execute(statement)
        )

    def one_or_none(self, statement: Executable) -> Row | None:
        return self.conn.execute(statement).first()

    def scalar(self, statement: Executable) -> Any:
        return self.conn.execute(statement).scalar()

    def scalars(self, statement: Executable) -> list[Any]:
        return list(self.conn.execute(statement).scalars())

    def scalars_of(
        self, statement: Executable, params: Mapping[str, Any], column: int = 0
    ) -> list[Any]:
        """One column of a prebuilt statement run with `params`."""
        return [row[column] for row in self.conn.execute(statement, params)]

    def rows(self, statement: Executable) -> list[Row]:
        return list(self.conn.execute(statement))

    def plain(self, statement: Executable, params: Mapping[str, Any] | None = None) -> list[Any]:
        """The rows of a statement built once (kept, as `functools.cache` keeps them) as
        named tuples, run the lean way on SQLite (`pnyx.db.plain_rows`): for the hot read
        paths, which read their rows' columns by name many times."""
        return plain_rows.run(self.conn, statement, params)

    @property
    def is_postgres(self) -> bool:
        return self.conn.dialect.name == "postgresql"


def _run_after_commit(callbacks: list[Callable[[], None]]) -> None:
    """The committed transaction's callbacks; one that fails is logged, the others still run
    (the change is made: nothing may undo it now)."""
    for fn in callbacks:
        try:
            fn()
        except Exception:
            log.exception("an after-commit callback failed")


# How long the event loop runs queued SQLite reads before it looks at its sockets again.
READ_TURN_SECONDS = 0.016
# A single read taking this long is logged: it held every other request for its duration.
SLOW_READ_SECONDS = 0.1


class ReadLane:
    """The event loop's SQLite reads, in the order they were asked, a few at a time.

    Run as each request's task got to it, a read went to the end of the loop's turn: a turn
    ran every waiting request's read (32 at a time at 32 connections) before the loop looked
    at its sockets again, so a request that arrived just after a look waited a whole turn to
    be read and then for its place in the next: waits of one to two turns, p99 2.5 times the
    median (BENCHMARKS.md, "Session 8"). Here the reads queue in arrival order, and a turn of
    the loop runs them for up to READ_TURN_SECONDS, then looks at its sockets: every request
    waits for the reads ahead of it and at most one such slice more. One read per turn
    served fewest per second (a look at the sockets for every read); 16 ms served most, with
    p99 still under 50 ms at 32 connections. A read whose request went away (its task
    cancelled) is skipped.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._waiting: collections.deque[tuple[Callable[[], Any], asyncio.Future, str]] = (
            collections.deque()
        )
        self._scheduled = False

    async def run(self, work: Callable[[], T], name: str = "a read") -> T:
        future: asyncio.Future[T] = self._loop.create_future()
        self._waiting.append((work, future, name))
        if not self._scheduled:
            self._scheduled = True
            self._loop.call_soon(self._run_turn)
        return await future

    def _run_turn(self) -> None:
        started = time.perf_counter()
        while self._waiting:
            work, future, name = self._waiting.popleft()
            if future.cancelled():
                continue
            began = time.perf_counter()
            try:
                result = work()
            except BaseException as exc:  # handed to the request that asked
                if not future.cancelled():
                    future.set_exception(exc)
            else:
                if not future.cancelled():
                    future.set_result(result)
            finally:
                took = time.perf_counter() - began
                if took >= SLOW_READ_SECONDS:
                    log.warning(
                        "%s held the event loop for %.0f ms: every request waited for it",
                        name,
                        took * 1000,
                    )
            if time.perf_counter() - started >= READ_TURN_SECONDS:
                break
        if self._waiting:
            self._loop.call_soon(self._run_turn)
        else:
            self._scheduled = False


class ReadGate:
    """At most `limit` PostgreSQL reads at once; the others wait in the order they came.

    Waiting for a pooled connection alone let a newcomer take one that had just been handed
    back before the read that had waited longest got to it (asyncio's queue wakes a waiter,
    and whoever asks first takes the item): at 32 connections some requests waited ten times
    the median. Here a read that ends hands its place to the oldest waiting read directly.
    """

    def __init__(self, limit: int) -> None:
        self._free = limit
        self._waiting: collections.deque[asyncio.Future[None]] = collections.deque()

    async def __aenter__(self) -> None:
        if self._free > 0 and not self._waiting:
            self._free -= 1
            return
        place: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiting.append(place)
        try:
            await place
        except asyncio.CancelledError:
            if place.done() and not place.cancelled():
                self._release()  # it was handed a place it will not use: pass it on
            else:
                self._waiting.remove(place)
            raise

    async def __aexit__(self, *exc: object) -> None:
        self._release()

    def _release(self) -> None:
        while self._waiting:
            place = self._waiting.popleft()
            if not place.done():
                place.set_result(None)  # the place goes to the oldest waiter, unreleased
                return
        self._free += 1


_lanes: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, ReadLane] = weakref.WeakKeyDictionary()


def _read_lane(loop: asyncio.AbstractEventLoop) -> ReadLane:
    lane = _lanes.get(loop)
    if lane is None:
        lane = _lanes[loop] = ReadLane(loop)
    return lane


class Database:
    def __init__(self, settings: Settings, engine: Engine | None = None) -> None:
        self.settings = settings
        self.engine = engine or create_db_engine(
            settings.effective_database_url, pool_size=max(1, settings.db_threads) + 2
        )
        self.is_sqlite = self.engine.dialect.name == "sqlite"
        self._write_lock = threading.Lock() if self.is_sqlite else None
        self.threads = max(1, settings.db_threads)
        self._limiter: anyio.CapacityLimiter | None = None
        self._async_engines: weakref.WeakKeyDictionary[
            asyncio.AbstractEventLoop, tuple[Engine, ReadGate]
        ] = weakref.WeakKeyDictionary()
        self._lane_connections: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Connection] = (
            weakref.WeakKeyDictionary()
        )

    @property
    def limiter(self) -> anyio.CapacityLimiter:
        # Created lazily: a limiter belongs to the event loop that first uses it.
        if self._limiter is None:
            self._limiter = anyio.CapacityLimiter(self.threads)
        return self._limiter

    @contextmanager
    def transaction(self, *, write: bool = True) -> Iterator[Tx]:
        if self._write_lock is not None and write:
            self._write_lock.acquire()
        try:
            with self.engine.connect() as conn:
                if write:
                    conn = conn.execution_options(pnyx_write=True)
                elif not self.is_sqlite:
                    # A PostgreSQL read runs each statement on its own, as READ COMMITTED
                    # (the default we run under) does within a transaction anyway: a snapshot
                    # per statement. Without BEGIN and COMMIT, two round trips of a page's
                    # eight or so are gone (BENCHMARKS.md, issue 11, session 9).
                    conn = conn.execution_options(isolation_level="AUTOCOMMIT")
                with conn.begin():
                    tx = Tx(conn, self.settings)
                    yield tx
        finally:
            if self._write_lock is not None and write:
                self._write_lock.release()
        _run_after_commit(tx.after_commit)

    def run_sync(self, fn: Callable[..., T], *args: Any, write: bool = True, **kwargs: Any) -> T:
        with self.transaction(write=write) as tx:
            return fn(tx, *args, **kwargs)

    async def read(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run `fn(tx, ...)` in a read transaction, on the event loop: on SQLite in turn
        with the other requests' reads (`ReadLane`, and the module's docstring); on
        PostgreSQL through an asyncio connection (`_reads_on_loop`)."""
        loop = asyncio.get_running_loop()
        if self.is_sqlite:
            return await _read_lane(loop).run(
                functools.partial(self._read_in_lane, loop, fn, args, kwargs),
                getattr(fn, "__qualname__", repr(fn)),
            )
        engine, gate = self._reads_on_loop(loop)
        async with gate:
            return await greenlet_spawn(self._read_on, engine, fn, args, kwargs)

    def _read_in_lane(
        self,
        loop: asyncio.AbstractEventLoop,
        fn: Callable[..., T],
        args: tuple,
        kwargs: dict[str, Any],
    ) -> T:
        """A SQLite read in the loop's lane (`ReadLane`), on a connection the lane keeps: the
        lane runs one read at a time, so taking one from the pool and handing it back for
        each read (a fifth of a page's overhead outside its queries) bought nothing. A read
        that fails gives its connection up; the next one takes a fresh one."""
        conn = self._lane_connections.get(loop)
        if conn is None or conn.closed or conn.invalidated:
            conn = self._lane_connections[loop] = self.engine.connect()
        try:
            with conn.begin():
                tx = Tx(conn, self.settings)
                result = fn(tx, *args, **kwargs)
        except BaseException:
            self._lane_connections.pop(loop, None)
            conn.close()
            raise
        _run_after_commit(tx.after_commit)
        return result

    def _read_on(
        self, engine: Engine, fn: Callable[..., T], args: tuple, kwargs: dict[str, Any]
    ) -> T:
        """A read on this loop's engine, in the greenlet `read` runs it in."""
        with engine.connect() as conn, conn.begin():
            tx = Tx(conn, self.settings)
            result = fn(tx, *args, **kwargs)
        _run_after_commit(tx.after_commit)
        return result

    def _reads_on_loop(self, loop: asyncio.AbstractEventLoop) -> tuple[Engine, ReadGate]:
        """This loop's engine for PostgreSQL reads: psycopg's asyncio connections, in
        autocommit (a snapshot per statement, as the threads' reads). The read's plain
        synchronous code runs in a greenlet (`greenlet_spawn`, SQLAlchemy's bridge to asyncio
        drivers) and, at each statement, the loop serves other requests until PostgreSQL
        answers: no thread hop per request, and no threads taking the GIL from one another.
        (A plain engine on the asyncio dialect: `sqlalchemy.ext.asyncio` would load the ORM,
        7 MB of idle memory.) Connections belong to the loop that made them: one engine per
        loop, closed with it (`close_reads`). The reads in flight are bounded by the pool's
        size, and the others wait in arrival order (`ReadGate`)."""
        found = self._async_engines.get(loop)
        if found is None:
            in_flight = self.threads  # measured best: more only shares the cores more
            engine = sa.create_engine(
                _asyncio_url(self.settings.effective_database_url),
                pool_size=in_flight,
                max_overflow=0,
                isolation_level="AUTOCOMMIT",
            )
            sa.event.listen(engine, "checkout", _checked_out(engine))
            found = self._async_engines[loop] = (engine, ReadGate(in_flight))
        return found

    async def close_reads(self) -> None:
        """Close this loop's read connections (at the app's shutdown): PostgreSQL's, or the
        SQLite lane's."""
        loop = asyncio.get_running_loop()
        held = self._lane_connections.pop(loop, None)
        if held is not None:
            held.close()
        found = self._async_engines.pop(loop, None)
        if found is not None:
            await greenlet_spawn(found[0].dispose)

    async def write(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run `fn(tx, ...)` in a write transaction on a worker thread; commits on return."""
        return await anyio.to_thread.run_sync(
            functools.partial(self.run_sync, fn, *args, write=True, **kwargs),
            limiter=self.limiter,
        )

    def dispose(self) -> None:
        for held in list(self._lane_connections.values()):
            held.close()
        self._lane_connections.clear()
        self.engine.dispose()
