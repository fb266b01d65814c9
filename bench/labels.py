"""Labels benchmark (issue 12): a home page when its viewer applies 20 labelers holding
1,000,000 labels, against the same page when they apply none.

    .venv/bin/python bench/labels.py --database both       # the default size, both databases
    .venv/bin/python bench/labels.py --small               # 1,000 accounts, 50,000 statuses

Target: a 20-status home page with 20 labelers subscribed costs within 1.3x the same page with
none, measured in the same run.

Why it is built this way:
- The data is bench/timeline.py's synthetic instance, copied (an SQLite backup to
  bench/data/labels-<size>.sqlite3, a PostgreSQL `CREATE DATABASE ... TEMPLATE` named
  <timeline database>_labels), and the labels go into the copy: timeline.py's own data, and so
  its figures, stay as they were. The copy is kept and reused while the timeline data it came
  from is unchanged (`--rebuild` makes it again).
- Into the copy: 20 local labeler accounts, each with five definitions (three warn by default,
  two inform / show), and 1,000,000 labels spread over them. Almost all are on posts of the
  benchmark data: one post in ten that is not a boost (`--share`; drawn at random in every
  run of ten, so that a 20-post page holds about two labeled posts, as a real page would when
  labels are many but concentrated on contested posts), each by ~11 (labeler, value) pairs;
  a few hundred are on accounts (1% of the accounts: every post of theirs carries the label).
  10% are negated and 5% have expired: they are read and must be set aside. They are written
  in bulk, as timeline.py writes its data (COPY on PostgreSQL, executemany on SQLite). The
  instance labeler is made in the copy too (through core), so that (a) applies it from the
  first request.
- Two configurations on one running `pnyx serve`, alternating (none, all; all, none; ...) so
  that the machine's drift (±10-30% here) falls on both alike: (a) "none", the benchmark's
  1,000 viewers subscribe to no labeler (the instance labeler, which holds no labels, is still
  applied: its query runs on every page in both configurations), (b) "all", each subscribes to
  the 20 labelers. Subscriptions are written through SQL between runs; the table's triggers
  move each viewer's rules version, which every request reads with its token, so the server
  reloads the rules it keeps without a restart. Each switch is followed by one home page per
  viewer (8 at a time): the rules are reloaded there, not in the measured run, and the pages
  are checked (with 20 labelers some carry `filtered` entries titled "Label: ...", with none,
  no page does).
- Load is `wrk` at 32 connections on `GET /api/v1/timelines/home` (20 statuses), round-robin
  over the 1,000 tokens (timeline.py's script and runner). Cost per request is CPU time over
  the measured run divided by the requests answered: the server's process tree (from /proc)
  and, on PostgreSQL, the backends of its connections (where the label statement is planned
  and run). On a shared machine it moves less than req/s, which is reported too.
- A configuration whose pages come slower than 10 a second (8 at a time) is not given to wrk:
  at 32 connections its requests would near wrk's 5 s timeout, and those wrk gives up on are
  still answered, for minutes, into the next run. Its figures are those of the check (at most
  `--check-seconds`), and the report says so.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import sqlite3
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
from tqdm import tqdm

sys.path.insert(0, str(Path(__file__).resolve().parent))

import timeline  # noqa: E402  (bench/timeline.py: the data, the server runner, wrk)
from pnyx.config import Settings  # noqa: E402
from pnyx.core import labels as core_labels  # noqa: E402
from pnyx.core import uris  # noqa: E402
from pnyx.core.oauth.digests import digest  # noqa: E402
from pnyx.db.engine import Tx, create_db_engine, normalize_url  # noqa: E402
from pnyx.db.ids import id_floor  # noqa: E402
from pnyx.db.tables import (  # noqa: E402
    accounts,
    labeler_subscriptions,
    labels,
    oauth_tokens,
    statuses,
    users,
)
from progress import ticking  # noqa: E402  (bench/progress.py)

TARGET = 1.3
HOME = "/api/v1/timelines/home?limit=20"
LABELS_VERSION = 3  # bump when the labels written change, so kept copies are made again
LABELERS = 20
DEFINITIONS = tuple(
    core_labels.Definition(value, severity, default, ({"lang": "en", "name": name},))
    for value, severity, default, name in (
        ("misleading", "warn", "warn", "Misleading"),
        ("disputed", "warn", "warn", "Disputed"),
        ("graphic", "warn", "warn", "Graphic media"),
        ("satire", "inform", "show", "Satire"),
        ("ai-generated", "inform", "show", "Made with AI"),
    )
)
LABEL_COLUMNS = (
    "id", "labeler_account_id", "uri", "subject_uri", "status_id", "account_id", "value",
    "neg", "labeled_at", "expires_at", "created_at",
)  # fmt: skip
NEGATED, EXPIRED, EXPIRING = 0.10, 0.05, 0.05  # shares of all labels
ACCOUNT_SHARE = 0.01  # of the benchmark's accounts, labeled (each by 1-5 labels)
PAGE_TIMEOUT = 600  # seconds; a page may queue behind slow ones
# Below this many pages a second (8 at a time), wrk at 32 connections would wait seconds per
# request, near its 5 s timeout: such a configuration is measured by its check instead.
MIN_PAGES_PER_S = 10


# --- The labeled copy ---------------------------------------------------------------------


@dataclass(frozen=True)
class Copy:
    """Where the labeled copy of a timeline database lives, and its manifest."""

    kind: str
    source_url: str
    url: str
    manifest_path: Path


def copy_of(kind: str, source_url: str, size: timeline.Size) -> Copy:
    if kind == "sqlite":
        url = f"sqlite:///{timeline.DATA_DIR / f'labels-{size.label}.sqlite3'}"
    else:
        parsed = sa.engine.make_url(normalize_url(source_url))
        url = parsed.set(database=f"{parsed.database}_labels").render_as_string(hide_password=False)
    return Copy(kind, source_url, url, timeline.DATA_DIR / f"labels-{size.label}-{kind}.json")


def copy_database(copy: Copy) -> None:
    """The timeline database copied whole: SQLite's online backup (a consistent snapshot,
    page by page with a bar), PostgreSQL's template copy (a file copy on the server)."""
    if copy.kind == "sqlite":
        target = Path(copy.url.split("///", 1)[1])
        for suffix in ("", "-wal", "-shm"):
            Path(str(target) + suffix).unlink(missing_ok=True)
        source = sqlite3.connect(copy.source_url.split("///", 1)[1])
        destination = sqlite3.connect(target)
        with tqdm(desc="copy (sqlite backup)", unit="page") as bar:

            def progress(_status: int, remaining: int, total: int) -> None:
                bar.total = total
                bar.n = total - remaining
                bar.refresh()

            source.backup(destination, pages=4096, progress=progress)
        destination.close()
        source.close()
        return
    source = sa.engine.make_url(normalize_url(copy.source_url)).database
    target = sa.engine.make_url(normalize_url(copy.url))
    admin = sa.create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn, ticking(f"copy ({source} as template)"):
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)')
        conn.exec_driver_sql(f'CREATE DATABASE "{target.database}" TEMPLATE "{source}"')
    admin.dispose()


