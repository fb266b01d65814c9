"""The jobs of a live copy (LOLA, destination end): `lola.copy` reads the old account with its
token and makes it here; `lola.follow` follows the same accounts, when the person asks.

The copy (`run`) goes through the old actor's collections in order, a page at a time:

- the actor itself, fetched again with the token (LOLA "Feature discovery": a source may name
  its collections only to a token holder); `content` (else `migration`, else the outbox);
- `content`: each object read by the archive import's reader (`archive_objects.read_item`:
  the same parser and sanitizer as any remote post, the same reasons to skip one) and stored
  by its path (`core.archive_import.posts`): a post of the new account with its original
  date, content warning, poll closed, media downloaded from the old server through the
  upload pipeline, kept in `imported_statuses` with the original document and its proof.
  **No event**: nothing is delivered, nobody is notified, no feed gets it (LOLA: "Destination
  servers SHOULD NOT normally send notifications to followers");
- `liked`: favourites of the posts known here or fetchable (`core.lola.rules`: quietly);
- `blocked`: blocks, through core's rule (the blocked account's server is told);
- `following`: only read and kept (`core.lola.following`): following again is the person's
  separate step.

A page's posts and counters commit with the address of the next page: a run that dies (a
crash, a stop, the old server down) resumes at that page, and a post already copied is known
by its original id. Replies read before their parents (pages are newest first) are linked at
the end. Then the token is handed back to the old server and deleted here.
"""

from __future__ import annotations

import functools
import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pnyx.config import Settings
from pnyx.core import accounts as core_accounts
from pnyx.core.archive_import import posts
from pnyx.core.errors import CoreError
from pnyx.core.lola import following, rules, transfers
from pnyx.core.rows import AccountRow
from pnyx.db.engine import Database, Tx
from pnyx.federation import lola_client, resolve
from pnyx.federation.archive_objects import Failed, Read, Skipped, read_item
from pnyx.federation.as2_common import as_list, http_url, id_of, origin
from pnyx.federation.fetch import FetchError
from pnyx.jobs.worker import RetryAfter

log = logging.getLogger("pnyx.federation.lola")

OUTBOX = "outbox"  # the actor's outbox: its public posts, when it offers no `content`
MAX_ITEMS = 200  # items read from one page
MAX_PAGES = 10_000  # pages read in one phase of one run (a server whose `next` never ends)
FOLLOW_BATCH = 50
Progress = Callable[[Any], None]  # called with the copy's row after each page


@dataclass
class Copy:
    """What one run of a copy works with."""

    db: Database
    settings: Settings
    row: Any
    author: AccountRow
    client: lola_client.PortabilityClient
    followers: str | None = None
    endpoints: dict[str, Any] = field(default_factory=dict)

    @property
    def actor(self) -> str:
        return self.row.source_actor_uri


class Stop(Exception):
    """The copy cannot go on (the token refused, the actor gone): it fails with this."""


# --- The copy job ------------------------------------------------------------------------------


def job(db: Database, payload: dict[str, Any]) -> None:
    """The `lola.copy` job: `{"transfer_id": ...}`."""
    transfer_id = payload.get("transfer_id")
    if isinstance(transfer_id, int):
        run(db, transfer_id)


def run(db: Database, transfer_id: int, progress: Progress | None = None) -> Any:
    """Copy what is left of the copy `transfer_id`; its row once over or stopped."""
    row = db.run_sync(transfers.start, transfer_id)
    if row is None:
        return None
    author = db.run_sync(core_accounts.get, row.account_id, write=False)
    token = row.access_token
    try:
        with lola_client.portability_client(
            db, db.settings, token, origin(row.source_actor_uri), timeout=30.0, max_bytes=8_000_000
        ) as client:
            copy = Copy(db, db.settings, row, author, client)
            _read_actor(copy)
            phase, cursor = row.phase, row.cursor
            pages: Counter[str] = Counter()
            while phase != transfers.DONE:
                pages[phase] += 1
                if pages[phase] > MAX_PAGES:  # a `next` that never ends: the rest is passed
                    db.run_sync(_pass_phase, transfer_id, phase, f"more than {MAX_PAGES} pages")
                    phase, cursor = transfers.next_phase(phase), None
                    continue
                phase, cursor = _step(copy, phase, cursor)
                if progress is not None:
                    progress(db.run_sync(transfers.get, transfer_id, write=False))
    except lola_client.RateLimited as exc:
        raise RetryAfter(str(exc), exc.not_before) from None
    except Stop as exc:
        db.run_sync(_finish, transfer_id, row.account_id, row.source_actor_uri, str(exc))
    except FetchError as exc:
        if db.run_sync(transfers.failed_run, transfer_id, exc.reason):
            raise RuntimeError(f"copy {transfer_id}: {exc.reason}") from None
        db.run_sync(posts.link_replies_from, row.account_id, row.source_actor_uri)  # stopped
    else:
        db.run_sync(_finish, transfer_id, row.account_id, row.source_actor_uri, None)
    # Over, one way or the other: the token is handed back (it was deleted here).
    lola_client.revoke(db, db.settings, row.endpoints or {}, row.client_id, token)
    return db.run_sync(transfers.get, transfer_id, write=False)


