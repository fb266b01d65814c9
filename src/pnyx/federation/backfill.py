"""First sight of an account: its recent posts, from its outbox.

When someone here looks an account up for the first time, its profile alone would show an
empty timeline. A job reads the first page of the account's outbox and stores its newest public
posts (bounded), so the profile looks as it does on its own server. Boosts are skipped.
The outbox is read from the URL the actor declares, on the actor's origin, even when the
collection carries no `id` (Takahē serves it so): see `resolve.fetch_collection`.
"""

from __future__ import annotations

import logging

from pnyx.core import federation_reads as reads
from pnyx.db.engine import Database
from pnyx.federation import as2_to_internal as parse
from pnyx.federation import resolve
from pnyx.jobs.queue import enqueue

log = logging.getLogger("pnyx.federation.backfill")

BACKFILL = "account.backfill"
MAX_POSTS = 20


def enqueue_backfill(tx, account_id: int) -> None:
    enqueue(tx, BACKFILL, {"account_id": account_id}, unique_key=f"backfill:{account_id}")


def _items(db: Database, outbox: dict, owner_uri: str) -> list:
    first = outbox.get("first")
    if isinstance(first, str):
        first = resolve.fetch_collection(db, db.settings, first, owner_uri)
    page = first if isinstance(first, dict) else outbox
    items = page.get("orderedItems") or page.get("items") or []
    return items if isinstance(items, list) else []


def backfill(db: Database, payload: dict) -> None:
    account = db.run_sync(reads.account, payload["account_id"])
    if account is None or account.domain is None or not account.outbox_url:
        return
    try:
        outbox = resolve.fetch_collection(db, db.settings, account.outbox_url, account.uri)
        items = _items(db, outbox, account.uri)
    except resolve.ResolveError as exc:
        log.info("outbox of %s not read: %s", account.uri, exc.reason)
        return
    stored = 0
    for item in items:
        if stored >= MAX_POSTS:
            break
        if not isinstance(item, dict) or item.get("type") != "Create":
            continue
        obj = item.get("object")
        if isinstance(obj, str) and parse.same_origin(obj, account.uri):
            try:
                obj = resolve.fetch_document(db, db.settings, obj)
            except resolve.ResolveError:
                continue
        if not isinstance(obj, dict) or parse.id_of(obj.get("attributedTo")) != account.uri:
            continue
        if not parse.same_origin(parse.id_of(obj.get("id")) or "", account.uri):
            continue
        try:
            if resolve.store_object(db, db.settings, obj) is not None:
                stored += 1
        except (resolve.ResolveError, parse.InvalidDocument) as exc:
            log.info("post from the outbox of %s not stored: %s", account.uri, exc)
