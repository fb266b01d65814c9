"""Administration in the browser: local accounts (approve, suspend, limit, make their media
sensitive, lift these, change role), reports (resolve them, remove or mark sensitive the posts
they name) and announcements for moderators and admins, and the instance itself (name,
description, registration mode, policies, rules, invites) for admins. Appeals are
`web.admin_appeals`'s.

The actions call `core.moderation` and `core.post_moderation`, as the `pnyx user` commands do:
they say who may do what (moderators act on ordinary users only; roles, staff accounts and the
instance are for admins; nobody acts on their own account), require a reason (and, for a
suspension or a removal, the rule broken), and write each action to the moderation log with who
did it and why (pillar 3: moderation is public). These handlers only read the form and show
core's answer in the page's language.
"""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime, timedelta

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from pnyx.core import admin_accounts, instance_settings, moderation, post_moderation, reach, staff
from pnyx.core import announcements as core_announcements
from pnyx.core import instance as core_instance
from pnyx.core import reports as core_reports
from pnyx.core import statuses as core_statuses
from pnyx.core.errors import CoreError, Forbidden, Invalid, NotFound
from pnyx.db.ids import parse_id
from pnyx.edges.http import database
from pnyx.web.auth import N_, explain, form_expired, member, message_page, text_field
from pnyx.web.i18n import gettext_for
from pnyx.web.post_views import acct_path
from pnyx.web.session import Visitor, csrf_ok, read_form, respond, see_other

FILTERS = staff.USER_FILTERS
PAGE_SIZE = 40
ACCOUNT_ACTIONS = (
    "approve",
    "suspend",
    "unsuspend",
    "role",
    "silence",
    "unsilence",
    "sensitive",
    "unsensitive",
)
MAX_LIMIT_DAYS = 3650
BAD_DAYS = N_("The length of a limit is a whole number of days, from 1 to %(n)s.")
DONE = {
    "approve": N_("The account was approved."),
    "suspend": N_("The account was suspended."),
    "unsuspend": N_("The suspension was lifted."),
    "silence": N_("The account was limited."),
    "unsilence": N_("The limit was lifted."),
    "sensitive": N_("The account's media will be shown as sensitive."),
    "unsensitive": N_("The account's media are no longer forced to be sensitive."),
    "role": N_("The role was changed."),
    "instance": N_("The instance settings were saved."),
    "rule_add": N_("The rule was added."),
    "resolve_report": N_("The report was marked as resolved."),
    "remove_posts": N_("The reported posts were removed and the report resolved."),
    "mark_sensitive": N_("The reported posts were marked sensitive and the report resolved."),
    "rule_remove": N_("The rule was removed."),
    "announcement": N_("The announcement was saved."),
}


async def staff_visitor(request: Request, *, admin_only: bool = False):
    """((visitor, Moderator), None) for staff (admins, with `admin_only`); (None, response)
    for anyone else."""
    who, user = await member(request)
    if who.user is None or user is None:
        return None, see_other("/auth/sign_in")
    try:
        return (who, moderation.staff_member(user, admin=admin_only)), None
    except Forbidden:
        _ = gettext_for(who.language)
        return None, message_page(
            request,
            who,
            _("Not allowed"),
            _("This page is only for the staff of this instance."),
            status=403,
        )


def _done(who: Visitor, request: Request) -> str | None:
    key = request.query_params.get("done")
    return gettext_for(who.language)(DONE[key]) if key in DONE else None


# --- Accounts ---------------------------------------------------------------------------------


def _account_rows(tx, status: str, max_id: int | None) -> list:
    return staff.local_users(tx, status, before_user_id=max_id, limit=PAGE_SIZE + 1)


def _reach_of(tx, rows: list) -> dict[int, dict]:
    """The reach limits in force on each listed account: limited (and until when), media
    made sensitive."""
    found = admin_accounts.several(tx, [row.id for row in rows])
    return {
        account_id: {
            "silenced": reach.is_silenced(row, tx.now),
            "silenced_until": row.silenced_until,
            "sensitive": reach.media_forced_sensitive(row),
        }
        for account_id, row in found.items()
    }


def _status_filter(value: str | None) -> str:
    return value if value in FILTERS else "pending"


