"""Where one home-timeline request spends its time, measured inside one process.

    .venv/bin/python bench/render.py                  # on the --small SQLite data of timeline.py
    .venv/bin/python bench/render.py --database postgres --size 10000_1000000_100

Uses the data `bench/timeline.py` built (run it first). For a sample of users it times, per
request: the token lookup, choosing the page's status ids (`core.timelines.home`), loading what
rendering needs (`core.status_views.load`), turning rows into Mastodon entities
(`api.entities.statuses`), and serializing the page with orjson, next to the standard
library's json for comparison. No HTTP and no thread hop: that is what `timeline.py` adds.

Each step is timed twice over the same users: the first read of each page (this process has
not rendered its posts yet) and the second (their Status and Account JSON come from the
process's cache, `presenters.render_cache`, checked against the rows read again).

Then the same for the web UI's home page (`/home`), for the same users with a web session:
the visitor lookup (session, unread count, instance overrides), the same page ids, load and
entities, the compose form's values, and rendering `site/timeline.html` with Jinja.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import orjson

from pnyx.config import Settings
from pnyx.core import status_views, timelines
from pnyx.core.oauth import lookup_viewer, start_session
from pnyx.core.paging import Page
from pnyx.db.engine import Database
from pnyx.presenters import entities
from pnyx.web import compose_form, rendering
from pnyx.web import session as web_session

sys.path.insert(0, str(Path(__file__).resolve().parent))
import timeline  # noqa: E402  (the benchmark next to this file: paths and URLs)

CLOCK = time.thread_time  # the steps of one request, all in this thread
PROCESS_CLOCK = time.process_time  # whole requests: the event loop and the worker threads


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--size", default="1000_50000_50", help="accounts_statuses_follows")
    parser.add_argument("--postgres-url", default=timeline.DEFAULT_PG)
    parser.add_argument("--users", type=int, default=200, help="requests to time")
    parser.add_argument(
        "--clock",
        choices=("cpu", "wall"),
        default="cpu",
        help="cpu: CPU time of the thread (the process, for whole requests), so that other "
        "work on a shared machine weighs less; wall: elapsed time (as before issue 11)",
    )
    args = parser.parse_args(argv)
    global CLOCK, PROCESS_CLOCK
    if args.clock == "wall":
        CLOCK = PROCESS_CLOCK = time.perf_counter
    print(f"clock: {args.clock}")

    size = timeline.Size(*(int(x) for x in args.size.split("_")))
    manifest_path = timeline.DATA_DIR / f"timeline-{size.label}-{args.database}.json"
    if not manifest_path.is_file():
        raise SystemExit(f"No data for {args.size} on {args.database}: run bench/timeline.py first")
    manifest = json.loads(manifest_path.read_text())
    url = (
        timeline.sqlite_url(size)
        if args.database == "sqlite"
        else timeline.postgres_url(args.postgres_url, size)
    )
    db = Database(Settings(domain=timeline.DOMAIN, database_url=url))
    tokens = manifest["tokens"]
    first, sizes = api_steps(db, tokens, args.users)
    second, _ = api_steps(db, tokens, args.users)  # the same pages again: rendered JSON cached
    db.dispose()
    print(f"{args.database}, {args.size}, {args.users} home pages "
          f"({statistics.mean(n for n, _ in sizes):.1f} statuses, "
          f"{statistics.mean(b for _, b in sizes) / 1024:.0f} KB of JSON on average)")  # fmt: skip
    print()
    print("| step | first read: median µs | p90 µs | cached: median µs | p90 µs |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for key in first:
        label = key if key != "json" else "json (stdlib, for comparison; not used)"
        cells = []
        for steps in (first, second):
            values = sorted(steps[key])
            cells += [f"{statistics.median(values):.0f}", f"{values[int(len(values) * 0.9)]:.0f}"]
        print(f"| {label} | {' | '.join(cells)} |")
    totals = [
        sum(statistics.median(v) for k, v in s.items() if k != "json") for s in (first, second)
    ]
    print(f"| total, orjson path | {totals[0]:.0f} | | {totals[1]:.0f} | |")
    print()
    html_steps(url, tokens, args.users)
    print()
    asgi_steps(url, tokens, args.users)
    return 0


def api_steps(db: Database, tokens: list[str], users: int) -> tuple[dict, list]:
    """The API's home page for `users` users (after 20 more that warm up), step by step."""
    steps: dict[str, list[float]] = {
        "token": [], "page ids": [], "load": [], "entities": [], "orjson": [], "json": []
    }  # fmt: skip
    sizes = []
    for i in range(users + 20):  # the first 20 warm the caches and are not counted
        with db.transaction(write=False) as tx:
            t0 = CLOCK()
            viewer = lookup_viewer(tx, tokens[i % len(tokens)])
            t1 = CLOCK()
            page = timelines.home(tx, viewer.account_id, Page())
            ids = page.ids  # decided for this viewer already (CheckedIds), as the API does
            t2 = CLOCK()
            bundle = status_views.load(tx, ids, viewer.account_id, filter_context="home")
            t3 = CLOCK()
            items = entities.statuses(bundle, tx.settings, tx.now)
            t4 = CLOCK()
            body = orjson.dumps(items)
            t5 = CLOCK()
            json.dumps(items)
            t6 = CLOCK()
        if i < 20:
            continue
        _record(steps, (t0, t1, t2, t3, t4, t5, t6))
        sizes.append((len(items), len(body)))
    return steps, sizes


