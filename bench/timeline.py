"""Timeline benchmark: build a synthetic instance, serve it with a real `pnyx serve`, load it.

    .venv/bin/python bench/timeline.py --small                 # 1,000 accounts, 50,000 statuses
    .venv/bin/python bench/timeline.py --database both         # 10,000 accounts, 1,000,000 statuses

Why it is built this way:
- The data is written in bulk (SQLAlchemy Core executemany on SQLite, COPY on PostgreSQL) into
  the schema the migrations make, so building a million statuses takes a minute, not an hour.
  Users and tokens go through core (`pnyx.core.oauth.issue_token`) so authentication is real.
- The server is the real thing: a `pnyx serve` subprocess on a free loopback port, exactly as an
  operator runs it, measured from outside by `wrk` (Debian: `apt-get install -y wrk`) with a
  small Lua script that rotates tokens and status ids.
- Absolute figures depend on the machine, so every endpoint is reported as a ratio to a trivial
  endpoint of the same server measured in the same run (see BENCHMARKS.md).
- A ranked feed's first page (`GET /api/v1/pnyx/feeds/diverse/statuses`) is loaded like home,
  round-robin over the same tokens, and reported next to it with its ratio to home's req/s
  (a note: "ranked vs home"; issue 11 asks for >= 50%, a page at most twice home's cost).
  Each token's first request ranks its home pool and stores a snapshot; the ones after it
  within the published `reuse_seconds` (and with no new post in that home) read the snapshot
  back, as a reload does. So that the measured run is reloads (what a page costs once a
  person has opened the feed), every token's first page is requested once just before, 8 at a
  time: that priming is timed and reported as the cost of a first page that ranks ("ranked
  first pages: ..." in the notes). Snapshots older than `reuse_seconds` by the end of the run
  are ranked again, and counted in its figures.

Built databases are kept under bench/data/ (SQLite) or in PostgreSQL databases named
pnyx_bench_<accounts>_<statuses>_<follows>, and reused by later runs unless --rebuild is given.
"""

from __future__ import annotations

import argparse
import hashlib
import html
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from array import array
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
from tqdm import tqdm

from pnyx.config import Settings
from pnyx.core import oauth, uris
from pnyx.core.passwords import hash_password
from pnyx.db.engine import Tx, create_db_engine, normalize_url
from pnyx.db.ids import id_floor
from pnyx.db.migrate import MIGRATIONS_DIR, upgrade
from pnyx.db.tables import (
    accounts,
    feed_entries,
    feed_states,
    follows,
    jobs,
    mentions,
    oauth_apps,
    statuses,
    users,
)

sys.path.insert(0, str(Path(__file__).resolve().parent))
import feed_builder  # noqa: E402  (bench/feed_builder.py: the home feeds of the token holders)

ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = ROOT / "bench" / "data"
PNYX = ROOT / ".venv" / "bin" / "pnyx"
DOMAIN = "bench.localhost"
DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/pnyx_bench"
VISIBILITIES = ("public", "unlisted", "private", "direct")
ORIGINAL, REPLY, BOOST = 0, 1, 2
BUILDER_VERSION = 3  # bump when the generated data changes, so kept builds are redone
# Cheapest first: the baseline is the first of these the server answers with 200.
BASELINE_CANDIDATES = (
    "/api/v1/instance/rules",
    "/api/v1/custom_emojis",
    "/api/v1/instance/peers",
)
WORDS = [
    "the",
    "assembly",
    "gathered",
    "on",
    "the",
    "hill",
    "to",
    "speak",
    "and",
    "listen;",
    "citizens",
    "argued",
    "about",
    "harbours,",
    "grain,",
    "ships,",
    "festivals,",
    "theatre,",
    "taxes,",
    "walls,",
    "olive",
    "oil,",
    "silver",
    "mines,",
    "juries,",
    "lots,",
    "ostracism,",
    "philosophy,",
    "rhetoric,",
    "weather,",
    "music,",
    "markets,",
    "laws,",
    "temples",
    "and",
    "the",
    "long",
    "war.",
    "someone",
    "asked",
    "whether",
    "the",
    "new",
    "fountain",
    "would",
    "ever",
    "be",
    "finished",
    "and",
    "everybody",
    "laughed",
]


@dataclass(frozen=True)
class Size:
    accounts: int
    statuses: int
    follows: int

    @property
    def label(self) -> str:
        return f"{self.accounts}_{self.statuses}_{self.follows}"


# --- Planning: decide every row in compact arrays first, so counters come out exact ---------


@dataclass
class Plan:
    size: Size
    follow_pairs: list[tuple[int, int]]
    author: array
    kind: array
    parent: array  # reply parent or boosted status, -1 for none
    visibility: array
    mention: array  # mentioned account index (reply: parent author, direct: recipient), or -1
    root: array  # conversation root index, -1 for boosts
    statuses_count: list[int]
    followers_count: list[int]
    following_count: list[int]
    replies_count: array
    reblogs_count: array
    last_status: list[int]  # index of each account's newest status, -1 for none


