"""The labelers a person applies, in the browser (`/settings/labelers`, issue 12).

The page lists the instance's labeler first (everyone here applies it; it cannot be left, only
set), then the labelers the person subscribed to, each with its labels: name, description,
severity and a choice of what the label does to their view (show, warn or hide; the labeler's
default is marked). A labeler here or elsewhere is added by its handle (`name`, `name@domain`:
another server's is looked up there first, as search does), and any but the instance's can be
left. Every form posts to its own address with the CSRF token and comes back here (303) with a
confirmation; a refusal shows the page again with core's reason, translated. The rules are
`core.labels`', the same as the Pnyx API's (`api.labels`).
"""

from __future__ import annotations

import re

import anyio.to_thread
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from pnyx.core import accounts, label_rules, labels, moderation
from pnyx.core.errors import CoreError, NotFound
from pnyx.db.ids import parse_id
from pnyx.edges.http import database
from pnyx.federation import resolve as remote
from pnyx.web.auth import N_, form_expired, member, text_field
from pnyx.web.i18n import gettext_for
from pnyx.web.label_badges import localized, pick
from pnyx.web.session import Visitor, csrf_ok, read_form, respond, see_other

PATH = "/settings/labelers"
HANDLE = re.compile(r"^[A-Za-z0-9_.\-]{1,64}(@[A-Za-z0-9.\-]{1,253}(:\d{1,5})?)?$")
SIGN_IN = "/auth/sign_in"
SAVED = {
    "settings": N_("Your label settings were saved."),
    "subscribed": N_("You now apply this labeler's labels."),
    "unsubscribed": N_("You no longer apply this labeler's labels."),
}
NO_HANDLE = N_("Enter the handle of a labeler, such as name or name@example.org.")
NOT_FOUND = N_("No account was found with this handle.")
# Core's refusals (`core.labels`), as translatable text.
CORE_MESSAGES = {
    "You cannot subscribe to your own labels": N_("You cannot subscribe to your own labels."),
    "This account publishes no labels": N_("This account publishes no labels."),
    labels.BAD_SETTING: N_("Choose show, warn or hide."),
    labels.UNKNOWN_VALUE: N_("This labeler has no such label."),
}


def _explained(who: Visitor, exc: CoreError) -> str:
    _ = gettext_for(who.language)
    message = exc.message.removeprefix("Validation failed: ")
    return _(CORE_MESSAGES.get(message, message))


def _is_instance(row) -> bool:
    return row.domain is None and row.username.lower() == labels.INSTANCE_LABELER


def _definition(row, setting: str, language: str) -> dict:
    names, name, descriptions, description = localized(row.locales, row.value)
    return {
        "value": row.value,
        "name": pick(names, name, language),
        "description": pick(descriptions, description, language),
        "severity": row.severity,
        "default": row.default_setting,
        "setting": setting,
    }


def _labeler(tx, rules: label_rules.LabelRules, labeler_id: int, language: str) -> dict | None:
    try:
        row = accounts.get_public(tx, labeler_id)
    except NotFound:
        return None
    definitions = [
        _definition(d, rules.settings.get((labeler_id, d.value), d.default_setting), language)
        for d in labels.definitions_of(tx, labeler_id)
    ]
    return {
        "id": str(row.id),
        "name": row.display_name or row.username,
        "acct": row.username if row.domain is None else f"{row.username}@{row.domain}",
        "instance": _is_instance(row),
        "suspended": row.suspended_at is not None,
        "definitions": definitions,
    }


def labelers_of(tx, viewer_id: int, language: str) -> list[dict]:
    """The labelers the viewer applies: the instance's first, then their subscriptions in the
    order they were made."""
    rules = label_rules.rules_of(tx, viewer_id)
    ordered = [i for i in labels.subscribed_ids(tx, viewer_id) if i in rules.labelers]
    ordered += sorted(i for i in rules.labelers if i not in ordered)
    found = [_labeler(tx, rules, i, language) for i in ordered]
    shown = [f for f in found if f is not None]
    return sorted(shown, key=lambda f: not f["instance"])  # stable: the instance's first


def _instance_exists(tx) -> bool:
    return accounts.find_local(tx, labels.INSTANCE_LABELER) is not None


