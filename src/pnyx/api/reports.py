"""Mastodon API: filing a report (POST /api/v1/reports). Rules live in pnyx.core.reports."""

from __future__ import annotations

from starlette.requests import Request
from starlette.routing import Route

from pnyx.api.auth import require
from pnyx.api.http import JSON, database, read_params, unprocessable
from pnyx.core import accounts as core_accounts
from pnyx.core import reports as core
from pnyx.db.ids import parse_id
from pnyx.presenters import notification_entities, shown_accounts


def _ids(values: list[str], name: str) -> list[int]:
    out = []
    for value in values:
        parsed = parse_id(value)
        if parsed is None:
            raise unprocessable(f"{name} must be ids")
        out.append(parsed)
    return out


async def create(request: Request) -> JSON:
    params = await read_params(request)
    target_id = parse_id(params.str("account_id"))
    if target_id is None:
        raise unprocessable("account_id is missing or not an id")
    data = core.ReportInput(
        target_account_id=target_id,
        status_ids=_ids(params.list("status_ids", max_items=core.MAX_STATUSES), "status_ids"),
        comment=params.str("comment", "", max_len=core.MAX_COMMENT) or "",
        category=params.str("category", max_len=32),
        rule_ids=_ids(params.list("rule_ids", max_items=50), "rule_ids"),
        forward=bool(params.bool("forward", False)),
    )

    def work(tx):
        viewer = require(tx, request, "write:reports")
        report_id = core.file_report(tx, viewer.account_id, data)
        row = core.get_own(tx, viewer.account_id, report_id)
        target = core_accounts.get(tx, row.target_account_id)
        return notification_entities.report(row, shown_accounts.one(tx, target))

    return JSON(await database(request).write(work))


routes = [Route("/api/v1/reports", create, methods=["POST"])]
