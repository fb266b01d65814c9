"""Custom emojis in the browser, for admins: add one (shortcode, image, category), disable,
enable or delete them.

The same core functions as `pnyx emoji` (`core.custom_emojis`): the image is checked and
processed there, and its refusals (too big, not PNG, GIF or WebP, a bad or taken shortcode)
come back as the form's errors, in the page's language where the message is known.
"""

from __future__ import annotations

import contextlib
import functools

import anyio
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from pnyx.core import custom_emojis, media
from pnyx.core.errors import CoreError, NotFound
from pnyx.edges.http import database
from pnyx.web.admin import staff_visitor
from pnyx.web.auth import N_, form_expired, text_field
from pnyx.web.i18n import gettext_for
from pnyx.web.session import Visitor, csrf_ok, read_form, respond, see_other

DONE = {
    "added": N_("The emoji was added."),
    "changed": N_("The emoji was changed."),
    "deleted": N_("The emoji was deleted."),
}
FORM_LIMIT = custom_emojis.MAX_BYTES + media.FORM_OVERHEAD


async def _page(request: Request, who: Visitor, *, values=None, errors=None, code=200):
    rows = await database(request).read(lambda tx: custom_emojis.local(tx, with_disabled=True))
    key = request.query_params.get("done")
    return respond(
        request,
        who,
        "site/admin_emojis.html",
        status=code,
        emojis=rows,
        values=values or {},
        errors=errors or {},
        is_admin=True,
        done=gettext_for(who.language)(DONE[key]) if key in DONE and not errors else None,
    )


async def emojis_page(request: Request) -> Response:
    found, refusal = await staff_visitor(request, admin_only=True)
    if refusal:
        return refusal
    return await _page(request, found[0])


async def _admin_post(request: Request, files: tuple[str, ...] = ()):
    """(visitor, form) for a valid post by an admin, or (None, the answer to send)."""
    found, refusal = await staff_visitor(request, admin_only=True)
    if refusal:
        return None, refusal
    who = found[0]
    form = await read_form(request, files=files, max_bytes=FORM_LIMIT)
    if not csrf_ok(request, form):
        return None, form_expired(request, who)
    return who, form


async def add_emoji(request: Request) -> Response:
    who, form = await _admin_post(request, files=("image",))
    if who is None:
        return form
    shortcode = text_field(form, "shortcode", 100)
    category = text_field(form, "category", 100)
    data = form.get("image")
    values = {"shortcode": shortcode, "category": category}
    _ = gettext_for(who.language)
    if not isinstance(data, bytes):
        errors = {"image": [_("Choose an image (PNG, GIF or WebP, at most 256 KB).")]}
        return await _page(request, who, values=values, errors=errors, code=422)
    try:
        await anyio.to_thread.run_sync(
            functools.partial(
                custom_emojis.upload,
                database(request),
                shortcode,
                data,
                category=category,
                visible_in_picker=form.get("visible_in_picker") == "1",
            )
        )
    except CoreError as exc:
        message = exc.message.removeprefix("Validation failed: ")
        field = "shortcode" if message.startswith("Shortcode") else "image"
        if message.startswith("Category"):
            field = "category"
        return await _page(request, who, values=values, errors={field: [message]}, code=422)
    return see_other("/admin/custom_emojis?done=added")


async def emoji_action(request: Request) -> Response:
    who, form = await _admin_post(request)
    if who is None:
        return form
    shortcode, action = request.path_params["shortcode"], request.path_params["action"]
    act = {
        "disable": lambda tx: custom_emojis.change(tx, shortcode, disabled=True),
        "enable": lambda tx: custom_emojis.change(tx, shortcode, disabled=False),
        "delete": lambda tx: custom_emojis.remove(tx, shortcode),
    }.get(action)
    if act is None:
        return await _page(request, who, code=404)
    with contextlib.suppress(NotFound):  # already gone: the page shows what there is
        await database(request).write(act)
    return see_other(f"/admin/custom_emojis?done={'deleted' if action == 'delete' else 'changed'}")


routes = [
    Route("/admin/custom_emojis", emojis_page, methods=["GET"]),
    Route("/admin/custom_emojis", add_emoji, methods=["POST"]),
    Route("/admin/custom_emojis/{shortcode}/{action}", emoji_action, methods=["POST"]),
]
