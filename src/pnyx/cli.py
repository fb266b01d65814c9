"""The `pnyx` command: serve, worker, migrate, user, admin.

Mistakes print what to do instead of a traceback: every command catches core's errors and
exits with status 2 and a one-line explanation.
"""

from __future__ import annotations

import logging
import sys

import click

from pnyx.config import load_settings
from pnyx.core.errors import CoreError


def _settings():
    try:
        return load_settings()
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None


def _database():
    from pnyx.db.engine import Database
    from pnyx.db.migrate import upgrade

    settings = _settings()
    db = Database(settings)
    upgrade(db.engine)
    return db


def _run(fn, *args, **kwargs):
    db = _database()
    try:
        return db.run_sync(fn, *args, **kwargs)
    except CoreError as exc:
        raise click.ClickException(exc.message) from None
    finally:
        db.dispose()


@click.group()
@click.option("--log-level", default=None, help="debug, info, warning or error")
def main(log_level: str | None) -> None:
    """Pnyx: an open-source, decentralized social network server."""
    level = (log_level or "info").upper()
    logging.basicConfig(
        level=getattr(logging, level, logging.INFO),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option(
    "--workers",
    default=1,
    show_default=True,
    type=click.IntRange(1, 64),
    help="web processes; each also runs an in-process job worker",
)
def serve(host: str, port: int, workers: int) -> None:
    """Serve the web app and API, running pending migrations and job workers."""
    import uvicorn

    from pnyx.db.engine import Database
    from pnyx.db.migrate import upgrade

    settings = _settings()
    db = Database(settings)
    applied = upgrade(db.engine)
    if applied:
        click.echo(f"Applied {len(applied)} migration(s).")
    db.dispose()
    click.echo(f"Pnyx serving {settings.base_url} on http://{host}:{port}")
    uvicorn.run(
        "pnyx.app:app_factory",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="warning",
        access_log=False,
        proxy_headers=True,
    )


@main.command()
def migrate() -> None:
    """Apply pending database migrations."""
    from pnyx.db.engine import Database
    from pnyx.db.migrate import upgrade

    db = Database(_settings())
    applied = upgrade(db.engine)
    db.dispose()
    click.echo(f"Applied {len(applied)} migration(s)." if applied else "Database is up to date.")


@main.command()
@click.option("--once", is_flag=True, help="run the jobs that are due, then exit")
def worker(once: bool) -> None:
    """Run job workers alone (delivery, poll expiry ...), without the web server."""
    from pnyx.jobs.worker import WorkerThread, drain

    db = _database()
    if once:
        click.echo(f"Ran {drain(db)} job(s).")
        return
    thread = WorkerThread(db)
    thread.start()
    click.echo("Worker running; Ctrl-C to stop.")
    try:
        while thread.is_alive():
            thread.join(1)
    except KeyboardInterrupt:
        thread.stop()


def entry() -> None:  # pragma: no cover - console script wrapper
    try:
        main()
    except KeyboardInterrupt:
        sys.exit(130)
