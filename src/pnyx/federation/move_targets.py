"""The account an alias or a move names, found here or on its server (issue 14).

A person names their other account by handle (`name`, `name@host`, with or without `@`) or by
its actor uri. An account elsewhere is looked up with WebFinger when unknown, and with `fresh`
its actor is read again from its server even when known: a move checks the target's
`alsoKnownAs` as it is *now* (the person has just added the alias there), as Mastodon's
`ResolveAccountService` does. This is network work: callers run it outside any transaction
(in a thread), then hand the id to `core.account_moves`.
"""

from __future__ import annotations

from pnyx.config import Settings
from pnyx.core import federation_reads as reads
from pnyx.core import remote_store as received
from pnyx.db.engine import Database
from pnyx.federation import as2_to_internal as parse
from pnyx.federation import resolve
from pnyx.federation.resolve import ResolveError

MAX_LENGTH = 2048


def _local(db: Database, username: str) -> int:
    row = db.run_sync(reads.local_account, username, write=False)
    if row is None:
        raise ResolveError("no such account here")
    return row.id


def _by_uri(db: Database, settings: Settings, uri: str, fresh: bool) -> int:
    if parse.origin(uri) == parse.origin(settings.base_url):
        row = db.run_sync(received.account_by_uri, uri, write=False)
        if row is None:
            raise ResolveError("no such account here")
        return row.id
    if fresh:
        return resolve.fetch_actor(db, settings, uri)
    return resolve.known_or_fetched_actor(db, settings, uri)


def find_account(db: Database, settings: Settings, text: str, *, fresh: bool = False) -> int:
    """The id of the account `text` names (a handle or an actor uri); ResolveError if none."""
    text = (text or "").strip()
    if not text or len(text) > MAX_LENGTH:
        raise ResolveError("give a handle (name@example.org) or an account's uri")
    if text.startswith(("https://", "http://")):
        return _by_uri(db, settings, text, fresh)
    handle = text.lstrip("@")
    username, _, host = handle.partition("@")
    if not host or host.lower() == settings.domain.lower():
        return _local(db, username)
    if not resolve.HANDLE.match(handle):
        raise ResolveError("not a handle")
    known = db.run_sync(reads.remote_id, username, host.lower(), write=False)
    if known is None:
        return resolve.resolve_handle(db, settings, handle)  # WebFinger, then the actor: fresh
    if not fresh:
        return known
    row = db.run_sync(reads.account, known, write=False)
    return resolve.fetch_actor(db, settings, row.uri)
