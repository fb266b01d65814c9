"""Portability benchmark (issue 14): the export and the import of an account with 20,000
posts and 2,000 media files, in time and peak memory.

    .venv/bin/python bench/portability.py --small              # 2,000 posts, 200 media, SQLite
    .venv/bin/python bench/portability.py --database both --runs 2   # 20,000 posts, 2,000 media
    .venv/bin/python bench/portability.py --database postgres --export-only --json

Why it is built this way:
- The account is built once per size and database and kept (bench/portability_data.py says
  what it holds and how it is made; --rebuild makes it again).
- Each step runs in a fresh child process (`--child`), so that each peak RSS is the step's
  own: the child fixes glibc's mmap threshold as `pnyx serve` and `pnyx worker` do, where
  the jobs run (`--malloc-default` leaves glibc's own, as the `pnyx export` command runs),
  imports the same modules for a step and its baseline, opens the database, resets its peak
  to its current RSS (Linux's /proc/self/clear_refs) and reports the RSS before, the peak
  after (VmHWM), the peak of its anonymous memory (RssAnon, sampled: without the pages of
  the SQLite file it maps), the wall and CPU seconds.
- **Export**: `pnyx.portability.archive.build` of an export recorded as `pnyx export` records
  it (`records.request(by_job=False)`), as the `export.build` job runs it; the size and count
  of its parts. The child also times, inside it, the loading of the posts
  (`federation_reads.published`), their rendering as Notes and their signing
  (`object_proofs.sign_with`), and reports how many entries the process-wide caches hold at
  the end (`core.row_cache`, the proofs' cache): what an export leaves in a server's memory.
- **Its baseline**: the floor any archive writer pays, in a child with the same imports:
  reading the same posts' rows (every column, pages of 200 by id), writing each as JSON
  (orjson) into a deflated zip entry, and copying the same media files from the store into
  the zip (stored), with `zipfile`.
- **Import**: the parts of that export into another account on a fresh database (made by
  the migrations; the account by `core.accounts.create_local`), as `pnyx import archive`
  does: `core.archive_import.runs.receive` (the checks, the parts kept in the media store)
  then `federation.archive_import.run` (posts, media through the upload pipeline, replies
  linked); the posts and media files imported. The time spent reading items, processing
  media, storing posts and indexing them for search is reported inside it.
- **Its baseline**: in a child with the same imports, on a fresh database too: outbox.json
  read as a stream of items (ijson), each item written as a row (its id and JSON) in batches
  of 100 per transaction, and each media file copied from the zip into the media store.
- Ratios are to the baseline of the same run, for time and for peak RSS; the absolute
  figures are printed beside them. The 1-minute load average is printed before and after:
  the machine may be shared.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import threading
import time
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from progress import ticking  # noqa: E402  (bench/progress.py: a sibling)

DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/pnyx_bench_portability"
DOMAIN = "bench.localhost"  # portability_data's
TARGET = "bob"
STEPS = ("export baseline", "export", "import baseline", "import")


# --- Measuring, in the child -------------------------------------------------------------------


def status_mb(field: str) -> float:
    """A figure of /proc/self/status in MB (VmHWM: the peak RSS; RssAnon: the memory the
    process owns, without the pages of files it maps, such as SQLite's database file)."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    return 0.0


def rss_mb() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


class AnonPeak:
    """The highest RssAnon seen, sampled every 10 ms in a thread (Linux keeps no peak of it)."""

    def __init__(self) -> None:
        self.peak = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while True:
            self.peak = max(self.peak, status_mb("RssAnon"))
            if self._stop.wait(0.01):
                return

    def __enter__(self) -> AnonPeak:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, status_mb("RssAnon"))


def reset_peak_rss() -> bool:
    """Linux: make the peak RSS the current RSS, so the peak measured next is the step's."""
    try:
        with open("/proc/self/clear_refs", "w") as clear_refs:
            clear_refs.write("5")
    except OSError:
        return False
    return True


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


class Timer:
    """Seconds spent in a module's function, added up (wrapped in place while measuring)."""

    def __init__(self, module: Any, name: str) -> None:
        self.seconds = 0.0
        self.calls = 0
        inner = getattr(module, name)

        def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return inner(*args, **kwargs)
            finally:
                self.seconds += time.perf_counter() - started
                self.calls += 1

        setattr(module, name, timed)


