"""Importing Mastodon's CSV files in the browser (`/settings/import`, issue 14).

The page has Mastodon's form (what the file holds, merge or overwrite, the file) and the
person's recent imports with their progress and each row that failed and why; it links to the
import of an archive's posts (`/settings/import/archive`), a page of its own. The form posts
to `/settings/import/csv` (a multipart form, up to Mastodon's 20 MB) and comes back here (303)
with a confirmation; a file refused shows the page again (422) with core's reason, translated.
The rules, and the job that runs the import, are `core.imports`', the same as the API's.
"""

from __future__ import annotations

import re
from typing import Any

import anyio.to_thread
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from pnyx.core import moderation
from pnyx.core.errors import CoreError, Invalid, NotFound
from pnyx.core.imports import csv_files, csv_rows, runs
from pnyx.core.paging import Page
from pnyx.db.ids import parse_id
from pnyx.edges.http import ApiError, database, without_nul
from pnyx.web.auth import N_, form_expired, member
from pnyx.web.i18n import gettext_for
from pnyx.web.session import Visitor, csrf_ok, respond, see_other

PATH = "/settings/import"
FORM_PATH = "/settings/import/csv"
ARCHIVE_PATH = "/settings/import/archive"
SIGN_IN = "/auth/sign_in"
RECENT = 10  # imports shown, as Mastodon's RECENT_IMPORTS_LIMIT
SHOWN_FAILURES = 100  # failed rows listed on the page; all are in the download
FORM_LIMIT = csv_files.FILE_SIZE_LIMIT + 1024 * 1024  # the file, and the form around it

# Mastodon's names for what a file holds, and for the modes.
TYPE_NAMES = {
    "following": N_("Following list"),
    "blocking": N_("Blocking list"),
    "muting": N_("Muting list"),
    "domain_blocking": N_("Domain blocking list"),
    "bookmarks": N_("Bookmarks"),
    "lists": N_("Lists"),
}
MODE_NAMES = {"merge": N_("Merge"), "overwrite": N_("Overwrite")}
MODE_HINTS = {
    "merge": N_("Keep what you have and add what the file holds."),
    "overwrite": N_(
        "Replace what you have with what the file holds: follows, blocks, mutes, blocked "
        "servers or bookmarks it does not name are removed; lists it does not name are "
        "deleted and the others emptied before it fills them."
    ),
}
STATE_NAMES = {
    runs.SCHEDULED: N_("Waiting to start"),
    runs.IN_PROGRESS: N_("In progress"),
    runs.FINISHED: N_("Finished"),
}
SAVED = N_("Your file was uploaded. It is being imported: this page shows how far it got.")
# Why a row failed (`core.imports.csv_rows`): the text before ": " (the rest is a detail
# another server gave, shown as it is).
REASONS = {
    csv_rows.NO_ADDRESS: N_("No account address"),
    csv_rows.NOT_AN_ADDRESS: N_("Not an account address"),
    csv_rows.ACCOUNT_NOT_FOUND: N_("Account not found"),
    csv_rows.NO_POST_ADDRESS: N_("No post address"),
    csv_rows.POST_NOT_FOUND: N_("Post not found, or not visible to you"),
    csv_rows.BLOCKED_BETWEEN: N_("A block between you and this account prevents it"),
    "You cannot follow yourself": N_("You cannot follow yourself"),
    "You cannot block yourself": N_("You cannot block yourself"),
    "You cannot mute yourself": N_("You cannot mute yourself"),
    "Domain can't be blank": N_("No server name"),
    "Domain is invalid": N_("Not a server name"),
    "Title can't be blank": N_("No list title"),
    "Languages must be language codes": N_("The languages are not language codes"),
    "You have reached the maximum number of lists": N_(
        "You have reached the maximum number of lists"
    ),
}
# Why a file was refused (`core.imports.csv_files`, `runs.create`), as patterns of core's
# messages and their translations, which take the pattern's groups.
NO_FILE = N_("Choose the file to import.")
FILE_ERRORS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"Data can't be blank"), NO_FILE),
    (re.compile(r"File is empty"), N_("The file is empty.")),
    (
        re.compile(r"File is too large \(maximum is (?P<mb>\d+) MB\)"),
        N_("The file is too large (the most is %(mb)s MB)."),
    ),
    (
        re.compile(r"File contains more than (?P<count>\d+) rows"),
        N_("The file has more than %(count)s rows, the most one import takes."),
    ),
    (
        re.compile(r"File is not a CSV file: it holds binary data"),
        N_("This is not a CSV file: it holds binary data."),
    ),
    (
        re.compile(r"File is not a CSV file: it is not UTF-8 text"),
        N_("This is not a CSV file: it is not UTF-8 text."),
    ),
    (
        re.compile(r"File is not a valid CSV file: (?P<detail>.*)"),
        N_("This is not a valid CSV file: %(detail)s."),
    ),
    (
        re.compile(r"File is incompatible .*: a \w+ file has the columns (?P<columns>.*)"),
        N_(
            "This file does not fit what you chose: such a file has the columns "
            "%(columns)s. Choose what the file holds, or another file."
        ),
    ),
    (
        re.compile(r"You cannot follow more than (?P<limit>\d+) people"),
        N_("You cannot follow more than %(limit)s people."),
    ),
]


def _file_error(who: Visitor, exc: CoreError) -> str:
    _ = gettext_for(who.language)
    message = exc.message.removeprefix("Validation failed: ")
    for pattern, translated in FILE_ERRORS:
        found = pattern.fullmatch(message)
        if found:
            return _(translated, **found.groupdict())
    return message


