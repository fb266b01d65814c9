"""Importing an archive's posts in the browser (`/settings/import/archive`, issue 14).

The page has the upload form (one or more zip parts: Mastodon's archive, or a Pnyx export's
parts) and the person's imports with their progress (it reloads itself while one runs), what
was skipped and why, and what failed. The form posts back here (a multipart form, up to
PNYX_IMPORT_MAX_MB) and comes back (303) with a confirmation; an archive refused shows the
page again (422) with core's reason, translated. The rules and the job are
`core.archive_import`'s, the same as the API's (`edges.archive_uploads` reads the form for
both).
"""

from __future__ import annotations

import re
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from pnyx.core import moderation
from pnyx.core.archive_import import runs
from pnyx.core.errors import CoreError
from pnyx.edges import archive_uploads
from pnyx.edges.http import database
from pnyx.presenters.archive_imports import archive_import
from pnyx.web.auth import N_, form_expired, member
from pnyx.web.i18n import gettext_for
from pnyx.web.session import Visitor, csrf_ok, respond, see_other

PATH = "/settings/import/archive"
SIGN_IN = "/auth/sign_in"
RECENT = 10
STATE_NAMES = {
    runs.QUEUED: N_("Waiting to start"),
    runs.RUNNING: N_("In progress"),
    runs.FINISHED: N_("Finished"),
    runs.FAILED: N_("Stopped: the archive could not be read"),
}
SKIP_NAMES = {
    "boost": N_("boosts (someone else's posts)"),
    "direct": N_("direct messages"),
    "other_actor": N_("posts by someone else"),
    "poll_vote": N_("votes in polls"),
    "not_a_post": N_("items that are not posts"),
    "already_imported": N_("posts imported before"),
}
SAVED = N_(
    "Your archive was uploaded. Its posts are being imported: this page shows how far it got."
)
# Why an archive was refused (`core.archive_import`), as patterns of core's messages and their
# translations, which take the pattern's groups.
REFUSALS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"File can't be blank"), N_("Choose the archive to import.")),
    (re.compile(r"already under way"), N_("An import of an archive is already under way: wait until it is over.")),
    (re.compile(r"is not (?:a|a readable) zip archive"), N_("This is not a zip archive.")),
    (re.compile(r"larger than (\d+) MB \(PNYX"), N_("The archive is larger than %(n)s MB.")),
    (re.compile(r"zip bomb"), N_("The archive would unpack to far more than it weighs: refused as a zip bomb.")),
    (re.compile(r"holds a file named"), N_("The archive holds a file whose name points outside it.")),
    (re.compile(r"no (outbox|actor)\.json"), N_("The archive has no %(n)s.json: is it an archive of posts?")),
    (re.compile(r"not valid JSON"), N_("The archive's outbox.json is not valid JSON.")),
    (re.compile(r"has (\d+) parts"), N_("This export has %(n)s parts: send them all together.")),
]  # fmt: skip


def refusal(who: Visitor, exc: CoreError) -> str:
    """Core's reason in the visitor's language (as it is when no translation matches)."""
    _ = gettext_for(who.language)
    for pattern, text in REFUSALS:
        found = pattern.search(exc.message)
        if found:
            return _(text, n=found.group(1)) if found.groups() else _(text)
    return exc.message


def _shown(row: Any, _) -> dict:
    shown = archive_import(row)
    shown["state_name"] = _(STATE_NAMES.get(row.state, row.state))
    shown["skipped_names"] = sorted(
        (_(SKIP_NAMES.get(reason, reason)), n) for reason, n in shown["skipped_reasons"].items()
    )
    shown["active"] = row.state in runs.ACTIVE
    shown["created"], shown["finished"] = row.created_at, row.finished_at
    return shown


async def _page(
    request: Request, who: Visitor, user: Any, errors: dict[str, list[str]] | None = None
) -> Response:
    _ = gettext_for(who.language)
    rows = await database(request).read(runs.of_account, who.account_id, RECENT)
    imports = [_shown(row, _) for row in rows]
    saved = request.query_params.get("saved") == "1" and not errors
    return respond(
        request,
        who,
        "site/settings_import_archive.html",
        status=422 if errors else 200,
        staff=user.role in moderation.STAFF_ROLES,
        errors=errors or {},
        saved=_(SAVED) if saved else None,
        imports=imports,
        running=any(i["active"] for i in imports),
        max_mb=runs.max_upload_bytes(request.app.state.settings) >> 20,
        form_path=PATH,
    )


async def archive_page(request: Request) -> Response:
    who, user = await member(request)
    if who.user is None or user is None:
        return see_other(SIGN_IN)
    return await _page(request, who, user)


async def upload(request: Request) -> Response:
    who, user = await member(request)
    if who.user is None or user is None:
        return see_other(SIGN_IN)
    form = await archive_uploads.read_form(request)
    try:
        token = form.get("csrf_token")
        if not csrf_ok(request, {"csrf_token": token if isinstance(token, str) else ""}):
            return form_expired(request, who)
        try:
            await archive_uploads.receive(database(request), who.user.account_id, form)
        except CoreError as exc:
            return await _page(request, who, user, {"archive": [refusal(who, exc)]})
    finally:
        await form.close()
    return see_other(PATH + "?saved=1")


routes = [
    Route(PATH, archive_page, methods=["GET"]),
    Route(PATH, upload, methods=["POST"]),
]
