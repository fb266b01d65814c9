"""The `account.map_moved_posts` job: after a checked move, find the old account's posts under
their new ids (`core.moved_posts`).

The new account's server says which of its posts were copied from where: each copied Note
names its old id and old author in `previously` (LOLA's breadcrumbs; Pnyx writes them on every
imported post). This job reads the new account's outbox, page by page, and re-points each old
post held here. It reads at most `MAX_PAGES` pages, and stops early once no post of the old
account is left here: a person with a long history costs a bounded number of fetches.

Only posts the new account wrote, at addresses on its own server, are taken: its server
speaks for its own posts, not for anyone else's addresses. When the outbox cannot be read
(its server down for a while), the job fails and the queue tries it again later, with its
usual backoff: the mapping runs once a move, and posts already re-pointed are not touched
twice.

When the new account is on this server, its imported posts are here already: their origins
are read from the database, no fetch at all.
"""

from __future__ import annotations

import logging

from pnyx.core import federation_reads as reads
from pnyx.core import moved_posts
from pnyx.db.engine import Database, Tx
from pnyx.federation import resolve
from pnyx.federation.as2_common import id_of, same_origin

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


def pairs_on_page(page: dict, old_uri: str, new_uri: str) -> list[tuple[str, str, str | None]]:
    """(old id, new id, new url) of each post of the page that the new account wrote, on its
    own server, and that names a post of the old account as the one it was copied from."""
    pairs = []
    for item in _page_items(page):
        obj = item.get("object") if isinstance(item, dict) else None
        if not isinstance(obj, dict) or id_of(obj.get("attributedTo")) != new_uri:
            continue
        post_uri = id_of(obj.get("id"))
        if not post_uri or not same_origin(post_uri, new_uri):
            continue
        url = obj.get("url") if isinstance(obj.get("url"), str) else None
        pairs += [(old_id, post_uri, url) for old_id in _crumbs(obj, old_uri)]
    return pairs


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
            pairs = pairs_on_page(page, old.uri, new.uri)

            def apply(tx: Tx, pairs: list = pairs) -> tuple[int, int]:
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
        raise  # tried again later (the queue's backoff); what was re-pointed stays so
    log.info("moved posts of %s: %d re-pointed at %s's posts", old.uri, mapped, new.uri)
