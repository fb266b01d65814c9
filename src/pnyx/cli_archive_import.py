"""`pnyx import archive USERNAME ZIP [ZIP...]`: an archive's posts into an account here, from
the command line (a command of the `pnyx import` group, `pnyx.cli_import`).

The archive (Mastodon's, or a Pnyx export's parts) is checked and stored as the API stores
it, then imported at once in this process with a progress bar, by the same code as the
`import.archive` job (`federation.archive_import.run`): stopped half-way, it is finished by a
worker (or by running the job again), with no post made twice. Imported posts are sent to no
one, so no worker is needed for them.
"""

from __future__ import annotations

from pathlib import Path

import click


@click.command("archive")
@click.argument("username")
@click.argument("archive", nargs=-1, required=True, type=click.Path(dir_okay=False))
def import_archive(username: str, archive: tuple[str, ...]) -> None:
    """Import the posts of an archive (ARCHIVE: Mastodon's zip, or every part of a Pnyx
    export, in order) into USERNAME's account here."""
    from sqlalchemy.exc import OperationalError

    from pnyx.cli import _database
    from pnyx.core import accounts
    from pnyx.core.archive_import import runs
    from pnyx.core.errors import CoreError
    from pnyx.federation.archive_import import run

    name = username.lstrip("@")
    paths = [Path(p) for p in archive]
    for path in paths:
        if not path.is_file():
            raise click.ClickException(f"Cannot read {path}: no such file")
    try:
        db = _database()
    except OperationalError as exc:
        raise click.ClickException(f"Cannot open the database: {exc.orig or exc}") from None
    try:
        account = db.run_sync(accounts.find_local, name, write=False)
        if account is None:
            raise click.ClickException(f"No local account @{name} (see: pnyx user list)")
        try:
            import_id = runs.receive(db, account.id, paths)
        except CoreError as exc:
            raise click.ClickException(exc.message) from None
        total = db.run_sync(runs.get, import_id, write=False).total
        with click.progressbar(length=total, label=f"Importing posts into @{name}") as bar:
            shown = [0]

            def progress(done: int, _total: int) -> None:
                bar.update(done - shown[0])
                shown[0] = done

            row = run(db, import_id, progress=progress)
        _report(name, row)
    except OperationalError as exc:
        raise click.ClickException(f"Database error: {exc.orig or exc}") from None
    finally:
        db.dispose()


def _report(name: str, row) -> None:
    if row.error:
        raise click.ClickException(row.error)
    click.echo(
        f"Imported {row.imported} post(s) of {row.total} item(s) into @{name}; "
        f"{row.skipped} skipped, {row.failed} failed."
    )
    for reason, count in sorted((row.skip_reasons or {}).items()):
        click.echo(f"  skipped ({reason}): {count}")
    for failure in row.failures or []:
        click.echo(f"  {failure.get('uri') or '(no id)'}: {failure.get('reason')}")