def measured(work: Callable[[], dict]) -> dict:
    """Run `work` with the peak RSS reset first; its figures with the time and memory. The
    peak is VmHWM, not getrusage's ru_maxrss: that one also counts the parent's RSS when the
    child was started, which clear_refs does not reset."""
    import gc

    gc.collect()
    reset = reset_peak_rss()
    before, before_anon = rss_mb(), status_mb("RssAnon")
    wall, cpu = time.perf_counter(), cpu_seconds()
    with AnonPeak() as anon:
        figures = work()
    return {
        **figures,
        "wall": time.perf_counter() - wall,
        "cpu": cpu_seconds() - cpu,
        "before_mb": before,
        "peak_mb": status_mb("VmHWM"),
        "before_anon_mb": before_anon,
        "peak_anon_mb": anon.peak,
        "peak_reset": reset,
    }


def bar(desc: str, total: int) -> tuple[Any, Callable[[int, int], None]]:
    from tqdm import tqdm

    shown = tqdm(total=total, desc=desc, unit="item", leave=False)

    def progress(done: int, _total: int) -> None:
        shown.update(done - shown.n)

    return shown, progress


def open_database(config: dict) -> Any:
    from pnyx import registry  # noqa: F401  (the media store, the job kinds)
    from pnyx.config import Settings
    from pnyx.db.engine import Database

    settings = Settings(domain=DOMAIN, database_url=config["url"], data_dir=config["data_dir"])
    return Database(settings)


# --- The steps ---------------------------------------------------------------------------------


def export_side() -> None:
    """What the export's children import before measuring (the same for its baseline)."""
    import orjson  # noqa: F401

    from pnyx.core.exports import records  # noqa: F401
    from pnyx.portability import archive  # noqa: F401


def export_step(config: dict) -> dict:
    from pnyx.core import federation_reads, row_cache
    from pnyx.core.exports import records
    from pnyx.core.media_store import store_for
    from pnyx.federation import internal_to_as2, object_proofs
    from pnyx.portability import archive

    db = open_database(config)
    asked = db.run_sync(records.request, config["account_id"], by_job=False)
    timers = {
        "loading": Timer(federation_reads, "published"),
        "rendering": Timer(internal_to_as2, "status_note"),
        "signing": Timer(object_proofs, "sign_with"),
    }
    shown, progress = bar("export", asked.total or 1)

    def work() -> dict:
        done = archive.build(db, asked.id, progress=progress)
        assert done is not None and done.state == "done", done
        return {"parts": [{"number": p.number, "size": p.size, "key": p.key} for p in done.parts]}

    result = measured(work)
    shown.close()
    result["inside"] = {name: t.seconds for name, t in timers.items()}
    result["kept"] = {
        "posts (row cache)": len(row_cache.posts),
        "accounts (row cache)": len(row_cache.accounts),
        "proofs": len(object_proofs._cache),
    }
    # The parts out of the store for the import (not timed), then out of the store.
    store = store_for(db.settings)
    out = Path(config["parts_dir"])
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    for part in result["parts"]:
        with (out / f"part-{part['number']}.zip").open("wb") as fh:
            for chunk in store.open(part["key"]) or ():
                fh.write(chunk)
        store.delete(part["key"])
        part["path"] = str(out / f"part-{part['number']}.zip")
    db.dispose()
    return result


