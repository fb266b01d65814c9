"""Web pages for posting and reading posts: compose (new post, reply, edit), a post's page with
its whole thread, and its edit history.

Everything goes through the same core functions as the Mastodon API (core.statuses,
status_edits, threads, status_views), so a post made here is validated, counted, delivered
and shown exactly like one made by an app, and a followers-only post's page is 404 for
exactly the people the API would answer 404. Forms post and redirect (303), so none of this
needs JavaScript. The small actions on a post (favourite, boost, delete ...) live in
status_actions; their routes are listed here.
"""

from __future__ import annotations

import contextlib
import functools

import anyio
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from pnyx.core import media, status_edits, status_views, threads, tombstones, uris, visibility
from pnyx.core import statuses as core
from pnyx.core.accounts import get as get_account
from pnyx.core.errors import CoreError, NotFound
from pnyx.db.ids import parse_id
from pnyx.edges.http import database, without_nul
from pnyx.presenters import entities
from pnyx.web import note_writing, profiles, status_actions
from pnyx.web.compose_form import (
    MEDIA_FIELDS,
    ComposeForm,
    compose_context,
    from_status,
    poll_of,
)
from pnyx.web.forms import form_gate, form_gate_with_id, own_page_gate, path_id, safe_return
from pnyx.web.i18n import gettext_for
from pnyx.web.label_badges import shown_only, with_labels
from pnyx.web.message_pages import core_error_page, gone_page, not_found_page
from pnyx.web.post_views import acct_path, plain_text, rendered_statuses, status_path
from pnyx.web.session import Visitor, respond, see_other, visit, visitor

GONE = object()  # what the page's work returns for a deleted local post
MAX_DEPTH = 4  # replies are indented this many levels at most (readable at 390 px)


# --- Compose -----------------------------------------------------------------------------------


def _reply_target(tx, viewer_id: int, reply_id: int) -> dict:
    """The post being answered, as its entity; NotFound when the viewer may not see it."""
    core.visible_row(tx, viewer_id, reply_id)
    shown = rendered_statuses(tx, [reply_id], viewer_id, opened=[reply_id])
    if not shown:
        raise NotFound()
    return shown[0]["reblog"] or shown[0]


def _mentions_for_reply(parent: dict, own_username: str, local_domain: str) -> str:
    """Mastodon starts a reply with @-mentions of the author and of those the post mentions."""
    handles = []
    for acct in [parent["account"]["acct"]] + [m["acct"] for m in parent["mentions"]]:
        if acct.lower() in (own_username.lower(), f"{own_username}@{local_domain}".lower()):
            continue
        if f"@{acct}" not in handles:
            handles.append(f"@{acct}")
    return " ".join(handles) + " " if handles else ""


def _compose_page(request, who, context: dict, *, status: int = 200) -> Response:
    _ = gettext_for(who.language)
    mode = context["mode"]
    heading = {"edit": _("Edit post"), "reply": _("Reply"), "quote": _("Quote")}.get(
        mode, _("New post")
    )
    return respond(
        request,
        who,
        "site/compose.html",
        status=status,
        heading=heading,
        compose=context,
        replying_to=context.pop("replying_to", None),
        quoting=context.pop("quoting", None),
    )


async def compose_page(request: Request) -> Response:
    """GET /compose (and ?in_reply_to=ID for a reply, ?quote=ID for a quote)."""
    who = await visitor(request)
    if who.user is None:
        return see_other("/auth/sign_in")
    raw_reply = without_nul(request.query_params.get("in_reply_to", "")) or ""
    reply_id = parse_id(raw_reply) if raw_reply else None
    raw_quote = without_nul(request.query_params.get("quote", "")) or ""
    quote_id = parse_id(raw_quote) if raw_quote else None
    if (raw_reply and reply_id is None) or (raw_quote and quote_id is None):
        return not_found_page(request, who)
    return_to = safe_return(request.query_params.get("return_to")) or ""
    user = who.user

    def work(tx):
        context = compose_context(tx, user, ui_language=who.language, return_to=return_to)
        if reply_id is not None:
            parent = _reply_target(tx, user.account_id, reply_id)
            form = context["form"]
            form.in_reply_to_id = parent["id"]
            form.text = _mentions_for_reply(parent, user.username, tx.settings.domain)
            form.visibility = visibility.suggested_reply_visibility(
                parent["visibility"], form.visibility
            )
            context["mode"] = "reply"
            context["replying_to"] = parent
        if quote_id is not None:
            quoted = _reply_target(tx, user.account_id, quote_id)  # whom one may see
            context["form"].quoted_status_id = quoted["id"]
            context["mode"] = "reply" if reply_id is not None else "quote"
            context["quoting"] = quoted
        return context

    try:
        context = await database(request).read(work)
    except CoreError as exc:
        return core_error_page(request, who, exc)
    return _compose_page(request, who, context)


