"""Administration in the browser: local accounts (approve, suspend, unsuspend, change role) for
moderators and admins, and the instance itself (name, description, registration mode, rules,
invites) for admins.

The actions call the same core functions as the `pnyx user` commands, and each one is written
to the moderation log with who did it and why (pillar 3: moderation is public). Moderators act
on ordinary users only; roles, and anything done to staff accounts, are for admins. Nobody
acts on their own account here, so an admin cannot lock themselves out by mistake.
"""

from __future__ import annotations

import contextlib

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from pnyx.api.http import database
from pnyx.core import accounts as core_accounts
from pnyx.core import instance as core_instance
from pnyx.core import instance_settings, staff
from pnyx.core import reports as core_reports
from pnyx.core.errors import CoreError, Invalid, NotFound
from pnyx.db.ids import parse_id
from pnyx.web.auth import N_, explain, form_expired, member, message_page, text_field
from pnyx.web.i18n import gettext_for
from pnyx.web.post_helpers import acct_path
from pnyx.web.session import Visitor, csrf_ok, read_form, respond, see_other

STAFF = ("admin", "moderator")
FILTERS = staff.USER_FILTERS
PAGE_SIZE = 40
DONE = {
    "approve": N_("The account was approved."),
    "suspend": N_("The account was suspended."),
    "unsuspend": N_("The suspension was lifted."),
    "role": N_("The role was changed."),
    "instance": N_("The instance settings were saved."),
    "rule_add": N_("The rule was added."),
    "resolve_report": N_("The report was marked as resolved."),
    "rule_remove": N_("The rule was removed."),
}
NOT_YOURSELF = N_("You cannot do this to your own account.")
ADMINS_ONLY = N_("Only an admin can do this.")
REASON_NEEDED = N_("Please give a reason; it is recorded in the moderation log.")


async def _staff(request: Request, *, admin_only: bool = False):
    """((visitor, users row), None) for staff; (None, response) for anyone else."""
    who, user = await member(request)
    if who.user is None or user is None:
        return None, see_other("/auth/sign_in")
    if user.role not in STAFF or (admin_only and user.role != "admin"):
        _ = gettext_for(who.language)
        return None, message_page(
            request,
            who,
            _("Not allowed"),
            _("This page is only for the staff of this instance."),
            status=403,
        )
    return (who, user), None


def _done(who: Visitor, request: Request) -> str | None:
    key = request.query_params.get("done")
    return gettext_for(who.language)(DONE[key]) if key in DONE else None


# --- Accounts ---------------------------------------------------------------------------------


def _account_rows(tx, status: str, max_id: int | None) -> list:
    return staff.local_users(tx, status, before_user_id=max_id, limit=PAGE_SIZE + 1)


def _status_filter(value: str | None) -> str:
    return value if value in FILTERS else "pending"


async def _accounts_page(
    request: Request, who: Visitor, user, status: str, *, error: str | None = None, code=200
) -> Response:
    max_id = parse_id(request.query_params.get("max_id"))

    def work(tx):
        return _account_rows(tx, status, max_id), staff.recent_actions(tx)

    rows, log = await database(request).read(work)
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
        log=log,
        filter=status,
        filters=FILTERS,
        next_url=next_url,
        is_admin=user.role == "admin",
        done=None if error else _done(who, request),
        error=error,
    )


async def accounts_page(request: Request) -> Response:
    found, refusal = await _staff(request)
    if refusal:
        return refusal
    who, user = found
    return await _accounts_page(
        request, who, user, _status_filter(request.query_params.get("status"))
    )


class _NotAllowed(Exception):
    def __init__(self, msgid: str, status: int = 403):
        super().__init__(msgid)
        self.msgid, self.status = msgid, status


def _act(tx, me, account_id: int, action: str, reason: str, role: str) -> None:
    """One moderation action by the staff member `me` (a users row), checked then applied."""
    target = core_accounts.user_for_account(tx, account_id)
    if target is None:
        raise NotFound()
    if target.account_id == me.account_id:
        raise _NotAllowed(NOT_YOURSELF)
    if me.role != "admin" and (target.role != "user" or action == "role"):
        raise _NotAllowed(ADMINS_ONLY)
    by = me.account_id
    if action == "approve":
        core_accounts.approve(tx, account_id, by_account_id=by, reason=reason)
    elif action == "suspend":
        if not reason:
            raise _NotAllowed(REASON_NEEDED, 422)
        core_accounts.suspend(tx, account_id, reason, by_account_id=by)
    elif action == "unsuspend":
        core_accounts.unsuspend(tx, account_id, by_account_id=by, reason=reason)
    elif action == "role":
        core_accounts.set_role(tx, account_id, role, by_account_id=by, reason=reason)


async def account_action(request: Request) -> Response:
    """POST /admin/accounts/{id}/{approve|suspend|unsuspend|role}."""
    who, user, form = await _staff_post(request)
    if who is None:
        return form  # the refusal
    action = request.path_params["action"]
    if action not in ("approve", "suspend", "unsuspend", "role"):
        return Response(status_code=404)
    back = _status_filter(text_field(form, "back", 16))
    reason = text_field(form, "reason", 2000).strip()
    role = text_field(form, "role", 16)
    _ = gettext_for(who.language)
    try:
        await database(request).write(_act, user, request.path_params["id"], action, reason, role)
    except _NotAllowed as exc:
        return await _accounts_page(request, who, user, back, error=_(exc.msgid), code=exc.status)
    except CoreError as exc:
        return await _accounts_page(
            request, who, user, back, error=explain(_, exc.message)[1], code=exc.status
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
        },
        errors=errors or {},
        modes=[(mode, _(label)) for mode, label in MODES],
        rules=rules,
        invite=invite if invite.replace("-", "").replace("_", "").isalnum() else None,
        is_admin=True,
        done=None if errors else _done(who, request),
    )


