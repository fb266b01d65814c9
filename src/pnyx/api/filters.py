"""Mastodon API: filters v2 (filters, their keywords and posts) and the v1 filters apps still
call (Tusky tries v2, then v1), both reading and writing the same filters.

Handlers read parameters and render; the rules (validation, ownership, the v1 mapping) are
in `core.filters`, and applying filters to posts is the decision pipeline's.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.routing import Route

from pnyx.api.auth import require
from pnyx.api.http import JSON, Params, database, path_id, read_params, unprocessable
from pnyx.core import filters as core
from pnyx.db.ids import parse_id
from pnyx.presenters import filters as entities

READ, WRITE = "read:filters", "write:filters"
MAX_KEYWORD_CHANGES = 100


def _expires(params: Params) -> tuple[int | None, bool]:
    """`expires_in` in seconds: absent leaves it, empty (or null) means never."""
    if not params.has("expires_in"):
        return None, "expires_in" in params.data
    return params.int("expires_in", minimum=1), True


def _keyword_changes(params: Params) -> list[core.KeywordChange]:
    """`keywords_attributes` as a JSON list, or a form's `keywords_attributes[][keyword]`,
    `keywords_attributes[0][keyword]` ..."""
    raw: Any = params.raw("keywords_attributes")
    if raw is None:
        return []
    if isinstance(raw, dict):
        raw = list(raw.values())
    if not isinstance(raw, list) or len(raw) > MAX_KEYWORD_CHANGES:
        raise unprocessable("keywords_attributes must be a list of at most 100 keywords")
    changes = []
    for item in raw:
        if not isinstance(item, dict):
            raise unprocessable("keywords_attributes must be a list of keywords")
        entry = Params(item)
        raw_id = entry.str("id")
        keyword_id = parse_id(raw_id) if raw_id else None
        if raw_id and keyword_id is None:
            raise unprocessable("keywords_attributes id must be an id")
        changes.append(
            core.KeywordChange(
                id=keyword_id,
                keyword=entry.str("keyword", max_len=core.KEYWORD_LIMIT),
                whole_word=entry.bool("whole_word"),
                destroy=bool(entry.bool("_destroy", False)),
            )
        )
    return changes


def _filter_input(params: Params) -> core.FilterInput:
    expires_in, given = _expires(params)
    context = params.list("context", max_items=10) if params.has("context") else None
    return core.FilterInput(
        title=params.str("title", max_len=core.TITLE_LIMIT),
        context=context,
        action=params.str("filter_action"),
        expires_in=expires_in,
        expires_given=given,
        keywords=_keyword_changes(params),
    )


# --- v2 filters -----------------------------------------------------------------------------


async def index(request: Request) -> JSON:
    def work(tx):
        viewer = require(tx, request, READ)
        return [entities.filter_v2(v) for v in core.list_filters(tx, viewer.account_id)]

    return JSON(await database(request).read(work))


async def create(request: Request) -> JSON:
    data = _filter_input(await read_params(request))

    def work(tx):
        viewer = require(tx, request, WRITE)
        filter_id = core.create_filter(tx, viewer.account_id, data)
        return entities.filter_v2(core.get_filter(tx, viewer.account_id, filter_id))

    return JSON(await database(request).write(work))


async def show(request: Request) -> JSON:
    filter_id = path_id(request)

    def work(tx):
        viewer = require(tx, request, READ)
        return entities.filter_v2(core.get_filter(tx, viewer.account_id, filter_id))

    return JSON(await database(request).read(work))


async def update(request: Request) -> JSON:
    filter_id = path_id(request)
    data = _filter_input(await read_params(request))

    def work(tx):
        viewer = require(tx, request, WRITE)
        core.update_filter(tx, viewer.account_id, filter_id, data)
        return entities.filter_v2(core.get_filter(tx, viewer.account_id, filter_id))

    return JSON(await database(request).write(work))


async def destroy(request: Request) -> JSON:
    filter_id = path_id(request)

    def work(tx):
        viewer = require(tx, request, WRITE)
        core.delete_filter(tx, viewer.account_id, filter_id)
        return {}

    return JSON(await database(request).write(work))


# --- v2 keywords ----------------------------------------------------------------------------


async def keywords(request: Request) -> JSON:
    filter_id = path_id(request)

    def work(tx):
        viewer = require(tx, request, READ)
        return [entities.keyword(k) for k in core.list_keywords(tx, viewer.account_id, filter_id)]

    return JSON(await database(request).read(work))


async def add_keyword(request: Request) -> JSON:
    filter_id = path_id(request)
    params = await read_params(request)
    keyword = params.str("keyword", "", max_len=core.KEYWORD_LIMIT) or ""
    whole_word = params.bool("whole_word")

    def work(tx):
        viewer = require(tx, request, WRITE)
        keyword_id = core.add_keyword(tx, viewer.account_id, filter_id, keyword, whole_word)
        return entities.keyword(core.get_keyword(tx, viewer.account_id, keyword_id))

    return JSON(await database(request).write(work))


async def show_keyword(request: Request) -> JSON:
    keyword_id = path_id(request)

    def work(tx):
        viewer = require(tx, request, READ)
        return entities.keyword(core.get_keyword(tx, viewer.account_id, keyword_id))

    return JSON(await database(request).read(work))


async def update_keyword(request: Request) -> JSON:
    keyword_id = path_id(request)
    params = await read_params(request)
    keyword = params.str("keyword", max_len=core.KEYWORD_LIMIT)
    whole_word = params.bool("whole_word")

    def work(tx):
        viewer = require(tx, request, WRITE)
        core.update_keyword(tx, viewer.account_id, keyword_id, keyword, whole_word)
        return entities.keyword(core.get_keyword(tx, viewer.account_id, keyword_id))

    return JSON(await database(request).write(work))


async def delete_keyword(request: Request) -> JSON:
    keyword_id = path_id(request)

    def work(tx):
        viewer = require(tx, request, WRITE)
        core.delete_keyword(tx, viewer.account_id, keyword_id)
        return {}

    return JSON(await database(request).write(work))


# --- v2 posts -------------------------------------------------------------------------------


async def statuses(request: Request) -> JSON:
    filter_id = path_id(request)

    def work(tx):
        viewer = require(tx, request, READ)
        found = core.list_statuses(tx, viewer.account_id, filter_id)
        return [entities.filter_status(s) for s in found]

    return JSON(await database(request).read(work))


async def add_status(request: Request) -> JSON:
    filter_id = path_id(request)
    params = await read_params(request)
    status_id = parse_id(params.str("status_id") or "")

    def work(tx):
        viewer = require(tx, request, WRITE)
        row_id = core.add_status(tx, viewer.account_id, filter_id, status_id)
        return entities.filter_status(core.get_status(tx, viewer.account_id, row_id))

    return JSON(await database(request).write(work))


async def show_status(request: Request) -> JSON:
    row_id = path_id(request)

    def work(tx):
        viewer = require(tx, request, READ)
        return entities.filter_status(core.get_status(tx, viewer.account_id, row_id))

    return JSON(await database(request).read(work))


async def delete_status(request: Request) -> JSON:
    row_id = path_id(request)

    def work(tx):
        viewer = require(tx, request, WRITE)
        core.delete_status(tx, viewer.account_id, row_id)
        return {}

    return JSON(await database(request).write(work))


# --- v1 -------------------------------------------------------------------------------------


def _v1_input(params: Params) -> core.V1Input:
    expires_in, given = _expires(params)
    return core.V1Input(
        phrase=params.str("phrase", max_len=core.KEYWORD_LIMIT),
        context=params.list("context", max_items=10) if params.has("context") else None,
        irreversible=params.bool("irreversible"),
        whole_word=params.bool("whole_word"),
        expires_in=expires_in,
        expires_given=given,
    )


async def index_v1(request: Request) -> JSON:
    def work(tx):
        viewer = require(tx, request, READ)
        return [entities.filter_v1(r) for r in core.list_v1(tx, viewer.account_id)]

    return JSON(await database(request).read(work))


async def create_v1(request: Request) -> JSON:
    data = _v1_input(await read_params(request))

    def work(tx):
        viewer = require(tx, request, WRITE)
        keyword_id = core.create_v1(tx, viewer.account_id, data)
        return entities.filter_v1(core.get_keyword(tx, viewer.account_id, keyword_id))

    return JSON(await database(request).write(work))


async def show_v1(request: Request) -> JSON:
    keyword_id = path_id(request)

    def work(tx):
        viewer = require(tx, request, READ)
        return entities.filter_v1(core.get_keyword(tx, viewer.account_id, keyword_id))

    return JSON(await database(request).read(work))


async def update_v1(request: Request) -> JSON:
    keyword_id = path_id(request)
    data = _v1_input(await read_params(request))

    def work(tx):
        viewer = require(tx, request, WRITE)
        core.update_v1(tx, viewer.account_id, keyword_id, data)
        return entities.filter_v1(core.get_keyword(tx, viewer.account_id, keyword_id))

    return JSON(await database(request).write(work))


routes = [
    Route("/api/v2/filters", index, methods=["GET"]),
    Route("/api/v2/filters", create, methods=["POST"]),
    Route("/api/v2/filters/keywords/{id:int}", show_keyword, methods=["GET"]),
    Route("/api/v2/filters/keywords/{id:int}", update_keyword, methods=["PUT"]),
    Route("/api/v2/filters/keywords/{id:int}", delete_keyword, methods=["DELETE"]),
    Route("/api/v2/filters/statuses/{id:int}", show_status, methods=["GET"]),
    Route("/api/v2/filters/statuses/{id:int}", delete_status, methods=["DELETE"]),
    Route("/api/v2/filters/{id:int}", show, methods=["GET"]),
    Route("/api/v2/filters/{id:int}", update, methods=["PUT"]),
    Route("/api/v2/filters/{id:int}", destroy, methods=["DELETE"]),
    Route("/api/v2/filters/{id:int}/keywords", keywords, methods=["GET"]),
    Route("/api/v2/filters/{id:int}/keywords", add_keyword, methods=["POST"]),
    Route("/api/v2/filters/{id:int}/statuses", statuses, methods=["GET"]),
    Route("/api/v2/filters/{id:int}/statuses", add_status, methods=["POST"]),
    Route("/api/v1/filters", index_v1, methods=["GET"]),
    Route("/api/v1/filters", create_v1, methods=["POST"]),
    Route("/api/v1/filters/{id:int}", show_v1, methods=["GET"]),
    Route("/api/v1/filters/{id:int}", update_v1, methods=["PUT"]),
    Route("/api/v1/filters/{id:int}", delete_keyword, methods=["DELETE"]),
]
