"""Mastodon API: statuses, their threads, history, and what people do to them.

Handlers only read parameters and render; the rules (validation, visibility, counters,
notifications) live in pnyx.core.statuses, status_edits, threads and interactions.
"""

from __future__ import annotations

from collections.abc import Callable

from starlette.requests import Request
from starlette.routing import Route

from pnyx.api import scheduled_statuses as scheduled
from pnyx.api.auth import optional, require
from pnyx.api.http import JSON, ApiError, Params, database, path_id, read_params
from pnyx.api.pagination import apply, in_display_order, page_from, paginated
from pnyx.core import custom_emojis as core_custom_emojis
from pnyx.core import (
    interactions,
    media,
    quotes,
    status_deletion,
    status_edits,
    status_views,
    threads,
)
from pnyx.core import scheduled_statuses as scheduled_core
from pnyx.core import statuses as core
from pnyx.core.accounts import get as get_account
from pnyx.core.errors import NotFound
from pnyx.db.ids import parse_id
from pnyx.presenters import entities, shown_accounts

MAX_BATCH = 20  # Mastodon's DEFAULT_STATUSES_LIMIT for GET /api/v1/statuses?id[]=


def render_one(tx, status_id: int, viewer_id: int | None) -> dict:
    bundle = status_views.load(tx, [status_id], viewer_id)
    if not bundle.visible:
        raise NotFound()
    return entities.status(bundle, status_id, tx.settings, tx.now)


def _poll_input(params: Params) -> core.PollInput | None:
    if params.raw("poll") in (None, ""):
        return None
    poll = params.sub("poll")
    options = poll.list("options")
    if not options and not poll.has("expires_in"):
        return None
    return core.PollInput(
        options=options,
        expires_in=poll.int("expires_in"),
        multiple=bool(poll.bool("multiple", False)),
        hide_totals=bool(poll.bool("hide_totals", False)),
    )


def _content(params: Params) -> dict:
    """The fields of core.StatusContent, as both posting and editing take them."""
    return {
        "text": params.str("status", "") or "",
        "spoiler_text": params.str("spoiler_text", "") or "",
        "sensitive": params.bool("sensitive"),
        "language": params.str("language") or None,
        "poll": _poll_input(params),
        "media_ids": [m for m in params.list("media_ids") if m]
        if params.has("media_ids")
        else None,
        "media_attributes": _media_attributes(params),
        "quote_policy": params.str("quote_approval_policy") or None,
    }


def _media_attributes(params: Params) -> list[tuple[int, media.Attributes]]:
    """`media_attributes[][id|description|focus]` of an edit. A form spells each field as its
    own `[]` item; as Rails reads it, fields run into one item until a name repeats."""
    raw = params.raw("media_attributes")
    if raw is None:
        return []
    items = list(raw.values()) if isinstance(raw, dict) else raw if isinstance(raw, list) else []
    merged: list[dict] = []
    for item in items:
        if not isinstance(item, dict):
            raise ApiError(422, "media_attributes must be a list of objects")
        if merged and not (set(item) & set(merged[-1])):
            merged[-1].update(item)
        else:
            merged.append(dict(item))
    out = []
    for item in merged[: media.MAX_ATTACHMENTS]:
        media_id = parse_id(str(item.get("id", "")))
        if media_id is None:
            continue
        description = item.get("description")
        out.append(
            (
                media_id,
                media.Attributes(
                    description=None if description is None else str(description),
                    focus=media.parse_focus(item.get("focus")),
                ),
            )
        )
    return out


def _quoted_id(params: Params) -> int | None:
    """`quoted_status_id` (Mastodon 4.5); `quote_id` as Pleroma's apps send it."""
    raw = params.str("quoted_status_id") or params.str("quote_id")
    if not raw:
        return None
    parsed = parse_id(raw)
    if parsed is None:
        raise ApiError(404, quotes.QUOTED_NOT_FOUND)
    return parsed


def _reply_id(params: Params) -> int | None:
    raw = params.str("in_reply_to_id")
    if not raw:
        return None
    parsed = parse_id(raw)
    if parsed is None:
        raise ApiError(404, core.REPLY_NOT_FOUND)
    return parsed