def _finish(tx: Tx, transfer_id: int, account_id: int, actor_uri: str, error: str | None) -> None:
    posts.link_replies_from(tx, account_id, actor_uri)
    if error is None:
        transfers.finish(tx, transfer_id)
    else:
        transfers.fail(tx, transfer_id, error)


def _read_actor(copy: Copy) -> None:
    """The old actor, with the token: its followers (to tell followers-only posts) and its
    collections (named on the actor; else where Pnyx serves them)."""
    try:
        actor = copy.client.document(copy.actor, id_optional=False)
    except FetchError as exc:
        if exc.status in (401, 403, 404, 410):
            raise Stop(f"The old account could not be read: {exc.reason}") from None
        raise
    if actor.get("id") != copy.actor:
        raise Stop("The old server answered with another account")
    copy.followers = _same_origin(copy, actor.get("followers"))
    known = dict(copy.row.endpoints or {})
    for name in (transfers.LIKED, transfers.BLOCKED, transfers.FOLLOWING):
        known[name] = _same_origin(copy, actor.get(name))
    known[transfers.CONTENT] = _same_origin(copy, actor.get("content")) or _same_origin(
        copy, actor.get("migration")
    )
    known[OUTBOX] = _same_origin(copy, actor.get("outbox"))
    if known[transfers.CONTENT] is None and actor.get("accountPortabilityOauth") is None:
        # An actor that names none of LOLA's fields (yet): where Pnyx serves them; a server
        # that has no `content` there is read from its outbox (`_step`).
        known[transfers.CONTENT] = f"{copy.actor}/content"
        known[transfers.LIKED] = known[transfers.LIKED] or f"{copy.actor}/liked"
        known[transfers.BLOCKED] = known[transfers.BLOCKED] or f"{copy.actor}/blocked"
    known[transfers.CONTENT] = known[transfers.CONTENT] or known[OUTBOX]
    copy.endpoints = known
    if known != copy.row.endpoints:
        copy.db.run_sync(transfers.set_endpoints, copy.row.id, known)


def _same_origin(copy: Copy, value: Any) -> str | None:
    url = http_url(id_of(value) if isinstance(value, dict) else value)
    return url if url and origin(url) == origin(copy.actor) else None


# --- Pages ---------------------------------------------------------------------------------------


def _step(copy: Copy, phase: str, cursor: str | None) -> tuple[str, str | None]:
    """One page of `phase` (from `cursor`, or the collection's start): done and counted;
    where the copy goes next."""
    url = copy.endpoints.get(phase)
    total = None
    try:
        if not url:
            page: dict = {}
        elif cursor is None:
            root = copy.client.document(url)
            total = root.get("totalItems") if isinstance(root.get("totalItems"), int) else None
            page = _first_page(copy, root)
        else:
            page = copy.client.document(cursor)
    except FetchError as exc:
        if exc.status is None or exc.status >= 500:
            raise  # tried again later
        outbox = copy.endpoints.get(OUTBOX)
        fallback = phase == transfers.CONTENT and cursor is None and exc.status == 404
        if fallback and outbox and outbox != url:  # no `content` where Pnyx serves it
            copy.endpoints[transfers.CONTENT] = outbox
            copy.db.run_sync(transfers.set_endpoints, copy.row.id, copy.endpoints)
            return phase, None
        if phase == transfers.CONTENT:
            raise Stop(f"The old server refused the posts: {exc.reason}") from None
        # The rest is a bonus LOLA does not require of a source: noted, and passed.
        copy.db.run_sync(_pass_phase, copy.row.id, phase, f"{url}: {exc.reason}")
        return transfers.next_phase(phase), None
    items = _items(page)
    after = _next(copy, page, cursor or url)
    next_phase = phase if after else transfers.next_phase(phase)
    if phase == transfers.CONTENT:
        _copy_posts(copy, items, after, next_phase, total)
    elif phase == transfers.LIKED:
        _copy_favourites(copy, items, after, next_phase)
    elif phase == transfers.BLOCKED:
        _copy_blocks(copy, items, after, next_phase)
    else:
        uris = [u for u in (_uri(item) for item in items) if u]
        copy.db.run_sync(_keep_follows, copy.row.id, uris, after, next_phase)
    return next_phase, after