def labeled_posts(conn, share: float, rng: random.Random) -> list[tuple[int, str]]:
    """(id, uri) of `share` of the posts that are not boosts (a boost shows its original,
    whose labels are the ones read): one at random in every run of 1 / share posts in id
    order. Spread evenly so, every stretch of time has its share: the tops of the 1,000
    viewers' homes come from the few thousand newest posts, and a plain random draw of them
    gave 0.7 labeled posts a page instead of ~2."""
    run = max(1, round(1 / share))
    rows = conn.execute(
        sa.select(statuses.c.id, statuses.c.uri)
        .where(statuses.c.reblog_of_id.is_(None))
        .order_by(statuses.c.id)
        .execution_options(yield_per=20_000)
    )
    chosen, block = [], []
    for row in rows:
        block.append((row.id, row.uri))
        if len(block) == run:
            chosen.append(rng.choice(block))
            block = []
    return chosen


def labeled_accounts(conn, rng: random.Random) -> list[tuple[int, str]]:
    """(id, uri) of a random 1% of the benchmark's accounts."""
    rows = conn.execute(
        sa.select(accounts.c.id, accounts.c.uri)
        .where(accounts.c.username.like("user%"), accounts.c.domain.is_(None))
        .order_by(accounts.c.id)
    ).all()
    return rng.sample([tuple(r) for r in rows], max(1, round(len(rows) * ACCOUNT_SHARE)))