def export_baseline_step(config: dict) -> dict:
    import orjson
    import sqlalchemy as sa

    from pnyx.core.media_store import store_for
    from pnyx.db.tables import media_attachments, statuses

    db = open_database(config)
    store = store_for(db.settings)
    account_id = config["account_id"]
    target = Path(config["parts_dir"]) / "baseline.zip"
    target.parent.mkdir(parents=True, exist_ok=True)

    def rows(table: sa.Table, where: Any) -> Any:
        after = 0
        while True:
            page = db.run_sync(
                lambda tx, after=after: tx.rows(
                    sa.select(table)
                    .where(where, table.c.id > after)
                    .order_by(table.c.id)
                    .limit(200)
                ),
                write=False,
            )
            if not page:
                return
            yield from page
            after = page[-1].id

    def work() -> dict:
        posts = files = 0
        with zipfile.ZipFile(target, "w") as archive:
            info = zipfile.ZipInfo("outbox.json")
            info.compress_type = zipfile.ZIP_DEFLATED
            with archive.open(info, "w", force_zip64=True) as out:
                out.write(b"[")
                for row in rows(statuses, statuses.c.account_id == account_id):
                    out.write(
                        (b"," if posts else b"")
                        + orjson.dumps(row._asdict(), option=orjson.OPT_NON_STR_KEYS)
                    )
                    posts += 1
                out.write(b"]")
            attached = sa.and_(
                media_attachments.c.account_id == account_id,
                media_attachments.c.status_id.is_not(None),
            )
            for row in rows(media_attachments, attached):
                info = zipfile.ZipInfo(f"media/{row.id}/{Path(row.file_key).name}")
                with archive.open(info, "w", force_zip64=True) as out:
                    for chunk in store.open(row.file_key) or ():
                        out.write(chunk)
                files += 1
        return {"posts": posts, "files": files, "bytes": target.stat().st_size}

    with ticking("export baseline", leave=False):
        result = measured(work)
    target.unlink()
    db.dispose()
    return result


def import_side() -> None:
    """What the import's children import before measuring (the same for its baseline)."""
    import ijson  # type: ignore[import-untyped]  # noqa: F401
    import orjson  # noqa: F401

    from pnyx.core.archive_import import runs  # noqa: F401
    from pnyx.federation import archive_import  # noqa: F401


def import_step(config: dict) -> dict:
    import sqlalchemy as sa

    from pnyx.core import accounts, row_cache, search_index
    from pnyx.core.archive_import import posts, runs
    from pnyx.db.tables import media_attachments, statuses
    from pnyx.federation import archive_import, object_proofs

    db = open_database(config)
    account = db.run_sync(accounts.find_local, TARGET, write=False)
    paths = [Path(p) for p in config["parts"]]
    timers = {
        "reading items": Timer(archive_import, "read_item"),
        "media processing": Timer(posts, "process_media"),
        "storing posts": Timer(posts, "store"),
        "of which search index": Timer(search_index, "refresh"),
    }
    timings: dict[str, float] = {}
    shown: Any = None

    def work() -> dict:
        nonlocal shown
        started = time.perf_counter()
        with ticking("receive (checks, parts kept)", leave=False):
            import_id = runs.receive(db, account.id, paths)
        timings["receive"] = time.perf_counter() - started
        total = db.run_sync(runs.get, import_id, write=False).total
        shown, progress = bar("import", total)
        row = archive_import.run(db, import_id, progress=progress)
        assert row is not None and not row.error, row
        return {
            "imported": row.imported,
            "skipped": row.skipped,
            "failed": row.failed,
            "total": row.total,
            "skip_reasons": dict(row.skip_reasons or {}),
        }

    result = measured(work)
    shown.close()

    def count(tx: Any, table: sa.Table) -> int:
        return int(
            tx.scalar(
                sa.select(sa.func.count())
                .select_from(table)
                .where(table.c.account_id == account.id)
            )
        )

    result["posts"] = db.run_sync(count, statuses, write=False)
    result["media"] = db.run_sync(count, media_attachments, write=False)
    result["inside"] = {
        "receive": timings["receive"],
        **{name: timer.seconds for name, timer in timers.items()},
    }
    result["kept"] = {
        "posts (row cache)": len(row_cache.posts),
        "proofs": len(object_proofs._cache),
    }
    db.dispose()
    return result


def import_baseline_step(config: dict) -> dict:
    import ijson  # type: ignore[import-untyped]
    import orjson
    import sqlalchemy as sa

    from pnyx.core.media_store import store_for

    db = open_database(config)
    store = store_for(db.settings)
    items = sa.Table(
        "bench_items",
        sa.MetaData(),
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("uri", sa.Text),
        sa.Column("document", sa.Text),
    )
    items.create(db.engine, checkfirst=True)

    def work() -> dict:
        count = files = 0
        parts = [zipfile.ZipFile(p) for p in config["parts"]]
        outbox = next(p for p in parts if "outbox.json" in p.namelist())
        with outbox.open("outbox.json") as fh:
            batch: list[dict] = []
            for item in ijson.items(fh, "orderedItems.item", use_float=True):
                count += 1
                uri = item.get("id") if isinstance(item, dict) else None
                batch.append({"id": count, "uri": uri, "document": orjson.dumps(item).decode()})
                if len(batch) == 100:
                    db.run_sync(lambda tx, rows=batch: tx.execute(items.insert(), rows))
                    batch = []
            if batch:
                db.run_sync(lambda tx: tx.execute(items.insert(), batch))
        for part in parts:
            for info in part.infolist():
                if info.filename.startswith("media_attachments/"):
                    store.put(f"baseline/{info.filename}", part.read(info), "image/jpeg")
                    files += 1
            part.close()
        return {"items": count, "files": files}

    with ticking("import baseline", leave=False):
        result = measured(work)
    db.dispose()
    return result


