"""Pnyx API: the open feeds. The catalog of algorithms and composed feeds, composing,
following, and reading any feed as Mastodon statuses.

    GET    /api/v1/pnyx/feeds                  catalog (built-ins; with a token also the
                                               viewer's composed and followed feeds)
    GET    /api/v1/pnyx/feeds/:id              one entry
    GET    /api/v1/pnyx/feeds/:id/statuses     a page, with Link and Pnyx-Feed-Version
    POST   /api/v1/pnyx/feeds                  compose
    PUT    /api/v1/pnyx/feeds/:id              change (owner)
    DELETE /api/v1/pnyx/feeds/:id              delete (owner)
    POST   /api/v1/pnyx/feeds/:id/follow       follow a composed feed
    POST   /api/v1/pnyx/feeds/:id/unfollow

The rules live in `core.algorithms`; these handlers read parameters and render.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.routing import Route

from pnyx.api.auth import optional, require
from pnyx.api.http import JSON, Params, database, read_params
from pnyx.api.pagination import page_from, paginated
from pnyx.api.timelines import render_kept
from pnyx.config import Settings
from pnyx.core.algorithms import catalog, composed, feeds, serving
from pnyx.core.algorithms.feeds import composed_number
from pnyx.core.errors import NotFound

VERSION_HEADER = "Pnyx-Feed-Version"


def _feed_id(request: Request) -> str:
    value = str(request.path_params["id"])
    if len(value) > 64:
        raise NotFound()
    return value


def composed_entity(
    feed: composed.ComposedFeed, settings: Settings, viewer_id: int | None, following: bool
) -> dict[str, Any]:
    """A composed feed as the catalog shows it: its recipe, and its order's published
    parameters, changelog and source."""
    recipe = feed.recipe
    order = feed.order
    base_url = settings.base_url
    return {
        "id": str(feed.id),
        "type": "composed",
        "title": recipe.title,
        "description": recipe.description,
        "account_id": str(feed.account_id),
        "sources": recipe.sources,
        "filters": recipe.filters,
        "order": recipe.order,
        "parameters": [
            {"name": "order", "value": recipe.order},
            *catalog.parameters(order.params),
        ],
        "version": feed.version,
        "changelog": [{"date": d, "text": t} for d, t in order.changelog],
        "source_url": catalog.source_link(order, settings.source_url, base_url),
        "url": f"{base_url}/api/v1/pnyx/feeds/{feed.id}",
        "followers_count": feed.followers,
        "following": following,
        "owned": viewer_id == feed.account_id,
        "ranked": True,
    }


def _describe_algorithm(tx, algorithm: catalog.Algorithm) -> dict[str, Any]:
    settings = tx.settings
    return catalog.describe(algorithm, settings.source_url, settings.base_url)


async def index(request: Request) -> JSON:
    def work(tx):
        viewer = optional(tx, request, "read:lists")
        out = [_describe_algorithm(tx, a) for a in catalog.ALGORITHMS.values()]
        if viewer is not None:
            own, followed = composed.of_account(tx, viewer.account_id)
            following = {f.id for f in followed}
            for feed in own + followed:
                out.append(
                    composed_entity(
                        feed,
                        tx.settings,
                        viewer.account_id,
                        feed.id in following
                        or composed.is_following(tx, viewer.account_id, feed.id),
                    )
                )
        return out

    return JSON(await database(request).read(work))


async def show(request: Request) -> JSON:
    feed_id = _feed_id(request)

    def work(tx):
        viewer = optional(tx, request, "read:lists")
        algorithm = catalog.get(feed_id)
        if algorithm is not None:
            return _describe_algorithm(tx, algorithm)
        number = composed_number(feed_id)
        if number is None:
            raise NotFound()
        feed = composed.get(tx, number)
        viewer_id = viewer.account_id if viewer else None
        following = viewer_id is not None and composed.is_following(tx, viewer_id, feed.id)
        return composed_entity(feed, tx.settings, viewer_id, following)

    return JSON(await database(request).read(work))


async def statuses(request: Request):
    feed_id = _feed_id(request)
    page = page_from(await read_params(request))

    def work(tx, serve=serving.serve):
        viewer = require(tx, request, "read:statuses")
        feed = feeds.resolve(tx, feed_id)
        served = serve(tx, viewer.account_id, feed, page)
        if served is None:
            return None
        body, cursors = render_kept(tx, served.slice, viewer.account_id, "home")
        return body, cursors, f"{feed.id}@{served.version}"

    # A first page of a ranked feed that must be ranked stores its snapshot: a write
    # transaction; every other page (a reload within the reuse time, a `max_id` page) reads.
    found = await database(request).read(work, serving.serve_read)
    if found is None:
        found = await database(request).write(work)
    body, cursors, version = found
    response = paginated(request, body, cursors)
    response.headers[VERSION_HEADER] = version
    return response


def _recipe(tx, owner_id: int, params: Params) -> composed.Recipe:
    return composed.validate(
        tx,
        owner_id,
        params.raw("title"),
        params.raw("description"),
        params.raw("sources"),
        params.raw("filters"),
        params.raw("order"),
    )


async def create(request: Request) -> JSON:
    params = await read_params(request)

    def work(tx):
        viewer = require(tx, request, "write:lists")
        feed = composed.create(tx, viewer.account_id, _recipe(tx, viewer.account_id, params))
        return composed_entity(feed, tx.settings, viewer.account_id, False)

    return JSON(await database(request).write(work))


def _composed_id(request: Request) -> int:
    number = composed_number(_feed_id(request))
    if number is None:
        raise NotFound()
    return number


async def update(request: Request) -> JSON:
    feed_id = _composed_id(request)
    params = await read_params(request)

    def work(tx):
        viewer = require(tx, request, "write:lists")
        composed.owned(tx, viewer.account_id, feed_id)
        recipe = _recipe(tx, viewer.account_id, params)
        feed = composed.update(tx, viewer.account_id, feed_id, recipe)
        following = composed.is_following(tx, viewer.account_id, feed_id)
        return composed_entity(feed, tx.settings, viewer.account_id, following)

    return JSON(await database(request).write(work))


async def delete(request: Request) -> JSON:
    feed_id = _composed_id(request)

    def work(tx):
        viewer = require(tx, request, "write:lists")
        composed.delete(tx, viewer.account_id, feed_id)
        return {}

    return JSON(await database(request).write(work))


def _following(change):
    async def handler(request: Request) -> JSON:
        feed_id = _composed_id(request)

        def work(tx):
            viewer = require(tx, request, "write:lists")
            feed = change(tx, viewer.account_id, feed_id)
            following = composed.is_following(tx, viewer.account_id, feed_id)
            return composed_entity(feed, tx.settings, viewer.account_id, following)

        return JSON(await database(request).write(work))

    return handler


routes = [
    Route("/api/v1/pnyx/feeds", index, methods=["GET"]),
    Route("/api/v1/pnyx/feeds", create, methods=["POST"]),
    Route("/api/v1/pnyx/feeds/{id}", show, methods=["GET"]),
    Route("/api/v1/pnyx/feeds/{id}", update, methods=["PUT"]),
    Route("/api/v1/pnyx/feeds/{id}", delete, methods=["DELETE"]),
    Route("/api/v1/pnyx/feeds/{id}/statuses", statuses, methods=["GET"]),
    Route("/api/v1/pnyx/feeds/{id}/follow", _following(composed.follow), methods=["POST"]),
    Route("/api/v1/pnyx/feeds/{id}/unfollow", _following(composed.unfollow), methods=["POST"]),
]
