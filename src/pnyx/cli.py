"""The `pnyx` command: serve, worker, migrate, user, admin, media, emoji, export.

Mistakes print what to do instead of a traceback: every command catches core's errors and
exits with status 2 and a one-line explanation.
"""

from __future__ import annotations

import logging
import os
import sys
import time

import click

from pnyx.config import load_settings
from pnyx.core.errors import CoreError
from pnyx.jobs.queue import ALL_QUEUES, parse_queues


def _settings():
    try:
        return load_settings()
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None


def _database():
    # Importing the registry installs the handlers of the events core records (a new user
    # tells the staff, a suspension its owner): the commands change things as the web does.
    from pnyx import registry  # noqa: F401
    from pnyx.db.engine import Database
    from pnyx.db.migrate import upgrade

    settings = _settings()
    db = Database(settings)
    upgrade(db.engine)
    return db


def _run(fn, *args, hints: dict[str, str] | None = None, **kwargs):
    """fn(tx, *args, **kwargs) in one transaction; core's refusals become a one-line error
    (or, for a message in `hints`, the hint that says what to do)."""
    from sqlalchemy.exc import OperationalError

    try:
        db = _database()
    except OperationalError as exc:
        raise click.ClickException(f"Cannot open the database: {exc.orig or exc}") from None
    try:
        return db.run_sync(fn, *args, **kwargs)
    except CoreError as exc:
        found = (hints or {}).get(exc.message.removeprefix("Validation failed: "))
        raise click.ClickException(found or exc.message) from None
    except OperationalError as exc:
        raise click.ClickException(f"Database error: {exc.orig or exc}") from None
    finally:
        db.dispose()