# --- Create, show, edit, delete --------------------------------------------------------------


async def create(request: Request) -> JSON:
    params = await read_params(request)
    when = scheduled.parse_time(params.str("scheduled_at"))
    key = (request.headers.get("idempotency-key") or "").strip()[:255] or None
    data = core.StatusInput(
        **_content(params),
        visibility=params.str("visibility") or None,
        in_reply_to_id=_reply_id(params),
        idempotency_key=key,
        quoted_status_id=_quoted_id(params),
    )

    def work(tx):
        viewer = require(tx, request, "write:statuses")
        data.application_id = viewer.app_id
        if when is not None and not scheduled_core.is_due_now(tx, when):
            scheduled_id = scheduled_core.schedule(tx, viewer.account_id, data, when)
            return scheduled.render(tx, scheduled_core.own(tx, viewer.account_id, scheduled_id))
        status_id = core.create(tx, viewer.account_id, data)
        return render_one(tx, status_id, viewer.account_id)

    try:
        return JSON(await database(request).write(work))
    except core.IdempotentReplay as replay:
        winner = replay.status_id

        def again(tx):
            viewer = require(tx, request, "write:statuses")
            return render_one(tx, winner, viewer.account_id)

        return JSON(await database(request).read(again))


async def show(request: Request) -> JSON:
    status_id = path_id(request)

    def work(tx):
        viewer = optional(tx, request, "read:statuses")
        return render_one(tx, status_id, viewer.account_id if viewer else None)

    return JSON(await database(request).read(work))


async def show_many(request: Request) -> JSON:
    params = await read_params(request)
    ids = []
    for raw in params.list("id"):
        parsed = parse_id(raw)
        if parsed is not None and parsed not in ids:
            ids.append(parsed)
    if len(ids) > MAX_BATCH:  # as Mastodon, counted once duplicates are gone
        raise ApiError(422, f"Validation failed: id has too many items (maximum is {MAX_BATCH})")

    def work(tx):
        viewer = optional(tx, request, "read:statuses")
        bundle = status_views.load(tx, ids, viewer.account_id if viewer else None)
        return entities.statuses(bundle, tx.settings, tx.now)

    return JSON(await database(request).read(work))


async def update(request: Request) -> JSON:
    status_id = path_id(request)
    params = await read_params(request)
    data = status_edits.EditInput(**_content(params))

    def work(tx):
        viewer = require(tx, request, "write:statuses")
        status_edits.edit(tx, viewer.account_id, status_id, data)
        return render_one(tx, status_id, viewer.account_id)

    return JSON(await database(request).write(work))


async def destroy(request: Request) -> JSON:
    """Deleted posts come back with their source, so clients can offer "delete and redraft":
    their media are kept for that unless `delete_media` is true (Mastodon 4.4)."""
    status_id = path_id(request)
    params = await read_params(request)
    delete_media = params.bool("delete_media", default=False)

    def work(tx):
        viewer = require(tx, request, "write:statuses")
        row = core.own_row(tx, viewer.account_id, status_id)
        rendered = render_one(tx, status_id, viewer.account_id)
        rendered["text"] = row.text
        status_deletion.delete(tx, viewer.account_id, status_id, keep_media=not delete_media)
        return rendered

    return JSON(await database(request).write(work))


async def source(request: Request) -> JSON:
    status_id = path_id(request)

    def work(tx):
        viewer = require(tx, request, "read:statuses")
        row = core.own_row(tx, viewer.account_id, status_id)
        return {"id": str(row.id), "text": row.text, "spoiler_text": row.spoiler_text}

    return JSON(await database(request).read(work))


def _status_edit(version, author: dict, emojis: list[dict]) -> dict:
    """Mastodon's StatusEdit entity (`emojis`: those of all versions, as Mastodon lists)."""
    return {
        "content": version.content,
        "spoiler_text": version.spoiler_text,
        "sensitive": version.sensitive,
        "created_at": entities.iso(version.created_at),
        "account": author,
        "poll": (
            {"options": [{"title": title} for title in version.poll_options]}
            if version.poll_options
            else None
        ),
        "media_attachments": [],
        "emojis": emojis,
    }


