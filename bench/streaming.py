"""Streaming benchmark: thousands of WebSocket clients on a real `pnyx serve`, one poster.

    .venv/bin/python bench/streaming.py --small                  # 200 clients, SQLite
    .venv/bin/python bench/streaming.py                          # 2,000 clients, SQLite
    .venv/bin/python bench/streaming.py --database postgres --workers 2

Why it is built this way:
- The data is what the figure is about and nothing else: one poster and N local users who
  follow it, written in bulk into the schema the migrations make; tokens are issued through
  core (`pnyx.core.oauth.issue_token`), so each connection authenticates for real.
- The server is a `pnyx serve` subprocess (bench/timeline.py's runner); the clients are the
  `websockets` client on asyncio (uvloop), spread over several processes so that no one
  Python process has to read thousands of messages at once, each connection opened with
  `?stream=user` as Mastodon's apps do. Each process also watches its own event loop's lag
  (a 5 ms ticker): a late client would make the server look slow.
- Latency of one post is the time from just before its POST /api/v1/statuses is sent to each
  client's receipt of its `update` (CLOCK_MONOTONIC is shared by all processes of the machine).
- The baseline, measured in the same run with the same clients: a trivial broadcast server
  on the same stack as pnyx serve (uvicorn, httptools, the sans-I/O websockets protocol
  without compression, Starlette's WebSocket, a queue and a writer task per connection as
  pnyx's broker has), whose POST puts one pre-rendered status (the bytes pnyx sent for a post
  of the same text) on every queue. It costs what no streaming server can avoid (the
  transport, the per-connection writes, the clients' reading), so the ratio to it is what
  pnyx's own work (who may see the post, rendering it per viewer) adds. Its memory per
  connection is likewise the floor of the stack.

Built data is kept (bench/data/streaming_<n>.sqlite3, or the PostgreSQL database
pnyx_h_bench_streaming_<n>) and reused unless --rebuild is given.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import multiprocessing as mp
import os
import resource
import statistics
import subprocess
import sys
import time
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent))

import timeline  # noqa: E402  (bench/timeline.py: the server runner, RSS, databases)
from pnyx.config import Settings  # noqa: E402
from pnyx.core import oauth, uris  # noqa: E402
from pnyx.core.passwords import hash_password  # noqa: E402
from pnyx.db.engine import Tx, create_db_engine, normalize_url  # noqa: E402
from pnyx.db.ids import id_floor  # noqa: E402
from pnyx.db.migrate import upgrade  # noqa: E402
from pnyx.db.tables import accounts, follows, oauth_apps, users  # noqa: E402

DATA_DIR = timeline.DATA_DIR
DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/pnyx_h_bench"
BUILDER_VERSION = 1
TARGET_P99 = 1.0  # seconds
TARGET_BYTES_PER_CONNECTION = 50 * 1024


# --- Data -----------------------------------------------------------------------------------


def build(url: str, n: int) -> dict:
    """The poster (index 0) and n followers, with a token each (issued through core)."""
    started = time.monotonic()
    settings = Settings(domain=timeline.DOMAIN, database_url=url)
    engine = create_db_engine(url)
    upgrade(engine)
    engine.dispose()
    created = datetime.now(UTC).replace(tzinfo=None, microsecond=0) - timedelta(days=30)
    account_ids = [id_floor(created + timedelta(seconds=i)) | 1 for i in range(n + 1)]
    user_ids = [aid + 2 for aid in account_ids]
    password_hash = hash_password("benchmark password")
    bulk_engine = sa.create_engine(normalize_url(url))
    with bulk_engine.connect() as conn:
        tx = Tx(conn, settings)
        app = oauth.create_app(
            tx, "pnyx streaming bench", [oauth.OOB], ["read", "write", "follow"], website=None
        )
        conn.execute(
            accounts.insert(),
            [
                {
                    "id": account_ids[i],
                    "username": f"user{i}",
                    "domain": None,
                    "display_name": "The poster" if i == 0 else f"Follower {i}",
                    "note": "",
                    "note_source": "",
                    "fields": [],
                    "also_known_as": [],
                    "followers_count": n if i == 0 else 0,
                    "following_count": 0 if i == 0 else 1,
                    "created_at": created,
                    "updated_at": created,
                    **uris.account_actor_urls(settings, f"user{i}"),
                }
                for i in range(n + 1)
            ],
        )
        conn.execute(
            users.insert(),
            [
                {
                    "id": user_ids[i],
                    "account_id": account_ids[i],
                    "email": f"user{i}@bench.example",
                    "password_hash": password_hash,
                    "role": "user",
                    "created_at": created,
                }
                for i in range(n + 1)
            ],
        )
        follow_base = id_floor(created + timedelta(days=1))
        if n:  # (executemany of no rows would insert one row of defaults)
            conn.execute(
                follows.insert(),
                [
                    {
                        "id": follow_base + i,
                        "account_id": account_ids[i],
                        "target_account_id": account_ids[0],
                        "show_reblogs": True,
                        "notify": False,
                        "created_at": created + timedelta(days=1),
                    }
                    for i in range(1, n + 1)
                ],
            )
        tokens = [
            oauth.issue_token(tx, app.id, user_ids[i], ["read", "write", "follow"])[0]
            for i in range(n + 1)
        ]
        conn.commit()
    bulk_engine.dispose()
    return {
        "n": n,
        "schema": timeline.schema_fingerprint() + f"/streaming {BUILDER_VERSION}",
        "tokens": tokens,
        "build_seconds": round(time.monotonic() - started, 1),
    }


def database_url(kind: str, name: str, postgres_base: str) -> str:
    """bench/data/<name>.sqlite3, or the PostgreSQL database <base>_<name>."""
    if kind == "sqlite":
        return f"sqlite:///{DATA_DIR / f'{name}.sqlite3'}"
    url = sa.engine.make_url(normalize_url(postgres_base))
    return url.set(database=f"{url.database}_{name}").render_as_string(hide_password=False)


def prepare(kind: str, name: str, n: int, postgres_base: str, rebuild: bool) -> tuple[str, dict]:
    """The database of one poster and n followers called `name` (built unless kept), and its
    manifest (the tokens, the poster's first)."""
    url = database_url(kind, name, postgres_base)
    manifest_path = DATA_DIR / f"{name}-{kind}.json"
    schema = timeline.schema_fingerprint() + f"/streaming {BUILDER_VERSION}"
    if not rebuild and manifest_path.is_file():
        manifest = json.loads(manifest_path.read_text())
        if manifest.get("schema") == schema and manifest.get("n") == n:
            engine = create_db_engine(url)
            try:
                with engine.connect() as conn:
                    apps = conn.execute(sa.select(sa.func.count()).select_from(oauth_apps))
                    if apps.scalar():
                        print(f"[{kind}] reusing the {n} followers built earlier")
                        return url, manifest
            except sa.exc.SQLAlchemyError:
                pass
            finally:
                engine.dispose()
    print(f"[{kind}] building one poster and {n} followers")
    timeline.reset_database(url)
    manifest = build(url, n)
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    manifest_path.write_text(json.dumps(manifest))
    print(f"[{kind}] built in {manifest['build_seconds']} s")
    return url, manifest


# --- Clients (in their own processes) --------------------------------------------------------


def raise_open_files() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def client_process(
    slot: int, url: str, tokens: list[str], events, counts, results, bearer: bool
) -> None:
    """Open one connection per token, report ready, record every message until told to stop."""
    raise_open_files()
    try:
        import uvloop

        runner = uvloop.run
    except ImportError:  # pragma: no cover
        runner = asyncio.run
    runner(_clients(slot, url, tokens, events, counts, results, bearer))


async def _clients(slot, url, tokens, events, counts, results, bearer) -> None:
    from websockets.asyncio.client import connect

    ready, stop = events
    received: list[tuple[float, str]] = []
    gate = asyncio.Semaphore(20)
    started = time.monotonic()

    async def open_one(token: str):
        headers = {"Authorization": f"Bearer {token}"} if bearer else None
        async with gate:
            return await connect(
                url,
                additional_headers=headers,
                compression=None,
                ping_interval=None,
                open_timeout=120,
                max_size=2**20,
            )

    opened = await asyncio.gather(*(open_one(t) for t in tokens), return_exceptions=True)
    sockets = [ws for ws in opened if not isinstance(ws, BaseException)]
    errors = [repr(e) for e in opened if isinstance(e, BaseException)]
    connect_seconds = time.monotonic() - started

    async def read(ws) -> None:
        with contextlib.suppress(Exception):
            async for text in ws:
                received.append((time.monotonic(), text))
                counts[slot] += 1

    readers = [asyncio.create_task(read(ws)) for ws in sockets]
    lags: list[tuple[float, float]] = []  # (when, how late) of ticks more than 2 ms late

    async def ticker() -> None:
        while True:
            before = time.monotonic()
            await asyncio.sleep(0.005)
            late = time.monotonic() - before - 0.005
            if late > 0.002:
                lags.append((time.monotonic(), late))

    ticking = asyncio.create_task(ticker())
    results.put(("ready", slot, len(sockets), errors[:3], len(errors), connect_seconds))
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, stop.wait)
    ticking.cancel()
    gate = asyncio.Semaphore(200)

    async def close(ws) -> None:
        async with gate:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(ws.close(), 10)

    await asyncio.gather(*(close(ws) for ws in sockets))
    for task in readers:
        task.cancel()
    out = []
    for when, text in received:
        try:
            message = orjson.loads(text)
            event = message.get("event")
            payload = message.get("payload")
            sid = orjson.loads(payload).get("id") if event == "update" else None
        except (orjson.JSONDecodeError, AttributeError, TypeError):
            event, sid = "?", None
        out.append((when, event, sid, len(text)))
    results.put(("done", slot, out, lags))


