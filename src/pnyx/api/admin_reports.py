"""Mastodon's admin API for reports (`/api/v1/admin/reports`): list, show, change the
category and rules, assign, unassign, resolve, reopen. The rules and the moderation log are
`core.moderation`'s and `core.reports`'; any staff member may act (Mastodon's
`manage_reports`, which its moderators have)."""

from __future__ import annotations

import sqlalchemy as sa
from starlette.requests import Request
from starlette.routing import Route

from pnyx.api.admin_accounts import staff
from pnyx.api.http import JSON, database, path_id, read_params, unprocessable
from pnyx.api.pagination import page_from, paginated
from pnyx.core import account_extras, admin_accounts, moderation, reports, status_views
from pnyx.core import instance as core_instance
from pnyx.db.ids import parse_id
from pnyx.presenters import admin as presenters
from pnyx.presenters import entities

READ = "admin:read:reports"
WRITE = "admin:write:reports"


def _render(tx, rows: list[sa.Row]) -> list[dict]:
    """Admin::Report for each row, loading the people, posts and rules they name at once."""
    people = admin_accounts.several(
        tx,
        [
            i
            for r in rows
            for i in (
                r.account_id,
                r.target_account_id,
                r.assigned_account_id,
                r.action_taken_by_account_id,
            )
        ],
    )
    rules = {r.id: r for r in core_instance.rule_rows(tx)}
    status_ids = [i for r in rows for i in (r.status_ids or [])]
    # The staff see the reported posts whoever could see them (no viewer's rules apply).
    bundle = status_views.load(tx, status_ids, None) if status_ids else None
    extras = account_extras.load(tx, people.values())
    out = []
    for row in rows:
        shown: list[dict] = []
        if bundle is not None:
            for status_id in row.status_ids or []:
                if status_id in bundle.statuses:
                    shown.append(entities.status(bundle, status_id, tx.settings, tx.now))
        out.append(presenters.report(row, people, shown, rules, tx.settings, extras))
    return out


async def index(request: Request):
    params = await read_params(request)
    page = page_from(params, default=100, maximum=200)
    resolved = bool(params.bool("resolved", False))
    account_id = parse_id(params.str("account_id"))
    target_id = parse_id(params.str("target_account_id"))

    def work(tx):
        staff(tx, request, READ)
        rows = reports.staff_list(
            tx,
            resolved=resolved,
            account_id=account_id,
            target_account_id=target_id,
            max_id=page.max_id,
            since_id=page.since_id,
            min_id=page.min_id,
            limit=page.limit,
        )
        return _render(tx, rows), [r.id for r in rows]

    items, ids = await database(request).read(work)
    return paginated(request, items, ids)


async def show(request: Request):
    report_id = path_id(request)

    def work(tx):
        staff(tx, request, READ)
        return _render(tx, [reports.get(tx, report_id)])[0]

    return JSON(await database(request).read(work))


async def update(request: Request):
    """PUT: `category` and/or `rule_ids`."""
    report_id = path_id(request)
    params = await read_params(request)
    category = params.str("category", max_len=32)
    rule_ids = None
    if params.has("rule_ids") or params.has("rule_ids[]"):
        rule_ids = []
        for value in params.list("rule_ids", max_items=50):
            parsed = parse_id(value)
            if parsed is None:
                raise unprocessable("rule_ids must be ids")
            rule_ids.append(parsed)

    def work(tx):
        by = staff(tx, request, WRITE)
        moderation.recategorize_report(tx, by, report_id, category, rule_ids)
        return _render(tx, [reports.get(tx, report_id)])[0]

    return JSON(await database(request).write(work))


def _step(name: str):
    async def handler(request: Request):
        report_id = path_id(request)

        def work(tx):
            by = staff(tx, request, WRITE)
            if name == "assign_to_self":
                moderation.assign_report(tx, by, report_id, to_self=True)
            elif name == "unassign":
                moderation.assign_report(tx, by, report_id, to_self=False)
            elif name == "resolve":
                moderation.resolve_report(tx, by, report_id)
            else:
                moderation.reopen_report(tx, by, report_id)
            return _render(tx, [reports.get(tx, report_id)])[0]

        return JSON(await database(request).write(work))

    return handler


_REPORT = "/api/v1/admin/reports/{id:int}"
routes = [
    Route("/api/v1/admin/reports", index, methods=["GET"]),
    Route(_REPORT, show, methods=["GET"]),
    Route(_REPORT, update, methods=["PUT"]),
    *[
        Route(f"{_REPORT}/{name}", _step(name), methods=["POST"])
        for name in ("assign_to_self", "unassign", "resolve", "reopen")
    ],
]