def _first_page(copy: Copy, root: dict) -> dict:
    first = root.get("first")
    if isinstance(first, dict):
        return first
    if isinstance(first, str) and http_url(first) and origin(first) == origin(copy.actor):
        return copy.client.document(first)
    return root  # a collection of one page


def _items(page: dict) -> list[Any]:
    found = page.get("orderedItems", page.get("items"))
    return as_list(found)[:MAX_ITEMS] if found is not None else []


def _next(copy: Copy, page: dict, current: str | None) -> str | None:
    after = http_url(
        id_of(page.get("next")) if isinstance(page.get("next"), dict) else page.get("next")
    )
    if not after or after == current or origin(after) != origin(copy.actor):
        return None
    return after


def _uri(item: Any) -> str | None:
    return http_url(id_of(item) if isinstance(item, dict) else item)


def _pass_phase(tx: Tx, transfer_id: int, phase: str, reason: str) -> None:
    transfers.advance(
        tx, transfer_id, cursor=None, phase=transfers.next_phase(phase), notes=[("", reason)]
    )


# --- Posts ----------------------------------------------------------------------------------------


class OldServerMedia:
    """The files of a copied post's attachments, downloaded from where the old server says
    (the token goes along only to the old server's own origin)."""

    def __init__(self, copy: Copy) -> None:
        self.copy = copy

    def media_name(self, address: str) -> str | None:
        return http_url(address)

    def read(self, name: str, limit: int) -> bytes:
        copy = self.copy
        try:
            with lola_client.portability_client(
                copy.db,
                copy.settings,
                copy.client.token,
                copy.client.token_origin,
                timeout=60.0,
                max_bytes=limit,
            ) as client:
                return client.fetch(name, accept="*/*").body
        except FetchError as exc:
            raise posts.MediaUnavailable(exc.reason) from None


def _object_of(copy: Copy, item: Any) -> Any:
    """An item of the content collection as an object: given, or fetched with the token when
    only its id is (the old server's own objects only)."""
    if isinstance(item, str) and http_url(item) and origin(item) == origin(copy.actor):
        try:
            return copy.client.document(item, id_optional=False)
        except FetchError as exc:
            return Failed(item, exc.reason)
    return item


def _copy_posts(
    copy: Copy, items: list[Any], cursor: str | None, phase: str, total: int | None
) -> None:
    skipped: Counter[str] = Counter()
    failed: list[tuple[str, str]] = []
    notes: list[tuple[str, str]] = []
    ready: list[tuple[posts.ArchivedPost, list[posts.StoredMedia]]] = []
    media = OldServerMedia(copy)
    found: list[Read | Skipped | Failed] = []
    for item in items:
        item = _object_of(copy, item)
        if isinstance(item, Failed):
            found.append(item)
            continue
        uri = _uri(item)
        if isinstance(item, dict) and uri and origin(uri) != origin(copy.actor):
            found.append(Skipped("other_actor"))
            continue
        found.append(read_item(item, copy.actor, copy.followers, media))
    uris = [f.post.origin_uri for f in found if isinstance(f, Read)]
    known = copy.db.run_sync(posts.imported_among, copy.author.id, uris, write=False)
    for result in found:
        if isinstance(result, Skipped):
            skipped[result.reason] += 1
        elif isinstance(result, Failed):
            failed.append((result.uri, result.reason))
        elif result.post.origin_uri in known:
            skipped["already_imported"] += 1
        else:
            stored, refused = posts.process_media(copy.settings, media, result.post.media)
            notes += [(result.post.origin_uri, r) for r in (*result.notes, *refused)]
            ready.append((result.post, stored))
    page = _Page(cursor, phase, total, skipped, failed, notes)
    try:
        copy.db.run_sync(_store_posts, copy.author, copy.row.id, ready, page)
    except Exception:  # noqa: BLE001 - one bad post must not stop the copy: find it
        log.warning("copy %s: a page failed, storing it post by post", copy.row.id)
        for post, stored in ready:
            try:
                copy.db.run_sync(_store_posts, copy.author, copy.row.id, [(post, stored)], None)
            except Exception as exc:  # noqa: BLE001 - counted, with its reason
                posts.discard_media(copy.settings, stored)
                page.failed.append((post.origin_uri, f"could not be stored ({type(exc).__name__})"))
        copy.db.run_sync(_store_posts, copy.author, copy.row.id, [], page)


@dataclass
class _Page:
    cursor: str | None
    phase: str
    total: int | None
    skipped: Counter[str]
    failed: list[tuple[str, str]]
    notes: list[tuple[str, str]]
    made: int = 0


