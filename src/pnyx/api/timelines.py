"""Mastodon API: home, public, hashtag and trending link timelines, and one account's statuses.

Each handler does the token lookup, the timeline query and the loading for rendering in one
`database.read` call (one thread hop per request); the rules live in `core.timelines`.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.routing import Route

from pnyx.api.auth import optional, require
from pnyx.api.http import database, json_bytes, not_found, path_id, read_params
from pnyx.api.pagination import page_from, paginated
from pnyx.core import status_views, timelines, trends
from pnyx.edges.http import trends_cache
from pnyx.presenters import entities, status_json


def no_nul(value: str | None) -> str | None:
    """PostgreSQL refuses NUL characters in text; no tag, name or word contains one."""
    return value.replace("\x00", "") if value else value


def no_nul_list(values: list[str]) -> list[str]:
    return [v.replace("\x00", "") for v in values]


def render(
    tx, page: timelines.Slice, viewer_id: int | None, filter_context: str
) -> tuple[list[dict], list[int]]:
    """Rendered statuses (those the viewer is shown) and the ids for the Link header. A
    timeline's ids arrive already decided for this viewer (`decisions.CheckedIds`), and
    `status_views.load` takes them as they are but for the viewer's filters of the
    timeline's context, which need the posts' text (a `hide` filter shortens the page; the
    Link header still points past it)."""
    bundle = status_views.load(tx, page.ids, viewer_id, filter_context=filter_context)
    return entities.statuses(bundle, tx.settings, tx.now), page.cursors


async def home(request: Request):
    params = await read_params(request)
    page = page_from(params)

    def work(tx):
        viewer = require(tx, request, "read:statuses")
        ids = timelines.home(tx, viewer.account_id, page)
        return render_kept(tx, ids, viewer.account_id, "home"), viewer.account_id, ids.feed_request

    (body, cursors), viewer_id, wish = await database(request).read(work)
    await feed_wish(request, viewer_id, 0, wish)
    return paginated(request, body, cursors)


def render_kept(
    tx, page: timelines.Slice, viewer_id: int, filter_context: str
) -> tuple[bytes, list[int]]:
    """`render` for a feed page, as JSON: from the posts' kept JSON when the page holds only
    kept posts (`presenters.status_json`), else rendered and then kept for the next page.
    A page decided without reading the posts' versions (a ranked feed's) reads them first."""
    ids = timelines.with_versions(tx, page.ids, viewer_id)
    body = status_json.page(tx, ids, viewer_id, filter_context, tx.settings)
    if body is None:
        bundle = status_views.load(tx, ids, viewer_id, filter_context=filter_context)
        body = json_bytes(entities.statuses(bundle, tx.settings, tx.now))
        status_json.keep(tx, ids, bundle, tx.settings, tx.now)
    return body, page.cursors


async def feed_wish(request: Request, viewer_id: int, list_id: int, wish: str | None) -> None:
    """A materialized feed's wish after a read (to be built, or marked as read): a short
    write after the page was read, only when there is one (a viewer's first read, then
    once a day)."""
    if wish is not None:
        await database(request).write(
            lambda tx: timelines.feed_requested(tx, viewer_id, list_id, wish)
        )


async def public(request: Request):
    params = await read_params(request)
    page = page_from(params)
    local = params.bool("local", False)
    remote = params.bool("remote", False)
    only_media = params.bool("only_media", False)

    def work(tx):
        viewer = optional(tx, request, "read:statuses")
        viewer_id = viewer.account_id if viewer else None
        ids = timelines.public(
            tx, viewer_id, page, local=local, remote=remote, only_media=only_media
        )
        return render(tx, ids, viewer_id, "public")

    items, cursors = await database(request).read(work)
    return paginated(request, items, cursors)


async def tag(request: Request):
    params = await read_params(request)
    page = page_from(params)
    hashtag = no_nul(request.path_params["hashtag"])
    options = {
        "any_tags": no_nul_list(params.list("any")),
        "all_tags": no_nul_list(params.list("all")),
        "none_tags": no_nul_list(params.list("none")),
        "local": params.bool("local", False),
        "remote": params.bool("remote", False),
        "only_media": params.bool("only_media", False),
    }

    def work(tx):
        viewer = optional(tx, request, "read:statuses")
        viewer_id = viewer.account_id if viewer else None
        ids = timelines.tag(tx, viewer_id, hashtag, page, **options)
        return render(tx, ids, viewer_id, "public")

    items, cursors = await database(request).read(work)
    return paginated(request, items, cursors)


async def link(request: Request):
    """Mastodon 4.3's timeline of a trending link (`url`): 404 for a link that is not
    trending, as Mastodon answers."""
    params = await read_params(request)
    page = page_from(params)
    url = no_nul(params.str("url")) or ""
    cache = trends_cache(request)

    def work(tx):
        viewer = optional(tx, request, "read:statuses")
        viewer_id = viewer.account_id if viewer else None
        card_id = trends.trending_card_id(tx, cache, url)
        if card_id is None:
            raise not_found()
        ids = timelines.link(tx, viewer_id, card_id, page)
        return render(tx, ids, viewer_id, "public")

    items, cursors = await database(request).read(work)
    return paginated(request, items, cursors)


async def account_statuses(request: Request):
    account_id = path_id(request)
    params = await read_params(request)
    page = page_from(params)
    options = {
        "pinned": params.bool("pinned", False),
        "exclude_replies": params.bool("exclude_replies", False),
        "exclude_reblogs": params.bool("exclude_reblogs", False),
        "only_media": params.bool("only_media", False),
        "tagged": no_nul(params.str("tagged", max_len=255)),
    }

    def work(tx):
        viewer = optional(tx, request, "read:statuses")
        viewer_id = viewer.account_id if viewer else None
        ids = timelines.account_statuses(tx, viewer_id, account_id, page, **options)
        return render(tx, ids, viewer_id, "account")

    items, cursors = await database(request).read(work)
    return paginated(request, items, cursors)


routes = [
    Route("/api/v1/timelines/home", home, methods=["GET"]),
    Route("/api/v1/timelines/public", public, methods=["GET"]),
    Route("/api/v1/timelines/tag/{hashtag}", tag, methods=["GET"]),
    Route("/api/v1/timelines/link", link, methods=["GET"]),
    Route("/api/v1/accounts/{id:int}/statuses", account_statuses, methods=["GET"]),
]
