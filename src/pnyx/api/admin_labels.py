"""Pnyx admin API: the staff label a post or an account as the instance (`core.instance_labels`)
instead of removing it, or take the label back.

    POST /api/v1/pnyx/admin/labels          status_id or account_id, value, text (the reason,
                                            required), rule_id (optional)
    POST /api/v1/pnyx/admin/labels/unlabel  status_id or account_id, value, text (optional)

Both need staff and the `admin:write` scope. A label is in the public log and leaves a strike
its owner is told of and can appeal; the values are the instance labeler's definitions
(`GET /api/v1/pnyx/labelers/:id` of the account "moderation").
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.routing import Route

from pnyx.api.admin_accounts import staff
from pnyx.api.http import JSON, database, read_params
from pnyx.core import instance_labels, labels
from pnyx.core.errors import Invalid, NotFound
from pnyx.db.ids import parse_id

WRITE = "admin:write"


def _id(params, name: str) -> int | None:
    raw = params.str(name, max_len=32)
    if not raw:
        return None
    found = parse_id(raw)
    if found is None:
        raise NotFound()
    return found


def _handler(take_back: bool):
    async def handler(request: Request) -> JSON:
        params = await read_params(request)
        status_id, account_id = _id(params, "status_id"), _id(params, "account_id")
        rule_id = _id(params, "rule_id")
        value = params.str("value", "", max_len=64) or ""
        text = params.str("text", "", max_len=5000) or ""
        if not value:
            raise Invalid("Validation failed: value can't be blank")

        def work(tx):
            by = staff(tx, request, WRITE)
            if take_back:
                instance_labels.unlabel(
                    tx, by, value, text, status_id=status_id, account_id=account_id
                )
                return {}
            strike = instance_labels.label(
                tx,
                by,
                value,
                text,
                status_id=status_id,
                account_id=account_id,
                rule_id=rule_id,
            )
            return {"strike_id": str(strike), "labeler_id": str(labels.instance_labeler(tx))}

        return JSON(await database(request).write(work))

    return handler


routes = [
    Route("/api/v1/pnyx/admin/labels", _handler(False), methods=["POST"]),
    Route("/api/v1/pnyx/admin/labels/unlabel", _handler(True), methods=["POST"]),
]