async def _accounts_page(
    request: Request,
    who: Visitor,
    by: moderation.Moderator,
    status: str,
    *,
    error: str | None = None,
    code=200,
) -> Response:
    max_id = parse_id(request.query_params.get("max_id"))

    def work(tx):
        rows = _account_rows(tx, status, max_id)
        return (
            rows,
            _reach_of(tx, rows),
            staff.recent_actions(tx),
            core_instance.rule_rows(tx),
        )

    rows, states, log, rules = await database(request).read(work)
    next_url = None
    if len(rows) > PAGE_SIZE:
        rows = rows[:PAGE_SIZE]
        next_url = f"/admin/accounts?status={status}&max_id={rows[-1].user_id}"
    return respond(
        request,
        who,
        "site/admin_accounts.html",
        status=code,
        people=rows,
        states=states,
        log=log,
        rules=rules,
        filter=status,
        filters=FILTERS,
        next_url=next_url,
        is_admin=by.is_admin,
        done=None if error else _done(who, request),
        error=error,
    )


async def accounts_page(request: Request) -> Response:
    found, refusal = await staff_visitor(request)
    if refusal:
        return refusal
    who, by = found
    return await _accounts_page(
        request, who, by, _status_filter(request.query_params.get("status"))
    )


def _act(
    tx,
    by: moderation.Moderator,
    account_id: int,
    action: str,
    reason: str,
    role: str,
    rule_id: int | None,
    days: int | None = None,
):
    if action == "role":
        moderation.set_role(tx, by, account_id, role, reason)
    elif action == "suspend":
        moderation.suspend(tx, by, account_id, reason, rule_id)
    elif action == "silence":
        until = tx.now + timedelta(days=days) if days else None
        moderation.silence(tx, by, account_id, reason, rule_id, until=until)
    elif action == "sensitive":
        moderation.sensitize(tx, by, account_id, reason, rule_id)
    else:
        {
            "approve": moderation.approve,
            "unsuspend": moderation.unsuspend,
            "unsilence": moderation.unsilence,
            "unsensitive": moderation.unsensitize,
        }[action](tx, by, account_id, reason)


def _days(value: str) -> int | None:
    """A limit's length in days: None for none (until lifted); ValueError when it is not a
    whole number from 1 to MAX_LIMIT_DAYS."""
    value = value.strip()
    if not value:
        return None
    if not value.isdigit() or not 0 < int(value) <= MAX_LIMIT_DAYS:
        raise ValueError(value)
    return int(value)


async def account_action(request: Request) -> Response:
    """POST /admin/accounts/{id}/{approve|suspend|unsuspend|role|silence|unsilence|sensitive|
    unsensitive}."""
    who, by, form = await staff_post(request)
    if who is None:
        return form  # the refusal
    action = request.path_params["action"]
    if action not in ACCOUNT_ACTIONS:
        return Response(status_code=404)
    back = _status_filter(text_field(form, "back", 16))
    reason = text_field(form, "reason", 2000).strip()
    role = text_field(form, "role", 16)
    rule_id = parse_id(text_field(form, "rule_id", 32))
    _ = gettext_for(who.language)
    try:
        days = _days(text_field(form, "days", 16)) if action == "silence" else None
    except ValueError:
        error = _(BAD_DAYS) % {"n": MAX_LIMIT_DAYS}
        return await _accounts_page(request, who, by, back, error=error, code=422)
    try:
        await database(request).write(
            _act, by, request.path_params["id"], action, reason, role, rule_id, days
        )
    except CoreError as exc:
        return await _accounts_page(
            request, who, by, back, error=explain(_, exc.message)[1], code=exc.status
        )
    return see_other(f"/admin/accounts?status={back}&done={action}")


# --- Instance ---------------------------------------------------------------------------------

MODES = (
    ("open", N_("Open: anyone can sign up")),
    ("approval", N_("Approval: a moderator approves each sign-up")),
    ("invite", N_("Invite: sign-up needs an invite code")),
    ("closed", N_("Closed: nobody can sign up")),
)