def plan(size: Size, rng: random.Random) -> Plan:
    """Who follows whom and who writes what, with the skew of a real instance.

    The top 1% of accounts write ~30% of the statuses and receive ~30% of the follows; 15% of
    statuses are replies to recent posts, 10% boosts of recent public posts; visibility is mostly
    public (80% public, 10% unlisted, 8% followers-only, 2% direct).
    """
    n = size.accounts
    heavy = max(1, n // 100)
    per_account = min(size.follows, n - 1)
    follow_pairs: list[tuple[int, int]] = []
    followers_count = [0] * n
    following_count = [0] * n
    for i in tqdm(range(n), desc="plan follows", unit="acct", leave=False):
        targets: set[int] = set()
        want_heavy = min(round(per_account * 0.3), heavy - (1 if i < heavy else 0))
        while len(targets) < want_heavy:
            t = rng.randrange(heavy)
            if t != i:
                targets.add(t)
        while len(targets) < per_account:
            t = rng.randrange(n)
            if t != i:
                targets.add(t)
        for t in targets:
            follow_pairs.append((i, t))
            followers_count[t] += 1
        following_count[i] = len(targets)

    total = size.statuses
    author = array("i", bytes(4 * total))
    kind = array("b", bytes(total))
    parent = array("i", [-1]) * total
    visibility = array("b", bytes(total))
    mention = array("i", [-1]) * total
    root = array("i", [-1]) * total
    replies_count = array("i", bytes(4 * total))
    reblogs_count = array("i", bytes(4 * total))
    statuses_count = [0] * n
    last_status = [-1] * n
    repliable: list[int] = []  # public/unlisted originals and replies
    boostable: list[int] = []  # public originals
    rnd = rng.random
    for i in tqdm(range(total), desc="plan statuses", unit="st", leave=False):
        a = rng.randrange(heavy) if rnd() < 0.3 else rng.randrange(n)
        r = rnd()
        v = 0
        k = ORIGINAL
        if r < 0.10 and boostable:
            target = boostable[-rng.randint(1, min(len(boostable), 2000))]
            if author[target] != a:
                k = BOOST
                parent[i] = target
                reblogs_count[target] += 1
        elif r < 0.25 and repliable:
            k = REPLY
            p = repliable[-rng.randint(1, min(len(repliable), 2000))]
            parent[i] = p
            root[i] = root[p]
            replies_count[p] += 1
            if author[p] != a:
                mention[i] = author[p]
        if k != BOOST:
            rv = rnd()
            v = 0 if rv < 0.80 else 1 if rv < 0.90 else 2 if rv < 0.98 else 3
            if k == ORIGINAL:
                root[i] = i
                if v == 3:
                    m = rng.randrange(n)
                    mention[i] = m if m != a else (m + 1) % n
        author[i] = a
        kind[i] = k
        visibility[i] = v
        if v != 3:  # direct messages do not count, as in core.statuses and Mastodon
            statuses_count[a] += 1
        last_status[a] = i
        if k != BOOST and v <= 1:
            repliable.append(i)
            if v == 0 and k == ORIGINAL:
                boostable.append(i)
    return Plan(
        size,
        follow_pairs,
        author,
        kind,
        parent,
        visibility,
        mention,
        root,
        statuses_count,
        followers_count,
        following_count,
        replies_count,
        reblogs_count,
        last_status,
    )


# --- Writing ------------------------------------------------------------------------------

STATUS_COLUMNS = (
    "id",
    "uri",
    "url",
    "account_id",
    "local",
    "text",
    "content",
    "spoiler_text",
    "visibility",
    "sensitive",
    "language",
    "in_reply_to_id",
    "in_reply_to_account_id",
    "reblog_of_id",
    "conversation_id",
    "application_id",
    "replies_count",
    "reblogs_count",
    "favourites_count",
    "has_media",
    "created_at",
)
FOLLOW_COLUMNS = ("id", "account_id", "target_account_id", "show_reblogs", "notify", "created_at")
MENTION_COLUMNS = ("id", "status_id", "account_id", "silent", "private")
FEED_ENTRY_COLUMNS = (
    "viewer_id", "list_id", "status_id", "reasons", "via_account_id", "via_tag_id", "created_at",
)  # fmt: skip
FEED_STATE_COLUMNS = ("viewer_id", "list_id", "floor_id", "since_trim", "built_at", "seen_at")


def bulk_insert(conn, table: sa.Table, columns: tuple[str, ...], rows, bar: tqdm) -> None:
    """COPY on PostgreSQL (fastest path there), Core executemany in chunks elsewhere."""
    if conn.dialect.name == "postgresql":
        raw = conn.connection.driver_connection
        with (
            raw.cursor() as cur,
            cur.copy(f"COPY {table.name} ({', '.join(columns)}) FROM STDIN") as copy,
        ):
            for row in rows:
                copy.write_row(row)
                bar.update()
        return
    insert = table.insert()
    chunk: list[dict] = []
    for row in rows:
        chunk.append(dict(zip(columns, row, strict=True)))
        if len(chunk) == 5000:
            conn.execute(insert, chunk)
            bar.update(len(chunk))
            chunk = []
    if chunk:
        conn.execute(insert, chunk)
        bar.update(len(chunk))


def _sentences(rng: random.Random, count: int = 2000) -> list[str]:
    out = []
    for _ in range(count):
        words = [rng.choice(WORDS) for _ in range(rng.randint(6, 40))]
        out.append(" ".join(words).capitalize() + ".")
    return out


def build(url: str, size: Size, *, seed: int, token_count: int) -> dict:
    """Create the schema with the migrations, then fill it; returns the manifest to keep."""
    rng = random.Random(seed)
    started = time.monotonic()
    settings = Settings(domain=DOMAIN, database_url=url)
    engine = create_db_engine(url)
    upgrade(engine)
    engine.dispose()

    the_plan = plan(size, rng)
    n = size.accounts
    now = datetime.now(UTC).replace(tzinfo=None, microsecond=0)
    first_status = now - timedelta(days=60)
    usernames = [f"user{i}" for i in range(n)]
    account_ids = [
        id_floor(first_status - timedelta(days=365) + timedelta(seconds=i)) for i in range(n)
    ]
    account_ids = [aid | 1 for aid in account_ids]
    span_ms = int((now - first_status).total_seconds() * 1000)
    start_ms = int(first_status.replace(tzinfo=UTC).timestamp() * 1000)
    total = size.statuses
    status_ms = [start_ms + (i * span_ms) // max(total, 1) for i in range(total)]
    status_ids = [(ms << 16) | (i & 0xFFFF) for i, ms in enumerate(status_ms)]
    epoch = datetime(1970, 1, 1)

    def at(ms: int) -> datetime:
        return epoch + timedelta(milliseconds=ms)

    password_hash = hash_password("benchmark password")
    # A plain engine: no per-connection PRAGMA foreign_keys=ON and no BEGIN IMMEDIATE, so the
    # bulk load can switch foreign-key checks off (the plan is consistent by construction).
    bulk_engine = sa.create_engine(normalize_url(url))
    with bulk_engine.connect() as conn:
        if conn.dialect.name == "sqlite":
            conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
            conn.exec_driver_sql("PRAGMA journal_mode=WAL")
            conn.exec_driver_sql("PRAGMA synchronous=OFF")
            conn.exec_driver_sql("PRAGMA cache_size=-200000")
        else:
            conn.exec_driver_sql("SET session_replication_role = replica")
        tx = Tx(conn, settings)
        app = oauth.create_app(
            tx, "pnyx bench", [oauth.OOB], ["read", "write", "follow"], website=None
        )

        created = at(start_ms) - timedelta(days=365)
        account_rows = []
        for i, name in enumerate(usernames):
            last = the_plan.last_status[i]
            account_rows.append(
                {
                    "id": account_ids[i],
                    "username": name,
                    "domain": None,
                    "display_name": f"User {i}",
                    "note": "",
                    "note_source": "",
                    "fields": [],
                    "also_known_as": [],
                    "statuses_count": the_plan.statuses_count[i],
                    "followers_count": the_plan.followers_count[i],
                    "following_count": the_plan.following_count[i],
                    "last_status_at": at(status_ms[last]) if last >= 0 else None,
                    "created_at": created,
                    "updated_at": created,
                    **uris.account_actor_urls(settings, name),
                }
            )
        for start in range(0, n, 5000):
            conn.execute(accounts.insert(), account_rows[start : start + 5000])
        user_ids = [aid + 2 for aid in account_ids]
        user_rows = [
            {
                "id": user_ids[i],
                "account_id": account_ids[i],
                "email": f"{usernames[i]}@bench.example",
                "password_hash": password_hash,
                "role": "admin" if i == 0 else "user",
                "created_at": created,
            }
            for i in range(n)
        ]
        for start in range(0, n, 5000):
            conn.execute(users.insert(), user_rows[start : start + 5000])

        # Tokens for a spread of users (heavy posters and ordinary ones), through core.
        chosen = rng.sample(range(n), min(token_count, n))
        tokens = [
            oauth.issue_token(tx, app.id, user_ids[i], ["read", "write", "follow"])[0]
            for i in tqdm(chosen, desc="tokens", unit="tok", leave=False)
        ]

        follow_base = id_floor(first_status - timedelta(days=30))
        follow_at = first_status - timedelta(days=30)
        # Secondary indexes are built once at the end (a sort) instead of row by row.
        dropped = [ix for t in (statuses, follows, mentions) for ix in t.indexes]
        for ix in dropped:
            ix.drop(conn)
        with tqdm(total=len(the_plan.follow_pairs), desc="follows", unit="row") as bar:
            bulk_insert(
                conn,
                follows,
                FOLLOW_COLUMNS,
                (
                    (follow_base + k, account_ids[a], account_ids[t], True, False, follow_at)
                    for k, (a, t) in enumerate(the_plan.follow_pairs)
                ),
                bar,
            )

        sentences = _sentences(rng)

        def status_rows():
            p = the_plan
            for i in range(total):
                sid = status_ids[i]
                a = p.author[i]
                name = usernames[a]
                k = p.kind[i]
                created_at = at(status_ms[i])
                uri = uris.status_uri(settings, name, sid)
                if k == BOOST:
                    target = p.parent[i]
                    yield (
                        sid, uri + "/activity", None, account_ids[a], True, "", "", "",
                        "public", False, None, None, None, status_ids[target], None,
                        app.id, 0, 0, 0, False, created_at,
                    )  # fmt: skip
                    continue
                text = sentences[(i * 7919) % len(sentences)]
                content = f"<p>{html.escape(text, quote=False)}</p>"
                m = p.mention[i]
                if m >= 0:
                    who = usernames[m]
                    link = uris.account_url(settings, who)
                    content = (
                        f'<p><span class="h-card" translate="no"><a href="{link}" '
                        f'class="u-url mention">@<span>{who}</span></a></span> '
                        f"{html.escape(text, quote=False)}</p>"
                    )
                    text = f"@{who} {text}"
                parent_index = p.parent[i] if k == REPLY else -1
                yield (
                    sid, uri, uris.status_url(settings, name, sid), account_ids[a], True, text,
                    content, "", VISIBILITIES[p.visibility[i]], False, "en",
                    status_ids[parent_index] if parent_index >= 0 else None,
                    account_ids[p.author[parent_index]] if parent_index >= 0 else None,
                    None, status_ids[p.root[i]], app.id, p.replies_count[i],
                    p.reblogs_count[i], 0, False, created_at,
                )  # fmt: skip

        with tqdm(total=total, desc="statuses", unit="row") as bar:
            bulk_insert(conn, statuses, STATUS_COLUMNS, status_rows(), bar)

        mention_rows = [
            (status_ids[i], status_ids[i], account_ids[m], False, the_plan.visibility[i] >= 2)
            for i, m in enumerate(the_plan.mention)
            if m >= 0
        ]
        with tqdm(total=len(mention_rows), desc="mentions", unit="row") as bar:
            bulk_insert(conn, mentions, MENTION_COLUMNS, iter(mention_rows), bar)
        # The home feeds of the accounts the benchmark reads as, as fan-out would have made.
        entry_rows, state_rows = feed_builder.feed_rows(
            the_plan, chosen, status_ids, account_ids, settings.feed_size, now
        )
        with tqdm(total=len(entry_rows), desc="feed entries", unit="row") as bar:
            bulk_insert(conn, feed_entries, FEED_ENTRY_COLUMNS, iter(entry_rows), bar)
        with tqdm(total=len(state_rows), desc="feed states", unit="row", leave=False) as bar:
            bulk_insert(conn, feed_states, FEED_STATE_COLUMNS, iter(state_rows), bar)
        for ix in tqdm(dropped, desc="indexes", unit="index", leave=False):
            ix.create(conn)
        conn.commit()
        if conn.dialect.name == "sqlite":
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    if bulk_engine.dialect.name == "postgresql":
        # What autovacuum would do within a minute on a live server.
        with bulk_engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE")
    bulk_engine.dispose()

    public_ids = [
        status_ids[i]
        for i in range(total)
        if the_plan.visibility[i] == 0 and the_plan.kind[i] != BOOST
    ]
    rng.shuffle(public_ids)
    return {
        "size": size.__dict__,
        "seed": seed,
        "schema": schema_fingerprint(),
        "tokens": tokens,
        "public_ids": public_ids[:5000],
        "build_seconds": round(time.monotonic() - started, 1),
        "rows": {
            "accounts": n,
            "statuses": total,
            "follows": len(the_plan.follow_pairs),
            "mentions": len(mention_rows),
            "feed_entries": len(entry_rows),
        },
    }


def schema_fingerprint() -> str:
    """A digest of the migration files and of this builder: other data is rebuilt."""
    h = hashlib.sha256(f"builder {BUILDER_VERSION}".encode())
    for path in sorted(MIGRATIONS_DIR.rglob("*.py")):
        h.update(path.read_bytes())
    return h.hexdigest()[:16]


# --- Databases ----------------------------------------------------------------------------


def sqlite_url(size: Size) -> str:
    return f"sqlite:///{DATA_DIR / f'timeline-{size.label}.sqlite3'}"


def postgres_url(base: str, size: Size) -> str:
    url = sa.engine.make_url(normalize_url(base))
    return url.set(database=f"{url.database}_{size.label}").render_as_string(hide_password=False)


def reset_database(url: str) -> None:
    """An empty database at `url`: the SQLite file removed, or the PostgreSQL database recreated."""
    if url.startswith("sqlite"):
        path = Path(url.split("///", 1)[1])
        for suffix in ("", "-wal", "-shm"):
            Path(str(path) + suffix).unlink(missing_ok=True)
        path.parent.mkdir(parents=True, exist_ok=True)
        return
    parsed = sa.engine.make_url(normalize_url(url))
    admin = sa.create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)')
        conn.exec_driver_sql(f'CREATE DATABASE "{parsed.database}"')
    admin.dispose()


def existing_build(url: str, manifest_path: Path, size: Size, seed: int) -> dict | None:
    """The manifest of a complete earlier build of the same size and schema, if there is one."""
    if not manifest_path.is_file():
        return None
    manifest = json.loads(manifest_path.read_text())
    if (
        manifest.get("size") != size.__dict__
        or manifest.get("seed") != seed
        or manifest.get("schema") != schema_fingerprint()
    ):
        return None
    try:
        engine = create_db_engine(url)
        with engine.connect() as conn:
            count = conn.execute(sa.select(sa.func.count()).select_from(oauth_apps)).scalar()
        engine.dispose()
    except sa.exc.SQLAlchemyError:
        return None
    return manifest if count else None


def prepare(url: str, kind: str, size: Size, *, seed: int, rebuild: bool, tokens: int) -> dict:
    manifest_path = DATA_DIR / f"timeline-{size.label}-{kind}.json"
    if not rebuild:
        manifest = existing_build(url, manifest_path, size, seed)
        if manifest:
            print(f"[{kind}] reusing the data built earlier ({manifest['build_seconds']} s build)")
            return manifest
    print(f"[{kind}] building {size.accounts:,} accounts, {size.statuses:,} statuses, "
          f"{size.follows} follows each")  # fmt: skip
    manifest_path.unlink(missing_ok=True)
    reset_database(url)
    manifest = build(url, size, seed=seed, token_count=tokens)
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    manifest_path.write_text(json.dumps(manifest))
    print(f"[{kind}] built in {manifest['build_seconds']} s: {manifest['rows']}")
    return manifest


# --- Serving and measuring ----------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http_get(port: int, path: str, token: str | None = None) -> tuple[int, bytes]:
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def process_tree_cpu(pid: int) -> float:
    """CPU seconds used so far by a process and its live descendants (Linux /proc)."""
    ticks = os.sysconf("SC_CLK_TCK")
    parents: dict[int, int] = {}
    used: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents[int(entry.name)] = int(fields[1])
        used[int(entry.name)] = int(fields[11]) + int(fields[12])  # utime + stime
    total, todo = 0, [pid]
    while todo:
        current = todo.pop()
        total += used.get(current, 0)
        todo.extend(child for child, parent in parents.items() if parent == current)
    return total / ticks


def job_children(pid: int) -> list[int]:
    """The server's child processes other than multiprocessing's resource tracker: the
    bridging fit runs in one (`core.algorithms.refresh`), which may sit between two steps
    with no CPU used while its job is already taken; the idle figure waits for it to end."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            command = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if ppid == pid and b"resource_tracker" not in command:
            found.append(int(entry.name))
    return found


def wait_for_startup_jobs(url: str, pid: int, timeout: float = 300) -> float:
    """Wait until the jobs due at start (the hourly bridging fit, prunes) are done and the
    server is quiet, so that they are not measured as part of the requests: they run once an
    hour or a day, the requests all the time. Seconds waited."""
    engine = create_db_engine(url)
    started = time.monotonic()
    try:
        while time.monotonic() - started < timeout:
            with engine.connect() as conn:
                due = conn.execute(
                    sa.select(jobs.c.run_at).where(jobs.c.failed_at.is_(None))
                ).scalars()
                now = datetime.now(UTC)
                waiting = [run_at for run_at in due if run_at <= now]
            before = process_tree_cpu(pid)
            time.sleep(1)
            busy = process_tree_cpu(pid) - before
            if not waiting and busy < 0.05 and not job_children(pid):
                break
    finally:
        engine.dispose()
    return time.monotonic() - started


def process_tree_rss(pid: int, field: str = "VmRSS") -> int:
    """Resident memory of a process and all its descendants, in bytes (Linux /proc): all of
    it (VmRSS), or its anonymous part only (RssAnon: without the database file's pages that
    SQLite reads through its memory map, which are the kernel's shared file cache)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    total = 0
    todo = [pid]
    while todo:
        current = todo.pop()
        todo.extend(children.get(current, []))
        try:
            for line in Path(f"/proc/{current}/status").read_text().splitlines():
                if line.startswith(field + ":"):
                    total += int(line.split()[1]) * 1024
        except OSError:
            pass
    return total


class Server:
    """A real `pnyx serve` subprocess on a free loopback port."""

    def __init__(self, url: str, workers: int, log_path: Path):
        self.port = free_port()
        env = dict(os.environ)
        env.update(
            PNYX_DATABASE_URL=url,
            PNYX_DOMAIN=DOMAIN,
            PNYX_RATE_LIMITS="0",
            PNYX_DATA_DIR=str(DATA_DIR),
            PNYX_LOG_LEVEL="warning",
            PNYX_CONFIG=str(DATA_DIR / "no-such-pnyx.toml"),
        )
        self.log = log_path.open("wb")
        self.process = subprocess.Popen(
            [str(PNYX), "serve", "--host", "127.0.0.1", "--port", str(self.port),
             "--workers", str(workers)],
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
        self.log_path = log_path

    def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(
                    f"pnyx serve exited with {self.process.returncode}:\n"
                    + self.log_path.read_text(errors="replace")[-3000:]
                )
            try:
                http_get(self.port, "/api/v1/instance")
                return
            except OSError:
                time.sleep(0.2)
        raise SystemExit(f"pnyx serve did not answer within {timeout:.0f} s")

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self.log.close()


WRK_SCRIPT = r"""
-- Rotates through pre-built requests (one per line of the request file: path, then optionally
-- TAB header-name TAB value), each thread starting at a different place, and prints a JSON
-- summary at the end.
local counter = 1
local requests = {}
local threads = {}

function setup(thread)
  thread:set("tid", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  for line in io.lines(args[1]) do
    local path, name, value = line:match("^([^\t]*)\t([^\t]*)\t(.*)$")
    local headers = {}
    if name ~= nil and name ~= "" then
      headers[name] = value
    end
    table.insert(requests, wrk.format("GET", path or line, headers))
  end
  counter = ((tid or 1) * 7919) % #requests + 1
end

function request()
  counter = counter % #requests + 1
  return requests[counter]
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '\nWRK_JSON {"requests": %d, "duration_us": %d, "status_errors": %d, "socket_errors": %d, ' ..
    '"p50_us": %d, "p90_us": %d, "p99_us": %d, "max_us": %d}\n',
    summary.requests, summary.duration, e.status, e.connect + e.read + e.write + e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
end
"""


def wrk_available() -> str:
    path = shutil.which("wrk")
    if not path:
        raise SystemExit(
            "This benchmark drives the server with wrk. Install it first:\n"
            "    apt-get install -y wrk      (Debian/Ubuntu; brew install wrk on macOS)"
        )
    return path


def bearer(path: str, token: str) -> str:
    """A request line for `run_wrk`: `path` with an access token."""
    return f"{path}\tAuthorization\tBearer {token}"


def run_wrk(port: int, lines: list[str], *, duration: int, connections: int, threads: int) -> dict:
    """Load the server with wrk, rotating through `lines` (a path, then optionally TAB
    header-name TAB value); wrk's figures as a dict, with `rps`."""
    with tempfile.TemporaryDirectory(prefix="pnyx-bench-") as tmp:
        script = Path(tmp) / "rotate.lua"
        script.write_text(WRK_SCRIPT)
        request_file = Path(tmp) / "requests.tsv"
        request_file.write_text("\n".join(lines) + "\n")
        out = subprocess.run(
            [wrk_available(), "-t", str(threads), "-c", str(connections), "-d", f"{duration}s",
             "--timeout", "5s", "-s", str(script), f"http://127.0.0.1:{port}", "--",
             str(request_file)],
            capture_output=True,
            text=True,
            timeout=duration + 60,
        )  # fmt: skip
    for line in out.stdout.splitlines():
        if line.startswith("WRK_JSON "):
            result = json.loads(line[len("WRK_JSON ") :])
            result["rps"] = result["requests"] / (result["duration_us"] / 1e6)
            return result
    raise SystemExit(f"wrk failed:\n{out.stdout}\n{out.stderr}")


def load_endpoint(port: int, lines: list[str], args, title: str) -> dict:
    """A warm-up, then the measured run (`args`: warmup, duration, connections, threads),
    saying what it does and what it found."""
    print(f"{title}: warm-up {args.warmup} s, then {args.duration} s "
          f"at {args.connections} connections")  # fmt: skip
    if args.warmup:
        run_wrk(port, lines, duration=args.warmup,
                connections=args.connections, threads=args.threads)  # fmt: skip
    result = run_wrk(port, lines, duration=args.duration,
                     connections=args.connections, threads=args.threads)  # fmt: skip
    print(f"  {result['rps']:.0f} req/s, p50 {result['p50_us'] / 1000:.1f} ms, "
          f"p99 {result['p99_us'] / 1000:.1f} ms, {result['status_errors']} non-2xx, "
          f"{result['socket_errors']} socket errors")  # fmt: skip
    return result


def prime_ranked(port: int, path: str, tokens: list[str], kind: str) -> str:
    """Every token's first page of a ranked feed once, 8 at a time (each ranks its home pool
    and stores a snapshot): what a first visit costs, reported as a note."""
    print(f"[{kind}] GET {path}: one first page per token ({len(tokens)}), 8 at a time")
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=8) as pool:
        codes = list(pool.map(lambda token: http_get(port, path, token)[0], tokens))
    seconds = time.perf_counter() - started
    failed = sum(1 for code in codes if code != 200)
    line = (
        f"ranked first pages (each ranks an up-to-800-post pool): {len(tokens)} in {seconds:.1f} s "
        f"at 8 concurrent, {len(tokens) / seconds:.0f}/s, {seconds / len(tokens) * 1000:.0f} ms "
        f"of wall time each on average; {failed} non-200; the measured run below reads these "
        f"snapshots back"
    )
    print(f"  {line}")
    return line


def measure(kind: str, url: str, manifest: dict, args) -> dict:
    log_path = DATA_DIR / f"serve-{kind}.log"
    server = Server(url, args.workers, log_path)
    results: dict = {"database": kind, "endpoints": {}, "notes": []}
    try:
        server.wait_ready()
        waited = wait_for_startup_jobs(url, server.process.pid)
        print(f"[{kind}] startup jobs done and the server quiet after {waited:.0f} s")
        results["notes"].append(
            f"measured once the jobs due at start were done ({waited:.0f} s after the server "
            "answered): the hourly bridging fit, in a child process, and the prunes"
        )
        time.sleep(2)  # let the worker thread and pools settle: this is the idle figure
        results["idle_rss_mb"] = process_tree_rss(server.process.pid) / 2**20
        load_before = os.getloadavg()[0]
        tokens = manifest["tokens"]
        ids = manifest["public_ids"]

        baseline = args.baseline
        if not baseline:
            for candidate in BASELINE_CANDIDATES:
                if http_get(server.port, candidate)[0] == 200:
                    baseline = candidate
                    break
        endpoints: list[tuple[str, str, list[str]]] = []
        if baseline:
            endpoints.append(("baseline", f"GET {baseline}", [baseline]))
        else:
            results["notes"].append("no trivial endpoint answered 200; no baseline")
        home = "/api/v1/timelines/home"
        status, body = http_get(server.port, home, tokens[0])
        if status == 200 and body.startswith(b"["):
            endpoints.append(("home", f"GET {home}", [bearer(home, t) for t in tokens]))
            sizes = [
                (len(json.loads(page)), len(page))
                for page in (http_get(server.port, home, t)[1] for t in tokens[:20])
            ]
            results["notes"].append(
                f"home pages (first 20 users): {sum(n for n, _ in sizes) / len(sizes):.1f} "
                f"statuses, {sum(b for _, b in sizes) / len(sizes) / 1024:.0f} KB of JSON on average"
            )
        else:
            results["notes"].append(f"{home} answered {status}: not measured")
        ranked = "/api/v1/pnyx/feeds/diverse/statuses"
        status, body = http_get(server.port, ranked, tokens[0])
        if status == 200 and body.startswith(b"["):
            endpoints.append(("ranked", f"GET {ranked}", [bearer(ranked, t) for t in tokens]))
        else:
            results["notes"].append(f"{ranked} answered {status}: not measured")
        status, body = http_get(server.port, f"/api/v1/statuses/{ids[0]}")
        if status == 200:
            endpoints.append(
                ("status", "GET /api/v1/statuses/:id", [f"/api/v1/statuses/{i}" for i in ids])
            )
        else:
            results["notes"].append(f"/api/v1/statuses/:id answered {status}: not measured")

        for key, label, lines in endpoints:
            if key == "ranked":
                results["notes"].append(prime_ranked(server.port, ranked, tokens, kind))
            result = load_endpoint(server.port, lines, args, f"[{kind}] {label}")
            result["label"] = label
            if args.single_duration:
                # Closed-loop load at 32 connections makes latency ~ 32 / throughput (queueing);
                # one connection shows what a single request costs on an otherwise idle server.
                single = run_wrk(server.port, lines, duration=args.single_duration,
                                 connections=1, threads=1)  # fmt: skip
                result["single"] = single
            results["endpoints"][key] = result
        if baseline and len(endpoints) > 1:
            # Measured again at the end: on a shared machine the load from other processes
            # drifts, and the ratios use the mean of both baseline runs.
            print(f"[{kind}] GET {baseline} again, {args.duration} s")
            again = run_wrk(server.port, endpoints[0][2], duration=args.duration,
                            connections=args.connections, threads=args.threads)  # fmt: skip
            results["endpoints"]["baseline_after"] = again
            first = results["endpoints"]["baseline"]["rps"]
            results["notes"].append(
                f"baseline before / after the other endpoints: {first:.0f} / {again['rps']:.0f} "
                f"req/s; ratios use the mean"
            )
        home_run, ranked_run = results["endpoints"].get("home"), results["endpoints"].get("ranked")
        if home_run and ranked_run:
            share = ranked_run["rps"] / home_run["rps"]
            results["notes"].append(
                f"ranked vs home: {share * 100:.0f}% of home's req/s, a ranked page costs "
                f"{1 / share:.2f}x a home page (target <= 2x), over the same {len(tokens)} "
                f"tokens, after their first pages (reloads within reuse_seconds)"
            )
        results["loaded_rss_mb"] = process_tree_rss(server.process.pid) / 2**20
        results["loaded_anon_mb"] = process_tree_rss(server.process.pid, "RssAnon") / 2**20
        results["notes"].append(
            f"1-minute load average {load_before:.1f} before the measurements, "
            f"{os.getloadavg()[0]:.1f} after (the benchmark itself adds about 2-3; "
            f"more means other processes shared the cores)"
        )
    finally:
        server.stop()
    return results


def markdown(all_results: list[dict], manifests: dict[str, dict], args) -> str:
    lines = [
        f"Timeline benchmark, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {os.cpu_count()} cores; "
        f"wrk {args.connections} connections, {args.threads} threads, {args.duration} s per "
        f"endpoint; pnyx serve --workers {args.workers}",
        "",
        "| database | endpoint | req/s | p50 ms | p99 ms | throughput vs baseline "
        "| 1 conn: req/s | 1 conn: p50 ms | 1 conn: p99 ms | errors |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for res in all_results:
        base = res["endpoints"].get("baseline")
        base_rps = base["rps"] if base else None
        if base and "baseline_after" in res["endpoints"]:
            base_rps = (base_rps + res["endpoints"]["baseline_after"]["rps"]) / 2
        for key in ("baseline", "home", "ranked", "status"):
            r = res["endpoints"].get(key)
            if not r:
                continue
            ratio = f"{r['rps'] / base_rps * 100:.0f}%" if base_rps else "n/a"
            one = r.get("single")
            single = (
                f"{one['rps']:.0f} | {one['p50_us'] / 1000:.1f} | {one['p99_us'] / 1000:.1f}"
                if one
                else "- | - | -"
            )
            errors = r["status_errors"] + r["socket_errors"]
            if one:
                errors += one["status_errors"] + one["socket_errors"]
            lines.append(
                f"| {res['database']} | {r['label']} | {r['rps']:.0f} | {r['p50_us'] / 1000:.1f} | "
                f"{r['p99_us'] / 1000:.1f} | {ratio} | {single} | {errors} |"
            )
    lines.append("")
    for res in all_results:
        m = manifests[res["database"]]
        rows = m["rows"]
        lines.append(
            f"- {res['database']}: data {rows['accounts']:,} accounts, {rows['statuses']:,} "
            f"statuses, {rows['follows']:,} follows, built in {m['build_seconds']} s; "
            f"idle RSS of pnyx serve {res['idle_rss_mb']:.0f} MB "
            f"({res.get('loaded_rss_mb', 0):.0f} MB after load, "
            f"{res.get('loaded_anon_mb', 0):.0f} MB of it the process's own memory"
            + (
                ", the rest pages of the database file SQLite maps)"
                if res["database"] == "sqlite"
                else ")"
            )
        )
        for note in res["notes"]:
            lines.append(f"- {res['database']}: {note}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--small", action="store_true", help="1,000 accounts, 50,000 statuses, 50 follows"
    )
    parser.add_argument("--accounts", type=int)
    parser.add_argument("--statuses", type=int)
    parser.add_argument("--follows", type=int, help="follows per account")
    parser.add_argument("--database", choices=("sqlite", "postgres", "both"), default="sqlite")
    parser.add_argument("--postgres-url", default=os.environ.get("PNYX_BENCH_DATABASE_URL", DEFAULT_PG),
                        help="base PostgreSQL URL; the size is appended to the database name")  # fmt: skip
    parser.add_argument("--rebuild", action="store_true", help="rebuild the data even if kept")
    parser.add_argument("--build-only", action="store_true", help="build the data, do not serve")
    parser.add_argument("--tokens", type=int, default=1000, help="users to authenticate as")
    parser.add_argument("--seed", type=int, default=2)
    parser.add_argument("--duration", type=int, default=10, help="seconds per endpoint")
    parser.add_argument("--warmup", type=int, default=2, help="seconds of warm-up per endpoint")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--single-duration", type=int, default=5,
                        help="seconds per endpoint at 1 connection (0: skip)")  # fmt: skip
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--workers", type=int, default=1, help="pnyx serve --workers")
    parser.add_argument("--baseline", help="path of the trivial endpoint (default: first of "
                        + ", ".join(BASELINE_CANDIDATES) + " that answers 200)")  # fmt: skip
    parser.add_argument("--json", type=Path, help="also write the raw results here")
    args = parser.parse_args(argv)

    size = Size(10_000, 1_000_000, 100) if not args.small else Size(1_000, 50_000, 50)
    size = Size(
        args.accounts or size.accounts,
        args.statuses or size.statuses,
        args.follows or size.follows,
    )
    if size.accounts < 2 or size.statuses < 1:
        parser.error("need at least 2 accounts and 1 status")
    if not args.build_only:
        wrk_available()
        if not PNYX.exists():
            raise SystemExit(f"{PNYX} is missing: run `make install` first")
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    kinds = ["sqlite", "postgres"] if args.database == "both" else [args.database]
    manifests: dict[str, dict] = {}
    all_results = []
    for kind in kinds:
        url = sqlite_url(size) if kind == "sqlite" else postgres_url(args.postgres_url, size)
        manifests[kind] = prepare(
            url, kind, size, seed=args.seed, rebuild=args.rebuild, tokens=args.tokens
        )
        if not args.build_only:
            all_results.append(measure(kind, url, manifests[kind], args))
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
