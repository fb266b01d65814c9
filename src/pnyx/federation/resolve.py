"""Finding things on other servers: accounts by handle or uri, posts by uri, and keys.

Every fetch goes through the one safe client (`fetch.RemoteClient`), signed with the instance
actor's key (servers in secure mode answer only signed fetches), and never inside a database
transaction: the network is slow and SQLite has one writer. What comes back is parsed
(`as2_to_internal`), checked against where it came from, and stored through `core.received`.

Origin rules enforced here: a fetched document's id is on the origin of the URL it came from
(the client checks that); an account's key belongs to that account; a post is attributed to
an actor on the post's own origin.
"""

from __future__ import annotations

import logging
import re
from urllib.parse import quote

from pnyx.config import Settings
from pnyx.core import accounts, identity_links, keys
from pnyx.core import federation_reads as reads
from pnyx.core import remote_store as received
from pnyx.db.engine import Database
from pnyx.federation import as2_to_internal as parse
from pnyx.federation import as2_to_received, identity_statements, label_documents, mentions
from pnyx.federation.fetch import FetchError, RemoteClient

log = logging.getLogger("pnyx.federation.resolve")

# How far up a thread we fetch the parents of a reply we receive.
MAX_THREAD_DEPTH = 5
HANDLE = re.compile(r"^@?([A-Za-z0-9_.\-]+)@([A-Za-z0-9.\-]+(?::\d{1,5})?)$")
ACTOR_TYPES = {"Person", "Service", "Application", "Group", "Organization"}


class ResolveError(Exception):
    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def instance_signer(db: Database, settings: Settings) -> tuple[str, str]:
    pair = db.run_sync(keys.instance_keypair)
    return f"{settings.base_url}/actor#main-key", pair.private_pem


def _client(settings: Settings) -> RemoteClient:
    return RemoteClient(settings)


def fetch_document(db: Database, settings: Settings, url: str) -> dict:
    """A remote document that speaks for its own id.

    The client already refuses a document whose id is on another origin. One whose id is
    another URL of the same origin (a web URL redirecting to the object, or attacker-written
    JSON uploaded to the server's media folder) is fetched again at its id, and must be found
    there: only a document served at its own id counts.
    """
    signer = instance_signer(db, settings)
    with _client(settings) as client:
        try:
            doc = client.get_activity(url, signer=signer)
            doc_id = parse.id_of(doc.get("id")) or ""
            if not parse.matches_fetch_url(doc_id, url):
                doc = client.get_activity(doc_id, signer=signer)
                if not parse.matches_fetch_url(parse.id_of(doc.get("id")) or "", doc_id):
                    raise ResolveError("the document is not served at its own id")
            return doc
        except FetchError as exc:
            raise ResolveError(exc.reason) from None


def fetch_collection(db: Database, settings: Settings, url: str, owner_uri: str) -> dict:
    """A collection that the actor `owner_uri` declares (its outbox, a page of it).

    Some servers (Takahē) serve these without an `id`. The actor, fetched and checked
    already, vouches for the URL, so a collection without id fetched from that URL on the
    actor's own origin counts as the one at that URL. One with an id obeys the usual rule
    (`fetch_document`).
    """
    if not parse.same_origin(url, owner_uri):
        raise ResolveError("the collection is not on its actor's origin")
    signer = instance_signer(db, settings)
    with _client(settings) as client:
        try:
            doc = client.get_activity(url, signer=signer, id_optional=True)
        except FetchError as exc:
            raise ResolveError(exc.reason) from None
    doc_id = parse.id_of(doc.get("id")) or ""
    return doc if parse.matches_fetch_url(doc_id, url) else fetch_document(db, settings, doc_id)


