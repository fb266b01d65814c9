"""Pnyx API: announce a move from the new account, when the old server is gone (issue 14).

    GET  /api/v1/pnyx/move/announce   the moves this account may announce or announced:
                                      one per imported archive of another account, with
                                      its progress; and the cooldown
    POST /api/v1/pnyx/move/announce   announce one: `current_password`, and `id` (default:
                                      the newest whose archive carried the old key)

A PullMove is `{"id", "old_uri", "old_account", "has_key", "state", "followers", "found",
"failed", "inboxes", "created_at", "announced_at", "sent_at", "failures"}`; `state` is
`ready` (never announced), `finding` (the followers are being found on their servers) or
`sent` (the Move is on its way to `inboxes` inboxes); `failures` lists the first addresses
that could not be found, with why. Every refusal is a 422 with its reason in `error`. The
rules are `core.pull_moves`'.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.routing import Route

from pnyx.api.auth import require
from pnyx.api.http import JSON, database, read_params
from pnyx.core import pull_moves
from pnyx.core import remote_store as received
from pnyx.core.errors import Invalid
from pnyx.db.ids import parse_id
from pnyx.presenters import entities, shown_accounts

PATH = "/api/v1/pnyx/move/announce"
FIELD = 2048
FAILURES_SHOWN = 100


def pull_move(tx, row) -> dict:
    """The PullMove entity."""
    old = received.account_by_uri(tx, row.old_uri)
    return {
        "id": str(row.id),
        "old_uri": row.old_uri,
        "old_account": shown_accounts.one_or_none(tx, old),
        "has_key": row.subject is not None,
        "state": row.state,
        "followers": row.followers,
        "found": row.found,
        "failed": row.failed,
        "inboxes": row.inboxes,
        "created_at": entities.iso(row.created_at),
        "announced_at": entities.iso(row.announced_at),
        "sent_at": entities.iso(row.sent_at),
        "failures": [
            {"address": f.address, "error": f.error}
            for f in pull_moves.failures(tx, row.id, FAILURES_SHOWN)
        ],
    }


def _status(tx, account_id: int) -> dict:
    return {
        "cooldown_days": tx.settings.move_cooldown_days,
        "cooldown_until": entities.iso(pull_moves.cooldown_until(tx, account_id)),
        "moves": [pull_move(tx, row) for row in pull_moves.of_account(tx, account_id)],
    }


async def index(request: Request) -> JSON:
    def work(tx):
        viewer = require(tx, request, "read:accounts")
        return _status(tx, viewer.account_id)

    return JSON(await database(request).read(work))


async def announce(request: Request) -> JSON:
    params = await read_params(request)
    password = params.str("current_password", "", max_len=FIELD) or ""
    raw_id = params.str("id", "", max_len=64) or ""
    chosen = parse_id(raw_id) if raw_id else None
    if raw_id and chosen is None:
        raise Invalid("id is not the id of a move")

    def work(tx):
        viewer = require(tx, request, "write:accounts")
        return pull_move(tx, pull_moves.announce(tx, viewer.account_id, password, chosen))

    return JSON(await database(request).write(work))


routes = [
    Route(PATH, index, methods=["GET"]),
    Route(PATH, announce, methods=["POST"]),
]