async def history(request: Request) -> JSON:
    status_id = path_id(request)

    def work(tx):
        viewer = optional(tx, request, "read:statuses")
        versions = status_edits.history(tx, viewer.account_id if viewer else None, status_id)
        author = get_account(tx, versions[0].account_id)
        texts = [t for v in versions for t in (v.content, v.spoiler_text, *(v.poll_options or ()))]
        emojis = core_custom_emojis.in_texts(tx, author.domain, texts)
        shown = shown_accounts.one(tx, author)
        return [_status_edit(v, shown, emojis) for v in versions]

    return JSON(await database(request).read(work))


async def context(request: Request) -> JSON:
    status_id = path_id(request)

    def work(tx):
        viewer = optional(tx, request, "read:statuses")
        viewer_id = viewer.account_id if viewer else None
        core.visible_row(tx, viewer_id, status_id)
        ancestors, descendants = threads.context_ids(tx, status_id)
        bundle = status_views.load(
            tx, ancestors + descendants, viewer_id, hide_muted=True, filter_context="thread"
        )
        shown = set(bundle.visible)
        return {
            "ancestors": [
                entities.status(bundle, i, tx.settings, tx.now) for i in ancestors if i in shown
            ],
            "descendants": [
                entities.status(bundle, i, tx.settings, tx.now) for i in descendants if i in shown
            ],
        }

    return JSON(await database(request).read(work))


# --- Actions ---------------------------------------------------------------------------------


def _action(fn: Callable[[object, int, int], int], scope: str):
    """A POST that applies `fn(tx, account_id, status_id)` and renders the status it returns."""

    async def handle(request: Request) -> JSON:
        status_id = path_id(request)

        def work(tx):
            viewer = require(tx, request, scope)
            target = fn(tx, viewer.account_id, status_id)
            return render_one(tx, target, viewer.account_id)

        return JSON(await database(request).write(work))

    return handle


async def reblog(request: Request) -> JSON:
    status_id = path_id(request)
    params = await read_params(request)
    chosen = params.str("visibility") or None

    def work(tx):
        viewer = require(tx, request, "write:statuses")
        reblog_id = interactions.reblog(
            tx,
            viewer.account_id,
            status_id,
            visibility_name=chosen,
            application_id=viewer.app_id,
        )
        return render_one(tx, reblog_id, viewer.account_id)

    return JSON(await database(request).write(work))


async def interaction_policy(request: Request) -> JSON:
    """PUT /api/v1/statuses/:id/interaction_policy: who may quote one's post."""
    status_id = path_id(request)
    params = await read_params(request)
    policy = params.str("quote_approval_policy") or None

    def work(tx):
        viewer = require(tx, request, "write:statuses")
        quotes.set_policy(tx, viewer.account_id, status_id, policy)
        return render_one(tx, status_id, viewer.account_id)

    return JSON(await database(request).write(work))


async def revoke_quote(request: Request) -> JSON:
    """POST /api/v1/statuses/:id/quotes/:quoting_status_id/revoke: the quoted author withdraws
    a quote of their post; the quoting post comes back, its quote now `revoked`."""
    status_id = path_id(request)
    quoting_id = path_id(request, "quoting_status_id")

    def work(tx):
        viewer = require(tx, request, "write:statuses")
        quoting = quotes.revoke(tx, viewer.account_id, status_id, quoting_id)
        return render_one(tx, quoting, viewer.account_id)

    return JSON(await database(request).write(work))


async def quotes_of(request: Request) -> JSON:
    """GET /api/v1/statuses/:id/quotes: the posts that quote one's own post (for its author
    only), newest quote first, those the viewer may see."""
    status_id = path_id(request)
    params = await read_params(request)
    page = page_from(params, default=20, maximum=40)

    def work(tx):
        viewer = require(tx, request, "read:statuses")
        query, column = quotes.quoting_ids_query(tx, viewer.account_id, status_id)
        rows = in_display_order(tx.rows(apply(query, column, page)), page)
        bundle = status_views.load(tx, [r.status_id for r in rows], viewer.account_id)
        return entities.statuses(bundle, tx.settings, tx.now), [r.cursor_id for r in rows]

    items, cursors = await database(request).read(work)
    return paginated(request, items, cursors)


