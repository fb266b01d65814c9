"""Exporting everything in the browser (`/settings/export`, issue 14).

The page asks for an archive (a form with one button, as Mastodon's "Request your archive"),
shows the exports asked for with their progress (a "Refresh" link while one is being prepared:
a page that reloads itself is one a screen reader loses its place in) and, once done, each part's download with its size and until when it can be
downloaded; and it links to Mastodon's CSV files, made when downloaded. The downloads are the
API's routes, which take the web session too. The rules are `core.exports`', the same as the
API's and `pnyx export`'s.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from pnyx.core import moderation
from pnyx.core.errors import CoreError
from pnyx.core.exports import records
from pnyx.edges.http import database
from pnyx.web.auth import N_, form_expired, member
from pnyx.web.i18n import gettext_for
from pnyx.web.session import Visitor, csrf_ok, read_form, respond, see_other

PATH = "/settings/export"
SIGN_IN = "/auth/sign_in"
RECENT = 5

STATE_NAMES = {
    records.QUEUED: N_("Waiting to start"),
    records.RUNNING: N_("Being prepared"),
    records.DONE: N_("Ready to download"),
    records.FAILED: N_("Failed"),
    records.EXPIRED: N_("Expired"),
}
SAVED = N_(
    "Your archive is being prepared. This page shows how far it got; its parts appear here "
    "once it is ready."
)
ALREADY = N_("An archive is already being prepared: wait for it to be ready.")
# Mastodon's CSV files, by the name of their download (`core.exports.csv_files.FILES`).
CSV_NAMES = {
    "following": N_("Follows"),
    "followers": N_("Followers"),
    "lists": N_("Lists"),
    "blocks": N_("Blocked accounts"),
    "mutes": N_("Muted accounts"),
    "domain_blocks": N_("Blocked servers"),
    "bookmarks": N_("Bookmarks"),
}


def size_text(size: int, _: Any) -> str:
    """A size as people read it: 812 bytes, 3.4 KB, 512.0 MB, 1.2 GB."""
    if size < 1000:
        return _("%(n)s bytes", n=size)
    value = size / 1000
    for unit in (N_("%(n)s KB"), N_("%(n)s MB")):
        if value < 1000:
            return _(unit, n=f"{value:.1f}")
        value /= 1000
    return _("%(n)s GB", n=f"{value:.1f}")


def _shown(export: records.Export, _: Any) -> dict[str, Any]:
    return {
        "id": str(export.id),
        "state": _(STATE_NAMES.get(export.state, export.state)),
        "unfinished": export.state in records.UNFINISHED,
        "done": export.done,
        "total": export.total,
        "created_at": export.created_at,
        "finished_at": export.finished_at,
        "expires_at": export.expires_at if export.state == records.DONE else None,
        "parts": [
            {
                "number": p.number,
                "size": size_text(p.size, _),
                "url": f"/api/v1/pnyx/exports/{export.id}/parts/{p.number}",
            }
            for p in (export.parts if export.state == records.DONE else ())
        ],
    }


async def _page(request: Request, who: Visitor, user: Any, *, error: str | None = None) -> Response:
    _ = gettext_for(who.language)
    exports = await database(request).read(records.list_own, who.account_id, RECENT)
    shown = [_shown(e, _) for e in exports]
    unfinished = any(e["unfinished"] for e in shown)
    saved = request.query_params.get("saved") == "1" and not error
    return respond(
        request,
        who,
        "site/settings_export.html",
        status=422 if error else 200,
        staff=user.role in moderation.STAFF_ROLES,
        errors={"export": [error]} if error else {},
        saved=_(SAVED) if saved else None,
        exports=shown,
        unfinished=unfinished,
        days=request.app.state.settings.export_days,
        part_mb=request.app.state.settings.export_part_mb,
        csv_files=[
            (_(name), f"/api/v1/pnyx/exports/csv/{kind}.csv") for kind, name in CSV_NAMES.items()
        ],
    )


async def export_page(request: Request) -> Response:
    who, user = await member(request)
    if who.user is None or user is None:
        return see_other(SIGN_IN)
    return await _page(request, who, user)


async def ask(request: Request) -> Response:
    who, user = await member(request)
    if who.user is None or user is None:
        return see_other(SIGN_IN)
    form = await read_form(request)
    if not csrf_ok(request, form):
        return form_expired(request, who)
    try:
        await database(request).write(records.request, who.user.account_id)
    except CoreError:
        return await _page(request, who, user, error=gettext_for(who.language)(ALREADY))
    return see_other(PATH + "?saved=1")


routes = [
    Route(PATH, export_page, methods=["GET"]),
    Route(PATH, ask, methods=["POST"]),
]
