"""The actor documents of this server: each local account as a Person (Service, Group), and
the instance actor that signs fetches made on nobody's behalf. See `serving` for who gets
what."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from pnyx.core import custom_emojis, identity_links, integrity_keys, keys, labels, uris
from pnyx.core import federation_reads as reads
from pnyx.core import visibility as core_visibility
from pnyx.core.errors import NotFound
from pnyx.edges.http import database, settings
from pnyx.edges.negotiation import wants_activitypub
from pnyx.federation import (
    identity_statements,
    internal_to_as2,
    label_documents,
    object_proofs,
    portability_pages,
)
from pnyx.federation.serving import document, gone, not_found, signer

# What an unsigned request gets of an actor in authorized-fetch mode (Mastodon's same list).
MINIMAL_ACTOR_KEYS = (
    "@context",
    "id",
    "type",
    "preferredUsername",
    "inbox",
    "publicKey",
    "endpoints",
    "assertionMethod",  # its Ed25519 key: the proofs of its objects are checked with it
)


def _definitions_and_key(tx, row):
    """A labeler's definitions (none for others), the actor's Ed25519 key and the keys it
    carried from an old server, in one read."""
    key = integrity_keys.find(tx, integrity_keys.local_key_id(row.uri))
    return labels.definitions_of(tx, row.id), key, identity_links.carried_keys(tx, row.id)


async def actor_document(request: Request) -> Response:
    """The actor of `{username}`, for servers (also what `/@name` answers them)."""
    db = database(request)
    config = settings(request)
    username = request.path_params["username"]
    row = await db.read(reads.local_account, username)
    if row is None:
        return not_found()
    if row.suspended_at is not None:
        return gone()
    if not row.public_key_pem:
        row = await db.write(reads.local_account_with_key, username)
    emojis = await db.read(custom_emojis.used_by_account, row)
    full = internal_to_as2.actor(row, config, moved_to_uri=row.moved_to_uri, emojis=emojis)
    # Every actor announces its Ed25519 key (FEP-521a): its objects' proofs are checked with it.
    definitions, key, carried = await db.read(_definitions_and_key, row)
    if key is None:
        key = await db.write(integrity_keys.ensure_local, row.id)
    # FEP-c390: a statement for its key, and one per key carried from an old server.
    full = identity_statements.attach(full, [key, *carried])
    full = object_proofs.announcing_key(full, key)
    # LOLA: where another server asks this person for a copy of their account, and what the
    # grant opens (the names tell nothing; the collections need the grant).
    full.update(portability_pages.actor_links(row.uri, config.base_url))
    if definitions:  # a labeler: its definitions, and where its labels are
        full.update(label_documents.labeler_parts(row.uri, definitions, key))
        full["@context"] = object_proofs.with_context(full["@context"], label_documents.LABEL_TERMS)
    # Signed as of its last change: the same document carries the same proof at every fetch.
    if not config.authorized_fetch:
        return document(object_proofs.sign_with(key, full, row.updated_at), cacheable=True)
    who = await signer(request)
    if who is None or await db.read(core_visibility.blocked_either_way, row.id, who.id):
        full = {name: full[name] for name in MINIMAL_ACTOR_KEYS if name in full}
    return document(object_proofs.sign_with(key, full, row.updated_at), cacheable=False)


async def actor(request: Request) -> Response:
    """`/users/{username}`: the actor for servers; a browser is sent to the profile page."""
    if wants_activitypub(request):
        return await actor_document(request)
    row = await database(request).read(reads.local_account, request.path_params["username"])
    if row is None or row.suspended_at is not None:
        return not_found(ap=False)
    url = row.url or uris.account_url(settings(request), row.username)
    return RedirectResponse(url, status_code=302, headers={"Vary": "Accept"})


async def instance_actor(request: Request) -> Response:
    """The server's own actor: it signs fetches made for no one in particular. Served to
    everyone in every mode, since checking its signatures needs its key."""
    signed = getattr(request.app.state, "instance_actor_document", None)
    if signed is None:  # made once per process: its key pairs never change by themselves
        pem = (await database(request).write(keys.instance_keypair)).public_pem
        key = await database(request).write(integrity_keys.instance_key)
        doc = object_proofs.announcing_key(
            internal_to_as2.instance_actor(settings(request), pem), key
        )
        assert key.created_at is not None
        signed = object_proofs.sign_with(key, doc, key.created_at)
        request.app.state.instance_actor_document = signed
    return document(signed, cacheable=True)


async def emoji_document(request: Request) -> Response:
    """`/emojis/{id}`: one of this server's custom emojis, the id its Emoji tags name."""
    try:
        row = await database(request).read(custom_emojis.get_shown, request.path_params["id"])
    except NotFound:
        return not_found()
    return document(internal_to_as2.emoji(row, settings(request), context=True), cacheable=True)


routes = [
    Route("/actor", instance_actor, methods=["GET"]),
    Route("/emojis/{id:int}", emoji_document, methods=["GET"]),
    Route("/users/{username}", actor, methods=["GET"]),
]