async def instance_page(request: Request) -> Response:
    found, refusal = await _staff(request, admin_only=True)
    if refusal:
        return refusal
    return await _instance_page(request, found[0])


async def _staff_post(request: Request, *, admin_only: bool = False):
    """(visitor, users row, form) for a valid post by staff (an admin, with `admin_only`),
    or (None, None, the answer to send)."""
    found, refusal = await _staff(request, admin_only=admin_only)
    if refusal:
        return None, None, refusal
    who, user = found
    form = await read_form(request)
    if not csrf_ok(request, form):
        return None, None, form_expired(request, who)
    return who, user, form


async def save_instance(request: Request) -> Response:
    who, user, form = await _staff_post(request, admin_only=True)
    if who is None:
        return form
    values = {
        key: text_field(form, key, 10_000).replace("\r\n", "\n") for key in instance_settings.KEYS
    }
    reason = text_field(form, "reason", 2000).strip()

    def work(tx):
        current = instance_settings.effective_settings(tx)
        for key in instance_settings.KEYS:
            if values[key].strip() != str(getattr(current, key)).strip():
                instance_settings.set_override(
                    tx, key, values[key], by_account_id=user.account_id, reason=reason
                )

    try:
        await database(request).write(work)
    except Invalid as exc:
        field, text = explain(gettext_for(who.language), exc.message)
        return await _instance_page(
            request, who, values=values, errors={field or "": [text]}, code=422
        )
    return see_other("/admin/instance?done=instance")


async def add_rule(request: Request) -> Response:
    who, user, form = await _staff_post(request, admin_only=True)
    if who is None:
        return form
    text = text_field(form, "rule", 2000)
    hint = text_field(form, "hint", 2000)
    try:
        await database(request).write(
            lambda tx: instance_settings.add_rule(tx, text, hint, by_account_id=user.account_id)
        )
    except Invalid as exc:
        field, message = explain(gettext_for(who.language), exc.message)
        return await _instance_page(request, who, errors={field or "rule": [message]}, code=422)
    return see_other("/admin/instance?done=rule_add#rules")


async def remove_rule(request: Request) -> Response:
    who, user, form = await _staff_post(request, admin_only=True)
    if who is None:
        return form
    rule_id = request.path_params["id"]
    # Already gone (a second click): the page simply shows the rules as they are.
    with contextlib.suppress(NotFound):
        await database(request).write(
            lambda tx: instance_settings.remove_rule(tx, rule_id, by_account_id=user.account_id)
        )
    return see_other("/admin/instance?done=rule_remove#rules")


async def create_invite(request: Request) -> Response:
    """POST /admin/invites: a new invite code (optionally limited in uses), logged."""
    who, user, form = await _staff_post(request, admin_only=True)
    if who is None:
        return form
    uses = text_field(form, "max_uses", 8).strip()
    max_uses = int(uses) if uses.isdigit() and 0 < int(uses) <= 1000 else None

    def work(tx):
        code = core_accounts.create_invite(tx, user.id, max_uses=max_uses)
        core_accounts.log_action(tx, "invite:create", None, user.account_id, "")
        return code

    code = await database(request).write(work)
    return see_other(f"/admin/instance?invite={code}#invites")


# --- Reports ----------------------------------------------------------------------------------


def _report_filter(value: str | None) -> str:
    return value if value in core_reports.FILTERS else "open"


async def _reports_page(
    request: Request, who: Visitor, user, status: str, *, error: str | None = None, code=200
) -> Response:
    max_id = parse_id(request.query_params.get("max_id"))
    rows = await database(request).read(
        lambda tx: core_reports.report_list(tx, status, before_id=max_id, limit=PAGE_SIZE + 1)
    )
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
        filter=status,
        next_url=next_url,
        is_admin=user.role == "admin",
        done=None if error else _done(who, request),
        error=error,
    )


async def reports_page(request: Request) -> Response:
    found, refusal = await _staff(request)
    if refusal:
        return refusal
    who, user = found
    return await _reports_page(
        request, who, user, _report_filter(request.query_params.get("status"))
    )


async def resolve_report(request: Request) -> Response:
    """POST /admin/reports/{id}/resolve, with an optional note for the moderation log."""
    who, user, form = await _staff_post(request)
    if who is None:
        return form  # the refusal
    reason = text_field(form, "reason", 2000).strip()
    report_id = request.path_params["id"]
    try:
        await database(request).write(
            lambda tx: core_reports.resolve_report(
                tx, report_id, by_account_id=user.account_id, reason=reason
            )
        )
    except CoreError as exc:
        _ = gettext_for(who.language)
        return await _reports_page(
            request, who, user, "open", error=explain(_, exc.message)[1], code=exc.status
        )
    return see_other("/admin/reports?status=open&done=resolve_report")


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
    Route("/admin/reports", reports_page, methods=["GET"]),
    Route("/admin/reports/{id:int}/resolve", resolve_report, methods=["POST"]),
]