def _reason(_: Any, text: str) -> str:
    head, sep, detail = text.partition(": ")
    if head in REASONS:
        return _(REASONS[head]) + (sep + detail if sep else "")
    return _(REASONS.get(text, text))


def _shown(view: runs.ImportView, _: Any) -> dict[str, Any]:
    """An import as the page lists it."""
    return {
        "id": str(view.id),
        "type": _(TYPE_NAMES.get(view.type, view.type)),
        "mode": _(MODE_NAMES.get(view.mode, view.mode)),
        "state": _(STATE_NAMES.get(view.state, view.state)),
        "finished": view.state == runs.FINISHED,
        "filename": view.filename,
        "total": view.total,
        "processed": view.processed,
        "imported": view.imported,
        "failed": view.failed,
        "failures": [
            {"row": failure.row, "value": failure.value, "reason": _reason(_, failure.reason)}
            for failure in view.failures[:SHOWN_FAILURES]
        ],
        "more_failures": max(len(view.failures) - SHOWN_FAILURES, 0),
        "failures_url": f"{PATH}/{view.id}/failures.csv",
        "created_at": view.created_at,
        "finished_at": view.finished_at,
    }


async def _page(
    request: Request,
    who: Visitor,
    user: Any,
    *,
    errors: dict[str, list[str]] | None = None,
    kind: str = "following",
    mode: str = "merge",
) -> Response:
    _ = gettext_for(who.language)
    views = await database(request).read(runs.page, who.account_id, Page(limit=RECENT))
    saved = request.query_params.get("saved") == "1" and not errors
    return respond(
        request,
        who,
        "site/settings_import.html",
        status=422 if errors else 200,
        staff=user.role in moderation.STAFF_ROLES,
        errors=errors or {},
        saved=_(SAVED) if saved else None,
        types=[(key, _(name)) for key, name in TYPE_NAMES.items()],
        modes=[(key, _(MODE_NAMES[key]), _(MODE_HINTS[key])) for key in csv_files.MODES],
        kind=kind if kind in TYPE_NAMES else "following",
        mode=mode if mode in MODE_NAMES else "merge",
        imports=[_shown(view, _) for view in views],
        archive_path=ARCHIVE_PATH,
        form_path=FORM_PATH,
        max_mb=csv_files.FILE_SIZE_LIMIT // csv_files.MB,
        max_rows=csv_files.ROWS_PROCESSING_LIMIT,
    )


async def import_page(request: Request) -> Response:
    who, user = await member(request)
    if who.user is None or user is None:
        return see_other(SIGN_IN)
    return await _page(request, who, user)


async def _read_upload(request: Request) -> tuple[dict[str, str], bytes, str]:
    """The form's text fields, and its file's bytes and name (the form is read here rather
    than with `session.read_form`, which keeps no file name). 413 past the limit."""
    length = request.headers.get("content-length")
    if length and length.isdigit() and int(length) > FORM_LIMIT:
        raise ApiError(413, "Request body too large")
    try:
        form = await request.form(max_files=1, max_fields=10)
    except ApiError:
        raise  # the body limit, raised while the form streamed in
    except Exception:  # noqa: BLE001 - a malformed body is the client's mistake
        raise ApiError(400, "Malformed form body") from None
    fields: dict[str, str] = {}
    content, filename = b"", ""
    for key, value in form.multi_items():
        if isinstance(value, UploadFile):
            if key == "data" and not content:
                content = await value.read(csv_files.FILE_SIZE_LIMIT + 1)
                filename = value.filename or ""
        elif key not in fields:
            fields[key] = without_nul(value)
    return fields, content, filename


async def upload(request: Request) -> Response:
    who, user = await member(request)
    if who.user is None or user is None:
        return see_other(SIGN_IN)
    fields, content, filename = await _read_upload(request)
    if not csrf_ok(request, fields):
        return form_expired(request, who)
    kind, mode = fields.get("type", ""), fields.get("mode", "")
    account_id = who.user.account_id
    try:
        kind = csv_files.check_type(kind)
        mode = csv_files.check_mode(mode)
        if not content:
            raise Invalid("Data can't be blank")
        rows = await anyio.to_thread.run_sync(csv_files.parse, kind, content)
        await database(request).write(runs.create, account_id, kind, mode, rows, filename)
    except CoreError as exc:
        errors = {"data": [_file_error(who, exc)]}
        return await _page(request, who, user, errors=errors, kind=kind, mode=mode)
    return see_other(PATH + "?saved=1")


async def failures_file(request: Request) -> Response:
    """The failed rows as a file of the import's type, as Mastodon offers them: fixed (or
    later, once a server answers again), they can be imported again."""
    who, user = await member(request)
    if who.user is None or user is None:
        return see_other(SIGN_IN)
    import_id = parse_id(request.path_params.get("id"))
    if import_id is None:
        raise NotFound()
    kind, rows = await database(request).read(runs.failed_rows, who.user.account_id, import_id)
    return Response(
        csv_files.write(kind, rows),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{csv_files.FAILURES_FILENAMES[kind]}"',
            "Cache-Control": "no-store",
        },
    )


routes = [
    Route(PATH, import_page, methods=["GET"]),
    Route(FORM_PATH, upload, methods=["POST"]),
    Route(PATH + "/{id}/failures.csv", failures_file, methods=["GET"]),
]
