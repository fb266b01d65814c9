"""Mastodon API: hashtags one follows or features, and the Tag entity.

`GET /api/v1/tags/:name` is public; following needs write:follows (read:follows to list),
featuring write:accounts (read:accounts to list), as Mastodon asks. The rules live in
pnyx.core.hashtags and pnyx.core.featured_tags.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.routing import Route

from pnyx.api.auth import optional, require
from pnyx.api.http import JSON, database, path_id, read_params
from pnyx.api.pagination import page_from, paginated
from pnyx.core import accounts as core_accounts
from pnyx.core import featured_tags, hashtags
from pnyx.presenters.collections import featured_tag, tag

FOLLOWED_PAGE = {"default": 100, "maximum": 200}  # Mastodon's followed_tags limits


def _name(request: Request) -> str:
    return request.path_params["name"].replace("\x00", "")


async def show_tag(request: Request) -> JSON:
    name = _name(request)

    def work(tx):
        viewer = optional(tx, request)
        item = hashtags.view(tx, viewer.account_id if viewer else None, name)
        return tag(
            item, tx.settings, signed_in=viewer is not None and viewer.account_id is not None
        )

    return JSON(await database(request).read(work))


def _tag_action(scope: str, act):
    """POST /api/v1/tags/:name/<action>: change the viewer's tie to a tag, answer with it."""

    async def handler(request: Request) -> JSON:
        name = _name(request)

        def work(tx):
            viewer = require(tx, request, scope)
            act(tx, viewer.account_id, name)
            return tag(hashtags.view(tx, viewer.account_id, name), tx.settings, signed_in=True)

        return JSON(await database(request).write(work))

    return handler


async def followed_tags(request: Request) -> JSON:
    page = page_from(await read_params(request), **FOLLOWED_PAGE)

    def work(tx):
        viewer = require(tx, request, "read:follows")
        items = hashtags.followed(tx, viewer.account_id, page)
        rendered = [tag(item, tx.settings, signed_in=True) for item in items]
        return rendered, [item.cursor_id for item in items if item.cursor_id is not None]

    items, cursors = await database(request).read(work)
    return paginated(request, items, cursors)


def _featured_list(tx, account_id: int) -> list[dict]:
    owner = core_accounts.get_public(tx, account_id)
    if owner.suspended_at is not None:
        return []
    return [
        featured_tag(item, owner, tx.settings) for item in featured_tags.of_account(tx, account_id)
    ]


async def my_featured_tags(request: Request) -> JSON:
    def work(tx):
        viewer = require(tx, request, "read:accounts")
        return _featured_list(tx, viewer.account_id)

    return JSON(await database(request).read(work))


async def account_featured_tags(request: Request) -> JSON:
    """GET /api/v1/accounts/:id/featured_tags: public (apps open profiles with it)."""
    account_id = path_id(request)

    def work(tx):
        optional(tx, request, "read:accounts")
        return _featured_list(tx, account_id)

    return JSON(await database(request).read(work))


async def create_featured_tag(request: Request) -> JSON:
    params = await read_params(request)
    name = params.str("name", max_len=1000)

    def work(tx):
        viewer = require(tx, request, "write:accounts")
        item = featured_tags.feature(tx, viewer.account_id, name)
        owner = core_accounts.get(tx, viewer.account_id)
        return featured_tag(item, owner, tx.settings)

    return JSON(await database(request).write(work))


async def delete_featured_tag(request: Request) -> JSON:
    featured_id = path_id(request)

    def work(tx):
        viewer = require(tx, request, "write:accounts")
        featured_tags.unfeature(tx, viewer.account_id, featured_id)
        return {}

    return JSON(await database(request).write(work))


async def featured_tag_suggestions(request: Request) -> JSON:
    def work(tx):
        viewer = require(tx, request, "read:accounts")
        rows = featured_tags.suggestions(tx, viewer.account_id)
        views = hashtags.views(tx, viewer.account_id, rows)
        return [tag(item, tx.settings, signed_in=True) for item in views]

    return JSON(await database(request).read(work))


def _feature(tx, viewer_id: int, name: str) -> None:
    featured_tags.feature(tx, viewer_id, hashtags.valid_name(name))


TAG = "/api/v1/tags/{name}"

routes = [
    Route("/api/v1/followed_tags", followed_tags, methods=["GET"]),
    Route(TAG, show_tag, methods=["GET"]),
    Route(f"{TAG}/follow", _tag_action("write:follows", hashtags.follow), methods=["POST"]),
    Route(f"{TAG}/unfollow", _tag_action("write:follows", hashtags.unfollow), methods=["POST"]),
    Route(f"{TAG}/feature", _tag_action("write:accounts", _feature), methods=["POST"]),
    Route(
        f"{TAG}/unfeature",
        _tag_action("write:accounts", featured_tags.unfeature_name),
        methods=["POST"],
    ),
    Route("/api/v1/featured_tags", my_featured_tags, methods=["GET"]),
    Route("/api/v1/featured_tags", create_featured_tag, methods=["POST"]),
    Route("/api/v1/featured_tags/suggestions", featured_tag_suggestions, methods=["GET"]),
    Route("/api/v1/featured_tags/{id:int}", delete_featured_tag, methods=["DELETE"]),
    Route("/api/v1/accounts/{id:int}/featured_tags", account_featured_tags, methods=["GET"]),
]