def label_plan(
    posts: list[tuple[int, str]],
    subjects: list[tuple[int, str]],
    total: int,
    rng: random.Random,
) -> list[tuple[bool, int, str, int]]:
    """Which (labeler, value) says what about whom, exactly `total` labels: 1-5 on each
    labeled account, the rest over the labeled posts, each post at least one and the others
    dealt at random (so ~Poisson around the mean), each label a distinct (labeler, value).
    Rows are (on a post?, subject id, subject uri, index of the (labeler, value) pair)."""
    pairs = LABELERS * len(DEFINITIONS)
    plan: list[tuple[bool, int, str, int]] = []
    for account_id, uri in subjects:
        for pair in rng.sample(range(pairs), rng.randint(1, 5)):
            plan.append((False, account_id, uri, pair))
    counts = [1] * len(posts)
    extra = total - len(plan) - len(posts)
    if extra < 0 or total - len(plan) > len(posts) * pairs:
        raise SystemExit(f"{total:,} labels do not fit {len(posts):,} posts; change --share")
    for _ in range(extra):
        i = rng.randrange(len(posts))
        while counts[i] >= pairs:
            i = rng.randrange(len(posts))
        counts[i] += 1
    for (sid, uri), count in zip(posts, counts, strict=True):
        for pair in rng.sample(range(pairs), count):
            plan.append((True, sid, uri, pair))
    rng.shuffle(plan)  # ids follow labeled_at; the order says nothing of the subject
    return plan


def make_labelers(tx: Tx, now: datetime) -> list[int]:
    """20 local labeler accounts, their definitions set through core (`core.labels.define`)."""
    ids = []
    for n in range(LABELERS):
        name = f"labeler{n:02d}"
        account_id = id_floor(now - timedelta(days=400)) + n * 8 + 5
        tx.execute(
            accounts.insert().values(
                id=account_id,
                username=name,
                domain=None,
                display_name=f"Labeler {n}",
                note="<p>Labels for the benchmark.</p>",
                fields=[],
                also_known_as=[],
                created_at=now,
                updated_at=now,
                **uris.account_actor_urls(tx.settings, name),
            )
        )
        core_labels.define(tx, account_id, DEFINITIONS)
        ids.append(account_id)
    return ids


def label_rows(
    plan: list[tuple[bool, int, str, int]],
    labelers: list[int],
    settings: Settings,
    now: datetime,
    rng: random.Random,
) -> Iterator[tuple]:
    """The rows of `labels` for the plan: labeled over the last 60 days (ids time-sortable and
    distinct: evenly spread, with a sequence as timeline.py's statuses have), 10% negated, 5%
    expired, 5% expiring later."""
    start = now - timedelta(days=60)
    step = timedelta(days=60) / max(len(plan), 1)
    for i, (on_post, subject_id, subject_uri, pair) in enumerate(plan):
        labeler, definition = divmod(pair, len(DEFINITIONS))
        labeled_at = start + step * i
        label_id = id_floor(labeled_at) | (i & 0xFFFF)
        r = rng.random()
        expires_at = None
        if NEGATED <= r < NEGATED + EXPIRED:
            expires_at = now - timedelta(hours=rng.randint(1, 24 * 30))
        elif NEGATED + EXPIRED <= r < NEGATED + EXPIRED + EXPIRING:
            expires_at = now + timedelta(days=rng.randint(30, 90))
        yield (
            label_id, labelers[labeler], uris.label_uri(settings, label_id), subject_uri,
            subject_id if on_post else None, None if on_post else subject_id,
            DEFINITIONS[definition].value, r < NEGATED, labeled_at, expires_at, labeled_at,
        )  # fmt: skip


