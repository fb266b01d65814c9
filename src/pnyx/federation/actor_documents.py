"""The actor documents of this server: each local account as a Person (Service, Group), and
the instance actor that signs fetches made on nobody's behalf. See `serving` for who gets
what."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from pnyx.core import custom_emojis, integrity_keys, keys, labels, uris
from pnyx.core import federation_reads as reads
from pnyx.core import visibility as core_visibility
from pnyx.core.errors import NotFound
from pnyx.edges.http import database, settings
from pnyx.edges.negotiation import wants_activitypub
from pnyx.federation import internal_to_as2, label_documents, note_documents
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
    "assertionMethod",  # a labeler's or the notes actor's key: their proofs are checked with it
)


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
    definitions = await db.read(labels.definitions_of, row.id)
    if definitions:  # a labeler: its definitions, where its labels are, its key for proofs
        key = await db.write(integrity_keys.ensure_local, row.id)
        full.update(label_documents.labeler_parts(row.uri, definitions, key))
        full["@context"] = label_documents.with_labeler_context(full["@context"])
    elif note_documents.is_notes_actor(row):  # its key for the proofs of notes and ratings
        key = await db.write(integrity_keys.ensure_local, row.id)
        full["assertionMethod"] = note_documents.assertion_method(row.uri, key)
        full["@context"] = note_documents.with_key_context(full["@context"])
    if not config.authorized_fetch:
        return document(full, cacheable=True)
    who = await signer(request)
    if who is None or await db.read(core_visibility.blocked_either_way, row.id, who.id):
        minimal = {key: full[key] for key in MINIMAL_ACTOR_KEYS if key in full}
        return document(minimal, cacheable=False)
    return document(full, cacheable=False)


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
    pem = getattr(request.app.state, "instance_public_key_pem", None)
    if pem is None:
        pair = await database(request).write(keys.instance_keypair)
        pem = pair.public_pem
        request.app.state.instance_public_key_pem = pem  # a key pair never changes by itself
    return document(internal_to_as2.instance_actor(settings(request), pem), cacheable=True)


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