def _accounts_list(query_for):
    """favourited_by / reblogged_by: accounts, newest action first, with Link headers."""

    async def handle(request: Request) -> JSON:
        status_id = path_id(request)
        params = await read_params(request)
        page = page_from(params, default=40, maximum=80)

        def work(tx):
            viewer = optional(tx, request, "read:accounts")
            viewer_id = viewer.account_id if viewer else None
            status = core.visible_original(tx, viewer_id, status_id)
            query, column = query_for(viewer_id, status.id, tx.now)
            rows = in_display_order(tx.rows(apply(query, column, page)), page)
            return (
                shown_accounts.many(tx, rows),
                [row.cursor_id for row in rows],
            )

        items, cursors = await database(request).read(work)
        return paginated(request, items, cursors)

    return handle


routes = [
    Route("/api/v1/statuses", create, methods=["POST"]),
    Route("/api/v1/statuses", show_many, methods=["GET"]),
    Route("/api/v1/statuses/{id:int}", show, methods=["GET"]),
    Route("/api/v1/statuses/{id:int}", update, methods=["PUT"]),
    Route("/api/v1/statuses/{id:int}", destroy, methods=["DELETE"]),
    Route("/api/v1/statuses/{id:int}/context", context, methods=["GET"]),
    Route("/api/v1/statuses/{id:int}/history", history, methods=["GET"]),
    Route("/api/v1/statuses/{id:int}/source", source, methods=["GET"]),
    Route(
        "/api/v1/statuses/{id:int}/favourited_by",
        _accounts_list(interactions.favourited_by_query),
        methods=["GET"],
    ),
    Route(
        "/api/v1/statuses/{id:int}/reblogged_by",
        _accounts_list(interactions.reblogged_by_query),
        methods=["GET"],
    ),
    Route(
        "/api/v1/statuses/{id:int}/favourite",
        _action(interactions.favourite, "write:favourites"),
        methods=["POST"],
    ),
    Route(
        "/api/v1/statuses/{id:int}/unfavourite",
        _action(interactions.unfavourite, "write:favourites"),
        methods=["POST"],
    ),
    Route("/api/v1/statuses/{id:int}/reblog", reblog, methods=["POST"]),
    Route("/api/v1/statuses/{id:int}/interaction_policy", interaction_policy, methods=["PUT"]),
    Route("/api/v1/statuses/{id:int}/quotes", quotes_of, methods=["GET"]),
    Route(
        "/api/v1/statuses/{id:int}/quotes/{quoting_status_id:int}/revoke",
        revoke_quote,
        methods=["POST"],
    ),
    Route(
        "/api/v1/statuses/{id:int}/unreblog",
        _action(interactions.unreblog, "write:statuses"),
        methods=["POST"],
    ),
    Route(
        "/api/v1/statuses/{id:int}/bookmark",
        _action(interactions.bookmark, "write:bookmarks"),
        methods=["POST"],
    ),
    Route(
        "/api/v1/statuses/{id:int}/unbookmark",
        _action(interactions.unbookmark, "write:bookmarks"),
        methods=["POST"],
    ),
    Route(
        "/api/v1/statuses/{id:int}/pin",
        _action(interactions.pin, "write:accounts"),
        methods=["POST"],
    ),
    Route(
        "/api/v1/statuses/{id:int}/unpin",
        _action(interactions.unpin, "write:accounts"),
        methods=["POST"],
    ),
    Route(
        "/api/v1/statuses/{id:int}/mute",
        _action(interactions.mute_conversation, "write:mutes"),
        methods=["POST"],
    ),
    Route(
        "/api/v1/statuses/{id:int}/unmute",
        _action(interactions.unmute_conversation, "write:mutes"),
        methods=["POST"],
    ),
]
