"""Accounts a post names that we have not met yet: looked up after it is stored.

Local posts: `@bob@elsewhere` where Bob was never seen here. Core recorded the handles
(`statuses.MENTION_LOOKUP`); `lookup_handles` asks each one's server (WebFinger and the actor,
through the safe client, at most `statuses.MAX_MENTION_LOOKUPS`) and hands the result to
`core.remote_mentions.complete`, which links the mentions and only then records the post's
Create, so the people it names receive it. One that cannot be found stays plain text; the post
goes out all the same.

Received posts:

A post from elsewhere often names people on third servers. Storing it must not wait on
fetching each of them (and must not fail when one cannot be fetched), but leaving them out
would drop them from the post's `mentions`, which apps use to address a reply to everyone in
the conversation. So the post is stored with the accounts we know, and a job fetches the
others (a bounded number, through the safe client) and adds them. Nobody here is notified
of these: they are accounts elsewhere.
"""

from __future__ import annotations

import logging

from pnyx.core import federation_reads as reads
from pnyx.core import remote_mentions, statuses
from pnyx.core import remote_store as received
from pnyx.db.engine import Database
from pnyx.federation import as2_to_internal as parse
from pnyx.federation import resolve  # resolve imports this module too: used at call time only
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
    known = reads.known_uris(tx, wanted)
    unknown = [uri for uri in wanted if uri not in known]
    if unknown:
        enqueue(
            tx,
            RESOLVE_MENTIONS,
            {"status_id": status_id, "uris": unknown},
            unique_key=f"{RESOLVE_MENTIONS}:{status_id}",
        )


def lookup_handles(db: Database, payload: dict) -> None:
    try:
        status_id = int(payload["status_id"])
        handles = [h for h in payload.get("handles", []) if isinstance(h, str)]
    except (KeyError, TypeError, ValueError):
        return
    resolved: dict[str, int] = {}
    for handle in handles[: statuses.MAX_MENTION_LOOKUPS]:
        try:
            resolved[handle.lower()] = resolve.resolve_handle(db, db.settings, handle)
        except (resolve.ResolveError, parse.InvalidDocument) as exc:
            log.info("mentioned @%s not found: %s", handle, getattr(exc, "reason", exc))
    kind = "update" if payload.get("kind") == "update" else "create"
    db.run_sync(remote_mentions.complete, status_id, resolved, kind)


def resolve_mentions(db: Database, payload: dict) -> None:
    try:
        status_id = int(payload["status_id"])
        uris = [u for u in payload.get("uris", []) if isinstance(u, str)][:MAX_FETCHED]
    except (KeyError, TypeError, ValueError):
        return
    found = []
    for uri in uris:
        try:
            found.append(resolve.known_or_fetched_actor(db, db.settings, uri))
        except (resolve.ResolveError, parse.InvalidDocument) as exc:
            log.info("mentioned actor %s not fetched: %s", uri, getattr(exc, "reason", exc))
    if found:
        db.run_sync(received.add_resolved_mentions, status_id, found)