async def _instance_page(
    request: Request, who: Visitor, *, values=None, errors=None, code=200
) -> Response:
    def work(tx):
        return instance_settings.effective_settings(tx), core_instance.rule_rows(tx)

    settings, rules = await database(request).read(work)
    _ = gettext_for(who.language)
    invite = (request.query_params.get("invite") or "")[:64]
    return respond(
        request,
        who,
        "site/admin_instance.html",
        status=code,
        values=values
        or {
            "instance_title": settings.instance_title,
            "instance_description": settings.instance_description,
            "registrations": settings.registrations,
            "min_age": str(settings.min_age),
            "privacy_policy": settings.privacy_policy,
            "terms_of_service": settings.terms_of_service,
        },
        errors=errors or {},
        modes=[(mode, _(label)) for mode, label in MODES],
        rules=rules,
        invite=invite if invite.replace("-", "").replace("_", "").isalnum() else None,
        is_admin=True,
        done=None if errors else _done(who, request),
    )


async def instance_page(request: Request) -> Response:
    found, refusal = await staff_visitor(request, admin_only=True)
    if refusal:
        return refusal
    return await _instance_page(request, found[0])


async def staff_post(request: Request, *, admin_only: bool = False):
    """(visitor, Moderator, form) for a valid post by staff (an admin, with `admin_only`),
    or (None, None, the answer to send)."""
    found, refusal = await staff_visitor(request, admin_only=admin_only)
    if refusal:
        return None, None, refusal
    who, by = found
    form = await read_form(request)
    if not csrf_ok(request, form):
        return None, None, form_expired(request, who)
    return who, by, form


async def save_instance(request: Request) -> Response:
    who, by, form = await staff_post(request, admin_only=True)
    if who is None:
        return form
    values = {
        key: text_field(form, key, instance_settings.POLICY_MAX).replace("\r\n", "\n")
        for key in instance_settings.KEYS
        if key in form  # a field the form did not send is left as it is
    }
    reason = text_field(form, "reason", 2000)
    try:
        await database(request).write(moderation.change_settings, by, values, reason)
    except Invalid as exc:
        field, text = explain(gettext_for(who.language), exc.message)
        return await _instance_page(
            request, who, values=values, errors={field or "": [text]}, code=422
        )
    return see_other("/admin/instance?done=instance")


async def add_rule(request: Request) -> Response:
    who, by, form = await staff_post(request, admin_only=True)
    if who is None:
        return form
    text = text_field(form, "rule", 2000)
    hint = text_field(form, "hint", 2000)
    consequence = text_field(form, "consequence", 16) or None
    try:
        await database(request).write(moderation.add_rule, by, text, hint, consequence)
    except Invalid as exc:
        field, message = explain(gettext_for(who.language), exc.message)
        return await _instance_page(request, who, errors={field or "rule": [message]}, code=422)
    return see_other("/admin/instance?done=rule_add#rules")


async def remove_rule(request: Request) -> Response:
    who, by, form = await staff_post(request, admin_only=True)
    if who is None:
        return form
    # Already gone (a second click): the page simply shows the rules as they are.
    with contextlib.suppress(NotFound):
        await database(request).write(moderation.remove_rule, by, request.path_params["id"])
    return see_other("/admin/instance?done=rule_remove#rules")


async def create_invite(request: Request) -> Response:
    """POST /admin/invites: a new invite code (optionally limited in uses), logged."""
    who, by, form = await staff_post(request, admin_only=True)
    if who is None:
        return form
    uses = text_field(form, "max_uses", 8).strip()
    max_uses = int(uses) if uses.isdigit() and 0 < int(uses) <= 1000 else None
    code = await database(request).write(moderation.create_invite, by, max_uses)
    return see_other(f"/admin/instance?invite={code}#invites")


# --- Reports ----------------------------------------------------------------------------------


def _report_filter(value: str | None) -> str:
    return value if value in core_reports.FILTERS else "open"


