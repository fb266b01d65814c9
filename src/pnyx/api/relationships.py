"""Mastodon API: follows, follow requests, blocks, mutes, notes and the lists they make.

Handlers only read parameters, check the token's scope and call pnyx.core.follows,
pnyx.core.blocks_mutes and pnyx.core.relationships, where every rule lives. Each action
answers with the viewer's Relationship to the account, as Mastodon does, so clients can
redraw their buttons from the response alone.
"""

from __future__ import annotations

from dataclasses import asdict

from starlette.requests import Request
from starlette.routing import Route

from pnyx.api.auth import Viewer, optional, require
from pnyx.api.http import JSON, ApiError, Params, database, path_id, read_params
from pnyx.api.pagination import page_from, paginated
from pnyx.core import account_extras, blocks_mutes, follows
from pnyx.core import relationships as graph
from pnyx.core import scopes as scope_rules
from pnyx.db.ids import parse_id
from pnyx.presenters import entities, shown_accounts

ACCOUNTS_PAGE = {"default": 40, "maximum": 80}  # Mastodon's DEFAULT_ACCOUNTS_LIMIT and cap


def _ids(params: Params) -> list[int]:
    """`id[]=1&id[]=2` (or `id=1`); values that are not ids are skipped, as Mastodon does."""
    return [i for i in (parse_id(v) for v in params.list("id")) if i is not None]


def _relationship(tx, viewer: Viewer, target_id: int) -> dict:
    return entities.relationship(graph.relationship(tx, viewer.account_id, target_id))


def _action(scope: str, act):
    """A POST that changes the viewer's relationship to `{id}` and answers with it."""

    async def handler(request: Request) -> JSON:
        target_id = path_id(request)
        params = await read_params(request)

        def work(tx):
            viewer = require(tx, request, scope)
            act(tx, viewer.account_id, target_id, params)
            return _relationship(tx, viewer, target_id)

        return JSON(await database(request).write(work))

    return handler


def _follow(tx, viewer_id: int, target_id: int, params: Params) -> None:
    # Mastodon.py sends form reblogs=1&notify=0; megalodon sends `{}`. Absent options keep
    # their current value on an existing follow.
    languages = params.list("languages") if params.has("languages") else None
    follows.follow(
        tx,
        viewer_id,
        target_id,
        reblogs=params.bool("reblogs"),
        notify=params.bool("notify"),
        languages=languages,
    )


def _unfollow(tx, viewer_id: int, target_id: int, params: Params) -> None:
    follows.unfollow(tx, viewer_id, target_id)


def _block(tx, viewer_id: int, target_id: int, params: Params) -> None:
    blocks_mutes.block(tx, viewer_id, target_id)


def _unblock(tx, viewer_id: int, target_id: int, params: Params) -> None:
    blocks_mutes.unblock(tx, viewer_id, target_id)


def _mute(tx, viewer_id: int, target_id: int, params: Params) -> None:
    blocks_mutes.mute(
        tx,
        viewer_id,
        target_id,
        hide_notifications=params.bool("notifications", True),
        duration=params.int("duration", 0, minimum=0, maximum=blocks_mutes.MAX_MUTE_SECONDS),
    )


def _unmute(tx, viewer_id: int, target_id: int, params: Params) -> None:
    blocks_mutes.unmute(tx, viewer_id, target_id)


def _remove_from_followers(tx, viewer_id: int, target_id: int, params: Params) -> None:
    follows.remove_from_followers(tx, viewer_id, target_id)


def _note(tx, viewer_id: int, target_id: int, params: Params) -> None:
    graph.set_note(tx, viewer_id, target_id, params.str("comment", ""))


def _authorize(tx, viewer_id: int, requester_id: int, params: Params) -> None:
    follows.authorize_request(tx, viewer_id, requester_id)


def _reject(tx, viewer_id: int, requester_id: int, params: Params) -> None:
    follows.reject_request(tx, viewer_id, requester_id)


async def relationships(request: Request) -> JSON:
    params = await read_params(request)
    ids = _ids(params)
    with_suspended = params.bool("with_suspended", False)

    def work(tx):
        viewer = require(tx, request, "read:follows")
        found = graph.existing_account_ids(tx, ids, with_suspended=with_suspended)
        return [
            entities.relationship(rel) for rel in graph.relationships(tx, viewer.account_id, found)
        ]

    return JSON(await database(request).read(work))


