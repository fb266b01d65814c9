"""Accounts a received post names that we have not met yet: looked up after it is stored.

A post from elsewhere often names people on third servers. Storing it must not wait on
fetching each of them (and must not fail when one cannot be fetched), but leaving them out
would drop them from the post's `mentions`, which apps use to address a reply to everyone in
the conversation. So the post is stored with the accounts we know, and a job fetches the
others (a bounded number, through the safe client) and adds them. Nobody here is notified
of these: they are accounts elsewhere.
"""

from __future__ import annotations

import logging

import sqlalchemy as sa

from pnyx.core import received
from pnyx.db.engine import Database
from pnyx.db.tables import accounts
from pnyx.federation import as2_to_internal as parse
from pnyx.jobs.queue import enqueue

log = logging.getLogger("pnyx.federation.mentions")

RESOLVE_MENTIONS = "mentions.resolve"
MAX_FETCHED = 10  # per post: a post naming fifty strangers costs ten fetches, not fifty


def enqueue_unknown(tx, status_id: int, actor_uris: list[str]) -> None:
    """Inside the transaction that stored the post: a job for the named actors we do not
    know (ours excluded: an unknown local name is simply nobody)."""
    own_origin = parse.origin(tx.settings.base_url)
    wanted = [
        uri for uri in dict.fromkeys(u for u in actor_uris if u) if parse.origin(uri) != own_origin
    ][:MAX_FETCHED]
    if not wanted:
        return
    known = set(tx.scalars(sa.select(accounts.c.uri).where(accounts.c.uri.in_(wanted))))
    unknown = [uri for uri in wanted if uri not in known]
    if unknown:
        enqueue(
            tx,
            RESOLVE_MENTIONS,
            {"status_id": status_id, "uris": unknown},
            unique_key=f"{RESOLVE_MENTIONS}:{status_id}",
        )


def resolve_mentions(db: Database, payload: dict) -> None:
    try:
        status_id = int(payload["status_id"])
        uris = [u for u in payload.get("uris", []) if isinstance(u, str)][:MAX_FETCHED]
    except (KeyError, TypeError, ValueError):
        return
    from pnyx.federation import resolve  # resolve stores posts and so imports this module

    found = []
    for uri in uris:
        try:
            found.append(resolve.known_or_fetched_actor(db, db.settings, uri))
        except (resolve.ResolveError, parse.InvalidDocument) as exc:
            log.info("mentioned actor %s not fetched: %s", uri, getattr(exc, "reason", exc))
    if found:
        db.run_sync(received.add_resolved_mentions, status_id, found)