def write_labels(copy: Copy, total: int, share: float, seed: int) -> dict:
    """The labelers, their definitions and the labels, in bulk into the copy (foreign-key
    checks off during the load, `labels`' own indexes built once after it, as timeline.py
    does). Returns what the manifest keeps."""
    rng = random.Random(seed)
    settings = Settings(domain=timeline.DOMAIN, database_url=copy.url)
    now = datetime.now(UTC).replace(tzinfo=None, microsecond=0)
    engine = sa.create_engine(normalize_url(copy.url))
    with engine.connect() as conn:
        if conn.dialect.name == "sqlite":
            conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
            conn.exec_driver_sql("PRAGMA journal_mode=WAL")
            conn.exec_driver_sql("PRAGMA synchronous=OFF")
            conn.exec_driver_sql("PRAGMA cache_size=-200000")
        else:
            conn.exec_driver_sql("SET session_replication_role = replica")
        tx = Tx(conn, settings, now=now)
        # Configuration (a) applies the instance labeler (with no label of its own). `pnyx
        # serve` builds its app with `migrate=False`, which does not make it (`create_app`);
        # the first job that needs it does (the amplification rule, among the start-up jobs),
        # while viewers' rules may already be kept without it. Made here, through core, it is
        # there before any page is read.
        core_labels.instance_labeler(tx)
        labelers = make_labelers(tx, now)
        with ticking("choose the labeled posts"):
            posts = labeled_posts(conn, share, rng)
            subjects = labeled_accounts(conn, rng)
            plan = label_plan(posts, subjects, total, rng)
        for ix in labels.indexes:
            ix.drop(conn)
        with tqdm(total=len(plan), desc="labels", unit="row") as bar:
            rows = label_rows(plan, labelers, settings, now, rng)
            timeline.bulk_insert(conn, labels, LABEL_COLUMNS, rows, bar)
        for ix in tqdm(labels.indexes, desc="indexes", unit="index", leave=False):
            ix.create(conn)
        conn.commit()
        if conn.dialect.name == "sqlite":
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    if engine.dialect.name == "postgresql":
        # What autovacuum would do within a minute of such a load on a live server.
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE labels, label_definitions, accounts")
    engine.dispose()
    return {
        "labelers": labelers,
        "labels": len(plan),
        "labeled_posts": len(posts),
        "labeled_accounts": len(subjects),
        "on_accounts": sum(1 for on_post, *_ in plan if not on_post),
    }


def source_fingerprint(timeline_manifest_path: Path, total: int, share: float, seed: int) -> str:
    """What the copy was made from: the timeline build (its manifest changes with every
    build), this writer's version and its knobs."""
    h = hashlib.sha256(timeline_manifest_path.read_bytes())
    h.update(f"labels {LABELS_VERSION} {total} {share} {seed}".encode())
    return h.hexdigest()[:16]


def prepare(copy: Copy, timeline_manifest_path: Path, args) -> dict:
    """The labeled copy's manifest: the kept one if it was made from the same timeline data
    with the same knobs, else a new copy with its labels."""
    fingerprint = source_fingerprint(timeline_manifest_path, args.labels, args.share, args.seed)
    if not args.rebuild and copy.manifest_path.is_file():
        manifest = json.loads(copy.manifest_path.read_text())
        if manifest.get("fingerprint") == fingerprint and count_labels(copy.url) == args.labels:
            print(f"[{copy.kind}] reusing the labeled copy made earlier "
                  f"({manifest['build_seconds']} s to make)")  # fmt: skip
            return manifest
    print(f"[{copy.kind}] copying the timeline data and writing {args.labels:,} labels")
    started = time.monotonic()
    copy.manifest_path.unlink(missing_ok=True)
    copy_database(copy)
    manifest = write_labels(copy, args.labels, args.share, args.seed)
    manifest.update(fingerprint=fingerprint, build_seconds=round(time.monotonic() - started, 1))
    copy.manifest_path.write_text(json.dumps(manifest))
    print(f"[{copy.kind}] made in {manifest['build_seconds']} s: {manifest['labels']:,} labels, "
          f"{manifest['labeled_posts']:,} labeled posts, {manifest['labeled_accounts']} "
          f"labeled accounts")  # fmt: skip
    return manifest


def count_labels(url: str) -> int | None:
    try:
        engine = create_db_engine(url)
        with engine.connect() as conn:
            found = conn.execute(sa.select(sa.func.count()).select_from(labels)).scalar()
        engine.dispose()
    except sa.exc.SQLAlchemyError:
        return None
    return found


# --- The two configurations -----------------------------------------------------------------


def viewer_ids(url: str, tokens: list[str]) -> list[int]:
    """The accounts of the benchmark's tokens (the users timeline.py issued them to)."""
    engine = create_db_engine(url)
    with engine.connect() as conn:
        found = conn.execute(
            sa.select(users.c.account_id)
            .join(oauth_tokens, oauth_tokens.c.user_id == users.c.id)
            .where(oauth_tokens.c.token_hash.in_([digest(t) for t in tokens]))
            .distinct()
        ).scalars()
        ids = sorted(found)
    engine.dispose()
    return ids


