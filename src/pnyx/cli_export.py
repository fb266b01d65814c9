"""`pnyx export USERNAME [--out DIR]`: an account's archive, built now with a progress bar and
written to DIR, for the operator (a person leaving asks on the web or through the API).

The export is recorded as the web's are (the person sees it on their export page, and can
download it there until it expires); it is built here rather than by a job, and a run that
stops (an error, Ctrl-C) fails it at once, so it does not stand in the way of the next one.
Attached to `pnyx` by `pnyx.cli`, which it uses for the settings and the database.
"""

from __future__ import annotations

import os
from pathlib import Path

import click

from pnyx.core.errors import CoreError

HINT_UNKNOWN = "No local user named {name!r}. `pnyx user list` shows the users of this server."
HINT_BUSY = (
    "An export of @{name} is already being prepared (asked on the web or through the API). "
    "Wait for it to finish: its parts are then on the person's export page."
)


@click.command("export")
@click.argument("username")
@click.option(
    "--out",
    "out",
    default=".",
    show_default=True,
    type=click.Path(file_okay=False, writable=True),
    help="the folder the zip parts are written to (made if missing)",
)
def export(username: str, out: str) -> None:
    """Export everything of a local user now, as zip parts in --out.

    USERNAME's archive as they would get it from Settings > Export: Mastodon's format
    (actor.json, outbox.json with every post signed, likes, bookmarks, media, the CSV files),
    in zip parts of at most PNYX_EXPORT_PART_MB."""
    from pnyx.cli import _database, _local_account
    from pnyx.core.exports import contents, records
    from pnyx.core.media_store import store_for

    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    if not os.access(folder, os.W_OK):
        raise click.ClickException(f"Cannot write to {folder}: choose another folder with --out.")
    db = _database()
    try:
        try:
            account = db.run_sync(_local_account, username)
        except CoreError:
            raise click.ClickException(HINT_UNKNOWN.format(name=username)) from None
        try:
            asked = db.run_sync(records.request, account.id, by_job=False)
        except CoreError:
            raise click.ClickException(HINT_BUSY.format(name=account.username)) from None
        posts, files = db.run_sync(contents.counts, account.id, write=False)
        click.echo(f"Exporting @{account.username}: {posts} post(s) and boost(s), {files} file(s).")
        done = _build(db, asked.id, posts + files)
        store = store_for(db.settings)
        for part in done.parts:
            target = folder / records.file_name(account.username, done, part.number)
            chunks = store.open(part.key)
            if chunks is None:
                raise click.ClickException(f"Part {part.number} is missing from the media store.")
            with target.open("wb") as fh:
                for chunk in chunks:
                    fh.write(chunk)
            click.echo(f"  {target} ({part.size} bytes, sha256 {part.sha256})")
        click.echo(
            f"Done: {len(done.parts)} part(s). They can also be downloaded from the export page "
            f"until {done.expires_at:%Y-%m-%d %H:%M} UTC."
        )
    finally:
        db.dispose()


def _build(db, export_id: int, total: int):
    """Build with a progress bar; a build that stops fails the export and says why."""
    from pnyx.core.exports import records
    from pnyx.core.media_store import store_for
    from pnyx.portability import archive

    with click.progressbar(length=max(total, 1), label="Writing the archive") as bar:
        shown = 0

        def progress(done: int, _total: int) -> None:
            nonlocal shown
            bar.update(max(0, done - shown))
            shown = done

        try:
            done = archive.build(db, export_id, progress=progress)
        except (Exception, KeyboardInterrupt) as exc:
            store_keys = db.run_sync(records.give_up, export_id, f"{type(exc).__name__}: {exc}")
            for key in store_keys:
                store_for(db.settings).delete(key)
            if isinstance(exc, KeyboardInterrupt):
                raise click.ClickException("Stopped: nothing was kept.") from None
            raise click.ClickException(f"The export failed: {exc}") from None
    if done is None:
        raise click.ClickException("The export was not built (it is no longer waiting).")
    return done
