"""Fan-out benchmark: one post by an account with N local followers (10,000 by default), from
the moment it is posted through core to the moment the last follower's feed has it.

    .venv/bin/python bench/fanout.py                       # SQLite
    .venv/bin/python bench/fanout.py --database both       # SQLite and PostgreSQL

How it runs:
- a fresh database (bench/data/fanout.sqlite3, or PostgreSQL `<url>_fanout`), migrated;
- the author created through core (`accounts.create_local`); its N followers' accounts, the
  follows and the followers' feed states (all active, all built) written in bulk;
- the real worker (`registry.worker_pool`, 2 threads) started, then the post made through
  `statuses.create`: its `event` job, the `feeds` job and the chained `feeds.fan_out` jobs
  (`Settings.feed_fanout_batch` followers each) run as they would in `pnyx serve`;
- the clock stops when the last follower (the last follow) has the entry; every follower's
  entry is then counted.
The baseline is the same database inserting N plain rows (one executemany of feed entries
for another status id, one transaction): the fan-out's cost as a ratio to the bare writes.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
from tqdm import tqdm

sys.path.insert(0, str(Path(__file__).resolve().parent))
import timeline  # noqa: E402  (bench/timeline.py: database paths and resets)
from pnyx import registry  # noqa: E402  (installs the event handlers)
from pnyx.config import Settings  # noqa: E402
from pnyx.core import accounts, statuses, uris  # noqa: E402
from pnyx.core.statuses import StatusInput  # noqa: E402
from pnyx.db.engine import Database  # noqa: E402
from pnyx.db.ids import new_id  # noqa: E402
from pnyx.db.migrate import upgrade  # noqa: E402
from pnyx.db.tables import accounts as account_rows  # noqa: E402
from pnyx.db.tables import feed_entries, feed_states, follows  # noqa: E402


def _url(kind: str, postgres_base: str) -> str:
    if kind == "sqlite":
        return f"sqlite:///{timeline.DATA_DIR / 'fanout.sqlite3'}"
    parsed = sa.engine.make_url(timeline.normalize_url(postgres_base))
    return parsed.set(database=f"{parsed.database}_fanout").render_as_string(hide_password=False)


def build(db: Database, followers: int) -> tuple[int, list[int]]:
    """The author (through core) and its followers (account rows written in bulk: creating
    10,000 users through core takes minutes on a busy PostgreSQL), every follower's home feed
    built and active."""
    author = db.run_sync(accounts.create_local, "author", "author@bench.example", "bench pw")[0]
    ids = [new_id() for _ in range(followers)]
    with tqdm(total=followers, desc="followers", unit="acct") as bar:
        for start in range(0, followers, 1000):
            chunk = ids[start : start + 1000]

            def some(tx, start=start, chunk=chunk):
                tx.execute(
                    account_rows.insert(),
                    [
                        {
                            "id": account_id,
                            "username": f"f{start + k}",
                            "domain": None,
                            "display_name": "",
                            "note": "",
                            "note_source": "",
                            "fields": [],
                            "also_known_as": [],
                            "created_at": tx.now,
                            "updated_at": tx.now,
                            **uris.account_actor_urls(tx.settings, f"f{start + k}"),
                        }
                        for k, account_id in enumerate(chunk)
                    ],
                )

            db.run_sync(some)
            bar.update(len(chunk))

    def relations(tx):
        now = tx.now
        tx.execute(
            follows.insert(),
            [
                {
                    "id": new_id(),
                    "account_id": follower,
                    "target_account_id": author,
                    "show_reblogs": True,
                    "notify": False,
                    "created_at": now,
                }
                for follower in ids
            ],
        )
        tx.execute(
            feed_states.insert(),
            [
                {
                    "viewer_id": viewer,
                    "list_id": 0,
                    "floor_id": 0,
                    "since_trim": 0,
                    "built_at": now,
                    "seen_at": now,
                }
                for viewer in [author, *ids]
            ],
        )

    db.run_sync(relations)
    return author, ids


def fan_out_seconds(db: Database, author: int, followers: list[int]) -> tuple[float, int]:
    """Seconds from the post to the last follower's entry, and how many followers have it."""
    pool = registry.worker_pool(db, 2)
    last = followers[-1]
    pool.start()
    try:
        started = time.perf_counter()
        post = db.run_sync(statuses.create, author, StatusInput(text="to all of you"))
        has_it = sa.select(sa.func.count()).where(
            feed_entries.c.viewer_id == last,
            feed_entries.c.list_id == 0,
            feed_entries.c.status_id == post,
        )
        while not db.run_sync(lambda tx: tx.scalar(has_it), write=False):
            time.sleep(0.005)
        elapsed = time.perf_counter() - started
    finally:
        pool.stop()
    reached = db.run_sync(
        lambda tx: tx.scalar(
            sa.select(sa.func.count()).where(
                feed_entries.c.status_id == post, feed_entries.c.viewer_id.in_(followers)
            )
        ),
        write=False,
    )
    return elapsed, reached