CHILD_STEPS: dict[str, tuple[Callable[[], None], Callable[[dict], dict]]] = {
    "export": (export_side, export_step),
    "export baseline": (export_side, export_baseline_step),
    "import": (import_side, import_step),
    "import baseline": (import_side, import_baseline_step),
}


def child(step: str, config: dict) -> None:
    side, run = CHILD_STEPS[step]
    if not config.get("malloc_default"):
        from pnyx.process_memory import return_large_buffers

        return_large_buffers()  # as `pnyx serve` and `pnyx worker`, where the jobs run
    side()
    print(json.dumps(run(config)))


# --- The parent ---------------------------------------------------------------------------------


def run_child(step: str, config: dict) -> dict:
    """A step in a fresh process: its progress bar on the terminal, its figures back."""
    out = subprocess.run(
        [sys.executable, __file__, "--child", step, json.dumps(config)],
        check=True,
        stdout=subprocess.PIPE,
        text=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def load() -> float:
    return os.getloadavg()[0]


def fresh_target(kind: str, size: Any, postgres_base: str) -> dict:
    """An empty database (the migrations' schema) with the account the import goes to."""
    import sqlalchemy as sa

    import portability_data as data
    from pnyx import registry  # noqa: F401
    from pnyx.core import accounts
    from pnyx.db.engine import Database, normalize_url
    from pnyx.db.migrate import upgrade

    home = data.DATA_DIR / f"portability-{size.label}-{kind}-import"
    shutil.rmtree(home, ignore_errors=True)
    home.mkdir(parents=True)
    if kind == "sqlite":
        url = f"sqlite:///{home / 'pnyx.sqlite3'}"
    else:
        base = sa.engine.make_url(normalize_url(postgres_base))
        url = base.set(database=f"{base.database}_import").render_as_string(hide_password=False)
    data.reset_database(url)
    db = Database(data.settings_for(url, home))
    upgrade(db.engine)
    db.run_sync(accounts.create_local, TARGET, "bob@bench.example", "a long benchmark password")
    db.dispose()
    return {"url": url, "data_dir": str(home)}


def one_run(kind: str, manifest: dict, size: Any, args: argparse.Namespace) -> dict:
    """The four steps once (the export's two only, with --export-only), each in its own
    process."""
    source = {
        "url": manifest["url"],
        "data_dir": manifest["data_dir"],
        "account_id": manifest["account_id"],
        "parts_dir": str(Path(manifest["data_dir"]) / "exported"),
        "malloc_default": args.malloc_default,
    }
    figures: dict[str, dict] = {"load_before": {"value": load()}}
    for step in ("export baseline", "export"):
        print(f"[{kind}] {step}", file=sys.stderr)
        figures[step] = run_child(step, source)
    parts = [p["path"] for p in figures["export"]["parts"]]
    for step in ("import baseline", "import") if not args.export_only else ():
        print(f"[{kind}] {step}", file=sys.stderr)
        target = fresh_target(kind, size, args.postgres_url)
        figures[step] = run_child(
            step, {**target, "parts": parts, "malloc_default": args.malloc_default}
        )
    figures["load_after"] = {"value": load()}
    return figures


def commit() -> str:
    try:
        return subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "?"


def _row(kind: str, number: int, step: str, got: dict, base: dict | None) -> str:
    ratio_time = f"{got['wall'] / base['wall']:.1f}x" if base else "= 1"
    ratio_peak = f"{got['peak_mb'] / base['peak_mb']:.2f}x" if base else "= 1"
    return (
        f"| {kind} | {number} | {step} | {got['wall']:.1f} | {got['cpu']:.1f} | {ratio_time} "
        f"| {got['peak_mb']:.0f} ({got['before_mb']:.0f}) | {ratio_peak} "
        f"| {got['peak_anon_mb']:.0f} ({got['before_anon_mb']:.0f}) |"
    )


def _listed(figures: dict[str, float], shape: str) -> str:
    return ", ".join(f"{name} {shape.format(value)}" for name, value in figures.items())


def report(results: list[tuple[str, int, dict]], manifests: dict[str, dict], size: Any) -> str:
    lines = [
        f"Portability benchmark, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, "
        f"{os.cpu_count()} cores, code {commit()}; {size.posts:,} posts and {size.media:,} "
        "media files",
        "",
        "| database | run | step | wall s | CPU s | x baseline (time) | peak RSS MB (before) "
        "| x baseline (peak) | peak anonymous MB (before) |",
        "| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for kind, number, figures in results:
        for step in (step for step in STEPS if step in figures):
            base = None if step.endswith("baseline") else figures[f"{step} baseline"]
            lines.append(_row(kind, number, step, figures[step], base))
    lines.append("")
    for kind, number, figures in results:
        export, parts = figures["export"], figures["export"]["parts"]
        rows = manifests[kind]["rows"]
        lines += [
            f"- {kind}, run {number} (load {figures['load_before']['value']:.1f} before, "
            f"{figures['load_after']['value']:.1f} after): the account has "
            f"{rows['statuses']:,} statuses of which {size.posts:,} are hers, "
            f"{rows['media_attachments']:,} media files "
            f"({manifests[kind]['media_bytes'] / 2**20:.0f} MB);",
            f"  export: {len(parts)} part(s), {sum(p['size'] for p in parts) / 2**20:.1f} MB "
            f"(baseline zip {figures['export baseline']['bytes'] / 2**20:.1f} MB); inside it "
            + _listed(export["inside"], "{:.1f} s")
            + "; kept in memory at the end: "
            + _listed(export["kept"], "{:,}"),
        ]
        if "import" in figures:
            imported = figures["import"]
            lines.append(
                f"  import: {imported['imported']:,} posts of {imported['total']:,} items, "
                f"{imported['media']:,} media files, {imported['skipped']:,} skipped ("
                + _listed(dict(sorted(imported["skip_reasons"].items())), "{:,}")
                + f"), {imported['failed']:,} failed; inside it "
                + _listed(imported["inside"], "{:.1f} s")
                + "; kept in memory at the end: "
                + _listed(imported["kept"], "{:,}")
            )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--small", action="store_true", help="2,000 posts and 200 media files")
    parser.add_argument("--database", choices=("sqlite", "postgres", "both"), default="sqlite")
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("PNYX_BENCH_DATABASE_URL", DEFAULT_PG),
        help="PostgreSQL server and base name (the size is appended; made if missing)",
    )
    parser.add_argument("--runs", type=int, default=1, help="times the four steps are run")
    parser.add_argument("--export-only", action="store_true", help="leave the import out")
    parser.add_argument(
        "--malloc-default",
        action="store_true",
        help="keep glibc's own mmap threshold in the children, as the `pnyx export` and "
        "`pnyx import archive` commands do (by default they fix it as `pnyx serve` and "
        "`pnyx worker` do, where the jobs run: pnyx.process_memory)",
    )
    parser.add_argument("--seed", type=int, default=14)
    parser.add_argument("--rebuild", action="store_true", help="build the account again")
    parser.add_argument("--json", action="store_true", help="print the raw figures as JSON")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(args.child[0], json.loads(args.child[1]))
        return 0

    import portability_data as data

    size = data.SMALL if args.small else data.DEFAULT
    kinds = ("sqlite", "postgres") if args.database == "both" else (args.database,)
    manifests = {
        kind: data.prepare(kind, size, args.postgres_url, seed=args.seed, rebuild=args.rebuild)
        for kind in kinds
    }
    results = [
        (
            kind,
            number,
            one_run(kind, manifests[kind], size, args),
        )
        for kind in kinds
        for number in range(1, args.runs + 1)
    ]
    if args.json:
        print(json.dumps([{"database": k, "run": n, **f} for k, n, f in results], indent=2))
    else:
        print(report(results, manifests, size))
    return 0


if __name__ == "__main__":
    sys.exit(main())