def store_actor_document(db: Database, doc: dict, *, backfill: bool = False) -> int:
    """Store (or refresh) the account an actor document describes. With `backfill`, an
    account seen for the first time also gets its recent posts read (a job)."""
    try:
        actor = parse.parse_actor(doc)
    except parse.InvalidDocument as exc:
        raise ResolveError(f"not a usable actor: {exc}") from None
    # Its identity statements (FEP-c390), checked before the transaction: the keys it holds.
    subjects = identity_statements.proven_subjects(doc)

    def work(tx):
        new = received.account_by_uri(tx, actor.uri) is None
        account_id = received.store_account(tx, as2_to_received.incoming_account(actor))
        label_documents.store_labeler(tx, account_id, doc, actor.uri)
        identity_links.remember_subjects(tx, account_id, subjects)
        if new and backfill:
            from pnyx.federation.backfill import enqueue_backfill

            enqueue_backfill(tx, account_id)
        return account_id

    return db.run_sync(work)


def fetch_actor(db: Database, settings: Settings, uri: str, *, backfill: bool = False) -> int:
    """Fetch an actor document and store (or refresh) the account; returns its id."""
    if parse.origin(uri) == parse.origin(settings.base_url):
        row = db.run_sync(received.account_by_uri, uri, write=False)
        if row is None:
            raise ResolveError("no such local account")
        return row.id
    return store_actor_document(db, fetch_document(db, settings, uri), backfill=backfill)


def known_or_fetched_actor(db: Database, settings: Settings, uri: str) -> int:
    row = db.run_sync(received.account_by_uri, uri, write=False)
    if row is not None:
        return row.id
    return fetch_actor(db, settings, uri)


def refresh_key_owner(db: Database, settings: Settings, key_id: str) -> int:
    """Fetch the actor that owns `key_id` (directly, or through a key document's `owner`)
    and store it with its current key."""
    doc = fetch_document(db, settings, key_id)
    if doc.get("type") not in ACTOR_TYPES:
        owner = parse.id_of(doc.get("owner"))
        if not owner or not parse.same_origin(owner, key_id):
            raise ResolveError("key document names no owner on its origin")
        doc = fetch_document(db, settings, owner)
    account_id = store_actor_document(db, doc)
    row = db.run_sync(reads.account, account_id)
    if row.public_key_id and row.public_key_id != key_id and row.uri != key_id.split("#")[0]:
        raise ResolveError("the fetched actor does not own this key")
    return account_id


def webfinger_url(settings: Settings, host: str, resource: str) -> str:
    """With PNYX_SCHEME=http (local setups) other servers are asked over http too."""
    scheme = "http" if settings.effective_scheme == "http" else "https"
    return f"{scheme}://{host}/.well-known/webfinger?resource={quote(resource, safe=':@')}"


def resolve_handle(db: Database, settings: Settings, handle: str) -> int:
    """`user@host` (or `@user@host`) -> account id, asking the host's WebFinger when unknown."""
    match = HANDLE.match(handle.strip())
    if not match:
        raise ResolveError("not a handle")
    username, host = match.group(1), match.group(2).lower()
    if host == settings.domain.lower():
        row = db.run_sync(accounts.find_local, username)
        if row is None:
            raise ResolveError("no such local account")
        return row.id
    known = db.run_sync(reads.remote_id, username, host)
    if known is not None:
        return known
    with _client(settings) as client:
        try:
            response = client.get(
                webfinger_url(settings, host, f"acct:{username}@{host}"),
                accept="application/jrd+json, application/json",
            )
            import orjson

            jrd = orjson.loads(response.body)
        except FetchError as exc:
            raise ResolveError(f"webfinger: {exc.reason}") from None
        except ValueError:
            raise ResolveError("webfinger: not JSON") from None
    actor_uri = None
    for link in jrd.get("links", []) if isinstance(jrd, dict) else []:
        if (
            isinstance(link, dict)
            and link.get("rel") == "self"
            and str(link.get("type", "")).startswith(
                ("application/activity+json", "application/ld+json")
            )
        ):
            actor_uri = link.get("href")
            break
    if not isinstance(actor_uri, str):
        raise ResolveError("webfinger names no ActivityPub actor")
    return fetch_actor(db, settings, actor_uri, backfill=True)


