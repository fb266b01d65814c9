"""The Notes (or Questions) of local posts and the Creates that published them, as other
servers fetch them; a deleted post's address answers 410 with its Tombstone. See `serving`
for who gets what."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from pnyx.core import federation_reads as reads
from pnyx.core import integrity_keys, tombstones, uris
from pnyx.core import visibility as core_visibility
from pnyx.db.ids import parse_id
from pnyx.edges.http import database, settings
from pnyx.edges.negotiation import wants_activitypub
from pnyx.federation import internal_to_as2, object_proofs
from pnyx.federation.serving import (
    cacheable,
    document,
    not_found,
    plain_error,
    signer,
    unsigned,
)


async def _missing_status(request: Request, status_id: int | None, *, ap: bool) -> Response:
    """A local post deleted here answers 410 Gone (with its Tombstone for servers); a post
    that never was (or is not for this asker) answers 404."""
    deleted = None
    if status_id is not None:
        uri = uris.status_uri(settings(request), request.path_params["username"], status_id)
        deleted = await database(request).read(tombstones.deleted_at, uri)
    if deleted is None:
        return not_found(ap)
    if not ap:
        return plain_error(410, "Gone")
    return document(internal_to_as2.tombstone(uri, deleted), cacheable=False, status_code=410)


def _served_with_key(tx, username: str, status_id: int):
    """(author, bundle, the author's signing key or None) in one read: the key is read with
    the post, not in a transaction of its own, on the path every fetch of a post takes."""
    found = reads.served_status(tx, username, status_id)
    if found is None:
        return None
    author, bundle = found
    return author, bundle, integrity_keys.find(tx, integrity_keys.local_key_id(author.uri))


async def _status_response(request: Request, *, activity: bool) -> Response:
    db = database(request)
    config = settings(request)
    status_id = parse_id(str(request.path_params["id"]))
    if status_id is None:
        return not_found()
    who = None
    if config.authorized_fetch:
        who = await signer(request)
        if who is None:
            return unsigned()
    found = await db.read(_served_with_key, request.path_params["username"], status_id)
    if found is None:
        return await _missing_status(request, status_id, ap=True)
    author, bundle, key = found
    row = bundle.statuses[status_id]
    public = row.visibility in core_visibility.PUBLIC_VISIBILITIES
    if not public and who is None:
        who = await signer(request)
    # The same rule as every other surface, for the signer or for anyone (no signature).
    if not await db.read(core_visibility.may_see_one, who.id if who else None, row):
        return not_found()
    # Signed by its author as of its last edit: the proof is the same at every fetch, and made
    # once per version of the post (`object_proofs.sign_with` keeps the recent ones).
    if key is None:
        key = await db.write(integrity_keys.ensure_local, author.id)
    body = internal_to_as2.status_note(bundle, status_id, config)
    when = object_proofs.status_time(row)
    if activity:
        create = internal_to_as2.create(body, actor_uri=author.uri)
        body = object_proofs.sign_activity_with(key, create, when)
    else:
        body = object_proofs.sign_with(key, body, when)
    return document(body, cacheable=public and cacheable(request))


async def note_document(request: Request) -> Response:
    """The Note of `{id}`, for servers (also what `/@name/id` answers them)."""
    return await _status_response(request, activity=False)


async def status(request: Request) -> Response:
    """`/users/{username}/statuses/{id}`: the Note for servers; a browser is sent to the web
    page of a post anyone may see (nothing for others)."""
    if wants_activitypub(request):
        return await note_document(request)
    status_id = parse_id(str(request.path_params["id"]))
    found = None
    if status_id is not None:
        found = await database(request).read(
            reads.served_status, request.path_params["username"], status_id
        )
    if found is None:
        return await _missing_status(request, status_id, ap=False)
    author, bundle = found
    row = bundle.statuses[status_id]
    if row.visibility not in core_visibility.PUBLIC_VISIBILITIES:
        return not_found(ap=False)
    url = row.url or uris.status_url(settings(request), author.username, row.id)
    return RedirectResponse(url, status_code=302, headers={"Vary": "Accept"})


async def status_activity(request: Request) -> Response:
    """The Create that published a status (no web page: always the document)."""
    return await _status_response(request, activity=True)


async def quote_authorization(request: Request) -> Response:
    """`/users/{username}/quote_authorizations/{id}`: the stamp by which a local author allowed
    one quote (FEP-044f), which other servers fetch to check a quote; 404 once revoked."""
    quote_id = parse_id(str(request.path_params["id"]))
    if quote_id is None:
        return not_found()
    if settings(request).authorized_fetch and await signer(request) is None:
        return unsigned()
    stamp = await database(request).read(
        reads.quote_stamp, request.path_params["username"], quote_id
    )
    if stamp is None:
        return not_found()
    body = internal_to_as2.quote_authorization(
        stamp["id"],
        author_uri=stamp["author"],
        quoting_uri=stamp["quoting"],
        quoted_uri=stamp["quoted"],
    )
    return document(body, cacheable=False)


routes = [
    Route("/users/{username}/quote_authorizations/{id}", quote_authorization, methods=["GET"]),
    Route("/users/{username}/statuses/{id}", status, methods=["GET"]),
    Route("/users/{username}/statuses/{id}/activity", status_activity, methods=["GET"]),
]
