"""Live timelines for the web pages: Server-Sent Events at GET /live/{stream}.

A page's timeline (`<section class="timeline" data-stream="...">`) opens
`/live/<stream>?since=<newest id on the page>`; /static/live.js gathers what arrives behind a
"N new posts" button. Streams: `home` (signed in), `public`, `public:local`, `hashtag:NAME`.

A stream is a client of this process's live-stream broker (`pnyx.streaming`, the one the
streaming API serves): new posts arrive the moment they are committed, decided for this
viewer by the same rules as the page (blocks, mutes, visibility, the home rules, filters),
with no polling. On connecting (and on reconnecting, from the last event id) it first reads
what it missed with the very core timeline function its page reads, `Page(min_id=since)`.
Each post comes rendered with the page's own `site/_status.html`, so no HTML is built in
JavaScript. A stream ends after DURATION_SECONDS (the browser's EventSource reconnects after
`retry`, resuming from the last event id), which bounds what a forgotten tab costs; at most
MAX_STREAMS are open per process, beyond that the answer is 503 and the page simply stays
static.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from urllib.parse import quote

import orjson
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response, StreamingResponse
from starlette.routing import Route

from pnyx.core import status_views, timelines
from pnyx.core.paging import Page
from pnyx.core.stream_audience import StreamKey
from pnyx.db.ids import parse_id
from pnyx.edges.http import database, without_nul
from pnyx.presenters import entities
from pnyx.streaming.broker import Broker, Client
from pnyx.web import i18n, label_badges, rendering
from pnyx.web.session import Visitor, visitor

log = logging.getLogger("pnyx.web.live")

KEEPALIVE_SECONDS = 15.0
DURATION_SECONDS = 300.0
RETRY_MILLISECONDS = 5000
MAX_STREAMS = 100
BATCH = 20


@dataclass(frozen=True)
class Stream:
    """One live timeline: how to read it for a viewer, the page it belongs to (the posts'
    forms return there), and the broker's stream that carries it."""

    read: Callable[..., timelines.Slice]
    page: str
    key: StreamKey
    needs_sign_in: bool = False


def choose(name: str, viewer_id: int | None) -> Stream | None:
    if name == "home":
        return Stream(
            lambda tx, page: timelines.home(tx, viewer_id, page),
            "/home",
            ("user", None),
            needs_sign_in=True,
        )
    if name == "public":
        return Stream(
            lambda tx, page: timelines.public(tx, viewer_id, page), "/public", ("public", None)
        )
    if name == "public:local":
        return Stream(
            lambda tx, page: timelines.public(tx, viewer_id, page, local=True),
            "/public/local",
            ("public:local", None),
        )
    if name.startswith("hashtag:"):
        tag = timelines.normalize_tag(name[len("hashtag:") :])[:100]
        if tag:
            return Stream(
                lambda tx, page: timelines.tag(tx, viewer_id, tag, page),
                f"/tags/{quote(tag)}",
                ("hashtag", tag),
            )
    return None


@dataclass
class Slots:
    """Streams open in this process (per app): the event loop is single-threaded, no lock."""

    open: int = 0


def _slots(request: Request) -> Slots:
    state = request.app.state
    if not hasattr(state, "live_slots"):
        state.live_slots = Slots()
    return state.live_slots


def _event(kind: str, data: dict, event_id: str | None = None) -> str:
    head = f"id: {event_id}\n" if event_id else ""
    return f"{head}event: {kind}\ndata: {orjson.dumps(data).decode()}\n\n"


def _labels(language: str) -> dict:
    """The button's words in the page's language, for live.js (which has no gettext)."""
    ngettext = i18n.translations(language).ngettext
    return {
        "one": ngettext("%(num)s new post", "%(num)s new posts", 1) % {"num": 1},
        "other": ngettext("%(num)s new post", "%(num)s new posts", 2),
    }


class Renderer:
    """Renders statuses for one viewer with the timeline pages' own partial and context."""

    def __init__(self, request: Request, who: Visitor, stream: Stream):
        settings = request.app.state.settings
        template = rendering.environment(who.language).get_template("site/_status.html")
        self.status = template.make_module(
            {
                "instance_title": settings.instance_title,
                "base_url": settings.base_url,
                "language": who.language,
                "path": stream.page,
                "viewer": who.user,
                "csrf_token": who.csrf,
            }
        ).status

    def __call__(self, status: dict) -> str:
        return str(self.status(status))