class Crowd:
    """N connections spread over client processes."""

    def __init__(self, url: str, tokens: list[str], processes: int, *, bearer: bool = True):
        ctx = mp.get_context("fork")
        self.n = len(tokens)
        self.processes = max(1, min(processes, self.n))
        self.counts = ctx.Array("l", self.processes, lock=False)
        self.ready = ctx.Event()
        self.stop = ctx.Event()
        self.results = ctx.Queue()
        shares = [tokens[i :: self.processes] for i in range(self.processes)]
        self.procs = [
            ctx.Process(
                target=client_process,
                args=(
                    i,
                    url,
                    shares[i],
                    (self.ready, self.stop),
                    self.counts,
                    self.results,
                    bearer,
                ),
                daemon=True,
            )
            for i in range(self.processes)
        ]

    def open(self, timeout: float = 600) -> dict:
        started = time.monotonic()
        for p in self.procs:
            p.start()
        connected, errors, failed, slowest = 0, [], 0, 0.0
        for _ in self.procs:
            kind, _slot, ok, errs, nfail, seconds = self.results.get(timeout=timeout)
            assert kind == "ready"
            connected += ok
            failed += nfail
            errors += errs
            slowest = max(slowest, seconds)
        self.connected = connected
        return {
            "connected": connected,
            "failed": failed,
            "errors": errors[:3],
            "seconds": time.monotonic() - started,
        }

    def received(self) -> int:
        return sum(self.counts)

    def close(self) -> tuple[list, list]:
        self.stop.set()
        messages, lags = [], []
        for _ in self.procs:
            kind, _slot, out, lag = self.results.get(timeout=300)
            messages += out
            lags += lag
        for p in self.procs:
            p.join(timeout=30)
            if p.is_alive():
                p.kill()
        return messages, lags