async def _reports_page(
    request: Request,
    who: Visitor,
    by: moderation.Moderator,
    status: str,
    *,
    error: str | None = None,
    code=200,
) -> Response:
    max_id = parse_id(request.query_params.get("max_id"))

    def work(tx):
        return (
            core_reports.report_list(tx, status, before_id=max_id, limit=PAGE_SIZE + 1),
            core_instance.rule_rows(tx),
        )

    rows, rules = await database(request).read(work)
    next_url = None
    if len(rows) > PAGE_SIZE:
        rows = rows[:PAGE_SIZE]
        next_url = f"/admin/reports?status={status}&max_id={rows[-1].id}"
    items = [
        {
            "row": row,
            "reporter": acct_path(row.reporter_username, row.reporter_domain)[2:],
            "target": acct_path(row.target_username, row.target_domain)[2:],
            "target_path": acct_path(row.target_username, row.target_domain),
            "posts": [
                f"{acct_path(row.target_username, row.target_domain)}/{status_id}"
                for status_id in (row.status_ids or [])[:20]
            ],
        }
        for row in rows
    ]
    return respond(
        request,
        who,
        "site/admin_reports.html",
        status=code,
        reports=items,
        rules=rules,
        filter=status,
        next_url=next_url,
        is_admin=by.is_admin,
        done=None if error else _done(who, request),
        error=error,
    )


async def reports_page(request: Request) -> Response:
    found, refusal = await staff_visitor(request)
    if refusal:
        return refusal
    who, by = found
    return await _reports_page(request, who, by, _report_filter(request.query_params.get("status")))


async def resolve_report(request: Request) -> Response:
    """POST /admin/reports/{id}/resolve, with an optional note for the moderation log."""
    who, by, form = await staff_post(request)
    if who is None:
        return form  # the refusal
    reason = text_field(form, "reason", 2000)
    try:
        await database(request).write(
            moderation.resolve_report, by, request.path_params["id"], reason
        )
    except CoreError as exc:
        _ = gettext_for(who.language)
        return await _reports_page(
            request, who, by, "open", error=explain(_, exc.message)[1], code=exc.status
        )
    return see_other("/admin/reports?status=open&done=resolve_report")


def _reported_posts(tx, report_id: int) -> list[int]:
    """The posts a report names that are still here and by the account reported (one its
    author deleted since is left out; none left is core's "name at least one post")."""
    report = core_reports.get(tx, report_id)
    found = []
    for raw in report.status_ids or []:
        row = core_statuses.get_row(tx, int(raw))
        if (
            row is not None
            and row.reblog_of_id is None
            and row.account_id == report.target_account_id
        ):
            found.append(row.id)
    return found


def _remove_posts(tx, by: moderation.Moderator, report_id: int, reason: str, rule_id: int | None):
    post_moderation.remove(
        tx, by, _reported_posts(tx, report_id), reason, rule_id, report_id=report_id
    )


def _mark_sensitive(tx, by: moderation.Moderator, report_id: int, reason: str, rule_id: int | None):
    post_moderation.mark_sensitive(
        tx, by, _reported_posts(tx, report_id), reason, rule_id, report_id=report_id
    )


async def _report_posts_action(request: Request, action: str, work) -> Response:
    """Act on the posts a report names, and resolve it, in one step that leaves a strike on
    their author."""
    who, by, form = await staff_post(request)
    if who is None:
        return form  # the refusal
    reason = text_field(form, "reason", 2000).strip()
    rule_id = parse_id(text_field(form, "rule_id", 32))
    try:
        await database(request).write(work, by, request.path_params["id"], reason, rule_id)
    except CoreError as exc:
        _ = gettext_for(who.language)
        return await _reports_page(
            request, who, by, "open", error=explain(_, exc.message)[1], code=exc.status
        )
    return see_other(f"/admin/reports?status=open&done={action}")


async def remove_reported_posts(request: Request) -> Response:
    """POST /admin/reports/{id}/remove_posts: a reason and the rule broken are required."""
    return await _report_posts_action(request, "remove_posts", _remove_posts)


async def mark_reported_posts_sensitive(request: Request) -> Response:
    """POST /admin/reports/{id}/mark_sensitive: a reason is required, a rule optional."""
    return await _report_posts_action(request, "mark_sensitive", _mark_sensitive)


# --- Announcements ----------------------------------------------------------------------------


def _when(form: dict, name: str) -> datetime | None:
    """A `datetime-local` field, read as UTC; empty or malformed is no time."""
    raw = text_field(form, name, 40).strip()
    try:
        return datetime.fromisoformat(raw).replace(tzinfo=UTC) if raw else None
    except ValueError:
        return None


async def _announcements_page(
    request: Request,
    who: Visitor,
    by: moderation.Moderator,
    *,
    values=None,
    errors=None,
    code=200,
) -> Response:
    rows = await database(request).read(core_announcements.all_for_staff)
    return respond(
        request,
        who,
        "site/admin_announcements.html",
        status=code,
        announcements=rows,
        values=values or {},
        errors=errors or {},
        is_admin=by.is_admin,
        done=None if errors else _done(who, request),
    )


