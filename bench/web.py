"""Web UI benchmark: the HTML home timeline and a public profile page against the JSON home
timeline, for the same data, in the same run, on a real `pnyx serve`.

    .venv/bin/python bench/web.py --small          # 1,000 accounts, 50,000 statuses (~4 min)
    .venv/bin/python bench/web.py                  # 10,000 accounts, 1,000,000 statuses

Why it is built this way:
- The data is bench/timeline.py's synthetic instance (same builder, same kept files under
  bench/data/), so the figures compare with BENCHMARKS.md.
- The same users are measured both ways: for each sampled user this script issues an API
  token (`pnyx.core.oauth.issue_token`) and starts a web session (`start_session`), so
  `GET /home` with the session cookie and `GET /api/v1/timelines/home` with the token read the
  same home timelines. Profiles are measured signed out (`GET /@user`, what a visitor with a
  link sees) for a spread of authors, against the JSON of the same authors' posts.
- Load comes from wrk at 32 connections, rotating users. Each round measures the JSON home
  timeline first and again last, and compares the pages in between with the mean of the two;
  there are three rounds by default and the report gives medians (this machine is shared,
  and one 10 s run can be off by a quarter).
- Cost is 1 / throughput: "HTML costs 1.3x the JSON" means the server answers 1.3 times fewer
  HTML pages than JSON documents per second. Target: HTML home within 1.5x of JSON home.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent))

import timeline  # noqa: E402  (bench/timeline.py: the data builder and the server runner)
from pnyx.config import Settings  # noqa: E402
from pnyx.core import oauth  # noqa: E402
from pnyx.db.engine import Tx, create_db_engine  # noqa: E402
from pnyx.db.tables import accounts, oauth_apps, users  # noqa: E402

TARGET = 1.5


def get(port: int, path: str, header: tuple[str, str] | None = None) -> tuple[int, bytes]:
    """One request without following redirects (a 303 to the sign-in page must show)."""
    import http.client

    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("GET", path, headers=dict([header]) if header else {})
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


# --- Credentials for the sampled users ---------------------------------------------------


def credentials(url: str, count: int, seed: int) -> list[dict]:
    """For `count` users (a seeded sample), an API token and a web session, made through core,
    plus their account id and username."""
    engine = create_db_engine(url)
    settings = Settings(domain=timeline.DOMAIN, database_url=url)
    people = []
    with engine.connect() as conn, conn.begin():
        tx = Tx(conn, settings)
        app_id = conn.execute(
            sa.select(oauth_apps.c.id).where(oauth_apps.c.name == "pnyx bench")
        ).scalar()
        if app_id is None:
            raise SystemExit("the benchmark data has no 'pnyx bench' app: rebuild it")
        rows = conn.execute(
            sa.select(users.c.id, accounts.c.id, accounts.c.username)
            .join(accounts, accounts.c.id == users.c.account_id)
            .order_by(users.c.id)
        ).all()
        chosen = random.Random(seed).sample(rows, min(count, len(rows)))
        for user_id, account_id, username in chosen:
            token, _ = oauth.issue_token(tx, app_id, user_id, ["read"])
            session = oauth.start_session(tx, user_id, "pnyx bench/web.py")
            people.append(
                {"account_id": account_id, "username": username, "token": token, "session": session}
            )
    engine.dispose()
    return people


# --- Measuring -----------------------------------------------------------------------------


def check(port: int, people: list[dict]) -> list[str]:
    """Each endpoint answers what it should before it is loaded, and both home views hold the
    same posts; returns notes (sizes) for the report."""
    someone = people[0]
    status, body = get(
        port, "/api/v1/timelines/home", ("Authorization", f"Bearer {someone['token']}")
    )
    if status != 200:
        raise SystemExit(f"/api/v1/timelines/home answered {status}: {body[:300]!r}")
    json_ids = [s["id"] for s in json.loads(body)]
    status, page = get(port, "/home", ("Cookie", f"pnyx_session={someone['session']}"))
    if status != 200:
        raise SystemExit(f"/home with a session answered {status} (not signed in?)")
    html_ids = re.findall(rb'<article[^>]*\bdata-id="(\d+)"', page)
    if [i.decode() for i in html_ids] != json_ids:
        print(f"note: /home shows {len(html_ids)} posts, the JSON {len(json_ids)}")
    status, profile = get(port, f"/@{someone['username']}")
    if status != 200:
        raise SystemExit(f"/@{someone['username']} answered {status}")
    return [
        f"one home timeline: {len(json_ids)} posts; JSON {len(body) / 1024:.0f} KB, "
        f"HTML {len(page) / 1024:.0f} KB; a profile page {len(profile) / 1024:.0f} KB"
    ]


def measure(url: str, args) -> dict:
    people = credentials(url, args.users, args.seed)
    server = timeline.Server(url, args.workers, timeline.DATA_DIR / "serve-web.log")
    results: dict = {"endpoints": {}, "notes": []}
    try:
        server.wait_ready()
        time.sleep(2)
        results["notes"] += check(server.port, people)
        load_before = os.getloadavg()
        json_home = [timeline.bearer("/api/v1/timelines/home", p["token"]) for p in people]
        endpoints = [
            ("json_home", "GET /api/v1/timelines/home (token)", json_home),
            ("html_home", "GET /home (session cookie)",
             [f"/home\tCookie\tpnyx_session={p['session']}" for p in people]),
            ("html_profile", "GET /@user (signed out)",
             [f"/@{p['username']}" for p in people]),
            ("json_profile", "GET /api/v1/accounts/:id/statuses (signed out)",
             [f"/api/v1/accounts/{p['account_id']}/statuses" for p in people]),
            ("json_home_again", "GET /api/v1/timelines/home again", json_home),
        ]  # fmt: skip
        for round_number in range(1, args.rounds + 1):
            for key, label, lines in endpoints:
                title = f"round {round_number}/{args.rounds}, {label}"
                result = timeline.load_endpoint(server.port, lines, args, title)
                result["label"] = label
                results["endpoints"].setdefault(key, []).append(result)
        results["load"] = {"before": load_before, "after": os.getloadavg()}
    finally:
        server.stop()
    return results


def _median(values: list[float]) -> float:
    return statistics.median(values)


def report(results: dict, manifest: dict, args) -> str:
    e = results["endpoints"]
    rounds = len(e["json_home"])
    # Each round compares with the JSON home measured around it (first and last of the round).
    json_rps = [
        (e["json_home"][i]["rps"] + e["json_home_again"][i]["rps"]) / 2 for i in range(rounds)
    ]

    def ratios(key: str) -> list[float]:
        return [json_rps[i] / e[key][i]["rps"] if e[key][i]["rps"] else float("inf")
                for i in range(rounds)]  # fmt: skip

    rows = manifest["rows"]
    lines = [
        f"Web benchmark, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {os.cpu_count()} cores, "
        f"{args.database}; {rows['accounts']:,} accounts, {rows['statuses']:,} statuses, "
        f"{rows['follows']:,} follows; wrk {args.connections} connections, {args.duration} s "
        f"per endpoint, {rounds} round(s) (medians); pnyx serve --workers {args.workers}; "
        f"{args.users} users rotated",
        "",
        "| endpoint | req/s | p50 ms | p99 ms | cost vs JSON home (each round) | errors |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for key in ("json_home", "html_home", "html_profile", "json_profile", "json_home_again"):
        runs = e[key]
        each = ", ".join(f"{r:.2f}" for r in ratios(key))
        lines.append(
            f"| {runs[0]['label']} | {_median([r['rps'] for r in runs]):.0f} | "
            f"{_median([r['p50_us'] for r in runs]) / 1000:.1f} | "
            f"{_median([r['p99_us'] for r in runs]) / 1000:.1f} | "
            f"{_median(ratios(key)):.2f}x ({each}) | "
            f"{sum(r['status_errors'] + r['socket_errors'] for r in runs)} |"
        )
    home_ratio = _median(ratios("html_home"))
    profile_ratio = _median(ratios("html_profile"))
    profile_vs_own = _median(
        [e["json_profile"][i]["rps"] / e["html_profile"][i]["rps"] for i in range(rounds)]
    )
    verdict = "within" if home_ratio <= TARGET else "OVER"
    lines += [
        "",
        f"- HTML home / JSON home cost: {home_ratio:.2f}x, median of {rounds} round(s) "
        f"({verdict} the {TARGET}x target)",
        f"- HTML profile / JSON home cost: {profile_ratio:.2f}x; HTML profile / JSON of the "
        f"same account's posts: {profile_vs_own:.2f}x",
        "- JSON home first / last of each round: "
        + "; ".join(
            f"{e['json_home'][i]['rps']:.0f} / {e['json_home_again'][i]['rps']:.0f}"
            for i in range(rounds)
        )
        + " req/s (each round's ratios use its mean)",
        "- load average (1, 5, 15 min) before: "
        + ", ".join(f"{x:.1f}" for x in results["load"]["before"])
        + "; after: "
        + ", ".join(f"{x:.1f}" for x in results["load"]["after"])
        + " (the benchmark itself adds about 2-3 on 2 cores)",
    ]
    lines += [f"- {note}" for note in results["notes"]]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--small", action="store_true", help="1,000 accounts, 50,000 statuses, 50 follows"
    )
    parser.add_argument("--accounts", type=int)
    parser.add_argument("--statuses", type=int)
    parser.add_argument("--follows", type=int, help="follows per account")
    parser.add_argument("--database", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument(
        "--postgres-url", default=os.environ.get("PNYX_BENCH_DATABASE_URL", timeline.DEFAULT_PG)
    )
    parser.add_argument("--rebuild", action="store_true", help="rebuild the data even if kept")
    parser.add_argument("--users", type=int, default=200, help="users to rotate through")
    parser.add_argument("--seed", type=int, default=2)
    parser.add_argument("--duration", type=int, default=10, help="seconds per endpoint")
    parser.add_argument("--warmup", type=int, default=2, help="seconds of warm-up per endpoint")
    parser.add_argument(
        "--rounds", type=int, default=3, help="times to measure every endpoint (medians reported)"
    )
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--workers", type=int, default=1, help="pnyx serve --workers")
    parser.add_argument("--json", type=Path, help="also write the raw results here")
    args = parser.parse_args(argv)

    size = timeline.Size(1_000, 50_000, 50) if args.small else timeline.Size(10_000, 1_000_000, 100)
    size = timeline.Size(
        args.accounts or size.accounts, args.statuses or size.statuses, args.follows or size.follows
    )
    timeline.wrk_available()
    if not timeline.PNYX.exists():
        raise SystemExit(f"{timeline.PNYX} is missing: run `make install` first")
    if not shutil.which("wrk"):
        raise SystemExit("wrk is missing: apt-get install -y wrk")
    timeline.DATA_DIR.mkdir(parents=True, exist_ok=True)
    if args.database == "sqlite":
        url = timeline.sqlite_url(size)
    else:
        url = timeline.postgres_url(args.postgres_url, size)
    manifest = timeline.prepare(
        url, args.database, size, seed=args.seed, rebuild=args.rebuild, tokens=1000
    )
    results = measure(url, args)
    text = report(results, manifest, args)
    print()
    print(text)
    if args.json:
        args.json.write_text(json.dumps({"results": results, "report": text}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
