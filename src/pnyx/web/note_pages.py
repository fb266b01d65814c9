"""Community notes in the browser (issue 13): a note's page, rating a note, and the "Rate
notes" queue; the routes of every notes page (writing one: `note_writing`; how they are
scored and the open data: `notes_about`).

A note's page (`/notes/:id`) shows the post it is about, the note, its status in words, the
two reasons its raters gave most, when and on which server it was written; a person who may
rate it (`core.notes.writing.refusal`) rates it there: "Is this note helpful?", with what was
or was not helpful, starting from their own rating, which they can also take back. Its author
sees that they wrote it and can delete it. Ratings are anonymous: no page says who rated,
only how many did. Every rule is core's (`core.notes.writing`); its refusals are shown in the
page's language (`note_words.explain`).

The page answers a plain GET, for people. It is not in `routes` below: app.py routes
`/notes/:id` through `edges.negotiation.negotiated`, so that servers asking for ActivityPub
get the note's object at the same address (`federation.note_pages`), as a label's page does.
"""

from __future__ import annotations

import contextlib
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from pnyx.core.errors import CoreError, NotFound
from pnyx.core.notes import queries, vocabulary, writing
from pnyx.edges.http import database
from pnyx.web import note_writing, notes_about
from pnyx.web.forms import back, form_gate_with_id, form_list, form_str, path_id
from pnyx.web.i18n import gettext_for
from pnyx.web.message_pages import not_found_page
from pnyx.web.note_words import N_, explain
from pnyx.web.post_views import rendered_statuses
from pnyx.web.session import Visitor, respond, see_other, visit, visitor

SIGN_IN = "/auth/sign_in"
QUEUE = "/notes/rate"
SAVED = {
    "written": N_(
        "Your note was published. It is shown under the post once enough people who usually "
        "disagree rate it helpful."
    ),
    "rated": N_("Your rating was saved."),
    "unrated": N_("Your rating was removed."),
    "deleted": N_("Your note was deleted."),
}
RATING_CHOICES = {
    "levels": tuple(vocabulary.LEVELS),
    "helpful_tags": vocabulary.OFFERED_HELPFUL_TAGS,
    "not_helpful_tags": vocabulary.OFFERED_NOT_HELPFUL_TAGS,
}


def note_view(row: Any) -> dict:
    """What a page shows of a note (never who wrote it)."""
    return {
        "id": row.id,
        "uri": row.uri,
        "classification": row.classification,
        "reasons": list(row.reasons or ()),
        "summary": row.summary,
        "status": vocabulary.SHORT_STATUS.get(row.status, "needs_more_ratings"),
        "tags": list(row.tags or ()),
        "origin": row.origin,
        "created_at": row.created_at,
    }


def _saved(request: Request, who: Visitor) -> str | None:
    key = request.query_params.get("saved")
    return gettext_for(who.language)(SAVED[key]) if key in SAVED else None


# --- A note's page -------------------------------------------------------------------------


def _found(tx, who: Visitor, note_id: int | None) -> dict | None:
    if note_id is None:
        return None
    viewer_id = who.account_id
    try:
        row = writing.visible(tx, viewer_id, note_id)
    except NotFound:
        return None
    own = writing.own_rating(tx, viewer_id, note_id) if viewer_id else None
    posts = (
        rendered_statuses(tx, [row.status_id], viewer_id, opened=[row.status_id])
        if row.status_id is not None
        else []
    )
    return {
        "note": note_view(row),
        "post": posts[0] if posts else None,
        "subject_uri": row.subject_uri,
        "local": row.origin == tx.settings.domain,
        "own_note": viewer_id is not None and row.author_account_id == viewer_id,
        "own_rating": own,
        "has_rating": own is not None,
        "refusal": writing.refusal(tx, viewer_id) if viewer_id else None,
        "ratings": sum(queries.rating_counts(tx, note_id).values()),
    }


def _note_response(
    request: Request,
    who: Visitor,
    found: dict | None,
    *,
    errors: dict | None = None,
    sent: dict | None = None,
    status: int = 200,
) -> Response:
    if found is None:
        return not_found_page(request, who)
    _ = gettext_for(who.language)
    refusal = found.pop("refusal")
    own_note = found["own_note"]
    if sent is not None:
        found["own_rating"] = sent
    return respond(
        request,
        who,
        "site/note.html",
        status=status,
        heading=_("Community note"),
        refusal=explain(who.language, refusal)[1] if refusal and not own_note else None,
        may_rate=who.user is not None and refusal is None and not own_note,
        errors=errors or {},
        saved=_saved(request, who) if not errors else None,
        shown_note_id=str(found["note"]["id"]),
        **RATING_CHOICES,
        **found,
    )