def subscribe(url: str, viewers: list[int], labelers: list[int]) -> None:
    """Every viewer subscribed to `labelers` and to no other, written through SQL with the
    triggers on, so that their rules versions move and the server reloads their rules."""
    engine = create_db_engine(url)
    with engine.begin() as conn:
        conn.execute(labeler_subscriptions.delete())
        if labelers:
            now = datetime.now(UTC)
            conn.execute(
                labeler_subscriptions.insert(),
                [
                    {"account_id": v, "labeler_account_id": lab, "created_at": now}
                    for v in viewers
                    for lab in labelers
                ],
            )
    engine.dispose()


def proc_cpu(pid: int) -> float:
    """CPU seconds used so far by one process (Linux /proc), 0 once it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class CpuMeter:
    """CPU used by the server: its process tree and, on PostgreSQL, the backends of its
    connections, where the label statement is planned and run. A request costs both; the
    backends are found by database name in pg_stat_activity (other databases' work on the
    same PostgreSQL, such as test suites, is not counted)."""

    def __init__(self, copy: Copy, pid: int) -> None:
        self.pid = pid
        self.admin = None
        if copy.kind == "postgres":
            url = sa.engine.make_url(normalize_url(copy.url))
            self.database = url.database
            self.admin = sa.create_engine(url.set(database="postgres"), poolclass=sa.NullPool)

    def sample(self) -> tuple[float, dict[int, float]]:
        backends: dict[int, float] = {}
        if self.admin is not None:
            with self.admin.connect() as conn:
                pids = conn.execute(
                    sa.text("SELECT pid FROM pg_stat_activity WHERE datname = :name"),
                    {"name": self.database},
                ).scalars()
                backends = {pid: proc_cpu(pid) for pid in pids}
        return timeline.process_tree_cpu(self.pid), backends

    @staticmethod
    def used(before: tuple, after: tuple) -> tuple[float, float]:
        """(server, database) CPU seconds between two samples."""
        database = sum(cpu - before[1].get(pid, 0.0) for pid, cpu in after[1].items())
        return after[0] - before[0], database

    def close(self) -> None:
        if self.admin is not None:
            self.admin.dispose()


def fetch(port: int, token: str) -> tuple[int, bytes]:
    """One home page, waiting as long as it takes (a page can queue behind slow ones)."""
    request = urllib.request.Request(f"http://127.0.0.1:{port}{HOME}")
    request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=PAGE_TIMEOUT) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()
    except OSError:
        return 0, b""


def is_label(entry: dict) -> bool:
    return entry["filter"]["title"].startswith("Label: ")


def read_pages(port: int, tokens: list[str], meter: CpuMeter, budget: float) -> dict:
    """One home page per viewer, 8 at a time, after a switch: the viewers' rules are reloaded
    here rather than in the measured run, and the pages say what the labels did (statuses
    with a `filtered` entry titled "Label: ..."). No page is started after `budget` seconds,
    so that a configuration whose pages take seconds still ends; its CPU per page is then
    measured here."""
    deadline = time.monotonic() + budget

    def one(token: str) -> tuple[int, bytes] | None:
        return fetch(port, token) if time.monotonic() < deadline else None

    before, started = meter.sample(), time.perf_counter()
    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = [a for a in pool.map(one, tokens) if a is not None]
    seconds = time.perf_counter() - started
    server, database = meter.used(before, meter.sample())
    bodies = [body for code, body in answers if code == 200]
    pages = [json.loads(body) for body in bodies]
    labeled = [[s for s in page if any(map(is_label, s.get("filtered") or ()))] for page in pages]
    return {
        "pages": len(pages),
        "tokens": len(tokens),
        "failed": len(answers) - len(pages),
        "seconds": seconds,
        "pages_per_s": len(answers) / seconds,
        "server_cpu_us": server / max(len(answers), 1) * 1e6,
        "database_cpu_us": database / max(len(answers), 1) * 1e6,
        "statuses_per_page": statistics.mean(map(len, pages)) if pages else 0,
        "bytes_per_page": statistics.mean(map(len, bodies)) if bodies else 0,
        "pages_with_label": sum(1 for found in labeled if found),
        "labeled_statuses_per_page": statistics.mean(map(len, labeled)) if pages else 0,
        "label_entries_per_page": (
            statistics.mean(
                sum(sum(map(is_label, s["filtered"])) for s in found) for found in labeled
            )
            if pages
            else 0
        ),
    }


def wait_quiet(pid: int, timeout: float = 600) -> None:
    """Until the server has used almost no CPU for a second: nothing left over from the
    previous run (requests wrk gave up on are still answered) is measured in the next."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        before = timeline.process_tree_cpu(pid)
        time.sleep(1)
        if timeline.process_tree_cpu(pid) - before < 0.05:
            return