async def _refill(
    request, who: Visitor, form: ComposeForm, exc: CoreError, edited: int | None = None, **extra
) -> Response:
    """The compose page again, as it was sent, with core's reason in an alert (an edit's
    media shown again from the post, `edited`)."""
    _ = gettext_for(who.language)
    account_id = who.account_id
    user = who.user

    def work(tx):
        if edited is not None:
            form.show_attached(_media_of(tx, edited, account_id))
        context = compose_context(tx, user, form, **extra)
        reply_id = form.reply_id()
        if reply_id is not None and context["mode"] != "edit":
            context["mode"] = "reply"
            with contextlib.suppress(NotFound):  # gone meanwhile: the error says so
                context["replying_to"] = _reply_target(tx, account_id, reply_id)
        quoted_id = form.quoted_id()
        if quoted_id is not None and context["mode"] != "edit":
            with contextlib.suppress(NotFound):
                context["quoting"] = _reply_target(tx, account_id, quoted_id)
        return context

    context = await database(request).read(work)
    context["error"] = _(exc.message)
    return _compose_page(request, who, context, status=exc.status)


async def _upload_images(db, account_id: int, form: ComposeForm) -> list[int]:
    """The form's images as uploads of `account_id` (the same pipeline as the API's), in
    order; if one is refused, those made before it go too."""
    made: list[int] = []
    try:
        for data, description in form.images():
            attributes = media.Attributes(description=description)
            upload = functools.partial(media.upload, db, account_id, data, attributes, now=True)
            made.append(await anyio.to_thread.run_sync(upload))
    except BaseException:
        await _drop_uploads(db, account_id, made)
        raise
    return made


async def _drop_uploads(db, account_id: int, media_ids: list[int]) -> None:
    def work(tx):
        for media_id in media_ids:
            with contextlib.suppress(CoreError):
                media.delete(tx, account_id, media_id)

    if media_ids:
        await db.write(work)


async def create(request: Request) -> Response:
    """POST /statuses: publish (with the images chosen), then go back where the form was (or
    to the new post)."""
    limit = media.post_form_limit(request.app.state.settings)
    who, raw, refusal = await form_gate(request, files=MEDIA_FIELDS, max_bytes=limit)
    if refusal is not None:
        return refusal
    form = ComposeForm.from_form(raw)
    account_id = who.account_id
    db = database(request)
    try:
        media_ids = await _upload_images(db, account_id, form)
    except CoreError as exc:
        return await _refill(request, who, form, exc)
    data = form.status_input(media_ids)

    def work(tx):
        status_id = core.create(tx, account_id, data)
        return status_path(tx, status_id)

    try:
        location = await db.write(work)
    except core.IdempotentReplay as replay:
        await _drop_uploads(db, account_id, media_ids)
        location = await db.read(status_path, replay.status_id)
    except CoreError as exc:
        await _drop_uploads(db, account_id, media_ids)
        return await _refill(request, who, form, exc)
    return see_other(form.return_to or location)


# --- Edit and history ----------------------------------------------------------------------


def _media_of(tx, status_id: int, viewer_id: int) -> list[dict]:
    """The media of a post, as its entity shows them to its author."""
    found = rendered_statuses(tx, [status_id], viewer_id)
    return found[0]["media_attachments"] if found else []


async def edit_page(request: Request) -> Response:
    who, status_id, refusal = await own_page_gate(request)
    if refusal is not None:
        return refusal
    account_id = who.account_id
    return_to = safe_return(request.query_params.get("return_to")) or ""

    def work(tx):
        row = core.own_row(tx, account_id, status_id)
        if row.reblog_of_id:
            raise NotFound()
        form = from_status(row, poll_of(tx, status_id), tx.now, _media_of(tx, row.id, account_id))
        form.return_to = return_to
        return compose_context(
            tx, who.user, form, action=f"/statuses/{status_id}/edit", mode="edit"
        )

    try:
        context = await database(request).read(work)
    except CoreError as exc:
        return core_error_page(request, who, exc)
    return _compose_page(request, who, context)


async def edit(request: Request) -> Response:
    who, raw, status_id, refusal = await form_gate_with_id(request)
    if refusal is not None:
        return refusal
    form = ComposeForm.from_form(raw)
    data = form.edit_input()
    account_id = who.account_id

    def work(tx):
        status_edits.edit(tx, account_id, status_id, data)
        return status_path(tx, status_id)

    try:
        location = await database(request).write(work)
    except CoreError as exc:
        if exc.status == 404:
            return not_found_page(request, who)
        form.visibility = ""
        return await _refill(
            request,
            who,
            form,
            exc,
            action=f"/statuses/{status_id}/edit",
            mode="edit",
            edited=status_id,
        )
    return see_other(form.return_to or location)


