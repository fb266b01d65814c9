"""Search benchmark: a million posts, full-text status search with Mastodon's operators.

    .venv/bin/python bench/search.py                      # 1,000,000 posts on SQLite
    .venv/bin/python bench/search.py --statuses 100000    # smaller
    .venv/bin/python bench/search.py --database postgres  # the same on PostgreSQL

Why it is built this way:
- The words follow Zipf's law over a vocabulary of 30,000 made-up words, as words in real
  text do, so there are words in most posts, words in 1% of them and words in a handful;
  a query's cost depends mostly on how many posts hold its words.
- Rows are written in bulk (executemany on SQLite, COPY on PostgreSQL) into the schema the
  migrations make; the index entries are made by `search_index.entry`, as the write paths
  make them (a post with media counts as having an image; no attachment rows are written),
  so building a million posts takes minutes, not hours.
- What is measured is `core.search.search_statuses`, in process, through `Database.run_sync`
  exactly as the API's request does (one thread hop, one transaction): the SQL, the
  visibility rule, the decision pipeline and the loading of the 20 posts found. The API adds
  the JSON of 20 statuses, as every timeline does (see bench/timeline.py for that cost).
- Absolute times depend on the machine, so each query is compared with baselines measured in
  the same run: a trivial query through the same path (`SELECT 1`), the search this one
  replaced (a LIKE over the newest 10,000 posts the viewer may see, which found nothing
  older), and a plain LIKE over every post (what finding everything costs without an index);
  both baselines load the posts they find through `status_views.load`, as the search does.

Built databases are kept under bench/data/ (SQLite) or in a PostgreSQL database named
pnyx_bench_search_<statuses>, and reused unless --rebuild is given.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import time
from bisect import bisect
from datetime import UTC, datetime, timedelta
from itertools import accumulate
from pathlib import Path
from types import SimpleNamespace

import sqlalchemy as sa
from tqdm import tqdm

from pnyx.config import Settings
from pnyx.core import search, search_index, status_views, visibility
from pnyx.db.engine import Database, create_db_engine, normalize_url
from pnyx.db.migrate import upgrade
from pnyx.db.tables import statuses

ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = ROOT / "bench" / "data"
DOMAIN = "bench.localhost"
DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/pnyx_bench_search"
BUILDER_VERSION = 2
VOCABULARY = 30_000
ACCOUNTS = 10_000
SYLLABLES = [c + v for c in "bcdfghklmnprstvz" for v in "aeiou"]
LANGUAGES = ("en", "en", "en", "fr", "de", "es", None)


def word(rank: int) -> str:
    """The made-up word of this frequency rank (0 is the most common): 2 to 4 syllables."""
    out, n = [], rank + 80 * 80  # every word has at least three syllables
    while n:
        n, r = divmod(n, len(SYLLABLES))
        out.append(SYLLABLES[r])
    return "".join(out)


def sqlite_url(total: int) -> str:
    return f"sqlite:///{DATA_DIR / f'search-{total}-v{BUILDER_VERSION}.sqlite3'}"


def reset_postgres(url: str) -> None:
    base = sa.engine.make_url(normalize_url(url))
    admin = sa.create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{base.database}" WITH (FORCE)')
        conn.exec_driver_sql(f'CREATE DATABASE "{base.database}"')
    admin.dispose()


def _write(conn, table: str, columns: tuple[str, ...], rows, bar: tqdm) -> None:
    """COPY on PostgreSQL, executemany in chunks on SQLite."""
    if conn.dialect.name == "postgresql":
        raw = conn.connection.driver_connection
        with raw.cursor() as cur, cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as cp:
            for row in rows:
                cp.write_row(row)
                bar.update()
        return
    raw = conn.connection.driver_connection
    marks = ", ".join("?" for _ in columns)
    sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})"
    chunk: list[tuple] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) == 10_000:
            raw.executemany(sql, chunk)
            bar.update(len(chunk))
            chunk = []
    if chunk:
        raw.executemany(sql, chunk)
        bar.update(len(chunk))


def build(url: str, total: int, seed: int) -> dict:
    rng = random.Random(seed)
    started = time.monotonic()
    engine = create_db_engine(url)
    upgrade(engine)
    postgres = engine.dialect.name == "postgresql"

    def stamp(at: datetime):
        """A UTC time as the column stores it (rows are written raw, not through the types)."""
        naive = at.astimezone(UTC).replace(tzinfo=None)
        return naive if postgres else naive.strftime("%Y-%m-%d %H:%M:%S.%f")

    now = datetime.now(UTC).replace(microsecond=0)
    first = now - timedelta(days=730)
    # Accounts: 0 is the searcher; 10% are remote; 90% of local and 50% of remote indexable.
    account_ids = [
        ((int((first - timedelta(days=1)).timestamp() * 1000) + i) << 16) | 1
        for i in range(ACCOUNTS)
    ]
    account_rows = []
    for i, aid in enumerate(account_ids):
        remote = i % 10 == 9
        account_rows.append(
            (
                aid,
                f"user{i}",
                f"remote{i % 50}.example" if remote else None,
                f"https://{f'remote{i % 50}.example' if remote else DOMAIN}/users/user{i}",
                (rng.random() < 0.5) if remote else (rng.random() < 0.9),
                "[]",
                "[]",
                stamp(first),
                stamp(first),
            )
        )
    # Authors: a few write a lot (Zipf again), so `from:` has heavy and light posters.
    author_weights = list(accumulate(1 / (r + 1) ** 0.8 for r in range(ACCOUNTS)))
    word_weights = list(accumulate(1 / (r + 1) for r in range(VOCABULARY)))
    words = [word(r) for r in range(VOCABULARY)]
    span_ms = int((now - first).total_seconds() * 1000)
    start_ms = int(first.timestamp() * 1000)
    ids = [((start_ms + i * span_ms // total) << 16) | (i & 0xFFFF) for i in range(total)]
    viewer = account_ids[0]

    def status_rows():
        for i, sid in enumerate(ids):
            author_index = min(
                bisect(author_weights, rng.random() * author_weights[-1]), ACCOUNTS - 1
            )
            author = account_ids[author_index]
            local = author_index % 10 != 9
            count = rng.randint(4, 24)
            text = " ".join(
                words[min(bisect(word_weights, rng.random() * word_weights[-1]), VOCABULARY - 1)]
                for _ in range(count)
            )
            roll = rng.random()
            visibility_name = (
                "public"
                if roll < 0.8
                else "unlisted"
                if roll < 0.9
                else "private"
                if roll < 0.98
                else "direct"
            )
            link = rng.random() < 0.05
            content = f"<p>{text}</p>" + (
                f'<p><a href="https://news.example/{i}" rel="nofollow">news.example/{i}</a></p>'
                if link
                else ""
            )
            reply_to = ids[rng.randrange(i)] if i and rng.random() < 0.15 else None
            created = stamp(datetime.fromtimestamp((sid >> 16) / 1000, UTC))
            yield (
                sid,
                f"https://{DOMAIN}/statuses/{sid}",
                author,
                local,
                text if local else "",
                content,
                "",
                visibility_name,
                rng.random() < 0.03,
                rng.choice(LANGUAGES),
                reply_to,
                reply_to or sid,
                rng.random() < 0.05,
                created,
            )

    columns = (
        "id", "uri", "account_id", "local", "text", "content", "spoiler_text", "visibility",
        "sensitive", "language", "in_reply_to_id", "conversation_id", "has_media", "created_at",
    )  # fmt: skip
    with engine.begin() as conn:
        if not postgres:
            conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
        with tqdm(total=ACCOUNTS, desc="accounts", unit="row") as bar:
            _write(
                conn,
                "accounts",
                (
                    "id",
                    "username",
                    "domain",
                    "uri",
                    "indexable",
                    "fields",
                    "also_known_as",
                    "created_at",
                    "updated_at",
                ),
                account_rows,
                bar,
            )
        # Statuses and their index entries, made by `search_index.entry` as the write paths
        # make them. SQLite: written 10,000 at a time between the statuses' chunks; PostgreSQL
        # (a COPY holds the connection): kept, then copied to a scratch table and turned into
        # tsvectors by one INSERT ... SELECT, the GIN indexes made after.
        pending: list[tuple] = []
        raw = conn.connection.driver_connection
        insert_fts = "INSERT INTO status_search (rowid, body, facets) VALUES (?, ?, ?)"

        def with_entries():
            for row in status_rows():
                fields = dict(zip(columns, row, strict=True))
                fields["in_reply_to_uri"] = None
                media = [("image", "")] if fields["has_media"] else []
                made = search_index.entry(SimpleNamespace(**fields), None, media)
                pending.append((made.status_id, made.body, made.facets))
                if not postgres and len(pending) == 10_000:
                    raw.executemany(insert_fts, pending)
                    pending.clear()
                yield row

        with tqdm(total=total, desc="statuses", unit="row") as bar:
            _write(conn, "statuses", columns, with_entries(), bar)
        if not postgres:
            raw.executemany(insert_fts, pending)
        else:
            conn.exec_driver_sql(
                "CREATE TEMP TABLE search_load (id BIGINT, body TEXT, facets TEXT)"
            )
            with tqdm(total=len(pending), desc="index entries", unit="row") as bar:
                _write(conn, "search_load", ("id", "body", "facets"), pending, bar)
            print("search index: to_tsvector, then the GIN indexes ...", flush=True)
            conn.exec_driver_sql("DROP INDEX ix_status_search_document")
            conn.exec_driver_sql("DROP INDEX ix_status_search_facets")
            conn.exec_driver_sql(
                "INSERT INTO status_search (status_id, document, facets)"
                " SELECT id, to_tsvector('simple', body), to_tsvector('simple', facets)"
                " FROM search_load"
            )
            conn.exec_driver_sql(
                "CREATE INDEX ix_status_search_document ON status_search USING gin (document)"
            )
            conn.exec_driver_sql(
                "CREATE INDEX ix_status_search_facets ON status_search USING gin (facets)"
            )
        pending.clear()
        # The searcher's library: 2,000 favourites, 500 bookmarks; and 200 follows.
        picks = rng.sample(ids, 2_500)
        _write(
            conn,
            "favourites",
            ("id", "account_id", "status_id", "created_at"),
            [(ids[-1] + 1 + n, viewer, sid, stamp(now)) for n, sid in enumerate(picks[:2000])],
            tqdm(disable=True),
        )
        _write(
            conn,
            "bookmarks",
            ("id", "account_id", "status_id", "created_at"),
            [(ids[-1] + 5000 + n, viewer, sid, stamp(now)) for n, sid in enumerate(picks[2000:])],
            tqdm(disable=True),
        )
        followed = rng.sample(account_ids[1:], 200)
        _write(
            conn,
            "follows",
            ("id", "account_id", "target_account_id", "created_at"),
            [(ids[-1] + 9000 + n, viewer, target, stamp(now)) for n, target in enumerate(followed)],
            tqdm(disable=True),
        )
    if postgres:
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE")
    engine.dispose()
    heavy = account_ids[0:3]
    return {
        "builder": BUILDER_VERSION,
        "statuses": total,
        "seed": seed,
        "viewer": viewer,
        "heavy_posters": [f"user{i}" for i in range(1, 4)],
        "light_poster": f"user{ACCOUNTS - 2}",
        "middle_day": (first + timedelta(days=365)).date().isoformat(),
        "build_seconds": round(time.monotonic() - started, 1),
        "heavy_ids": heavy,
    }


# --- The searches this one replaced, as baselines ------------------------------------------


def old_bounded_scan(tx, viewer_id: int, q: str, limit: int = 20) -> list[int]:
    """The previous status search: LIKE over the newest 10,000 posts the viewer may see."""
    words = [w.lower() for w in q.split()][:8]
    recent = sa.select(statuses.c.id, statuses.c.text, statuses.c.spoiler_text).where(
        statuses.c.reblog_of_id.is_(None), visibility.visible_condition(statuses, viewer_id)
    )
    scanned = recent.order_by(statuses.c.id.desc()).limit(10_000).subquery("recent")
    haystack = sa.func.lower(scanned.c.text + " " + scanned.c.spoiler_text)
    query = sa.select(scanned.c.id).where(*[haystack.like(f"%{w}%") for w in words])
    ids = tx.scalars(query.order_by(scanned.c.id.desc()).limit(limit))
    return status_views.load(tx, ids, viewer_id).visible  # as it did


def like_everything(tx, viewer_id: int, q: str, limit: int = 20) -> list[int]:
    """Every post, no index: a LIKE on the content of all the posts the viewer may see."""
    words = [w.lower() for w in q.split()][:8]
    query = sa.select(statuses.c.id).where(
        statuses.c.reblog_of_id.is_(None),
        visibility.visible_condition(statuses, viewer_id),
        *[sa.func.lower(statuses.c.content).like(f"%{w}%") for w in words],
    )
    ids = tx.scalars(query.order_by(statuses.c.id.desc()).limit(limit))
    return status_views.load(tx, ids, viewer_id, hide_muted=True).visible


# --- Measuring -------------------------------------------------------------------------------


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def timed(db: Database, fn, queries: list[str], runs: int) -> dict:
    times, found = [], []
    for n in range(runs):
        q = queries[n % len(queries)]
        started = time.perf_counter()
        ids = db.run_sync(lambda tx, q=q: fn(tx, q))
        times.append((time.perf_counter() - started) * 1000)
        found.append(len(ids))
    return {
        "p50_ms": round(statistics.median(times), 2),
        "p99_ms": round(percentile(times, 0.99), 2),
        "max_ms": round(max(times), 2),
        "runs": runs,
        "mean_found": round(statistics.mean(found), 1),
    }


def ranks(lo: int, hi: int, count: int, rng: random.Random) -> list[str]:
    return [word(r) for r in rng.sample(range(lo, hi), count)]


def measure(url: str, manifest: dict, runs: int, seed: int) -> list[dict]:
    rng = random.Random(seed + 1)
    settings = Settings(domain=DOMAIN, database_url=url)
    db = Database(settings)
    viewer = manifest["viewer"]
    common, middle, rare = (
        ranks(0, 10, 10, rng),
        ranks(100, 200, 50, rng),
        ranks(10_000, 30_000, 50, rng),
    )
    pairs = [
        f"{a} {b}" for a, b in zip(ranks(20, 60, 40, rng), ranks(100, 600, 40, rng), strict=True)
    ]
    heavy, light, day = manifest["heavy_posters"], manifest["light_poster"], manifest["middle_day"]

    def searching(tx, q):
        return search.search_statuses(tx, viewer, q, limit=20)

    cases = [
        ("trivial query (SELECT 1)", lambda tx, q: [tx.scalar(sa.text("SELECT 1"))], ["-"], runs),
        ("common word (in ~60% of posts)", searching, common, runs),
        ("mid word (in ~1% of posts)", searching, middle, runs),
        ("rare word (in ~0.01% of posts)", searching, rare, runs),
        ("two words", searching, pairs, runs),
        ('phrase "a b"', searching, [f'"{word(0)} {w}"' for w in ranks(1, 40, 30, rng)], runs),
        ("mid word -exclusion", searching, [f"{w} -{word(1)}" for w in middle], runs),
        (
            "mid word from:heavy poster",
            searching,
            [f"{w} from:{heavy[n % 3]}" for n, w in enumerate(middle)],
            runs,
        ),
        ("mid word from:light poster", searching, [f"{w} from:{light}" for w in middle], runs),
        ("from:me (no words)", searching, ["from:me"], runs),
        ("mid word has:media", searching, [f"{w} has:media" for w in middle], runs),
        ("mid word has:link", searching, [f"{w} has:link" for w in middle], runs),
        ("mid word language:fr", searching, [f"{w} language:fr" for w in middle], runs),
        ("mid word is:reply", searching, [f"{w} is:reply" for w in middle], runs),
        (f"mid word before:{day}", searching, [f"{w} before:{day}" for w in middle], runs),
        ("mid word in:library", searching, [f"{w} in:library" for w in middle], runs),
        ("common word in:library", searching, [f"{w} in:library" for w in common], runs),
        (
            "common word has:poll (none exist)",
            searching,
            [f"{w} has:poll" for w in common],
            max(5, runs // 20),
        ),
        (
            "baseline: old bounded scan, mid word",
            lambda tx, q: old_bounded_scan(tx, viewer, q),
            middle,
            max(10, runs // 10),
        ),
        (
            "baseline: LIKE over all posts, rare word",
            lambda tx, q: like_everything(tx, viewer, q),
            rare,
            5,
        ),
    ]
    results = []
    print(f"load average before: {os.getloadavg()[0]:.2f}", flush=True)
    for title, fn, queries, count in cases:
        timed(db, fn, queries, min(3, count))  # warm the cache
        result = timed(db, fn, queries, count)
        result["case"] = title
        results.append(result)
        print(
            f"{title:44} p50 {result['p50_ms']:9.2f} ms  p99 {result['p99_ms']:9.2f} ms"
            f"  found {result['mean_found']:5.1f}",
            flush=True,
        )
    print(f"load average after: {os.getloadavg()[0]:.2f}", flush=True)
    db.dispose()
    return results


def markdown(kind: str, manifest: dict, results: list[dict]) -> str:
    base = results[0]["p50_ms"] or 0.01
    lines = [
        f"**{kind}**, {manifest['statuses']:,} posts (built in {manifest['build_seconds']} s)",
        "",
        "| query | p50 ms | p99 ms | p50 / trivial | found (mean) |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for r in results:
        lines.append(
            f"| {r['case']} | {r['p50_ms']} | {r['p99_ms']} | {r['p50_ms'] / base:.0f}x | {r['mean_found']} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--statuses", type=int, default=1_000_000)
    parser.add_argument("--database", choices=("sqlite", "postgres", "both"), default="sqlite")
    parser.add_argument("--postgres-url", default=DEFAULT_PG)
    parser.add_argument("--runs", type=int, default=200, help="searches per case")
    parser.add_argument("--seed", type=int, default=10)
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument("--json", type=Path, help="write the raw results here")
    args = parser.parse_args(argv)
    kinds = ("sqlite", "postgres") if args.database == "both" else (args.database,)
    out = {}
    for kind in kinds:
        if kind == "sqlite":
            url = sqlite_url(args.statuses)
            path = Path(url.split("///", 1)[1])
            manifest_path = path.with_suffix(".json")
            if args.rebuild or not manifest_path.exists():
                path.parent.mkdir(parents=True, exist_ok=True)
                for stale in (path, Path(f"{path}-wal"), Path(f"{path}-shm"), manifest_path):
                    stale.unlink(missing_ok=True)
                manifest = build(url, args.statuses, args.seed)
                manifest_path.write_text(json.dumps(manifest))
            manifest = json.loads(manifest_path.read_text())
        else:
            url = f"{args.postgres_url}_{args.statuses}"
            manifest_path = DATA_DIR / f"search-pg-{args.statuses}-v{BUILDER_VERSION}.json"
            if args.rebuild or not manifest_path.exists():
                reset_postgres(url)
                manifest = build(url, args.statuses, args.seed)
                DATA_DIR.mkdir(parents=True, exist_ok=True)
                manifest_path.write_text(json.dumps(manifest))
            manifest = json.loads(manifest_path.read_text())
        print(f"== {kind}: {manifest['statuses']:,} posts")
        results = measure(url, manifest, args.runs, args.seed)
        out[kind] = {"manifest": manifest, "results": results}
        print()
        print(markdown(kind, manifest, results))
        print()
    if args.json:
        args.json.write_text(json.dumps(out, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
