"""Mastodon's admin API for accounts (`/api/v1/admin/accounts`, `/api/v2/admin/accounts`),
for moderation apps. Who may do what, the required reasons and the moderation log are
`core.moderation`'s, shared with the admin pages and `pnyx user`: these handlers read
parameters, check the token's `admin:*` scope, and render Admin::Account.

Mastodon's `silence`, `sensitive` and `disable` (and their undoing) are refused with a 422:
Pnyx has no such states (docs/api.md).
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.routing import Route

from pnyx.api.auth import require
from pnyx.api.http import JSON, Params, database, path_id, read_params, unprocessable
from pnyx.api.pagination import page_from, paginated
from pnyx.core import account_extras, admin_accounts, moderation, moderation_log
from pnyx.core import accounts as core_accounts
from pnyx.core.errors import NotFound
from pnyx.db.ids import parse_id
from pnyx.presenters import admin as presenters

READ = "admin:read:accounts"
WRITE = "admin:write:accounts"


def staff(tx, request: Request, scope: str, *, admin: bool = False) -> moderation.Moderator:
    """The Moderator a token acts as: a 401/403 for a bad token or scope, 403 for someone
    who is not staff (or, with `admin`, not an admin)."""
    viewer = require(tx, request, scope)
    return moderation.staff_member(
        core_accounts.user_for_account(tx, viewer.account_id), admin=admin
    )


def _query_v1(params: Params) -> admin_accounts.AccountQuery:
    """v1 takes flags (`local`, `remote`, `pending` ...) and, as Mastodon, lists local active
    accounts unless told otherwise; v2 (below) takes named values and has no default."""
    origin = "remote" if params.bool("remote") else "local"
    status = next((s for s in admin_accounts.STATUSES if params.bool(s)), "active")
    return admin_accounts.AccountQuery(
        origin=origin,
        status=status,
        staff=bool(params.bool("staff", False)),
        username=params.str("username", max_len=64),
        display_name=params.str("display_name", max_len=255),
        domain=params.str("by_domain", max_len=255),
        email=params.str("email", max_len=320),
        ip=params.str("ip", max_len=64),
    )


def _query_v2(params: Params) -> admin_accounts.AccountQuery:
    origin = params.str("origin", max_len=16)
    status = params.str("status", max_len=16)
    return admin_accounts.AccountQuery(
        origin=origin if origin in ("local", "remote") else None,
        status=status if status in admin_accounts.STATUSES else None,
        staff=params.str("permissions", max_len=16) == "staff",
        username=params.str("username", max_len=64),
        display_name=params.str("display_name", max_len=255),
        domain=params.str("by_domain", max_len=255),
        email=params.str("email", max_len=320),
        ip=params.str("ip", max_len=64),
    )


def _lister(reader):
    async def handler(request: Request):
        params = await read_params(request)
        query = reader(params)
        page = page_from(params, default=100, maximum=200)

        def work(tx):
            staff(tx, request, READ)
            rows = admin_accounts.search(tx, query, page)
            extras = account_extras.load(tx, rows)
            return [presenters.account(r, tx.settings, extras) for r in rows], [r.id for r in rows]

        items, ids = await database(request).read(work)
        return paginated(request, items, ids)

    return handler


def _show(tx, account_id: int) -> dict:
    row = admin_accounts.one(tx, account_id)
    if row is None:
        raise NotFound()
    return presenters.account(row, tx.settings, account_extras.load(tx, [row]))


async def show(request: Request):
    account_id = path_id(request)

    def work(tx):
        staff(tx, request, READ)
        return _show(tx, account_id)

    return JSON(await database(request).read(work))


def _acting(name: str):
    """POST /api/v1/admin/accounts/:id/<name>: one `core.moderation` step, then the account."""

    async def handler(request: Request):
        account_id = path_id(request)
        params = await read_params(request)
        reason = params.str("text", "", max_len=5000) or ""

        def work(tx):
            by = staff(tx, request, WRITE)
            if name == "approve":
                moderation.approve(tx, by, account_id, reason)
            elif name == "reject":
                moderation.reject(tx, by, account_id, reason)
                return {}
            elif name == "unsuspend":
                moderation.unsuspend(tx, by, account_id, reason)
            elif name == "unsilence":
                moderation.unsilence(tx, by, account_id, reason)
            elif name == "unsensitive":
                moderation.unsensitize(tx, by, account_id, reason)
            else:  # enable
                moderation.refuse_missing_state(name)
            return _show(tx, account_id)

        return JSON(await database(request).write(work))

    return handler


async def action(request: Request):
    """POST /api/v1/admin/accounts/:id/action: type none, silence, sensitive or suspend, with
    `text` (required) and an optional `report_id` that gets resolved; a suspension cites a
    rule (`rule_id`, a Pnyx extension, or else the report's first rule broken). Each leaves
    a strike; its owner is told
    (a moderation_warning) only with `send_email_notification` true, as in Mastodon, where
    the parameter is off unless sent (Mastodon.py sends it unless told not to)."""
    account_id = path_id(request)
    params = await read_params(request)
    kind = params.str("type", "none", max_len=16) or "none"
    text = params.str("text", "", max_len=5000) or ""
    raw_report = params.str("report_id")
    report_id = parse_id(raw_report) if raw_report else None
    if raw_report and report_id is None:
        raise NotFound()
    tell = params.bool("send_email_notification", False)
    raw_rule = params.str("rule_id", max_len=32)
    rule_id = parse_id(raw_rule) if raw_rule else None
    if raw_rule and rule_id is None:
        raise unprocessable(f"Validation failed: {moderation_log.NO_SUCH_RULE}")

    def work(tx):
        by = staff(tx, request, WRITE)
        moderation.take_action(
            tx, by, account_id, kind, text, report_id, rule_id=rule_id, tell=bool(tell)
        )
        return {}

    return JSON(await database(request).write(work))


async def delete(request: Request):
    """DELETE /api/v1/admin/accounts/:id: erase a suspended account's data (admins)."""
    account_id = path_id(request)

    def work(tx):
        by = staff(tx, request, WRITE)
        shown = _show(tx, account_id)
        moderation.erase(tx, by, account_id)
        return shown

    return JSON(await database(request).write(work))


_ACCOUNT = "/api/v1/admin/accounts/{id:int}"
routes = [
    Route("/api/v1/admin/accounts", _lister(_query_v1), methods=["GET"]),
    Route("/api/v2/admin/accounts", _lister(_query_v2), methods=["GET"]),
    Route(_ACCOUNT, show, methods=["GET"]),
    Route(_ACCOUNT, delete, methods=["DELETE"]),
    Route(_ACCOUNT + "/action", action, methods=["POST"]),
    *[
        Route(f"{_ACCOUNT}/{name}", _acting(name), methods=["POST"])
        for name in ("approve", "reject", "unsuspend", "unsilence", "unsensitive", "enable")
    ],
]
