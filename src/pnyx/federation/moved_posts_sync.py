"""The `account.map_moved_posts` job: after a checked move, find the old account's posts under
their new ids (`core.moved_posts`).

The new account's server says which of its posts were copied from where: each copied Note
names its old id and old author in `previously` (LOLA's breadcrumbs; Pnyx writes them on every
imported post). This job reads the new account's outbox, page by page, and re-points each old
post held here. It reads at most `MAX_PAGES` pages, and stops early once no post of the old
account is left here: a person with a long history costs a bounded number of fetches.

When the new account is on this server, its imported posts are here already: their origins
are read from the database, no fetch at all.
"""

from __future__ import annotations

import logging

from pnyx.core import federation_reads as reads
from pnyx.core import moved_posts
from pnyx.db.engine import Database
from pnyx.federation import resolve
from pnyx.federation.as2_common import id_of

log = logging.getLogger("pnyx.federation.moved_posts")

MAX_PAGES = 500


def _crumbs(obj: dict, old_actor: str) -> list[str]:
    """The old ids `obj` says it was copied from, by the old actor."""
    found = []
    crumbs = obj.get("previously")
    for crumb in crumbs if isinstance(crumbs, list) else [crumbs]:
        if isinstance(crumb, dict) and id_of(crumb.get("actor")) == old_actor:
            old_id = id_of(crumb.get("id"))
            if old_id:
                found.append(old_id)
    return found


def _page_items(page: dict) -> list:
    items = page.get("orderedItems") or page.get("items") or []
    return items if isinstance(items, list) else []


def map_moved_posts(db: Database, payload: dict) -> None:
    try:
        old_id, new_id = int(payload["account_id"]), int(payload["target_id"])
    except (KeyError, TypeError, ValueError):
        return
    pair = db.run_sync(moved_posts.moved_pair, old_id, new_id)
    if pair is None:
        return  # moved back, or elsewhere since
    old, new = pair
    if new.domain is None:
        mapped = db.run_sync(moved_posts.map_local, old, new)
        log.info("moved posts of %s: %d found among %s's imports", old.uri, mapped, new.uri)
        return
    account = db.run_sync(reads.account, new.id)
    outbox_url = account.outbox_url if account is not None else None
    if not outbox_url:
        return
    mapped = 0
    try:
        page = resolve.fetch_collection(db, db.settings, outbox_url, new.uri)
        first = page.get("first")
        if isinstance(first, str):
            page = resolve.fetch_collection(db, db.settings, first, new.uri)
        elif isinstance(first, dict):
            page = first
        for _ in range(MAX_PAGES):
            pairs = []
            for item in _page_items(page):
                obj = item.get("object") if isinstance(item, dict) else None
                if not isinstance(obj, dict) or id_of(obj.get("attributedTo")) != new.uri:
                    continue
                new_uri = id_of(obj.get("id"))
                url = obj.get("url") if isinstance(obj.get("url"), str) else None
                pairs += [(old_uri, new_uri, url) for old_uri in _crumbs(obj, old.uri) if new_uri]

            def apply(tx, pairs=pairs):
                done = sum(moved_posts.remap(tx, old.id, new.id, *pair) for pair in pairs)
                return done, moved_posts.left(tx, old.id)

            done, left = db.run_sync(apply)
            mapped += done
            following = page.get("next")
            if not left or not isinstance(following, str):
                break
            page = resolve.fetch_collection(db, db.settings, following, new.uri)
    except resolve.ResolveError as exc:
        log.info("moved posts of %s: outbox of %s not read: %s", old.uri, new.uri, exc.reason)
    log.info("moved posts of %s: %d re-pointed at %s's posts", old.uri, mapped, new.uri)