@click.group()
@click.option("--log-level", default=None, help="debug, info, warning or error")
def main(log_level: str | None) -> None:
    """Pnyx: an open-source, decentralized social network server."""
    level = (log_level or os.environ.get("PNYX_LOG_LEVEL") or "info").upper()
    logging.basicConfig(
        level=getattr(logging, level, logging.INFO),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    if level != "DEBUG":
        # Alembic narrates every step at INFO; our own "applying N migration(s)" line says it.
        logging.getLogger("alembic").setLevel(logging.WARNING)


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
        # X-Forwarded-* only from the proxies the operator named; none by default.
        proxy_headers=bool(settings.trusted_proxy_list),
        forwarded_allow_ips=settings.trusted_proxy_list,
        # Closes connections that dribble their headers or body (PNYX_CLIENT_*_TIMEOUT).
        http="pnyx.server_protocol:GuardedHttpToolsProtocol",
        # The streaming API's WebSockets: the sans-I/O implementation (no task per
        # connection), without per-message compression (a zlib context per connection costs
        # far more memory than the few small messages a stream carries save); uvicorn pings
        # every 20 s and closes a connection that does not answer.
        ws="websockets-sansio",
        ws_per_message_deflate=False,
        # Live timelines hold their connection open: do not wait for them to end on stop.
        timeout_graceful_shutdown=5,
        # An idle kept-alive connection is closed after this long (uvicorn's default is 5 s).
        # A client that sends its next request just as the server closes one gets a reset;
        # apps often wait more than 5 s between requests, and reverse proxies keep their
        # own connections ~60-75 s (nginx's default), so the race was frequent at 5 s.
        timeout_keep_alive=75,
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
@click.option(
    "--threads",
    type=click.IntRange(1, 64),
    help="job threads (default: PNYX_JOB_WORKERS, or 4 when that is 0 for the web processes)",
)
@click.option(
    "--queues",
    "queue_names",
    default=",".join(ALL_QUEUES),
    show_default=True,
    help="the job queues to serve, comma-separated (inbox, default, deliver)",
)
def worker(once: bool, threads: int | None, queue_names: str) -> None:
    """Run job workers alone (delivery, poll expiry ...), without the web server."""
    from pnyx import registry
    from pnyx.jobs.worker import Heartbeat
    from pnyx.process_memory import return_large_buffers

    return_large_buffers()  # media jobs: an image's buffers go back once it is processed
    try:
        queues = parse_queues(queue_names)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--queues") from None
    db = _database()
    if once:
        heartbeat = Heartbeat(db)  # a long job keeps its lease, as in a running worker
        heartbeat.start()
        try:
            click.echo(f"Ran {registry.drain(db, queues=queues, heartbeat=heartbeat)} job(s).")
        finally:
            heartbeat.stop()
        return
    # Several job threads, as `pnyx serve` runs, so that one slow remote server does not hold
    # up every delivery. PNYX_JOB_WORKERS=0 usually means "not in the web processes": then
    # this process is where the jobs run, with the default four.
    count = threads or db.settings.job_workers or 4
    pool = registry.worker_pool(db, count, queues).start()
    click.echo(f"Worker running with {count} job thread(s) on {', '.join(queues)}; Ctrl-C to stop.")
    try:
        while pool.is_alive():
            time.sleep(1)
    except KeyboardInterrupt:
        pool.stop()


def entry() -> None:  # pragma: no cover - console script wrapper
    try:
        main()
    except KeyboardInterrupt:
        sys.exit(130)


# --- users ------------------------------------------------------------------------------------


@main.group()
def user() -> None:
    """Manage local users: create, list, suspend, promote, approve, reset passwords."""


def _local_account(tx, name: str):
    """The local account called `name` (with or without a leading @), or a clear error."""
    from pnyx.core import accounts as core_accounts
    from pnyx.core.errors import NotFound

    row = core_accounts.find_local(tx, name.strip().lstrip("@")) if name.strip() else None
    if row is None or core_accounts.user_for_account(tx, row.id) is None:
        raise NotFound(f"No local user named {name!r}")
    return row


@user.command("create")
@click.argument("name")
@click.option("--email", required=True, help="the user's email address (used to sign in)")
@click.option("--password", required=True, help="at least 8 characters")
@click.option("--admin", is_flag=True, help="give the admin role")
@click.option("--moderator", is_flag=True, help="give the moderator role")
def user_create(name: str, email: str, password: str, admin: bool, moderator: bool) -> None:
    """Create a local user NAME, approved and ready to sign in."""
    from pnyx.core import accounts as core_accounts

    role = "admin" if admin else "moderator" if moderator else "user"
    _run(core_accounts.create_local, name, email, password, role=role)
    click.echo(f"Created @{name} ({role}).")


@user.command("list")
def user_list() -> None:
    """List local users with their role and status."""
    from pnyx.core import staff

    rows = sorted(_run(staff.local_users), key=lambda r: r.username.lower())
    if not rows:
        click.echo("No users yet. Create one with: pnyx user create NAME --email E --password P")
        return
    header = ("USERNAME", "EMAIL", "ROLE", "STATUS", "CREATED")
    table = [header] + [
        (
            r.username,
            r.email,
            r.role,
            "suspended" if r.suspended_at else "pending" if not r.approved else "active",
            r.created_at.strftime("%Y-%m-%d"),
        )
        for r in rows
    ]
    widths = [max(len(row[i]) for row in table) for i in range(len(header))]
    for row in table:
        click.echo("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip())


def _moderate(action: str, name: str, *args: str) -> None:
    """`core.moderation.<action>`, taken by the operator on the local user `name`: the same
    rules and moderation log as the admin pages."""
    from pnyx.core import moderation

    act = getattr(moderation, action)

    def work(tx):
        act(tx, moderation.OPERATOR, _local_account(tx, name).id, *args)

    # What to do about the refusals an option of the command fixes.
    hints = {moderation.REASON_REQUIRED: 'A suspension needs a reason: add --reason "..."'}
    _run(work, hints=hints)


@user.command("suspend")
@click.argument("name")
@click.option("--reason", default="", help="required; recorded in the public moderation log")
@click.option(
    "--rule",
    type=int,
    default=None,
    help="required: the number of the rule broken, as /about lists the rules",
)
def user_suspend(name: str, reason: str, rule: int | None) -> None:
    """Suspend NAME: hidden everywhere, signed out, unable to sign in (reversible)."""
    from pnyx.core import instance as core_instance
    from pnyx.core import moderation

    def work(tx):
        rule_id = core_instance.numbered_rule(tx, rule) if rule is not None else None
        account = _local_account(tx, name)
        moderation.suspend(tx, moderation.OPERATOR, account.id, reason, rule_id)

    hints = {
        moderation.REASON_REQUIRED: 'A suspension needs a reason: add --reason "..."',
        moderation.RULE_REQUIRED: (
            "A suspension cites the rule broken: add --rule N (N: the rule's number as /about"
            " lists them)"
        ),
    }
    _run(work, hints=hints)
    click.echo(f"Suspended @{name.lstrip('@')}.")


@user.command("unsuspend")
@click.argument("name")
@click.option("--reason", default="", help="why, for the moderation log")
def user_unsuspend(name: str, reason: str) -> None:
    """Lift the suspension of NAME."""
    _moderate("unsuspend", name, reason)
    click.echo(f"Unsuspended @{name.lstrip('@')}.")


@user.command("promote")
@click.argument("name")
@click.option(
    "--role", required=True, type=click.Choice(["admin", "moderator", "user"]), help="new role"
)
@click.option("--reason", default="", help="why, for the moderation log")
def user_promote(name: str, role: str, reason: str) -> None:
    """Give NAME a role: admin, moderator or user."""
    _moderate("set_role", name, role, reason)
    click.echo(f"@{name.lstrip('@')} is now {role}.")


@user.command("approve")
@click.argument("name")
@click.option("--reason", default="", help="why, for the moderation log")
def user_approve(name: str, reason: str) -> None:
    """Approve NAME's sign-up (when registrations need approval)."""
    _moderate("approve", name, reason)
    click.echo(f"Approved @{name.lstrip('@')}.")


@user.command("reset-password")
@click.argument("name")
@click.option("--password", default=None, help="the new password; one is generated if omitted")
def user_reset_password(name: str, password: str | None) -> None:
    """Set a new password for NAME, ending all of their sessions and tokens."""
    import secrets

    from pnyx.core import accounts as core_accounts

    new_password = password or secrets.token_urlsafe(12)

    def work(tx):
        account = _local_account(tx, name)
        user_row = core_accounts.user_for_account(tx, account.id)
        core_accounts.change_password(tx, user_row.id, new_password)

    _run(work)
    if password:
        click.echo(f"Password of @{name.lstrip('@')} changed; all sessions signed out.")
    else:
        click.echo(f"New password for @{name.lstrip('@')}: {new_password}")


@main.group()
def search() -> None:
    """The full-text index of posts."""


@search.command("reindex")
@click.option("--batch", default=2_000, show_default=True, help="posts per transaction")
def search_reindex(batch: int) -> None:
    """Index every post again, in transactions of --batch posts (the migration that made the
    index built it; this is for an index thought stale). Searches keep working meanwhile."""
    import sqlalchemy as sa

    from pnyx.core import search_index
    from pnyx.db.tables import statuses

    db = _database()
    try:
        total = db.run_sync(
            lambda tx: tx.scalar(
                sa.select(sa.func.count()).where(statuses.c.reblog_of_id.is_(None))
            ),
            write=False,
        )
        done, after = 0, 0
        with click.progressbar(length=total or 0, label="Indexing posts") as bar:
            while True:
                count, last = db.run_sync(search_index.reindex, after, batch)
                if last is None:
                    break
                done, after = done + count, last
                bar.update(count)
        click.echo(f"Indexed {done} post(s).")
    finally:
        db.dispose()


@main.group()
def feeds() -> None:
    """Feeds: the materialized home and list feeds, and the models the open algorithms
    rank by."""


@feeds.command("rebuild")
@click.option("--account", "name", default=None, help="only this local account's feeds")
@click.option("--all", "every", is_flag=True, help="every local account's feeds")
def feeds_rebuild(name: str | None, every: bool) -> None:
    """Build feeds afresh from the posts (after upgrading every feed is empty: timelines are
    read from the posts meanwhile, and a feed is also built on its owner's first read)."""
    from pnyx.core import accounts
    from pnyx.core.feeds import rebuild

    if bool(name) == every:
        raise click.UsageError("name one --account, or --all")
    db = _database()
    try:
        account_id = None
        if name:
            found = db.run_sync(accounts.find_local, name.lstrip("@"), write=False)
            if found is None:
                raise click.ClickException(f"No local account @{name.lstrip('@')}")
            account_id = found.id
        wanted = db.run_sync(rebuild.local_feeds, account_id, write=False)
        entries = 0
        with click.progressbar(wanted, label="Building feeds") as bar:
            for viewer_id, list_id in bar:
                entries += db.run_sync(rebuild.rebuild, viewer_id, list_id)
        click.echo(f"Built {len(wanted)} feed(s), {entries} entries.")
    finally:
        db.dispose()


@main.group()
def media() -> None:
    """Media files: remove what is no longer needed."""


@media.command("prune")
@click.option("--dry-run", is_flag=True, help="say what would be removed, remove nothing")
def media_prune_command(dry_run: bool) -> None:
    """Remove uploads not posted within a day and remote files cached longer than
    PNYX_REMOTE_MEDIA_MAX_AGE_DAYS (the hourly job does the same). Files still used stay."""
    from pnyx import registry  # noqa: F401 (importing it installs the media store)
    from pnyx.core import media_prune

    db = _database()
    try:
        removals = media_prune.plan(db) + media_prune.over_budget(db)
        removals = list({(r.what, r.row_id): r for r in removals}.values())
        counts: dict[str, int] = {}
        for removal in removals:
            counts[removal.what] = counts.get(removal.what, 0) + 1
        size = sum(r.size for r in removals)
        summary = ", ".join(f"{n} {what}(s)" for what, n in counts.items()) or "nothing"
        if dry_run:
            click.echo(f"Would remove {summary}: about {size // 1024} KiB. (dry run)")
            return
        with click.progressbar(length=len(removals), label="Removing media") as bar:
            made = media_prune.apply(db, removals, progress=bar.update)
        click.echo(f"Removed {made} of {summary}: about {size // 1024} KiB.")
    finally:
        db.dispose()


@feeds.command("fit-bridging")
def feeds_fit_bridging() -> None:
    """Fit the bridging model now (the periodic algorithms.refresh job does it every hour)
    and store each post's intercept with the running version."""
    from pnyx.core.algorithms import catalog, refresh

    db = _database()
    try:
        fitted = refresh.fit_bridging(db)
        version = catalog.ALGORITHMS["bridging"].version
        click.echo(f"Fitted {fitted} post(s) with bridging@{version}.")
    finally:
        db.dispose()


@main.group()
def notes() -> None:
    """Community notes: score them now, export the open data, choose peers."""


@notes.command("score")
def notes_score() -> None:
    """Score every note now with the published algorithm (the periodic notes.score job does
    it every hour) and keep the run's results with its version."""
    from pnyx.core.notes import scoring_runs

    db = _database()
    try:
        summary = scoring_runs.run(db)
        if summary is None:
            click.echo("No note to score.")
            return
        shown = ", ".join(f"{n} {s}" for s, n in sorted(summary.statuses.items())) or "none"
        click.echo(
            f"Scored {summary.notes} note(s) and {summary.ratings} rating(s) in "
            f"{summary.seconds:.1f} s with version {summary.version}: {shown}; "
            f"{summary.changed} note(s) changed."
        )
    finally:
        db.dispose()


@notes.command("export")
@click.argument("directory", type=click.Path(file_okay=False))
@click.option(
    "--all",
    "everything",
    is_flag=True,
    help="Include the last 48 hours too (/notes/data publishes them 48 hours later).",
)
def notes_export(directory: str, everything: bool) -> None:
    """Write the open data (notes, ratings, status history, enrollment) as X's TSV files
    into DIRECTORY, the files X's reference scorer reads."""
    from pathlib import Path

    from pnyx.core.notes import data_files

    target = Path(directory)
    try:
        target.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise click.ClickException(f"Cannot write to {directory}: {exc.strerror}") from None
    db = _database()
    try:
        with click.progressbar(data_files.FILES, label="Writing the open data") as bar:
            for kind in bar:
                path = target / data_files.file_name(kind)

                def write(tx, kind=kind, path=path) -> int:
                    count = -1
                    with path.open("w", encoding="utf-8", newline="") as out:
                        for line in data_files.rows(tx, kind, delayed=not everything):
                            out.write(line)
                            count += 1
                    return count

                counts = db.run_sync(write, write=False)
                click.echo(f"  {path.name}: {counts} row(s)")
    finally:
        db.dispose()


def _add_commands() -> None:
    """Commands kept in modules of their own (they import this one, so they join it here)."""
    from pnyx.cli_export import export
    from pnyx.cli_import import import_group
    from pnyx.cli_note_peers import peers
    from pnyx.cli_verify import verify

    notes.add_command(peers)  # `pnyx notes peers add|list|remove`
    main.add_command(import_group)  # `pnyx import csv ...`; other kinds join that group
    main.add_command(verify)  # `pnyx verify URL|FILE`: an object's proof (FEP-8b32)
    main.add_command(export)  # `pnyx export USERNAME [--out DIR]`


_add_commands()


@main.group()
def emoji() -> None:
    """This server's custom emojis: add, list, disable, enable, remove."""


@emoji.command("add")
@click.argument("shortcode")
@click.argument("file", type=click.File("rb"))
@click.option("--category", default=None, help="the group apps list it under")
@click.option("--hidden", is_flag=True, help="usable in text, but not offered in apps' pickers")
def emoji_add(shortcode: str, file, category: str | None, hidden: bool) -> None:
    """Add :SHORTCODE: showing FILE (PNG, GIF or WebP, at most 256 KB)."""
    from pnyx import registry  # noqa: F401 (importing it installs the media store)
    from pnyx.core import custom_emojis

    data = file.read(custom_emojis.MAX_BYTES + 1)
    db = _database()
    try:
        row = custom_emojis.upload(
            db, shortcode, data, category=category, visible_in_picker=not hidden
        )
    except CoreError as exc:
        raise click.ClickException(exc.message) from None
    finally:
        db.dispose()
    click.echo(f"Added :{row.shortcode}: ({row.url}).")


@emoji.command("list")
def emoji_list() -> None:
    """List this server's custom emojis, disabled ones included."""
    from pnyx.core import custom_emojis

    rows = _run(custom_emojis.local, with_disabled=True)
    if not rows:
        click.echo("No custom emojis yet. Add one with: pnyx emoji add SHORTCODE FILE")
        return
    header = ("SHORTCODE", "CATEGORY", "PICKER", "STATUS", "URL")
    table = [header] + [
        (
            f":{r.shortcode}:",
            r.category or "",
            "shown" if r.visible_in_picker else "hidden",
            "disabled" if r.disabled else "enabled",
            r.url,
        )
        for r in rows
    ]
    widths = [max(len(row[i]) for row in table) for i in range(len(header))]
    for row in table:
        click.echo("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip())


def _emoji_change(shortcode: str, done: str, **change) -> None:
    from pnyx.core import custom_emojis

    row = _run(custom_emojis.change, shortcode, hints={"Record not found": _NO_EMOJI}, **change)
    click.echo(f":{row.shortcode}: {done}.")


_NO_EMOJI = "No such custom emoji here (see: pnyx emoji list)"


@emoji.command("disable")
@click.argument("shortcode")
def emoji_disable(shortcode: str) -> None:
    """Stop showing :SHORTCODE: (text keeps it; enable brings it back)."""
    _emoji_change(shortcode, "disabled", disabled=True)


@emoji.command("enable")
@click.argument("shortcode")
def emoji_enable(shortcode: str) -> None:
    """Show :SHORTCODE: again."""
    _emoji_change(shortcode, "enabled", disabled=False)


@emoji.command("remove")
@click.argument("shortcode")
def emoji_remove(shortcode: str) -> None:
    """Delete :SHORTCODE: and its files (posts keep the text)."""
    from pnyx import registry  # noqa: F401 (importing it installs the media store)
    from pnyx.core import custom_emojis

    _run(custom_emojis.remove, shortcode, hints={"Record not found": _NO_EMOJI})
    click.echo(f"Removed :{shortcode.strip(':')}:.")
