"""`pnyx verify URL|FILE`: whether an object's Data Integrity proof (FEP-8b32) holds, checked
from what anyone can fetch: the object (or a JSON file, such as a post from an export
archive), the key its proof names, and the actor that key belongs to
(`federation.proof_checks`). Needs no database: it runs anywhere Pnyx is installed.

Fetches go through the same guarded client as federation (`federation.fetch`): private and
loopback addresses are refused unless PNYX_ALLOW_PRIVATE_ADDRESSES=1. It prints one line,
"valid: ..." (exit 0) or "not valid: why" (exit 1); a network failure is a reason too, never
a traceback. Attached to `pnyx` by `pnyx.cli`.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click
import orjson

from pnyx.config import load_settings
from pnyx.federation import proof_checks
from pnyx.federation.fetch import FetchError, RemoteClient


def _read(target: str, client: RemoteClient) -> dict:
    """The object: a local JSON file, else a URL fetched as ActivityPub."""
    path = Path(target)
    if not target.startswith(("http://", "https://")):
        try:
            return orjson.loads(path.read_bytes())
        except OSError as exc:
            raise click.ClickException(f"cannot read {target}: {exc.strerror}") from None
        except orjson.JSONDecodeError as exc:
            raise click.ClickException(f"{target} is not JSON: {exc}") from None
    return client.get_activity(target)


@click.command("verify")
@click.argument("target")
def verify(target: str) -> None:
    """Check the proof of the ActivityPub object at TARGET (a URL, or a JSON file such as a
    post from an export archive): signed by the key its author announces, and unchanged."""
    settings = load_settings()
    with RemoteClient(settings) as client:
        try:
            doc = _read(target, client)
        except FetchError as exc:
            click.echo(f"not valid: could not fetch {target}: {exc.reason}")
            sys.exit(1)
        verdict = proof_checks.check(doc, client.get_activity)
    if not verdict.valid:
        click.echo(f"not valid: {verdict.reason}")
        sys.exit(1)
    when = f" at {verdict.created}" if verdict.created else ""
    click.echo(f"valid: signed by {verdict.owner} with {verdict.key_id}{when}")
