"""`pnyx import ...`: bringing in what a person had on another server, from the command line.

A group of its own, attached to `pnyx` by `pnyx.cli` (which it uses for the settings and the
database, imported when a command runs, as `pnyx.cli` imports this module). Each kind of
import is one command of the group: `pnyx import csv` here (Mastodon's CSV files, as the API
and the settings page take them); other kinds add theirs with `@import_group.command(...)`.

`pnyx import csv` stores the import as the API does (so a worker would finish it, should the
command be stopped) and runs it at once in this process with a progress bar, the rows'
lookups on other servers included. What the changes send to other servers (a Follow, a
Block ...) is delivered by the jobs of `pnyx serve` or `pnyx worker`.
"""

from __future__ import annotations

from pathlib import Path

import click

from pnyx.cli_archive_import import import_archive
from pnyx.core.imports import csv_files

# What to do about core's refusals of a file, beside its reason.
EXPORTED = "Use the file the old server exported (Settings, Import and export, Data export)."
FILE_HINTS = {
    "File is incompatible": "Check --type: it must say what the file holds.",
    "File is empty": EXPORTED,
    "File is not": EXPORTED,
    "File is too large": "Split it into smaller files.",
    "File contains more than": "Split it into smaller files.",
    "You cannot follow more": "Use --mode overwrite, or a shorter file.",
}


@click.group("import")
def import_group() -> None:
    """Bring in what a person had on another server (csv: Mastodon's CSV files; archive: an
    archive's posts)."""


import_group.add_command(import_archive)  # `pnyx import archive` (pnyx.cli_archive_import)


def _explained(message: str) -> str:
    text = message.removeprefix("Validation failed: ")
    hints = [hint for start, hint in FILE_HINTS.items() if text.startswith(start)]
    return " ".join([text + ".", *hints])


def _read(path: str) -> bytes:
    try:
        with open(path, "rb") as fh:
            return fh.read(csv_files.FILE_SIZE_LIMIT + 1)
    except OSError as exc:
        raise click.ClickException(f"Cannot read {path}: {exc.strerror or exc}") from None


@import_group.command("csv")
@click.argument("username")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option(
    "--type", "kind", required=True, type=click.Choice(csv_files.TYPES), help="what FILE holds"
)
@click.option(
    "--mode",
    default="merge",
    show_default=True,
    type=click.Choice(csv_files.MODES),
    help="merge: add to what the account has; overwrite: make FILE all of it",
)
def import_csv(username: str, file: str, kind: str, mode: str) -> None:
    """Import one of Mastodon's CSV files (following_accounts.csv, blocked_accounts.csv,
    muted_accounts.csv, blocked_domains.csv, bookmarks.csv, lists.csv) into USERNAME's
    account here."""
    from sqlalchemy.exc import OperationalError

    from pnyx.cli import _database
    from pnyx.core import accounts
    from pnyx.core.errors import CoreError
    from pnyx.core.imports import runs
    from pnyx.federation import import_lookups

    name = username.lstrip("@")
    content = _read(file)
    try:
        rows = csv_files.parse(kind, content)
    except CoreError as exc:
        raise click.ClickException(f"{file}: {_explained(exc.message)}") from None
    try:
        db = _database()
    except OperationalError as exc:
        raise click.ClickException(f"Cannot open the database: {exc.orig or exc}") from None
    try:
        account = db.run_sync(accounts.find_local, name, write=False)
        if account is None:
            raise click.ClickException(f"No local account @{name} (see: pnyx user list)")
        try:
            import_id = db.run_sync(runs.create, account.id, kind, mode, rows, Path(file).name)
        except CoreError as exc:
            raise click.ClickException(_explained(exc.message)) from None
        with click.progressbar(length=len(rows), label=f"Importing {kind} ({mode})") as bar:
            import_lookups.run_to_the_end(db, import_id, progress=lambda: bar.update(1))
        view = db.run_sync(runs.get, account.id, import_id, write=False)
        click.echo(
            f"Imported {view.imported} of {view.total} row(s) into @{name}; {view.failed} failed."
        )
        for failure in view.failures:
            click.echo(f"  row {failure.row}: {failure.value or '(empty)'}: {failure.reason}")
    except OperationalError as exc:
        raise click.ClickException(f"Database error: {exc.orig or exc}") from None
    finally:
        db.dispose()
