"""Moderation lists on the wire (issue 12): a list kept here is a public `OrderedCollection` of
accounts at its id (`/users/{username}/moderation_lists/{id}`), with its title (`name`),
description (`summary`) and keeper (`attributedTo`); its changes go out as Add and Remove
(`activities`). A list of another server is read here by `fetch_list`, when someone here
subscribes to it by its URI.
"""

from __future__ import annotations

import logging

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from pnyx.config import Settings
from pnyx.core import federation_reads as reads
from pnyx.core import moderation_lists
from pnyx.core.errors import NotFound
from pnyx.db.engine import Database
from pnyx.edges.http import database
from pnyx.federation import as2_common as parse
from pnyx.federation import resolve
from pnyx.federation.internal_to_as2 import iso
from pnyx.federation.serving import document, not_found
from pnyx.federation.vocab import AS_CONTEXT

log = logging.getLogger("pnyx.federation.moderation_lists")

MAX_MEMBERS = 500  # what one subscription reads of a list elsewhere
MAX_PAGES = 10


def collection(listed, keeper, member_uris: list[str]) -> dict:
    return {
        "@context": [AS_CONTEXT, {"pnyx": "https://w3id.org/pnyx/ns#"}],
        "id": listed.uri,
        "type": "OrderedCollection",
        "name": listed.title,
        "summary": listed.description,
        "attributedTo": keeper.uri,
        "updated": iso(listed.updated_at),
        "totalItems": len(member_uris),
        "orderedItems": member_uris,
    }


async def list_document(request: Request) -> Response:
    username = request.path_params["username"]
    list_id = request.path_params["id"]

    def work(tx):
        keeper = reads.local_account(tx, username)
        if keeper is None or keeper.suspended_at is not None:
            return None
        try:
            listed = moderation_lists.get(tx, list_id)
        except NotFound:
            return None
        if listed.account_id != keeper.id:
            return None
        members = [reads.account(tx, i) for i in moderation_lists.member_ids(tx, listed.id)]
        return collection(listed, keeper, [m.uri for m in members if m is not None])

    found = await database(request).read(work)
    return document(found, cacheable=True) if found is not None else not_found()


def _items(db: Database, settings: Settings, doc: dict, owner_uri: str) -> list[str]:
    """The member URIs of a collection: inline, or in its pages (bounded)."""
    found: list[str] = []
    page: dict | None = doc
    for _ in range(MAX_PAGES):
        if page is None:
            break
        for item in parse.as_list(page.get("orderedItems") or page.get("items")):
            uri = parse.http_url(parse.id_of(item))
            if uri and uri not in found:
                found.append(uri)
        if len(found) >= MAX_MEMBERS:
            break
        following = page.get("first") if page is doc else page.get("next")
        next_url = (
            parse.http_url(parse.id_of(following)) if not isinstance(following, dict) else None
        )
        if isinstance(following, dict):
            page = following
        elif next_url:
            page = resolve.fetch_collection(db, settings, next_url, owner_uri)
        else:
            page = None
    return found[:MAX_MEMBERS]


def fetch_list(db: Database, settings: Settings, uri: str) -> int:
    """Read a list of another server and keep it here (its keeper and members fetched as
    needed; members that cannot be fetched are left out). Raises ResolveError."""
    doc = resolve.fetch_document(db, settings, uri)
    if parse.type_of(doc) not in ("OrderedCollection", "Collection"):
        raise resolve.ResolveError("not a list of accounts")
    owner_uri = parse.http_url(parse.id_of(doc.get("attributedTo")))
    if owner_uri is None or not parse.same_origin(owner_uri, uri):
        raise resolve.ResolveError("the list names no keeper on its own server")
    owner_id = resolve.known_or_fetched_actor(db, settings, owner_uri)
    members = []
    for member_uri in _items(db, settings, doc, owner_uri):
        try:
            members.append(resolve.known_or_fetched_actor(db, settings, member_uri))
        except resolve.ResolveError as exc:
            log.info("list %s: member %s left out: %s", uri, member_uri, exc.reason)
    title = parse.plain_text(doc.get("name"), 255) or uri
    description = parse.plain_text(doc.get("summary"), 2000)
    return db.run_sync(moderation_lists.store_remote, owner_id, uri, title, description, members)


routes = [Route("/users/{username}/moderation_lists/{id:int}", list_document, methods=["GET"])]