def measure_once(server: timeline.Server, meter: CpuMeter, lines: list[str], args) -> dict:
    """A warm-up, then the measured run with the CPU used around it, per request."""
    if args.warmup:
        timeline.run_wrk(server.port, lines, duration=args.warmup,
                         connections=args.connections, threads=args.threads)  # fmt: skip
    wait_quiet(server.process.pid)
    before = meter.sample()
    result = timeline.run_wrk(server.port, lines, duration=args.duration,
                              connections=args.connections, threads=args.threads)  # fmt: skip
    server_cpu, database_cpu = meter.used(before, meter.sample())
    answered = max(result["requests"], 1)
    result["server_cpu_us"] = server_cpu / answered * 1e6
    result["database_cpu_us"] = database_cpu / answered * 1e6
    return result


def from_check(check: dict) -> dict:
    """A run's figures taken from the pages read after a switch, for a configuration too slow
    for wrk (its 5 s timeout; and the requests it gives up on are still answered, for
    minutes): throughput at 8 concurrent, CPU per page, no latency percentiles."""
    return {
        "rps": check["pages_per_s"],
        "requests": check["pages"] + check["failed"],
        "p50_us": 0,
        "p99_us": 0,
        "status_errors": check["failed"],
        "socket_errors": 0,
        "server_cpu_us": check["server_cpu_us"],
        "database_cpu_us": check["database_cpu_us"],
        "from_check": True,
    }


def measure(copy: Copy, manifest: dict, tokens: list[str], args) -> dict:
    """Both configurations on one server, alternating over `args.rounds` rounds."""
    viewers = viewer_ids(copy.url, tokens)
    labelers = manifest["labelers"]
    subscribe(copy.url, viewers, [])  # a known state, whatever an interrupted run left
    log = timeline.DATA_DIR / f"serve-labels-{copy.kind}.log"
    server = timeline.Server(copy.url, args.workers, log)
    lines = [timeline.bearer(HOME, t) for t in tokens]
    results: dict = {"database": copy.kind, "viewers": len(viewers), "runs": [], "checks": {}}
    meter = None
    try:
        server.wait_ready()
        waited = timeline.wait_for_startup_jobs(copy.url, server.process.pid)
        print(f"[{copy.kind}] startup jobs done and the server quiet after {waited:.0f} s")
        meter = CpuMeter(copy, server.process.pid)
        results["load_before"] = os.getloadavg()[0]
        for round_number in range(1, args.rounds + 1):
            order = ("none", "all") if round_number % 2 else ("all", "none")
            for config in order:
                subscribe(copy.url, viewers, labelers if config == "all" else [])
                check = read_pages(server.port, tokens, meter, args.check_seconds)
                results["checks"].setdefault(config, []).append(check)
                print(f"[{copy.kind}] round {round_number}/{args.rounds}, {config}: "
                      f"{check['pages']} pages in {check['seconds']:.1f} s, "
                      f"{check['pages_with_label']} with a label")  # fmt: skip
                if check["pages_per_s"] < MIN_PAGES_PER_S:
                    print(f"  too slow for wrk ({check['pages_per_s']:.1f} pages/s at 8 "
                          f"concurrent): the figures are those of this reading")  # fmt: skip
                    result = from_check(check)
                else:
                    print(f"  warm-up {args.warmup} s, then {args.duration} s "
                          f"at {args.connections} connections")  # fmt: skip
                    result = measure_once(server, meter, lines, args)
                result.update(config=config, round=round_number)
                result["cpu_us"] = result["server_cpu_us"] + result["database_cpu_us"]
                results["runs"].append(result)
                print(f"  {result['rps']:.0f} req/s, p50 {result['p50_us'] / 1000:.1f} ms, "
                      f"p99 {result['p99_us'] / 1000:.1f} ms, CPU per request "
                      f"{result['server_cpu_us']:.0f} µs (server) + "
                      f"{result['database_cpu_us']:.0f} µs (PostgreSQL), "
                      f"{result['status_errors']} non-2xx, "
                      f"{result['socket_errors']} socket errors")  # fmt: skip
                wait_quiet(server.process.pid)
        results["load_after"] = os.getloadavg()[0]
    finally:
        if meter is not None:
            meter.close()
        server.stop()
        subscribe(copy.url, viewers, [])
    return results


# --- Report -------------------------------------------------------------------------------


