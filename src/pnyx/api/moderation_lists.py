"""Pnyx API: shared block and mute lists (issue 12). The rules live in
`core.moderation_lists`.

    GET    /api/v1/pnyx/moderation_lists                  your own lists
    POST   /api/v1/pnyx/moderation_lists                  make one (title, description)
    GET    /api/v1/pnyx/moderation_lists/:id              a list (any kept here) and its accounts
    POST   /api/v1/pnyx/moderation_lists/:id/accounts     put accounts on yours (account_ids[])
    DELETE /api/v1/pnyx/moderation_lists/:id/accounts     take them off
    POST   /api/v1/pnyx/moderation_lists/subscribe        mute or block by a list: `uri` (here
                                                          or elsewhere) or `id`, and `action`
    POST   /api/v1/pnyx/moderation_lists/:id/unsubscribe  stop
    GET    /api/v1/pnyx/moderation_list_subscriptions     yours, with the accounts each one
                                                          mutes or blocks for you now
    POST   /api/v1/pnyx/moderation_lists/exempt           keep `account_id` out of every list
"""

from __future__ import annotations

import anyio.to_thread
from starlette.requests import Request
from starlette.routing import Route

from pnyx.api.auth import optional, require
from pnyx.api.http import JSON, database, path_id, read_params
from pnyx.core import accounts, moderation_lists
from pnyx.core import federation_reads as reads
from pnyx.core.errors import Invalid, NotFound
from pnyx.db.ids import parse_id
from pnyx.federation import moderation_list_documents, resolve
from pnyx.federation.as2_common import same_origin


def _shown(tx, row) -> dict:
    keeper = reads.account(tx, row.account_id)
    acct = keeper.username if keeper.domain is None else f"{keeper.username}@{keeper.domain}"
    return {
        "id": str(row.id),
        "uri": row.uri,
        "title": row.title,
        "description": row.description,
        "keeper": {"id": str(keeper.id), "acct": acct},
        "updated_at": row.updated_at.isoformat(),
    }


def _ids(params) -> list[int]:
    found = []
    for raw in params.list("account_ids"):
        value = parse_id(raw)
        if value is None:
            raise NotFound()
        found.append(value)
    if not found:
        raise Invalid("Validation failed: account_ids can't be blank")
    return found


async def mine(request: Request) -> JSON:
    def work(tx):
        viewer = require(tx, request, "read")
        return [_shown(tx, r) for r in moderation_lists.of_owner(tx, viewer.account_id)]

    return JSON(await database(request).read(work))


async def create(request: Request) -> JSON:
    params = await read_params(request)
    title = params.str("title", "", max_len=1000) or ""
    description = params.str("description", "", max_len=5000) or ""

    def work(tx):
        viewer = require(tx, request, "write")
        list_id = moderation_lists.create(tx, viewer.account_id, title, description)
        return _shown(tx, moderation_lists.get(tx, list_id))

    return JSON(await database(request).write(work))


async def show(request: Request) -> JSON:
    list_id = path_id(request)

    def work(tx):
        optional(tx, request, "read")
        row = moderation_lists.get(tx, list_id)
        members = [reads.account(tx, i) for i in moderation_lists.member_ids(tx, list_id)]
        return {
            **_shown(tx, row),
            "accounts": [
                {
                    "id": str(m.id),
                    "acct": m.username if m.domain is None else f"{m.username}@{m.domain}",
                }
                for m in members
                if m is not None
            ],
        }

    return JSON(await database(request).read(work))


def _members(add: bool):
    async def handler(request: Request) -> JSON:
        list_id = path_id(request)
        params = await read_params(request)
        targets = _ids(params)

        def work(tx):
            viewer = require(tx, request, "write")
            for target in targets:
                accounts.get_public(tx, target)
                if add:
                    moderation_lists.add_member(tx, viewer.account_id, list_id, target)
                else:
                    moderation_lists.remove_member(tx, viewer.account_id, list_id, target)
            return {}

        return JSON(await database(request).write(work))

    return handler


async def subscribe(request: Request) -> JSON:
    params = await read_params(request)
    action = params.str("action", "block", max_len=8) or "block"
    uri = (params.str("uri", "", max_len=2048) or "").strip()
    given_id = parse_id(params.str("id", "", max_len=32) or "")
    db = database(request)
    settings = request.app.state.settings
    if given_id is None and not uri:
        raise Invalid("Validation failed: give the list's uri or id")
    if given_id is None:
        known = await db.read(moderation_lists.by_uri, uri)
        if known is not None:
            given_id = known.id
        elif not uri.startswith(("https://", "http://")) or same_origin(uri, settings.base_url):
            raise NotFound()
        else:
            await db.read(lambda tx: require(tx, request, "write"))  # before any fetch
            try:
                given_id = await anyio.to_thread.run_sync(
                    moderation_list_documents.fetch_list, db, settings, uri
                )
            except resolve.ResolveError as exc:
                raise Invalid(
                    f"Validation failed: could not read that list: {exc.reason}"
                ) from None
    list_id = given_id

    def work(tx):
        viewer = require(tx, request, "write")
        moderation_lists.subscribe(tx, viewer.account_id, list_id, action)
        return {**_shown(tx, moderation_lists.get(tx, list_id)), "action": action}

    return JSON(await db.write(work))


async def unsubscribe(request: Request) -> JSON:
    list_id = path_id(request)

    def work(tx):
        viewer = require(tx, request, "write")
        moderation_lists.unsubscribe(tx, viewer.account_id, list_id)
        return {}

    return JSON(await database(request).write(work))


async def subscriptions(request: Request) -> JSON:
    def work(tx):
        viewer = require(tx, request, "read")
        return [
            {
                **_shown(tx, s.list),
                "action": s.action,
                "caused_account_ids": [str(i) for i in s.caused],
            }
            for s in moderation_lists.subscriptions(tx, viewer.account_id)
        ]

    return JSON(await database(request).read(work))


async def exempt(request: Request) -> JSON:
    params = await read_params(request)
    target = parse_id(params.str("account_id", "", max_len=32) or "")
    if target is None:
        raise NotFound()

    def work(tx):
        viewer = require(tx, request, "write")
        accounts.get_public(tx, target)
        moderation_lists.exempt(tx, viewer.account_id, target)
        return {}

    return JSON(await database(request).write(work))


_ONE = "/api/v1/pnyx/moderation_lists/{id:int}"
routes = [
    Route("/api/v1/pnyx/moderation_lists", mine, methods=["GET"]),
    Route("/api/v1/pnyx/moderation_lists", create, methods=["POST"]),
    Route("/api/v1/pnyx/moderation_lists/subscribe", subscribe, methods=["POST"]),
    Route("/api/v1/pnyx/moderation_lists/exempt", exempt, methods=["POST"]),
    Route("/api/v1/pnyx/moderation_list_subscriptions", subscriptions, methods=["GET"]),
    Route(_ONE, show, methods=["GET"]),
    Route(_ONE + "/accounts", _members(True), methods=["POST"]),
    Route(_ONE + "/accounts", _members(False), methods=["DELETE"]),
    Route(_ONE + "/unsubscribe", unsubscribe, methods=["POST"]),
]