def store_object(db: Database, settings: Settings, doc: dict, *, depth: int = 0) -> int | None:
    """Store a fetched or received post (Note, Question, Article ...); returns its id, or None
    when it is something we do not show or its origin deleted it."""
    try:
        obj = parse.parse_object(doc)
    except parse.InvalidDocument as exc:
        raise ResolveError(f"not a usable object: {exc}") from None
    if obj.vote_name is not None:
        return None
    if not obj.attributed_to or not parse.same_origin(obj.attributed_to, obj.uri):
        raise ResolveError("object attributed to an actor of another origin")
    author_id = known_or_fetched_actor(db, settings, obj.attributed_to)
    if obj.in_reply_to_uri and depth < MAX_THREAD_DEPTH:
        parent = db.run_sync(received.status_by_uri, obj.in_reply_to_uri, write=False)
        if parent is None:
            try:
                fetch_status(db, settings, obj.in_reply_to_uri, depth=depth + 1)
            except ResolveError as exc:
                log.info(
                    "parent %s of %s not fetched: %s", obj.in_reply_to_uri, obj.uri, exc.reason
                )
    if obj.quote_uri and depth < MAX_THREAD_DEPTH:
        try:
            fetch_status(db, settings, obj.quote_uri, depth=depth + 1)  # known: nothing to do
        except ResolveError as exc:
            log.info("quoted post %s of %s not fetched: %s", obj.quote_uri, obj.uri, exc.reason)

    def work(tx):
        author = reads.account(tx, author_id)
        if author.suspended_at is not None:
            return None
        status_id = received.store_status(
            tx, author_id, as2_to_received.incoming_status(tx, obj, author)
        )
        if status_id is not None:
            mentions.enqueue_unknown(tx, status_id, [href for href, _ in obj.mentions])
        return status_id

    return db.run_sync(work)


def fetch_status(db: Database, settings: Settings, uri: str, *, depth: int = 0) -> int | None:
    existing = db.run_sync(received.status_by_uri, uri, write=False)
    if existing is not None:
        return existing.id
    if parse.origin(uri) == parse.origin(settings.base_url):
        return None
    return store_object(db, settings, fetch_document(db, settings, uri), depth=depth)


def _known(tx, url: str) -> tuple[str, int] | None:
    row = received.account_by_uri(tx, url)
    if row is not None:
        return "account", row.id
    row = received.status_by_uri(tx, url)
    return ("status", row.id) if row is not None else None


def resolve_url(db: Database, settings: Settings, url: str) -> tuple[str, int] | None:
    """A URL pasted into search: ("account", id) or ("status", id), or None.

    An address of this server is never fetched (the search finds it in the database), nor is
    the id of an account or post already stored; anything else (an actor's id or profile
    page, a post's id or page) is fetched and stored."""
    if parse.origin(url) in (parse.origin(f"{s}://{settings.domain}") for s in ("http", "https")):
        return None
    known = db.run_sync(_known, url, write=False)
    if known is not None:
        return known
    doc = fetch_document(db, settings, url)
    kind = doc.get("type")
    if kind in ACTOR_TYPES:
        return "account", store_actor_document(db, doc, backfill=True)
    status_id = store_object(db, settings, doc)
    return ("status", status_id) if status_id is not None else None


def looks_resolvable(q: str) -> bool:
    q = q.strip()
    return bool(HANDLE.match(q)) or q.startswith(("https://", "http://"))


def resolve_quietly(db: Database, settings: Settings, q: str) -> tuple[str, int] | None:
    """For search and lookup: what the query names on its server, or None when it cannot be
    found (the reason is logged, not shown: a search simply finds nothing)."""
    q = q.strip()
    try:
        if HANDLE.match(q):
            return "account", resolve_handle(db, settings, q)
        return resolve_url(db, settings, q)
    except ResolveError as exc:
        log.info("could not resolve %r: %s", q, exc.reason)
        return None