def _store_posts(
    tx: Tx,
    author: AccountRow,
    transfer_id: int,
    ready: list[tuple[posts.ArchivedPost, list[posts.StoredMedia]]],
    page: _Page | None,
) -> None:
    """Store posts; with `page`, count the page and move on, in the same transaction."""
    made = 0
    for post, stored in ready:
        if posts.store(tx, author, None, post, stored) is None:
            if page is not None:
                page.skipped["already_imported"] += 1
            tx.on_commit(functools.partial(posts.discard_media, tx.settings, stored))
        else:
            made += 1
    if page is None:  # one post of a page that failed as a whole
        _count_made(tx, transfer_id, made)
        return
    transfers.advance(
        tx,
        transfer_id,
        cursor=page.cursor,
        phase=page.phase,
        total=page.total,
        imported=made,
        skipped=dict(page.skipped),
        failures=page.failed,
        notes=page.notes,
    )


def _count_made(tx: Tx, transfer_id: int, made: int) -> None:
    row = transfers.get(tx, transfer_id)
    if row is not None and made:
        transfers.advance(tx, transfer_id, cursor=row.cursor, imported=made)


# --- Favourites, blocks, follows -------------------------------------------------------------------


def _copy_favourites(copy: Copy, items: list[Any], cursor: str | None, phase: str) -> None:
    made, notes = 0, []
    for item in items:
        uri = _uri(item)
        if uri is None:
            continue
        try:
            status_id = copy.db.run_sync(rules.known_post, copy.author.id, uri, write=False)
            if status_id is None:
                status_id = resolve.fetch_status(copy.db, copy.settings, uri)
            if status_id is None:
                raise CoreError("not found")
            made += copy.db.run_sync(rules.copy_favourite, copy.author.id, status_id)
        except (CoreError, resolve.ResolveError, FetchError) as exc:
            notes.append((uri, f"favourite not copied: {_reason(exc)}"))
    copy.db.run_sync(_advance, copy.row.id, cursor, phase, notes, made, 0)


def _copy_blocks(copy: Copy, items: list[Any], cursor: str | None, phase: str) -> None:
    made, notes = 0, []
    for item in items:
        uri = _uri(item)
        if uri is None:
            continue
        try:
            target = resolve.known_or_fetched_actor(copy.db, copy.settings, uri)
            copy.db.run_sync(rules.copy_block, copy.author.id, target)
            made += 1
        except (CoreError, resolve.ResolveError, FetchError) as exc:
            notes.append((uri, f"block not copied: {_reason(exc)}"))
    copy.db.run_sync(_advance, copy.row.id, cursor, phase, notes, 0, made)


def _reason(exc: Exception) -> str:
    return str(getattr(exc, "reason", None) or getattr(exc, "message", None) or exc)[:300]


def _advance(
    tx: Tx,
    transfer_id: int,
    cursor: str | None,
    phase: str,
    notes: list[tuple[str, str]],
    favourites: int,
    blocks: int,
) -> None:
    transfers.advance(
        tx,
        transfer_id,
        cursor=cursor,
        phase=phase,
        notes=notes,
        favourites=favourites,
        blocks=blocks,
    )


def _keep_follows(
    tx: Tx, transfer_id: int, uris: list[str], cursor: str | None, phase: str
) -> None:
    following.add(tx, transfer_id, uris)
    transfers.advance(tx, transfer_id, cursor=cursor, phase=phase)


# --- Following the same accounts -----------------------------------------------------------------


def follow_job(db: Database, payload: dict[str, Any]) -> None:
    """The `lola.follow` job: `{"transfer_id": ...}`, every account left, in batches."""
    transfer_id = payload.get("transfer_id")
    if isinstance(transfer_id, int):
        follow_all(db, transfer_id)


def follow_all(db: Database, transfer_id: int) -> None:
    account_id = db.run_sync(following.owner, transfer_id, write=False)
    if account_id is None:
        return
    silent: dict[str, str] = {}  # servers that did not answer, this run
    while rows := db.run_sync(following.pending, transfer_id, FOLLOW_BATCH, write=False):
        for row in rows:
            _follow_one(db, account_id, row, silent)


def _follow_one(db: Database, account_id: int, row: Any, silent: dict[str, str]) -> None:
    host = origin(row.actor_uri)
    if host in silent:
        db.run_sync(following.fail, row.id, f"{host} did not answer: {silent[host]}")
        return
    try:
        target = resolve.known_or_fetched_actor(db, db.settings, row.actor_uri)
    except resolve.ResolveError as exc:
        if any(word in exc.reason for word in ("network error", "deadline", "cannot resolve")):
            silent[host] = exc.reason
        db.run_sync(following.fail, row.id, f"not found: {exc.reason}")
        return
    try:
        db.run_sync(following.follow, row.id, account_id, target)
    except CoreError as exc:
        db.run_sync(following.fail, row.id, following.explain(exc))