# --- The baseline server ---------------------------------------------------------------------


def baseline_app(payload_path: str):
    """A trivial broadcast on pnyx serve's stack: every POST /post puts one pre-rendered
    status on each connection's queue, whose writer task sends it as pnyx's does."""
    from starlette.applications import Starlette
    from starlette.responses import JSONResponse
    from starlette.routing import Route, WebSocketRoute
    from starlette.websockets import WebSocketDisconnect

    template = orjson.loads(Path(payload_path).read_bytes())
    queues: set[asyncio.Queue] = set()
    serial = [0]

    async def write(websocket, queue: asyncio.Queue) -> None:
        while True:
            key, event, payload = await queue.get()
            data = {"stream": [key], "event": event, "payload": payload}
            await websocket.send_text(orjson.dumps(data).decode())

    async def stream(websocket) -> None:
        queue: asyncio.Queue = asyncio.Queue(256)
        await websocket.accept()
        queues.add(queue)
        writer = asyncio.create_task(write(websocket, queue))
        try:
            while True:
                await websocket.receive_text()
        except (WebSocketDisconnect, RuntimeError):
            pass
        finally:
            queues.discard(queue)
            writer.cancel()

    async def post(request):
        serial[0] += 1
        sid = str(10**17 + serial[0])
        payload = orjson.dumps({**template, "id": sid}).decode()
        for queue in queues:
            with contextlib.suppress(asyncio.QueueFull):
                queue.put_nowait(("user", "update", payload))
        return JSONResponse({"id": sid})

    async def ping(request):
        return JSONResponse({"clients": len(queues)})

    return Starlette(
        routes=[
            WebSocketRoute("/api/v1/streaming", stream),
            Route("/post", post, methods=["POST"]),
            Route("/api/v1/instance", ping),
        ]
    )