async def familiar_followers(request: Request) -> JSON:
    params = await read_params(request)
    ids = _ids(params)

    def work(tx):
        viewer = require(tx, request, "read:follows")
        found = graph.existing_account_ids(tx, ids)
        items = graph.familiar_followers(tx, viewer.account_id, found)
        extras = account_extras.load(tx, [a for item in items for a in item.accounts])
        return [
            {"id": str(item.id), "accounts": entities.accounts(item.accounts, tx.settings, extras)}
            for item in items
        ]

    return JSON(await database(request).read(work))


def _may_read_graph(viewer: Viewer | None) -> None:
    """Followers/following: public, but a user's token must be allowed to read them.

    Mastodon asks for read:accounts here; read:follows is accepted too, since that is the
    scope an app would naturally request for reading someone's follows.
    """
    if viewer is None or viewer.user_id is None:
        return
    if not (
        scope_rules.grants(viewer.scopes, "read:accounts")
        or scope_rules.grants(viewer.scopes, "read:follows")
    ):
        raise ApiError(403, "This action is outside the authorized scopes")


def _follow_list(lister):
    async def handler(request: Request) -> JSON:
        account_id = path_id(request)
        params = await read_params(request)
        page = page_from(params, **ACCOUNTS_PAGE)

        def work(tx):
            viewer = optional(tx, request)
            _may_read_graph(viewer)
            rows = lister(tx, account_id, viewer.account_id if viewer else None, **asdict(page))
            return shown_accounts.many(tx, rows), [row.cursor_id for row in rows]

        items, cursors = await database(request).read(work)
        return paginated(request, items, cursors)

    return handler


def _own_list(scope: str, lister, render=None):
    """The viewer's own follow requests, blocks or mutes, paged by the list row's id."""

    async def handler(request: Request) -> JSON:
        params = await read_params(request)
        page = page_from(params, **ACCOUNTS_PAGE)

        def work(tx):
            viewer = require(tx, request, scope)
            rows = lister(tx, viewer.account_id, **asdict(page))
            draw = render or entities.account
            extras = account_extras.load(tx, rows)
            return [draw(row, tx.settings, extras) for row in rows], [r.cursor_id for r in rows]

        items, cursors = await database(request).read(work)
        return paginated(request, items, cursors)

    return handler


def _muted_account(row, settings, extras) -> dict:
    """Mastodon adds when the mute ends to each account of GET /api/v1/mutes."""
    data = entities.account(row, settings, extras)
    data["mute_expires_at"] = entities.iso(row.mute_expires_at)
    return data


def _post(path: str, handler) -> Route:
    return Route(path, handler, methods=["POST"])


def _get(path: str, handler) -> Route:
    return Route(path, handler, methods=["GET"])


ACCOUNT = "/api/v1/accounts/{id:int}"

routes: list[Route] = [
    _get("/api/v1/accounts/relationships", relationships),
    _get("/api/v1/accounts/familiar_followers", familiar_followers),
    _get(f"{ACCOUNT}/followers", _follow_list(graph.followers)),
    _get(f"{ACCOUNT}/following", _follow_list(graph.following)),
    _post(f"{ACCOUNT}/follow", _action("write:follows", _follow)),
    _post(f"{ACCOUNT}/unfollow", _action("write:follows", _unfollow)),
    _post(f"{ACCOUNT}/remove_from_followers", _action("write:follows", _remove_from_followers)),
    _post(f"{ACCOUNT}/block", _action("write:blocks", _block)),
    _post(f"{ACCOUNT}/unblock", _action("write:blocks", _unblock)),
    _post(f"{ACCOUNT}/mute", _action("write:mutes", _mute)),
    _post(f"{ACCOUNT}/unmute", _action("write:mutes", _unmute)),
    _post(f"{ACCOUNT}/note", _action("write:accounts", _note)),
    _get("/api/v1/follow_requests", _own_list("read:follows", graph.pending_requests)),
    _post("/api/v1/follow_requests/{id:int}/authorize", _action("write:follows", _authorize)),
    _post("/api/v1/follow_requests/{id:int}/reject", _action("write:follows", _reject)),
    _get("/api/v1/blocks", _own_list("read:blocks", graph.blocked_accounts)),
    _get("/api/v1/mutes", _own_list("read:mutes", graph.muted_accounts, _muted_account)),
]
