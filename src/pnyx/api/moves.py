"""Pnyx API: aliases and moving out (issue 14). Mastodon has both only in its web settings
(/settings/aliases, /settings/migration); these routes let apps do the same. The rules are
`core.account_moves`'; the lookup of an account elsewhere (`federation.move_targets`) runs
before the transaction that uses it, never inside.

    GET    /api/v1/pnyx/aliases       your aliases (alsoKnownAs), newest first
    POST   /api/v1/pnyx/aliases       add one: `acct` (name@example.org) or `uri`
    DELETE /api/v1/pnyx/aliases/:id   remove the alias of the account with this id
    DELETE /api/v1/pnyx/aliases       remove one by `uri` (or `acct`)
    GET    /api/v1/pnyx/move          where the account moved, its moves, the cooldown
    POST   /api/v1/pnyx/move          move: `target` (handle or uri) and `current_password`

An Alias is `{"id", "uri", "acct", "account"}` (id, acct and account are null for a uri no
longer known here). Every refusal is a 422 with the reason in `error`.
"""

from __future__ import annotations

import anyio.to_thread
from starlette.requests import Request
from starlette.routing import Route

from pnyx.api.auth import require
from pnyx.api.http import JSON, database, path_id, read_params
from pnyx.core import account_moves
from pnyx.core import accounts as core_accounts
from pnyx.core.errors import Invalid
from pnyx.federation import move_targets
from pnyx.federation.resolve import ResolveError
from pnyx.presenters import entities, shown_accounts

FIELD = 2048


def _alias(tx, alias: account_moves.Alias) -> dict:
    row = alias.account
    return {
        "id": str(row.id) if row is not None else None,
        "uri": alias.uri,
        "acct": account_moves.acct_of(tx, row) if row is not None else None,
        "account": shown_accounts.one_or_none(tx, row),
    }


def _move(tx, move: account_moves.Move) -> dict:
    return {
        "id": str(move.id),
        "target_uri": move.target_uri,
        "target": shown_accounts.one_or_none(tx, move.target),
        "created_at": entities.iso(move.created_at),
    }


def _status(tx, account_id: int) -> dict:
    me = core_accounts.get(tx, account_id)
    until = account_moves.cooldown_until(tx, account_id)
    return {
        "account": shown_accounts.one(tx, me),
        "moved_to": shown_accounts.one_or_none(tx, account_moves.moved_to(tx, me)),
        "also_known_as": list(me.also_known_as or []),
        "cooldown_days": tx.settings.move_cooldown_days,
        "cooldown_until": entities.iso(until),
        "moves": [_move(tx, m) for m in account_moves.moves(tx, account_id)],
    }


async def _found(request: Request, text: str, *, fresh: bool) -> int:
    """The account `text` names, looked up on its server when needed (no transaction open)."""
    db, settings = database(request), request.app.state.settings
    try:
        return await anyio.to_thread.run_sync(
            lambda: move_targets.find_account(db, settings, text, fresh=fresh)
        )
    except ResolveError as exc:
        raise Invalid(f"{account_moves.NOT_FOUND}: {exc.reason}") from None


async def list_aliases(request: Request) -> JSON:
    def work(tx):
        viewer = require(tx, request, "read:accounts")
        return [_alias(tx, a) for a in account_moves.aliases(tx, viewer.account_id)]

    return JSON(await database(request).read(work))


def _named(params) -> str:
    text = params.str("acct", "", max_len=FIELD) or params.str("uri", "", max_len=FIELD) or ""
    if not text.strip():
        raise Invalid("Give the account's acct (name@example.org) or uri")
    return text


async def add_alias(request: Request) -> JSON:
    params = await read_params(request)
    db = database(request)
    await db.read(lambda tx: require(tx, request, "write:accounts"))  # before any fetch
    target_id = await _found(request, _named(params), fresh=False)

    def work(tx):
        viewer = require(tx, request, "write:accounts")
        return _alias(tx, account_moves.add_alias(tx, viewer.account_id, target_id))

    return JSON(await db.write(work))


async def remove_alias(request: Request) -> JSON:
    """DELETE /aliases/:id (the alias's account) or DELETE /aliases with `uri` or `acct`."""
    target_id = path_id(request) if "id" in request.path_params else None
    params = await read_params(request)
    uri = (params.str("uri", "", max_len=FIELD) or "").strip()
    acct = (params.str("acct", "", max_len=FIELD) or "").strip().lstrip("@")

    def work(tx):
        viewer = require(tx, request, "write:accounts")
        me = viewer.account_id
        if target_id is not None:
            named = account_moves.alias_uri_of(tx, me, target_id)
        elif uri:
            named = uri
        elif acct:
            row = core_accounts.find_by_acct(tx, acct)
            named = row.uri if row is not None else ""
        else:
            raise Invalid("Give the alias's uri or acct")
        account_moves.remove_alias(tx, me, named)
        return {}

    return JSON(await database(request).write(work))


async def move_status(request: Request) -> JSON:
    def work(tx):
        viewer = require(tx, request, "read:accounts")
        return _status(tx, viewer.account_id)

    return JSON(await database(request).read(work))


async def move(request: Request) -> JSON:
    params = await read_params(request)
    target = params.str("target", "", max_len=FIELD) or params.str("acct", "", max_len=FIELD)
    password = params.str("current_password", "", max_len=FIELD) or ""
    db = database(request)

    def before(tx):
        """Refused before any fetch: a stranger, a wrong password, the cooldown."""
        viewer = require(tx, request, "write:accounts")
        account_moves.check_password(tx, viewer.account_id, password)
        waiting = account_moves.cooldown_refusal(tx, viewer.account_id)
        if waiting is not None:
            raise Invalid(waiting)
        if not (target or "").strip():
            raise Invalid("Give the target account's handle (name@example.org) or uri")

    await db.write(before)
    target_id = await _found(request, target or "", fresh=True)

    def work(tx):
        viewer = require(tx, request, "write:accounts")
        account_moves.move_out(tx, viewer.account_id, target_id, password)
        return _status(tx, viewer.account_id)

    return JSON(await db.write(work))


routes = [
    Route("/api/v1/pnyx/aliases", list_aliases, methods=["GET"]),
    Route("/api/v1/pnyx/aliases", add_alias, methods=["POST"]),
    Route("/api/v1/pnyx/aliases", remove_alias, methods=["DELETE"]),
    Route("/api/v1/pnyx/aliases/{id}", remove_alias, methods=["DELETE"]),
    Route("/api/v1/pnyx/move", move_status, methods=["GET"]),
    Route("/api/v1/pnyx/move", move, methods=["POST"]),
]