def serve_baseline(port: int, payload_path: str) -> None:
    import uvicorn

    uvicorn.run(
        baseline_app(payload_path),
        host="127.0.0.1",
        port=port,
        log_level="warning",
        access_log=False,
        loop="uvloop",
        http="httptools",
        ws="websockets-sansio",
        ws_per_message_deflate=False,
    )


class BaselineServer(timeline.Server):
    def __init__(self, payload_path: Path, log_path: Path):  # noqa: D107
        self.port = timeline.free_port()
        self.log = log_path.open("wb")
        self.log_path = log_path
        self.process = subprocess.Popen(
            [sys.executable, __file__, "--serve-baseline", str(self.port), str(payload_path)],
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


# --- Measuring -------------------------------------------------------------------------------


def http_post(port: int, path: str, form: dict, token: str | None) -> tuple[int, dict]:
    data = "&".join(f"{k}={urllib.request.quote(str(v))}" for k, v in form.items()).encode()
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=data, method="POST")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    with urllib.request.urlopen(request, timeout=60) as response:
        return response.status, json.loads(response.read())


def post_once(target: dict, text: str) -> tuple[float, float, str]:
    before = time.monotonic()
    if target["kind"] == "baseline":
        _, body = http_post(target["port"], "/post", {}, None)
    else:
        _, body = http_post(
            target["port"], "/api/v1/statuses", {"status": text}, target["poster_token"]
        )
    return before, time.monotonic(), body["id"]


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered)) - 1))]


def phase(target: dict, tokens: list[str], args, label: str) -> dict:
    """Connect len(tokens) clients to `target`, measure memory, post args.posts times."""
    pid = target["pid"]
    rss_before = timeline.process_tree_rss(pid)
    url = f"ws://127.0.0.1:{target['port']}/api/v1/streaming?stream=user"
    crowd = Crowd(url, tokens, args.client_processes)
    print(f"  [{label}] opening {len(tokens)} connections from {crowd.processes} processes ...")
    opened = crowd.open()
    print(
        f"  [{label}] {opened['connected']} connected in {opened['seconds']:.1f} s"
        + (f", {opened['failed']} failed: {opened['errors']}" if opened["failed"] else "")
    )
    time.sleep(args.settle)
    rss_after = timeline.process_tree_rss(pid)
    posts = []
    load = [os.getloadavg()[0]]
    try:
        for k in range(args.posts):
            time.sleep(args.gap)
            expected = crowd.received() + crowd.connected
            before, after, sid = post_once(target, f"Streaming benchmark post {k} from {label}")
            deadline = time.monotonic() + args.timeout
            while crowd.received() < expected and time.monotonic() < deadline:
                time.sleep(0.01)
            got = crowd.received() - (expected - crowd.connected)
            posts.append({"id": str(sid), "before": before, "after": after})
            bar = "#" * round(30 * got / max(crowd.connected, 1))
            print(
                f"  [{label}] post {k + 1}/{args.posts} [{bar:<30}] {got}/{crowd.connected}, "
                f"POST answered in {(after - before) * 1000:.0f} ms"
            )
    finally:
        load.append(os.getloadavg()[0])
        messages, lags = crowd.close()
    return summarize(label, opened, rss_before, rss_after, posts, messages, lags, load)