def summary(results: dict) -> dict:
    """Per configuration: mean req/s and CPU per request over its runs; and the ratios of
    "all" to "none" in cost (CPU per request, and 1 / req/s), overall and round by round."""
    runs = results["runs"]
    by = {c: [r for r in runs if r["config"] == c] for c in ("none", "all")}
    out: dict = {
        c: {
            key: statistics.mean(r[key] for r in rs)
            for key in ("rps", "cpu_us", "server_cpu_us", "database_cpu_us")
        }
        | {
            "p50_ms": statistics.median(r["p50_us"] for r in rs) / 1000,
            "p99_ms": statistics.median(r["p99_us"] for r in rs) / 1000,
            "errors": sum(r["status_errors"] + r["socket_errors"] for r in rs),
            "from_check": any(r.get("from_check") for r in rs),
        }
        for c, rs in by.items()
    }
    out["cpu_ratio"] = out["all"]["cpu_us"] / out["none"]["cpu_us"]
    out["rps_ratio"] = out["none"]["rps"] / out["all"]["rps"]
    out["cpu_ratio_by_round"] = [
        a["cpu_us"] / n["cpu_us"] for n, a in zip(by["none"], by["all"], strict=True)
    ]
    return out


def _each(runs: list[dict], key: str) -> str:
    return " / ".join(f"{r[key]:,.0f}" for r in runs)


def code_version() -> str:
    """The commit measured, and whether the working tree differs from it (others may be
    editing src/ while this runs: the figures are of the files as they were)."""
    git = ["git", "-C", str(timeline.ROOT)]
    try:
        head = subprocess.run([*git, "rev-parse", "--short", "HEAD"],
                              capture_output=True, text=True, check=True).stdout.strip()  # fmt: skip
        dirty = subprocess.run([*git, "status", "--porcelain", "--", "src"],
                               capture_output=True, text=True, check=True).stdout.strip()  # fmt: skip
    except (OSError, subprocess.CalledProcessError):
        return "code: unknown"
    return f"code: {head}" + (" with uncommitted changes in src/" if dirty else "")


