"""Mastodon API: lists, their members and their timelines.

The rules (who may be a member, replies policies, exclusive lists, someone else's list being
404) live in pnyx.core.lists and pnyx.core.timelines; handlers read parameters, check scopes
(read:lists / write:lists) and render.

A pinned feed (`core.feed_pins`) is one of the viewer's lists too: its id tells it apart
(`feed_pins.is_pin_id`), its timeline is the feed's (with the `Pnyx-Feed-Version` header), it
has no members, and changing them is refused with a 422 that says why.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.routing import Route

from pnyx.api.auth import require
from pnyx.api.feeds import VERSION_HEADER
from pnyx.api.http import JSON, Params, database, path_id, read_params
from pnyx.api.pagination import page_from, paginated
from pnyx.api.timelines import feed_wish, render_kept
from pnyx.core import feed_pins, lists, timelines
from pnyx.core.algorithms import serving
from pnyx.core.paging import Page
from pnyx.db.ids import parse_id
from pnyx.presenters import shown_accounts
from pnyx.presenters.collections import list_entity

MEMBERS_PAGE = {"default": 40, "maximum": 80}
ALL_MEMBERS = 10_000  # limit=0 asks for every member at once (Mastodon's "no pagination")


def _account_ids(params: Params) -> list[int]:
    return [
        i
        for i in (
            parse_id(v) for v in params.list("account_ids", max_items=lists.MAX_MEMBERS_AT_ONCE)
        )
        if i is not None
    ]


async def index(request: Request) -> JSON:
    def work(tx):
        viewer = require(tx, request, "read:lists")
        own = [list_entity(row) for row in lists.owned(tx, viewer.account_id)]
        return own + [p.list_entity() for p in feed_pins.of_account(tx, viewer.account_id)]

    return JSON(await database(request).read(work))


async def show(request: Request) -> JSON:
    list_id = path_id(request)

    def work(tx):
        viewer = require(tx, request, "read:lists")
        if feed_pins.is_pin_id(list_id):
            return feed_pins.get(tx, viewer.account_id, list_id).list_entity()
        return list_entity(lists.get(tx, viewer.account_id, list_id))

    return JSON(await database(request).read(work))


async def create(request: Request) -> JSON:
    params = await read_params(request)
    title = params.str("title", max_len=10_000)
    policy = params.str("replies_policy", "list", max_len=32) or "list"
    exclusive = params.bool("exclusive", False)

    def work(tx):
        viewer = require(tx, request, "write:lists")
        return list_entity(lists.create(tx, viewer.account_id, title, policy, bool(exclusive)))

    return JSON(await database(request).write(work))


async def update(request: Request) -> JSON:
    list_id = path_id(request)
    params = await read_params(request)
    title = params.str("title", max_len=10_000)
    policy = params.str("replies_policy", max_len=32) or None
    exclusive = params.bool("exclusive")

    def work(tx):
        viewer = require(tx, request, "write:lists")
        if feed_pins.is_pin_id(list_id):  # a title renames the pin; the rest has no meaning
            return feed_pins.rename(tx, viewer.account_id, list_id, title).list_entity()
        row = lists.update(
            tx, viewer.account_id, list_id, title=title, replies_policy=policy, exclusive=exclusive
        )
        return list_entity(row)

    return JSON(await database(request).write(work))


async def destroy(request: Request) -> JSON:
    list_id = path_id(request)

    def work(tx):
        viewer = require(tx, request, "write:lists")
        if feed_pins.is_pin_id(list_id):
            feed_pins.delete(tx, viewer.account_id, list_id)
            return {}
        lists.delete(tx, viewer.account_id, list_id)
        return {}

    return JSON(await database(request).write(work))


async def members(request: Request) -> JSON:
    list_id = path_id(request)
    params = await read_params(request)
    if params.int("limit") == 0:
        page = Page(limit=ALL_MEMBERS)
    else:
        page = page_from(params, **MEMBERS_PAGE)

    def work(tx):
        viewer = require(tx, request, "read:lists")
        if feed_pins.is_pin_id(list_id):
            feed_pins.get(tx, viewer.account_id, list_id)
            return [], []
        rows = lists.members(tx, viewer.account_id, list_id, page)
        return shown_accounts.many(tx, rows), [r.cursor_id for r in rows]

    items, cursors = await database(request).read(work)
    if page.limit == ALL_MEMBERS:
        return JSON(items)
    return paginated(request, items, cursors)


async def add_members(request: Request) -> JSON:
    list_id = path_id(request)
    ids = _account_ids(await read_params(request))

    def work(tx):
        viewer = require(tx, request, "write:lists")
        if feed_pins.is_pin_id(list_id):
            feed_pins.refuse_members(tx, viewer.account_id, list_id)
        lists.add_members(tx, viewer.account_id, list_id, ids)
        return {}

    return JSON(await database(request).write(work))


async def remove_members(request: Request) -> JSON:
    list_id = path_id(request)
    ids = _account_ids(await read_params(request))

    def work(tx):
        viewer = require(tx, request, "write:lists")
        if feed_pins.is_pin_id(list_id):
            feed_pins.refuse_members(tx, viewer.account_id, list_id)
        lists.remove_members(tx, viewer.account_id, list_id, ids)
        return {}

    return JSON(await database(request).write(work))


async def account_lists(request: Request) -> JSON:
    """GET /api/v1/accounts/:id/lists: the viewer's lists that account is in."""
    account_id = path_id(request)

    def work(tx):
        viewer = require(tx, request, "read:lists")
        return [list_entity(row) for row in lists.containing(tx, viewer.account_id, account_id)]

    return JSON(await database(request).read(work))