async def _page(request: Request, who: Visitor, user, *, errors=None, handle: str = "") -> Response:
    db = database(request)
    if not await db.read(_instance_exists):
        await db.write(labels.instance_labeler)  # made on first need, with its definitions
    found = await db.read(labelers_of, who.account_id, who.language)
    key = request.query_params.get("saved")
    saved = gettext_for(who.language)(SAVED[key]) if key in SAVED and not errors else None
    return respond(
        request,
        who,
        "site/settings_labelers.html",
        status=422 if errors else 200,
        staff=user.role in moderation.STAFF_ROLES,
        errors=errors or {},
        saved=saved,
        labelers=found,
        handle=handle,
        settings_choices=labels.SETTINGS,
    )


async def labelers_page(request: Request) -> Response:
    who, user = await member(request)
    if who.user is None or user is None:
        return see_other(SIGN_IN)
    return await _page(request, who, user)


async def _posted(request: Request):
    """(visitor, users row, form, None), or (..., the answer to send instead)."""
    who, user = await member(request)
    if who.user is None or user is None:
        return who, user, None, see_other(SIGN_IN)
    form = await read_form(request, max_fields=labels.MAX_DEFINITIONS + 5)
    if not csrf_ok(request, form):
        return who, user, form, form_expired(request, who)
    return who, user, form, None


async def _resolve(request: Request, handle: str) -> int | None:
    """The account a handle names: here, or looked up on its server."""
    settings = request.app.state.settings
    name, _, domain = handle.partition("@")
    if not domain or domain.lower() == settings.domain.lower():
        row = await database(request).read(accounts.find_by_acct, name)
        return row.id if row is not None else None
    found = await anyio.to_thread.run_sync(
        remote.resolve_quietly, database(request), settings, f"@{handle}"
    )
    return found[1] if found is not None and found[0] == "account" else None


async def subscribe(request: Request) -> Response:
    who, user, form, refusal = await _posted(request)
    if refusal:
        return refusal
    _ = gettext_for(who.language)
    handle = text_field(form, "handle", 300).strip().lstrip("@")
    if not HANDLE.match(handle):
        return await _page(request, who, user, errors={"handle": [_(NO_HANDLE)]}, handle=handle)
    labeler_id = await _resolve(request, handle)
    if labeler_id is None:
        return await _page(request, who, user, errors={"handle": [_(NOT_FOUND)]}, handle=handle)
    viewer_id = who.account_id

    def work(tx):
        accounts.get_public(tx, labeler_id)
        labels.subscribe(tx, viewer_id, labeler_id)

    try:
        await database(request).write(work)
    except CoreError as exc:
        errors = {"handle": [_explained(who, exc)]}
        return await _page(request, who, user, errors=errors, handle=handle)
    return see_other(f"{PATH}?saved=subscribed#labeler-{labeler_id}")


async def save_settings(request: Request) -> Response:
    """POST /settings/labelers/:id: what each of this labeler's labels does (`label-VALUE`)."""
    who, user, form, refusal = await _posted(request)
    if refusal:
        return refusal
    labeler_id = parse_id(request.path_params.get("id"))
    viewer_id = who.account_id

    def work(tx):
        rules = label_rules.rules_of(tx, viewer_id)
        if labeler_id not in rules.labelers:
            raise NotFound()
        for row in labels.definitions_of(tx, labeler_id):
            chosen = text_field(form, f"label-{row.value}", 8)
            current = rules.settings.get((labeler_id, row.value), row.default_setting)
            if chosen and chosen != current:
                labels.set_setting(tx, viewer_id, labeler_id, row.value, chosen)

    try:
        await database(request).write(work)
    except NotFound:
        return see_other(PATH)
    except CoreError as exc:
        return await _page(request, who, user, errors={"": [_explained(who, exc)]})
    return see_other(f"{PATH}?saved=settings#labeler-{labeler_id}")


async def unsubscribe(request: Request) -> Response:
    who, user, form, refusal = await _posted(request)
    if refusal:
        return refusal
    labeler_id = parse_id(request.path_params.get("id"))
    viewer_id = who.account_id
    if labeler_id is not None:
        await database(request).write(labels.unsubscribe, viewer_id, labeler_id)
    return see_other(f"{PATH}?saved=unsubscribed")


routes = [
    Route(PATH, labelers_page, methods=["GET"]),
    Route(f"{PATH}/subscribe", subscribe, methods=["POST"]),
    Route(PATH + "/{id:int}", save_settings, methods=["POST"]),
    Route(PATH + "/{id:int}/unsubscribe", unsubscribe, methods=["POST"]),
]
