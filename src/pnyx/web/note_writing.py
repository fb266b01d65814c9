"""Writing a community note in the browser (`/notes/new?status=ID`, issue 13).

The form asks what X's asks: is the post misleading or not, why (X's reasons: both lists are
shown, and core checks that those checked fit the answer), the note itself (at most
`writing.MAX_SUMMARY` characters; a "misleading" note links a source; no mentions), and
whether its sources are ones most people would trust. It is offered to the people who may
write notes (`writing.refusal` says why not to the others) on the posts notes are written on
(public and unlisted); the post's page links to it (`may_write_on`). A refusal shows the form
again as it was sent, with core's reason, translated, at the field it concerns.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from pnyx.core import statuses
from pnyx.core.errors import CoreError, NotFound
from pnyx.core.notes import vocabulary, writing
from pnyx.db.ids import parse_id
from pnyx.edges.http import database, without_nul
from pnyx.web.auth import checked, text_field
from pnyx.web.forms import form_gate, form_list, form_str
from pnyx.web.i18n import gettext_for
from pnyx.web.message_pages import not_found_page
from pnyx.web.note_words import explain
from pnyx.web.post_views import rendered_statuses
from pnyx.web.session import Visitor, respond, see_other, visitor

PATH = "/notes/new"
SIGN_IN = "/auth/sign_in"
MAX_SENT = 5_000  # a longer text is cut here; core then says it is too long


def may_write_on(tx, viewer_id: int | None, post: dict) -> bool:
    """Whether a post's page offers its viewer "Write a note" (its Mastodon entity)."""
    return (
        viewer_id is not None
        and post.get("reblog") is None
        and post.get("visibility") in writing.NOTED_VISIBILITIES
        and writing.may_contribute(tx, viewer_id)
    )


def _other_last(reasons: tuple[str, ...]) -> list[str]:
    """The reasons in X's order, "Other" last (it comes first in the data's columns)."""
    return sorted(reasons, key=lambda reason: reason.endswith("Other"))


def _read(tx, viewer_id: int, status_id: int) -> tuple[dict, str | None, bool]:
    """(the post as its entity, why the viewer may not write, whether notes go on it);
    NotFound when the viewer may not see it."""
    row = statuses.visible_original(tx, viewer_id, status_id)
    shown = rendered_statuses(tx, [row.id], viewer_id, opened=[row.id])
    if not shown:
        raise NotFound()
    notable = row.visibility in writing.NOTED_VISIBILITIES
    return shown[0], writing.refusal(tx, viewer_id), notable


async def _form_page(
    request: Request,
    who: Visitor,
    status_id: int | None,
    *,
    values: dict | None = None,
    errors: dict | None = None,
    status: int = 200,
) -> Response:
    if status_id is None or who.account_id is None:
        return not_found_page(request, who)
    try:
        post, refusal, notable = await database(request).read(_read, who.account_id, status_id)
    except CoreError:
        return not_found_page(request, who)
    _ = gettext_for(who.language)
    if refusal is not None:
        refusal = explain(who.language, refusal)[1]
    elif not notable:
        refusal = _("Notes are written on public and unlisted posts only.")
    return respond(
        request,
        who,
        "site/note_new.html",
        status=status,
        post=post,
        refusal=refusal,
        values=values or {"reasons": []},
        errors=errors or {},
        max_summary=writing.MAX_SUMMARY,
        classifications=vocabulary.CLASSIFICATIONS,
        misleading_reasons=_other_last(vocabulary.MISLEADING_REASONS),
        not_misleading_reasons=_other_last(vocabulary.NOT_MISLEADING_REASONS),
    )


async def new_page(request: Request) -> Response:
    """GET /notes/new?status=ID: the form, under the post it is about."""
    who = await visitor(request)
    if who.user is None:
        return see_other(SIGN_IN)
    raw = without_nul(request.query_params.get("status", "")) or ""
    return await _form_page(request, who, parse_id(raw[:40]))


async def create(request: Request) -> Response:
    """POST /notes/new: write the note (`writing.write`), then go to its page."""
    who, form, refusal = await form_gate(request)
    if refusal is not None:
        return refusal
    status_id = parse_id(form_str(form, "status")[:40])
    values = {
        "classification": form_str(form, "classification"),
        "reasons": [r for r in form_list(form, "reasons") if isinstance(r, str)],
        "summary": text_field(form, "summary", MAX_SENT),
        "trustworthy_sources": checked(form, "trustworthy_sources"),
    }
    if status_id is None:
        return not_found_page(request, who)
    data = writing.NoteInput(
        status_id,
        values["classification"],
        values["reasons"],
        values["summary"],
        values["trustworthy_sources"],
    )
    try:
        note_id = await database(request).write(writing.write, who.account_id, data)
    except NotFound:
        return not_found_page(request, who)
    except CoreError as exc:
        field, text = explain(who.language, exc.message)
        return await _form_page(
            request, who, status_id, values=values, errors={field: [text]}, status=exc.status
        )
    return see_other(f"/notes/{note_id}?saved=written")


routes = [
    Route(PATH, new_page, methods=["GET"]),
    Route(PATH, create, methods=["POST"]),
]