async def timeline(request: Request) -> JSON:
    list_id = path_id(request)
    page = page_from(await read_params(request))
    if feed_pins.is_pin_id(list_id):
        return await _pinned_timeline(request, list_id, page)

    def work(tx):
        viewer = require(tx, request, "read:lists")
        ids = timelines.list_statuses(tx, viewer.account_id, list_id, page)
        # lists filter as home does
        return render_kept(tx, ids, viewer.account_id, "home"), viewer.account_id, ids.feed_request

    (items, cursors), viewer_id, wish = await database(request).read(work)
    await feed_wish(request, viewer_id, list_id, wish)
    return paginated(request, items, cursors)


async def _pinned_timeline(request: Request, list_id: int, page: Page) -> JSON:
    """A pinned feed read as a list: the feed's page (a ranked feed's first page stores its
    snapshot, so that one is a write transaction), saying which version served it."""

    def work(tx, serve=serving.serve):
        viewer = require(tx, request, "read:lists")
        feed = feed_pins.feed_of(tx, viewer.account_id, list_id)
        served = serve(tx, viewer.account_id, feed, page)
        if served is None:
            return None
        body, cursors = render_kept(tx, served.slice, viewer.account_id, "home")
        return body, cursors, f"{feed.id}@{served.version}"

    found = await database(request).read(work, serving.serve_read)
    if found is None:  # a first page to rank: it stores its snapshot
        found = await database(request).write(work)
    body, cursors, version = found
    response = paginated(request, body, cursors)
    response.headers[VERSION_HEADER] = version
    return response


LIST = "/api/v1/lists/{id:int}"

routes = [
    Route("/api/v1/lists", index, methods=["GET"]),
    Route("/api/v1/lists", create, methods=["POST"]),
    Route(LIST, show, methods=["GET"]),
    Route(LIST, update, methods=["PUT"]),
    Route(LIST, destroy, methods=["DELETE"]),
    Route(f"{LIST}/accounts", members, methods=["GET"]),
    Route(f"{LIST}/accounts", add_members, methods=["POST"]),
    Route(f"{LIST}/accounts", remove_members, methods=["DELETE"]),
    Route("/api/v1/accounts/{id:int}/lists", account_lists, methods=["GET"]),
    Route("/api/v1/timelines/list/{id:int}", timeline, methods=["GET"]),
]