def _newer(stream: Stream, viewer_id: int | None, since: int):
    """Up to BATCH statuses after `since` (oldest first) and where to continue from."""

    def work(tx):
        found = stream.read(tx, Page(min_id=since, limit=BATCH))
        bundle = status_views.load(tx, found.ids, viewer_id)
        items = entities.statuses(bundle, tx.settings, tx.now)
        items = label_badges.shown_only(label_badges.with_labels(tx, items, viewer_id))
        # cursors[0] is the newest id looked at, even when the rules hid all of it.
        newest = max([since, *found.cursors, *found.ids])
        return list(reversed(items)), newest

    return work


def _newest(stream: Stream) -> Callable:
    def work(tx) -> int:
        found = stream.read(tx, Page(limit=1))
        return max([0, *found.ids, *found.cursors])

    return work


async def _events(
    request: Request, who: Visitor, stream: Stream, since: int | None
) -> AsyncIterator[str]:
    slots = _slots(request)
    slots.open += 1
    broker: Broker = request.app.state.stream_broker
    client = Client(who.account_id, notifications=False)
    try:
        db = database(request)
        render = Renderer(request, who, stream)
        yield f"retry: {RETRY_MILLISECONDS}\n\n"
        yield _event("labels", _labels(who.language))
        if since is None:
            since = await db.read(_newest(stream))
        # Listening first, then reading what was missed: nothing falls between the two, and
        # what both bring is sent once (ids only grow).
        broker.subscribe(client, stream.key)
        items, since = await db.read(_newer(stream, who.account_id, since))
        if items:
            yield "".join(_update(render, s) for s in items)
        started = time.monotonic()
        while time.monotonic() - started < DURATION_SECONDS:
            left = DURATION_SECONDS - (time.monotonic() - started)
            try:
                message = await asyncio.wait_for(
                    client.queue.get(), timeout=min(KEEPALIVE_SECONDS, max(left, 0.01))
                )
            except TimeoutError:
                yield ": keep-alive\n\n"
                continue
            if message is None:
                break  # cut off by the broker: the browser reconnects and catches up
            _key, event, payload = message
            status = orjson.loads(payload) if event == "update" else None
            if status is None or int(status["id"]) <= since:
                continue
            since = int(status["id"])
            yield _update(render, status)
    except Exception:  # noqa: BLE001 - the browser reconnects; a stream must not crash loudly
        log.exception("live stream %s ended by an error", request.url.path)
    finally:
        broker.remove(client)
        slots.open -= 1


def _update(render: Renderer, status: dict) -> str:
    return _event("update", {"id": status["id"], "html": render(status)}, status["id"])


def _refuse(status: int, message: str) -> Response:
    return PlainTextResponse(message, status_code=status, headers={"Cache-Control": "no-store"})


async def live(request: Request) -> Response:
    who = await visitor(request)
    name = without_nul(request.path_params["stream"]) or ""
    stream = choose(name, who.account_id)
    if stream is None:
        return _refuse(404, "No such stream")
    if stream.needs_sign_in and who.user is None:
        return _refuse(401, "Sign in to follow this timeline")
    if _slots(request).open >= MAX_STREAMS:
        response = _refuse(503, "Too many live timelines open; try again later")
        response.headers["Retry-After"] = "30"
        return response
    # After a reconnection EventSource sends the id of the last event it received.
    starts = [
        parse_id(request.query_params.get("since")),
        parse_id(request.headers.get("last-event-id")),
    ]
    since = max((s for s in starts if s is not None), default=None)
    headers = {
        "Cache-Control": "no-store",
        "X-Accel-Buffering": "no",  # nginx: pass events on as they come
        "X-Content-Type-Options": "nosniff",
    }
    return StreamingResponse(
        _events(request, who, stream, since), media_type="text/event-stream", headers=headers
    )


routes = [Route("/live/{stream}", live, methods=["GET"])]