async def note_page(request: Request) -> Response:
    """GET /notes/:id for browsers (app.py routes it: see the module's docstring)."""
    note_id = path_id(request)
    who, found = await visit(request, lambda tx, who: _found(tx, who, note_id))
    response = _note_response(request, who, found)
    response.headers["Vary"] = "Accept"
    return response


# --- Rating --------------------------------------------------------------------------------


async def rate(request: Request) -> Response:
    """POST /notes/:id/rate: the viewer's answer (a new one replaces theirs), then back to
    where the form was (the queue) or to the note; a refusal shows the note's page again."""
    who, form, note_id, refusal = await form_gate_with_id(request)
    if refusal is not None:
        return refusal
    data = writing.RatingInput(
        form_str(form, "helpfulness_level"),
        form_list(form, "helpful_tags"),
        form_list(form, "not_helpful_tags"),
    )
    try:
        await database(request).write(writing.rate, who.account_id, note_id, data)
    except NotFound:
        return not_found_page(request, who)
    except CoreError as exc:
        field, text = explain(who.language, exc.message)
        found = await database(request).read(_found, who, note_id)
        sent = {
            "helpfulness_level": data.helpfulness_level,
            "helpful_tags": [str(t) for t in data.helpful_tags],
            "not_helpful_tags": [str(t) for t in data.not_helpful_tags],
        }
        errors = {field or "": [text]}
        return _note_response(request, who, found, errors=errors, sent=sent, status=exc.status)
    return back(form, f"/notes/{note_id}?saved=rated")


async def unrate(request: Request) -> Response:
    """POST /notes/:id/unrate: the viewer takes their rating back."""
    who, form, note_id, refusal = await form_gate_with_id(request)
    if refusal is not None:
        return refusal
    with contextlib.suppress(NotFound):  # nothing to take back: the page offers nothing then
        await database(request).write(writing.unrate, who.account_id, note_id)
    return see_other(f"/notes/{note_id}?saved=unrated")


async def delete(request: Request) -> Response:
    """POST /notes/:id/delete: its author takes the note back (`writing.delete`)."""
    who, form, note_id, refusal = await form_gate_with_id(request)
    if refusal is not None:
        return refusal
    try:
        await database(request).write(writing.delete, who.account_id, note_id)
    except NotFound:
        return not_found_page(request, who)
    return see_other(f"{QUEUE}?saved=deleted#mine")


# --- The queue -----------------------------------------------------------------------------


def _queue(tx, viewer_id: int) -> dict:
    refusal = writing.refusal(tx, viewer_id)
    waiting = queries.queue(tx, viewer_id) if refusal is None else []
    ids = list(dict.fromkeys(n.status_id for n in waiting))
    posts = {int(p["id"]): p for p in rendered_statuses(tx, ids, viewer_id)}
    return {
        "refusal": refusal,
        "items": [(note_view(n), posts[n.status_id]) for n in waiting if n.status_id in posts],
        "mine": [note_view(n) for n in queries.written_by(tx, viewer_id)],
    }


async def queue_page(request: Request) -> Response:
    """GET /notes/rate: notes that need more ratings, each with its post and a rating form
    that comes back here; and the viewer's own notes with their status."""
    who = await visitor(request)
    if who.user is None:
        return see_other(SIGN_IN)
    found = await database(request).read(_queue, who.account_id)
    _ = gettext_for(who.language)
    refusal = found.pop("refusal")
    return respond(
        request,
        who,
        "site/notes_rate.html",
        refusal=explain(who.language, refusal)[1] if refusal else None,
        saved=_saved(request, who),
        return_to=f"{QUEUE}?saved=rated",
        **RATING_CHOICES,
        **found,
    )


routes = [
    Route(QUEUE, queue_page, methods=["GET"]),
    *note_writing.routes,
    *notes_about.routes,
    Route("/notes/{id:int}/rate", rate, methods=["POST"]),
    Route("/notes/{id:int}/unrate", unrate, methods=["POST"]),
    Route("/notes/{id:int}/delete", delete, methods=["POST"]),
]