def markdown(all_results: list[dict], manifests: dict[str, dict], args) -> str:
    lines = [
        f"Labels benchmark, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {os.cpu_count()} cores; "
        f"GET {HOME}, wrk {args.connections} connections, {args.threads} threads, "
        f"{args.warmup} s warm-up + {args.duration} s per run, {args.rounds} run(s) per "
        f"configuration, alternating; pnyx serve --workers {args.workers}; {code_version()}",
        "",
        "| database | labelers applied | req/s (each run) | p50 ms | p99 ms "
        "| CPU µs per request: server (each run) | + PostgreSQL's | cost vs none: CPU "
        "| cost vs none: req/s | errors |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for res in all_results:
        s = summary(res)
        for config, name in (("none", "instance only"), ("all", f"instance + {LABELERS}")):
            runs = [r for r in res["runs"] if r["config"] == config]
            c = s[config]
            first = config == "none"
            latency = "-" if c["from_check"] else f"{c['p50_ms']:.1f}"
            tail = "-" if c["from_check"] else f"{c['p99_ms']:.1f}"
            database = f"{c['database_cpu_us']:,.0f}" if res["database"] == "postgres" else "-"
            lines.append(
                f"| {res['database']} | {name} | {c['rps']:,.1f} ({_each(runs, 'rps')}) | "
                f"{latency} | {tail} | {c['server_cpu_us']:,.0f} "
                f"({_each(runs, 'server_cpu_us')}) | {database} | "
                f"{'1.00' if first else format(s['cpu_ratio'], '.2f')}x | "
                f"{'1.00' if first else format(s['rps_ratio'], '.2f')}x | {c['errors']} |"
            )
    lines.append("")
    for res in all_results:
        s = summary(res)
        m = manifests[res["database"]]
        verdict = "PASS" if s["cpu_ratio"] <= TARGET else "FAIL"
        what = "its server's and PostgreSQL's CPU" if res["database"] == "postgres" else "its CPU"
        lines.append(
            f"- {res['database']}: with {LABELERS} labelers a page costs {s['cpu_ratio']:,.2f}x "
            f"{what} with none ({', '.join(f'{x:,.2f}' for x in s['cpu_ratio_by_round'])} "
            f"round by round) and {s['rps_ratio']:,.2f}x in req/s: **{verdict}** against "
            f"{TARGET}x"
        )
        if s["all"]["from_check"] or s["none"]["from_check"]:
            lines.append(
                f"- {res['database']}: pages too slow for wrk (under {MIN_PAGES_PER_S} a second) "
                f"were measured by reading every viewer's page once, 8 at a time, for at most "
                f"{args.check_seconds:.0f} s (req/s at 8 concurrent, CPU per page)"
            )
        for config in ("none", "all"):
            ch = res["checks"][config][0]
            lines.append(
                f"- {res['database']}, {config}: {ch['pages_with_label']} of {ch['pages']} pages "
                f"carry a label ({ch['labeled_statuses_per_page']:.2f} labeled statuses and "
                f"{ch['label_entries_per_page']:.2f} `filtered` label entries a page), "
                f"{ch['statuses_per_page']:.1f} statuses and {ch['bytes_per_page'] / 1024:.1f} "
                f"KB a page, {ch['failed']} failed; the first read of every page took "
                f"{ch['seconds']:.1f} s at 8 concurrent"
            )
        lines.append(
            f"- {res['database']}: {m['labels']:,} labels by {LABELERS} labelers "
            f"({m['labeled_posts']:,} posts labeled, {m['on_accounts']} labels on "
            f"{m['labeled_accounts']} accounts; {NEGATED:.0%} negated, {EXPIRED:.0%} expired), "
            f"{res['viewers']} viewers; 1-minute load average {res['load_before']:.1f} before, "
            f"{res['load_after']:.1f} after (the benchmark itself adds about 2-3)"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--small", action="store_true", help="timeline.py's --small data (50,000 statuses)"
    )
    parser.add_argument("--database", choices=("sqlite", "postgres", "both"), default="sqlite")
    parser.add_argument("--postgres-url", default=os.environ.get("PNYX_BENCH_DATABASE_URL", timeline.DEFAULT_PG),
                        help="base PostgreSQL URL, as for timeline.py")  # fmt: skip
    parser.add_argument("--labels", type=int,
                        help="labels in all (default 1,000,000; 50,000 with --small)")  # fmt: skip
    parser.add_argument("--share", type=float, default=0.10,
                        help="share of the posts (not boosts) that carry labels")  # fmt: skip
    parser.add_argument("--rebuild", action="store_true", help="make the labeled copy again")
    parser.add_argument("--build-only", action="store_true", help="make the data, do not serve")
    parser.add_argument("--seed", type=int, default=2, help="timeline.py's seed, and the labels'")
    parser.add_argument("--rounds", type=int, default=3, help="runs of each configuration")
    parser.add_argument("--duration", type=int, default=10, help="seconds per run")
    parser.add_argument("--warmup", type=int, default=2, help="seconds of warm-up per run")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--check-seconds", type=float, default=120,
                        help="at most this long reading every viewer's page after a switch; a "
                        "configuration read slower than 10 pages/s is measured so, not by wrk")  # fmt: skip
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--workers", type=int, default=1, help="pnyx serve --workers")
    parser.add_argument("--json", type=Path, help="also write the raw results here")
    args = parser.parse_args(argv)

    size = timeline.Size(1_000, 50_000, 50) if args.small else timeline.Size(10_000, 1_000_000, 100)
    if args.labels is None:
        args.labels = 50_000 if args.small else 1_000_000
    if not args.build_only:
        timeline.wrk_available()
        if not timeline.PNYX.exists():
            raise SystemExit(f"{timeline.PNYX} is missing: run `make install` first")
    timeline.DATA_DIR.mkdir(parents=True, exist_ok=True)
    kinds = ["sqlite", "postgres"] if args.database == "both" else [args.database]
    manifests: dict[str, dict] = {}
    all_results = []
    for kind in kinds:
        if kind == "sqlite":
            source = timeline.sqlite_url(size)
        else:
            source = timeline.postgres_url(args.postgres_url, size)
        data = timeline.prepare(source, kind, size, seed=args.seed, rebuild=False, tokens=1000)
        copy = copy_of(kind, source, size)
        manifests[kind] = prepare(
            copy, timeline.DATA_DIR / f"timeline-{size.label}-{kind}.json", args
        )
        if not args.build_only:
            all_results.append(measure(copy, manifests[kind], data["tokens"], args))
    if args.build_only:
        return 0
    report = markdown(all_results, manifests, args)
    print()
    print(report)
    if args.json:
        args.json.write_text(json.dumps({"results": all_results, "report": report}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