def _record(steps: dict[str, list[float]], marks: tuple[float, ...]) -> None:
    """The time between consecutive marks, in µs, one step each (in the dict's order)."""
    for key, start, end in zip(steps, marks[:-1], marks[1:], strict=True):
        steps[key].append((end - start) * 1e6)


def html_steps(url: str, tokens: list[str], users: int) -> None:
    """The web UI's home page for the users behind the first tokens, step by step."""
    db = Database(Settings(domain=timeline.DOMAIN, database_url=url))
    sessions = []
    with db.transaction(write=True) as tx:  # a web session for each user (kept: harmless)
        for token in tokens[: min(users, len(tokens))]:
            viewer = lookup_viewer(tx, token)
            sessions.append(start_session(tx, viewer.user_id, "bench/render.py"))
    steps = {"visitor": [], "page ids": [], "load": [], "entities": [], "compose": [],
             "render (Jinja)": []}  # fmt: skip
    sizes = []
    for i in range(users + 20):
        with db.transaction(write=False) as tx:
            t0 = CLOCK()
            user, unread, site = web_session.lookup(tx, sessions[i % len(sessions)])
            t1 = CLOCK()
            ids = timelines.home(tx, user.account_id, Page(limit=20)).ids
            t2 = CLOCK()
            bundle = status_views.load(tx, ids, user.account_id)  # CheckedIds: not decided twice
            t3 = CLOCK()
            items = entities.statuses(bundle, tx.settings, tx.now)
            t4 = CLOCK()
            compose = compose_form.compose_context(tx, user, ui_language="en", return_to="/home")
            t5 = CLOCK()
        html = rendering.render(
            "site/timeline.html", language="en", base_url=site.base_url, path="/home",
            instance_title=site.instance_title, viewer=user, unread=unread,
            csrf_token="x" * 43, heading="Home", statuses=items, stream="home",
            next_url="/home?max_id=1", compose=compose,
        )  # fmt: skip
        t6 = CLOCK()
        if i < 20:
            continue
        _record(steps, (t0, t1, t2, t3, t4, t5, t6))
        sizes.append((len(items), len(html.encode())))
    db.dispose()
    print(f"web UI, {users} home pages ({statistics.mean(n for n, _ in sizes):.1f} statuses, "
          f"{statistics.mean(b for _, b in sizes) / 1024:.0f} KB of HTML on average)")  # fmt: skip
    print()
    print("| step | median µs | p90 µs |")
    print("| --- | ---: | ---: |")
    for key, values in steps.items():
        values.sort()
        print(f"| {key} | {statistics.median(values):.0f} | {values[int(len(values) * 0.9)]:.0f} |")
    total = sum(statistics.median(v) for v in steps.values())
    print(f"| total | {total:.0f} | |")


def asgi_steps(url: str, tokens: list[str], users: int) -> None:
    """Whole requests through the app (middleware, routing, the thread hop, the handler),
    one at a time, in this process: a trivial endpoint without a database, the benchmark's
    baseline, and the home timeline. What HTTP parsing adds is `timeline.py`'s to measure."""
    import asyncio

    from pnyx.app import create_app

    settings = Settings(domain=timeline.DOMAIN, database_url=url, rate_limits=False)
    app = create_app(settings, run_workers=False, migrate=False)

    async def one(path: str, token: str) -> None:
        scope = {
            "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET",
            "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": b"",
            "root_path": "", "client": ("127.0.0.1", 50000), "server": ("127.0.0.1", 80),
            "headers": [(b"host", timeline.DOMAIN.encode()),
                        (b"authorization", f"Bearer {token}".encode())],
        }  # fmt: skip
        status = []

        async def receive():
            return {"type": "http.request", "body": b"", "more_body": False}

        async def send(message):
            if message["type"] == "http.response.start":
                status.append(message["status"])

        await app(scope, receive, send)
        if status != [200]:
            raise SystemExit(f"{path} answered {status}")

    async def run() -> list[tuple[str, float]]:
        out = []
        paths = ("/api/v1/streaming/health", timeline.BASELINE_CANDIDATES[0],
                 "/api/v1/timelines/home")  # fmt: skip
        for path in paths:
            for i in range(20):
                await one(path, tokens[i % len(tokens)])
            times = []
            for i in range(users):
                t0 = PROCESS_CLOCK()
                await one(path, tokens[i % len(tokens)])
                times.append((PROCESS_CLOCK() - t0) * 1e6)
            times.sort()
            out.append((path, statistics.median(times)))
        return out

    results = asyncio.run(run())
    app.state.db.dispose()
    print(f"whole requests through the app in this process, one at a time, {users} each")
    print()
    print("| request | median µs |")
    print("| --- | ---: |")
    for path, median in results:
        print(f"| GET {path} | {median:.0f} |")


if __name__ == "__main__":
    sys.exit(main())