def summarize(label, opened, rss_before, rss_after, posts, messages, lags, load) -> dict:
    by_id: dict[str, list[float]] = {}
    sizes = []
    for when, event, sid, size in messages:
        if event == "update" and sid is not None:
            by_id.setdefault(str(sid), []).append(when)
            sizes.append(size)
    latencies, after_answer, per_post = [], [], []
    missing = 0
    for p in posts:
        times = by_id.get(p["id"], [])
        missing += max(0, opened["connected"] - len(times))
        lat = [t - p["before"] for t in times]
        latencies += lat
        after_answer += [t - p["after"] for t in times]
        if lat:
            per_post.append(
                {
                    "p50": percentile(lat, 50),
                    "p99": percentile(lat, 99),
                    "max": max(lat),
                    "first": min(lat),
                    "post_ms": (p["after"] - p["before"]) * 1000,
                    "rate": len(lat) / max(lat),
                }
            )
    window = [(p["before"], p["before"] + 5) for p in posts]
    lag_in = [late for when, late in lags if any(a <= when <= b for a, b in window)]
    connected = opened["connected"]
    return {
        "label": label,
        "connected": connected,
        "failed": opened["failed"],
        "connect_seconds": opened["seconds"],
        "rss_before_mb": rss_before / 2**20,
        "rss_after_mb": rss_after / 2**20,
        "bytes_per_connection": (rss_after - rss_before) / connected if connected else None,
        "p50": percentile(latencies, 50),
        "p95": percentile(latencies, 95),
        "p99": percentile(latencies, 99),
        "max": max(latencies) if latencies else float("nan"),
        "p99_after_answer": percentile(after_answer, 99),
        "post_p99s": [p["p99"] for p in per_post],
        "messages_per_second": statistics.median(p["rate"] for p in per_post)
        if per_post
        else float("nan"),
        "post_ms": statistics.median(p["post_ms"] for p in per_post) if per_post else float("nan"),
        "first_ms": statistics.median(p["first"] for p in per_post) * 1000
        if per_post
        else float("nan"),
        "per_post": per_post,
        "missing": missing,
        "message_bytes": statistics.mean(sizes) if sizes else 0,
        "client_lag_max_ms": max(lag_in) * 1000 if lag_in else 0.0,
        "load": load,
    }


def report_line(r: dict) -> str:
    per = r["bytes_per_connection"]
    return (
        f"  [{r['label']}] {r['connected']} clients: p50 {r['p50'] * 1000:.0f} ms, "
        f"p95 {r['p95'] * 1000:.0f} ms, p99 {r['p99'] * 1000:.0f} ms, max {r['max'] * 1000:.0f} "
        f"ms, {r['messages_per_second']:.0f} msg/s, {r['missing']} missing; "
        f"{(per or 0) / 1024:.1f} KB per idle connection; client lag max "
        f"{r['client_lag_max_ms']:.0f} ms"
    )


def warm(target: dict, tokens: list[str]) -> None:
    """Open and close a few connections and post once: lazily loaded code is loaded."""
    quiet = argparse.Namespace(client_processes=1, settle=0.5, posts=1, gap=0.2, timeout=10)
    phase(target, tokens[:10], quiet, "warm-up")


def sample_payload(port: int, token: str) -> Path:
    """The bytes pnyx renders for a post like the benchmark's, for the baseline to send."""
    _, body = http_post(port, "/api/v1/statuses", {"status": "Streaming benchmark post 0"}, token)
    path = DATA_DIR / "streaming-payload.json"
    path.write_bytes(orjson.dumps(body))
    return path


def start(name: str, kind: str, url: str, args) -> timeline.Server:
    if name == "pnyx":
        return timeline.Server(url, args.workers, DATA_DIR / f"serve-streaming-{kind}.log")
    payload = DATA_DIR / "streaming-payload.json"
    return BaselineServer(payload, DATA_DIR / "serve-streaming-baseline.log")


def run(kind: str, args) -> list[dict]:
    """Rounds of (pnyx, baseline) in ABBA order, each server a fresh process (its RSS before
    and with the clients is then about the connections, not what an earlier round left)."""
    url, manifest = prepare(
        kind, f"streaming_{args.clients}", args.clients, args.postgres_url, args.rebuild
    )
    poster, tokens = manifest["tokens"][0], manifest["tokens"][1:]
    results = []
    for round_ in range(args.rounds):
        order = ("pnyx", "baseline") if round_ % 2 == 0 else ("baseline", "pnyx")
        for name in order:
            server = start(name, kind, url, args)
            try:
                server.wait_ready()
                time.sleep(2)
                pid = server.process.pid
                idle = timeline.process_tree_rss(pid) / 2**20
                target = {"kind": name, "port": server.port, "pid": pid, "poster_token": poster}
                if name == "pnyx":
                    print(f"[{kind}] pnyx serve --workers {args.workers}: idle RSS {idle:.0f} MB")
                    sample_payload(server.port, poster)  # also what the baseline sends
                warm(target, tokens)
                label = f"{kind} {name} #{round_ + 1}"
                result = phase(target, tokens, args, label)
            finally:
                server.stop()
            result.update(database=kind, server=name, round=round_ + 1, idle_mb=idle)
            print(report_line(result))
            results.append(result)
    return results