def baseline_seconds(db: Database, followers: list[int]) -> float:
    """N plain rows in one transaction: the writes alone, without finding anyone."""
    fake_status = new_id()
    started = time.perf_counter()
    db.run_sync(
        lambda tx: tx.execute(
            feed_entries.insert(),
            [
                {
                    "viewer_id": viewer,
                    "list_id": 0,
                    "status_id": fake_status,
                    "reasons": 2,
                    "created_at": tx.now,
                }
                for viewer in followers
            ],
        )
    )
    return time.perf_counter() - started


def run(kind: str, args) -> dict:
    url = _url(kind, args.postgres_url)
    timeline.reset_database(url)
    settings = Settings(
        domain="bench.localhost",
        database_url=url,
        password_hashing="fast-insecure",
        feed_fanout_batch=args.batch,
        data_dir=str(timeline.DATA_DIR),
    )
    upgrade(Database(settings).engine)
    db = Database(settings)
    try:
        author, followers = build(db, args.followers)
        seconds, reached = fan_out_seconds(db, author, followers)
        plain = baseline_seconds(db, followers)
    finally:
        db.dispose()
    result = {
        "database": kind,
        "followers": len(followers),
        "reached": reached,
        "fan_out_s": round(seconds, 3),
        "baseline_s": round(plain, 3),
        "ratio": round(seconds / plain, 1) if plain else None,
    }
    print(
        f"[{kind}] {reached} of {len(followers)} followers' feeds have the post "
        f"{seconds:.2f} s after it was posted (batches of {args.batch}); "
        f"{len(followers)} plain rows in one transaction: {plain:.3f} s "
        f"(fan-out = {result['ratio']}x the bare writes)"
    )
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", choices=("sqlite", "postgres", "both"), default="sqlite")
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("PNYX_BENCH_DATABASE_URL", timeline.DEFAULT_PG),
        help="base PostgreSQL URL; _fanout is appended to the database name",
    )
    parser.add_argument("--followers", type=int, default=10_000)
    parser.add_argument("--batch", type=int, default=Settings().feed_fanout_batch)
    args = parser.parse_args(argv)
    timeline.DATA_DIR.mkdir(parents=True, exist_ok=True)
    kinds = ["sqlite", "postgres"] if args.database == "both" else [args.database]
    results = [run(kind, args) for kind in kinds]
    print()
    print(f"Fan-out benchmark, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {os.cpu_count()} cores")
    print()
    print("| database | followers | reached | post -> last feed, s | N plain rows, s | ratio |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for r in results:
        print(
            f"| {r['database']} | {r['followers']} | {r['reached']} | {r['fan_out_s']} "
            f"| {r['baseline_s']} | {r['ratio']}x |"
        )
    return 0 if all(r["reached"] == r["followers"] for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