async def announcements_page(request: Request) -> Response:
    found, refusal = await staff_visitor(request)
    if refusal:
        return refusal
    return await _announcements_page(request, *found)


async def create_announcement(request: Request) -> Response:
    who, by, form = await staff_post(request)
    if who is None:
        return form
    draft = core_announcements.Draft(
        text=text_field(form, "text", core_announcements.MAX_TEXT + 1),
        starts_at=_when(form, "starts_at"),
        ends_at=_when(form, "ends_at"),
        all_day=form.get("all_day") == "1",
        publish=form.get("publish") == "1",
    )
    try:
        await database(request).write(core_announcements.create, by, draft)
    except Invalid as exc:
        field, message = explain(gettext_for(who.language), exc.message)
        values = {"text": draft.text}
        errors = {field or "text": [message]}
        return await _announcements_page(request, who, by, values=values, errors=errors, code=422)
    return see_other("/admin/announcements?done=announcement")


async def edit_announcement(request: Request) -> Response:
    """POST /admin/announcements/ID/edit: new text and times (a published one is shown again,
    as it is now, in everyone's apps: core records it)."""
    who, by, form = await staff_post(request)
    if who is None:
        return form
    announcement_id = request.path_params["id"]
    draft = core_announcements.Draft(
        text=text_field(form, "text", core_announcements.MAX_TEXT + 1),
        starts_at=_when(form, "starts_at"),
        ends_at=_when(form, "ends_at"),
        all_day=form.get("all_day") == "1",
    )
    try:
        await database(request).write(core_announcements.update, by, announcement_id, draft)
    except NotFound:
        return await _announcements_page(request, who, by, code=404)
    except Invalid as exc:
        _field, message = explain(gettext_for(who.language), exc.message)
        errors = {f"announcement-{announcement_id}": [message]}
        return await _announcements_page(request, who, by, errors=errors, code=422)
    return see_other("/admin/announcements?done=announcement")


async def announcement_action(request: Request) -> Response:
    who, by, form = await staff_post(request)
    if who is None:
        return form
    announcement_id, action = request.path_params["id"], request.path_params["action"]
    act = {
        "publish": lambda tx: core_announcements.set_published(tx, by, announcement_id, True),
        "unpublish": lambda tx: core_announcements.set_published(tx, by, announcement_id, False),
        "delete": lambda tx: core_announcements.delete(tx, by, announcement_id),
    }.get(action)
    if act is None:
        return await _announcements_page(request, who, by, code=404)
    with contextlib.suppress(NotFound):  # already gone: the page shows what there is
        await database(request).write(act)
    return see_other("/admin/announcements?done=announcement")


async def admin_index(request: Request) -> Response:
    return see_other("/admin/accounts")


routes = [
    Route("/admin", admin_index, methods=["GET"]),
    Route("/admin/accounts", accounts_page, methods=["GET"]),
    Route("/admin/accounts/{id:int}/{action}", account_action, methods=["POST"]),
    Route("/admin/instance", instance_page, methods=["GET"]),
    Route("/admin/instance", save_instance, methods=["POST"]),
    Route("/admin/instance/rules", add_rule, methods=["POST"]),
    Route("/admin/instance/rules/{id:int}/delete", remove_rule, methods=["POST"]),
    Route("/admin/invites", create_invite, methods=["POST"]),
    Route("/admin/announcements", announcements_page, methods=["GET"]),
    Route("/admin/announcements", create_announcement, methods=["POST"]),
    Route("/admin/announcements/{id:int}/edit", edit_announcement, methods=["POST"]),
    Route("/admin/announcements/{id:int}/{action}", announcement_action, methods=["POST"]),
    Route("/admin/reports", reports_page, methods=["GET"]),
    Route("/admin/reports/{id:int}/resolve", resolve_report, methods=["POST"]),
    Route("/admin/reports/{id:int}/remove_posts", remove_reported_posts, methods=["POST"]),
    Route(
        "/admin/reports/{id:int}/mark_sensitive", mark_reported_posts_sensitive, methods=["POST"]
    ),
]