def markdown(results: list[dict], args) -> str:
    lines = [
        f"Streaming benchmark, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {os.cpu_count()} cores; "
        f"{args.clients} WebSocket clients (`?stream=user`, each following the poster) in "
        f"{args.client_processes} client processes, {args.posts} posts per round, "
        f"pnyx serve --workers {args.workers}",
        "",
        "| database | server | round | clients | p50 ms | p95 ms | p99 ms | max ms | p99 vs "
        "baseline | p99 of each post ms | msg/s | POST ms | KB / idle conn | client lag max ms "
        "| load 1 min |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: | ---: "
        "| ---: | --- |",
    ]
    base = {(r["database"], r["round"]): r for r in results if r["server"] == "baseline"}
    for r in results:
        b = base.get((r["database"], r["round"]))
        ratio = f"{r['p99'] / b['p99']:.1f}x" if b and r is not b and b["p99"] > 0 else "="
        per = (r["bytes_per_connection"] or 0) / 1024
        missing = f" ({r['missing']} missing)" if r["missing"] else ""
        lines.append(
            f"| {r['database']} | {r['server']} | {r['round']} | {r['connected']}{missing} | "
            f"{r['p50'] * 1000:.0f} | {r['p95'] * 1000:.0f} | {r['p99'] * 1000:.0f} | "
            f"{r['max'] * 1000:.0f} | {ratio} | "
            f"{', '.join(f'{v * 1000:.0f}' for v in r['post_p99s'])} | "
            f"{r['messages_per_second']:.0f} | "
            f"{r['post_ms']:.0f} | {per:.1f} | {r['client_lag_max_ms']:.0f} | "
            f"{r['load'][0]:.1f} -> {r['load'][1]:.1f} |"
        )
    lines.append("")
    for r in results:
        if r["server"] == "pnyx":
            lines.append(
                f"- {r['database']} #{r['round']}: idle RSS of pnyx serve {r['idle_mb']:.0f} MB; "
                f"{r['rss_before_mb']:.0f} MB before the clients, {r['rss_after_mb']:.0f} MB "
                f"with them; messages of {r['message_bytes']:.0f} bytes; p99 from the POST's "
                f"answer {r['p99_after_answer'] * 1000:.0f} ms"
            )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--small", action="store_true", help="200 clients")
    parser.add_argument("--clients", type=int)
    parser.add_argument("--database", choices=("sqlite", "postgres", "both"), default="sqlite")
    parser.add_argument("--postgres-url", default=os.environ.get("PNYX_BENCH_DATABASE_URL", DEFAULT_PG),
                        help="base PostgreSQL URL; _streaming_<n> is appended to the name")  # fmt: skip
    parser.add_argument("--workers", type=int, default=1, help="pnyx serve --workers")
    parser.add_argument("--client-processes", type=int, help="default: one per 500 clients")
    parser.add_argument("--posts", type=int, default=5, help="posts per round")
    parser.add_argument("--rounds", type=int, default=3, help="pnyx and baseline, ABBA")
    parser.add_argument("--gap", type=float, default=1.0, help="seconds between posts")
    parser.add_argument("--settle", type=float, default=3.0,
                        help="seconds between connecting and reading the RSS")  # fmt: skip
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds to wait per post")
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument("--json", type=Path, help="also write the raw results here")
    parser.add_argument("--serve-baseline", nargs=2, metavar=("PORT", "PAYLOAD"),
                        help=argparse.SUPPRESS)  # fmt: skip
    args = parser.parse_args(argv)
    if args.serve_baseline:
        serve_baseline(int(args.serve_baseline[0]), args.serve_baseline[1])
        return 0
    args.clients = args.clients or (200 if args.small else 2000)
    args.client_processes = args.client_processes or max(1, min(8, args.clients // 500))
    raise_open_files()
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    kinds = ["sqlite", "postgres"] if args.database == "both" else [args.database]
    results = []
    for kind in kinds:
        results += run(kind, args)
    report = markdown(results, args)
    print()
    print(report)
    if args.json:
        args.json.write_text(json.dumps({"results": results, "report": report}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
