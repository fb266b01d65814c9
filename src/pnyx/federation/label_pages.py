"""Where other servers read a labeler's labels: each label at its id (`/labels/{id}`), and the
labeler's `labels` collection (`/users/{username}/labels`), newest first, negations included.

Labels are public statements, signed by their labeler: served to everyone in every mode, as
the moderation log is. Items of the collection keep their own `@context`: it is part of what
the proof signs.

`/labels/{id}` serves two audiences: `label_document` answers servers (ActivityPub), a
browser gets the label's web page (`web.label_page`); app.py's negotiated routes choose, so
that federation never imports web. The collection is for servers only.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from pnyx.core import federation_reads as reads
from pnyx.core import integrity_keys, labels
from pnyx.core.errors import NotFound
from pnyx.db.ids import parse_id
from pnyx.edges.http import database
from pnyx.federation import internal_to_as2
from pnyx.federation.label_documents import LABEL_CONTEXT, label_object, labels_url
from pnyx.federation.serving import document, not_found

PAGE_SIZE = 40


def _signed(tx, rows, labeler) -> list[dict]:
    key = integrity_keys.ensure_local(tx, labeler.id)
    return [label_object(row, labeler, key) for row in rows]


async def label_document(request: Request) -> Response:
    """The label at its id, signed, for servers (only a local labeler's: another server's label
    is served by its own server)."""
    label_id = parse_id(request.path_params["id"])

    def work(tx):
        if label_id is None:
            return None
        try:
            row = labels.get(tx, label_id)
        except NotFound:
            return None
        labeler = reads.account(tx, row.labeler_account_id)
        if labeler is None or labeler.domain is not None or labeler.suspended_at is not None:
            return None
        return _signed(tx, [row], labeler)[0]

    found = await database(request).write(work)
    return document(found, cacheable=True) if found is not None else not_found()


async def labels_collection(request: Request) -> Response:
    username = request.path_params["username"]
    before = parse_id(request.query_params.get("max_id"))
    paged = request.query_params.get("page") == "true"

    def work(tx):
        labeler = reads.local_account(tx, username)
        if labeler is None or labeler.suspended_at is not None:
            return None
        url = labels_url(labeler.uri)
        if not paged:
            body = internal_to_as2.ordered_collection(
                url, total=labels.count_by_labeler(tx, labeler.id), first=f"{url}?page=true"
            )
            body["@context"] = LABEL_CONTEXT
            return body
        rows = labels.by_labeler(tx, labeler.id, before_id=before, limit=PAGE_SIZE)
        here = f"{url}?page=true" + (f"&max_id={before}" if before is not None else "")
        body = internal_to_as2.ordered_collection_page(
            here,
            part_of=url,
            items=_signed(tx, rows, labeler),
            next=f"{url}?page=true&max_id={rows[-1].id}" if len(rows) == PAGE_SIZE else None,
        )
        body["@context"] = LABEL_CONTEXT
        return body

    found = await database(request).write(work)
    return document(found, cacheable=True) if found is not None else not_found()


routes = [Route("/users/{username}/labels", labels_collection, methods=["GET"])]