async def history(request: Request) -> Response:
    """GET /statuses/ID/history: every version of a post, oldest first."""
    who = await visitor(request)
    status_id = path_id(request)
    if status_id is None:
        return not_found_page(request, who)
    viewer_id = who.account_id

    def work(tx):
        versions = status_edits.history(tx, viewer_id, status_id)
        author = entities.account(get_account(tx, versions[0].account_id), tx.settings)
        return versions, author, status_path(tx, status_id)

    try:
        versions, author, post_url = await database(request).read(work)
    except CoreError:
        return not_found_page(request, who)
    _ = gettext_for(who.language)
    return respond(
        request,
        who,
        "site/status_history.html",
        heading=_("Edit history"),
        versions=list(reversed(versions)),
        author=author,
        post_url=post_url,
    )


# --- The page of a post ----------------------------------------------------------------------


def _matches(acct: str, author, local_domain: str) -> bool:
    """Whether the name in the address is the author's ("alice" or "alice@our.domain" for
    a local author, "bob@their.domain" for a remote one)."""
    acct = acct.lower()
    name = author.username.lower()
    if author.domain is None:
        return acct in (name, f"{name}@{local_domain.lower()}")
    return acct == f"{name}@{author.domain.lower()}"


def _depths(focus_id: str, descendants: list[dict]) -> dict[str, int]:
    depth = {focus_id: 0}
    for item in descendants:
        parent = item.get("in_reply_to_id")
        depth[item["id"]] = min(depth.get(parent, 0) + 1, MAX_DEPTH)
    return depth


def _thread(tx, acct: str, status_id: int, viewer_id: int | None):
    """(focus entity, ancestors, descendants, author row) or a path to redirect to."""
    row = core.visible_row(tx, viewer_id, status_id)
    if row.reblog_of_id:  # a boost has no page of its own: show the boosted post
        return status_path(tx, row.reblog_of_id)
    author = get_account(tx, row.account_id)
    if not _matches(acct, author, tx.settings.domain):
        raise NotFound()
    bundle = status_views.load(tx, [status_id], viewer_id)
    if not bundle.visible:
        raise NotFound()
    focus = entities.status(bundle, status_id, tx.settings, tx.now)
    before, after = threads.context_ids(tx, status_id)
    around = status_views.load(tx, before + after, viewer_id, hide_muted=True)
    shown = set(around.visible)
    ancestors = [entities.status(around, i, tx.settings, tx.now) for i in before if i in shown]
    descendants = [entities.status(around, i, tx.settings, tx.now) for i in after if i in shown]
    with_labels(tx, [focus, *ancestors, *descendants], viewer_id, opened=[status_id])
    return focus, shown_only(ancestors), shown_only(descendants), author


async def post_page(request: Request) -> Response:
    """`/@acct/ID` for browsers (federation.documents hands over non-ActivityPub requests);
    `/@acct/with_replies`, `/followers` and `/following` are profile tabs."""
    acct = without_nul(request.path_params.get("username", "")) or ""
    ident = str(request.path_params.get("id", ""))
    if ident in profiles.TABS:
        return await profiles.profile_page(request, tab=ident)
    status_id = parse_id(ident)
    if status_id is None or not acct or len(acct) > 300:
        return not_found_page(request, await visitor(request))

    def work(tx, who: Visitor):
        try:
            found = _thread(tx, acct, status_id, who.account_id)
            if isinstance(found, tuple):  # and whether it offers "Write a note"
                return (*found, note_writing.may_write_on(tx, who.account_id, found[0]))
            return found
        except CoreError:
            if "@" not in acct:  # a local post deleted here is gone, not unknown
                uri = uris.status_uri(tx.settings, acct, status_id)
                return GONE if tombstones.deleted_at(tx, uri) else None
            return None

    who, found = await visit(request, work)
    if found is GONE:
        return gone_page(request, who)
    if found is None:
        return not_found_page(request, who)
    if isinstance(found, str):
        return see_other(found)
    focus, ancestors, descendants, author, may_note = found
    _ = gettext_for(who.language)
    name = focus["account"]["display_name"] or focus["account"]["username"]
    summary = focus["spoiler_text"] or plain_text(focus["content"], 200)
    response = respond(
        request,
        who,
        "site/status_page.html",
        heading=_("Post by %(name)s", name=name),
        focus=focus,
        ancestors=ancestors,
        descendants=descendants,
        depths=_depths(focus["id"], descendants),
        author_name=name,
        full_acct=focus["account"]["acct"]
        if author.domain
        else f"{author.username}@{request.app.state.settings.domain}",
        summary=summary,
        title_text=plain_text(focus["spoiler_text"] or focus["content"], 60),
        activity_uri=focus["uri"] if author.domain is None else None,
        profile_path=acct_path(author.username, author.domain),
        may_note=may_note,
    )
    response.headers["Vary"] = "Accept"
    return response


routes = [
    Route("/compose", compose_page, methods=["GET"]),
    Route("/statuses", create, methods=["POST"]),
    Route("/statuses/{id:int}/edit", edit_page, methods=["GET"]),
    Route("/statuses/{id:int}/edit", edit, methods=["POST"]),
    Route("/statuses/{id:int}/history", history, methods=["GET"]),
    *status_actions.routes,
]
