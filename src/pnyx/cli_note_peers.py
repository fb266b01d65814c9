"""`pnyx notes peers ...`: the servers whose community notes this one takes in, for the staff
at the command line, as the admin API's `/api/v1/pnyx/admin/notes/peers` does it
(`core.notes.peers`; `notes@DOMAIN` is looked up with `federation.note_documents`).

A group of its own, attached to `pnyx notes` by `pnyx.cli`, which it uses for the settings
and the database (imported when a command runs, as `pnyx.cli` imports this module).
"""

from __future__ import annotations

import click

from pnyx.core.errors import CoreError


@click.group("peers")
def peers() -> None:
    """The servers whose notes and ratings this one takes in (its notes actor follows theirs)."""


@peers.command("list")
def peers_list() -> None:
    """List the peers, and whether the follows both ways are in place."""
    from pnyx.cli import _run
    from pnyx.core.notes import peers as core_peers

    rows = _run(core_peers.listing)
    if not rows:
        click.echo("No peers yet. Add one with: pnyx notes peers add DOMAIN")
    for row in rows:
        ours = "taking in its notes" if row.following else "asked, no answer yet"
        theirs = "it takes ours" if row.followed_by else "it does not take ours"
        click.echo(f"{row.domain}\t{row.uri}\t{ours}; {theirs}")


@peers.command("add")
@click.argument("domain")
def peers_add(domain: str) -> None:
    """Take in the notes and ratings of DOMAIN (its notes@DOMAIN is looked up)."""
    from pnyx.cli import _database
    from pnyx.core import domain_blocks
    from pnyx.core.notes import peers as core_peers
    from pnyx.federation import note_documents, resolve

    try:
        name = domain_blocks.normalize(domain)
    except CoreError as exc:
        raise click.ClickException(exc.message) from None
    db = _database()
    try:
        try:
            account_id = note_documents.find_notes_actor(db, db.settings, name)
        except resolve.ResolveError as exc:
            found = core_peers.NOT_A_PEER.format(domain=name)
            raise click.ClickException(f"{found}: {exc.reason}") from None
        try:
            row = db.run_sync(core_peers.add, account_id)
        except CoreError as exc:
            raise click.ClickException(exc.message) from None
    finally:
        db.dispose()
    click.echo(f"Added {row.domain} ({row.uri}); its answer to our follow is on its way.")


@peers.command("remove")
@click.argument("domain")
def peers_remove(domain: str) -> None:
    """Stop taking in the notes of DOMAIN (what it sent stays)."""
    from pnyx.cli import _run
    from pnyx.core.notes import peers as core_peers

    def work(tx) -> str:
        account_id = core_peers.by_domain(tx, domain.strip().lower())
        if account_id is None:
            raise click.ClickException(f"{domain} is not a peer")
        core_peers.remove(tx, account_id)
        return domain

    click.echo(f"Removed {_run(work)}.")
