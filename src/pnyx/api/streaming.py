"""Mastodon's streaming API: the WebSocket at /api/v1/streaming and the server-sent events
at /api/v1/streaming/<stream>, as Mastodon 4.3's streaming server serves them.

- WebSocket: one connection, any number of streams (`{"type": "subscribe", "stream": "user"}`,
  `unsubscribe`, with `tag` or `list`), or one named in the query (`?stream=user`). Each
  message is `{"stream": ["user"], "event": "update", "payload": "<JSON text>"}` (no
  `payload` for `filters_changed`); uvicorn
  pings every 20 s (the heartbeat).
- Server-sent events: one stream per response, `event: update` / `data: <JSON text>` lines,
  and a `:thump` comment every HEARTBEAT_SECONDS.
- The token: `Authorization: Bearer`, `access_token` in the query, or (WebSocket) the
  `Sec-WebSocket-Protocol` header, which is then echoed. Every stream needs one, as in
  Mastodon 4.3; a missing or bad token is a 401 before any stream opens.

What is sent, and to whom, is `pnyx.streaming`'s (the broker of this process).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Mapping

import orjson
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response, StreamingResponse
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

from pnyx.api.auth import bearer_token
from pnyx.core import feed_pins, lists, stream_audience
from pnyx.core import scopes as scope_rules
from pnyx.core.oauth import Viewer, lookup_viewer
from pnyx.core.stream_audience import StreamKey
from pnyx.core.timelines import normalize_tag
from pnyx.db.ids import parse_id
from pnyx.streaming.broker import Broker, Client

HEARTBEAT_SECONDS = 15.0

# The scope each stream needs (a token with `read` holds them all).
SCOPES = {
    "user": "read:statuses",
    "user:notification": "read:notifications",
    **{name: "read:statuses" for name in stream_audience.PUBLIC_STREAMS},
    "hashtag": "read:statuses",
    "hashtag:local": "read:statuses",
    "list": "read:lists",
    "direct": "read:statuses",
}

# Server-sent events: the path under /api/v1/streaming/ -> the stream.
SSE_PATHS = {
    "user": "user",
    "user/notification": "user:notification",
    "public": "public",
    "public/local": "public:local",
    "public/remote": "public:remote",
    "hashtag": "hashtag",
    "hashtag/local": "hashtag:local",
    "list": "list",
    "direct": "direct",
}


class StreamError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def stream_key(viewer: Viewer, name: str, params: Mapping[str, object]) -> StreamKey:
    """The stream a client asks for, checked against its token's scopes."""
    if name not in SCOPES:
        raise StreamError(400, "Unknown stream type")
    if not scope_rules.grants(viewer.scopes, SCOPES[name]):
        raise StreamError(401, "Access token does not have the required scopes")
    if name.startswith("hashtag"):
        tag = normalize_tag(str(params.get("tag") or "").replace("\x00", ""))[:100]
        if not tag:
            raise StreamError(400, "No tag for stream provided")
        return (name, tag)
    if name == "list":
        list_id = parse_id(str(params.get("list") or ""))
        if list_id is None:
            raise StreamError(401, "Not authorized to stream this list")
        return (name, str(list_id))  # whose list it is: `checked_key`
    return (name, None)


async def checked_key(app, viewer: Viewer, name: str, params: Mapping[str, object]) -> StreamKey:
    """`stream_key`, and for a list that it is the viewer's own (Mastodon: 401 otherwise)."""
    key = stream_key(viewer, name, params)
    if key[0] == "list" and key[1] is not None:
        list_id = int(key[1])
        # A pinned feed's stream opens, and nothing is ever sent on it: a ranked order has no
        # "newer post" to push (apps reload the list to see a new ranking).
        owns = feed_pins.owns if feed_pins.is_pin_id(list_id) else lists.owns
        owned = await app.state.db.read(owns, viewer.account_id, list_id)
        if not owned:
            raise StreamError(401, "Not authorized to stream this list")
    return key


def _broker(app) -> Broker:
    return app.state.stream_broker


async def _viewer(app, token: str | None) -> Viewer:
    if not token:
        raise StreamError(401, "Missing access token")
    viewer = await app.state.db.read(lookup_viewer, token)
    if viewer is None or viewer.account_id is None:
        raise StreamError(401, "Invalid access token")
    return viewer


def _client(viewer: Viewer) -> Client:
    return Client(
        viewer.account_id,
        notifications=scope_rules.grants(viewer.scopes, "read:notifications"),
    )


def _stream_names(key: StreamKey) -> list[str]:
    return [key[0]] if key[1] is None else [key[0], key[1]]


# --- Server-sent events -----------------------------------------------------------------------


async def events_stream(request: Request) -> Response:
    name = SSE_PATHS.get(request.path_params["path"].strip("/"))
    if name is None:
        return JSONResponse({"error": "Not Found"}, status_code=404)
    params = dict(request.query_params)
    if name.startswith("public") and params.get("only_media") in ("1", "true", "True"):
        name += ":media"
    try:
        viewer = await _viewer(request.app, bearer_token(request))
        key = await checked_key(request.app, viewer, name, params)
    except StreamError as exc:
        return JSONResponse({"error": exc.message}, status_code=exc.status)
    broker = _broker(request.app)
    client = _client(viewer)
    broker.subscribe(client, key)
    return StreamingResponse(
        _sse(broker, client),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


async def _sse(broker: Broker, client: Client) -> AsyncIterator[str]:
    try:
        yield ":)\n"
        while True:
            try:
                message = await asyncio.wait_for(client.queue.get(), HEARTBEAT_SECONDS)
            except TimeoutError:
                yield ":thump\n"
                continue
            if message is None:
                return
            _key, event, payload = message
            # An event with no payload (`filters_changed`) reads `data: undefined`, as
            # Mastodon's streaming server writes it and Mastodon.py expects it.
            yield f"event: {event}\ndata: {'undefined' if payload is None else payload}\n\n"
    finally:
        broker.remove(client)


async def health(request: Request) -> Response:
    return PlainTextResponse("OK")


# --- WebSocket --------------------------------------------------------------------------------


def _ws_token(websocket: WebSocket) -> tuple[str | None, str | None]:
    """The token, and the subprotocol to answer with when it came as one."""
    header = websocket.headers.get("authorization", "")
    if header[:7].lower() == "bearer " and header[7:].strip():
        return header[7:].strip(), None
    if websocket.query_params.get("access_token"):
        return websocket.query_params["access_token"], None
    protocol = websocket.headers.get("sec-websocket-protocol", "").split(",")[0].strip()
    return (protocol, protocol) if protocol else (None, None)


async def websocket_endpoint(websocket: WebSocket) -> None:
    token, subprotocol = _ws_token(websocket)
    try:
        viewer = await _viewer(websocket.app, token)
    except StreamError as exc:
        await websocket.send_denial_response(
            JSONResponse({"error": exc.message}, status_code=exc.status)
        )
        return
    broker = _broker(websocket.app)
    client = _client(viewer)
    refused = None
    if websocket.query_params.get("stream"):
        # Subscribed before the handshake completes: what happens once the client is
        # connected reaches it.
        try:
            key = await checked_key(websocket.app, viewer, **_asked(websocket.query_params))
            broker.subscribe(client, key)
        except StreamError as exc:
            refused = exc
    try:
        await websocket.accept(subprotocol=subprotocol)
        if refused is not None:
            await _error(websocket, refused.status, refused.message)
        writer = asyncio.create_task(_write(websocket, client))
        try:
            await _read(websocket, broker, client, viewer)
        finally:
            writer.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await writer
    finally:
        broker.remove(client)


def _asked(params: Mapping) -> dict:
    return {"name": str(params.get("stream")), "params": params}


async def _read(websocket: WebSocket, broker: Broker, client: Client, viewer: Viewer) -> None:
    """The client's messages: subscribe and unsubscribe (others are ignored, as Mastodon)."""
    while True:
        try:
            text = await websocket.receive_text()
        except (WebSocketDisconnect, RuntimeError):
            return
        try:
            message = orjson.loads(text)
        except orjson.JSONDecodeError:
            await _error(websocket, 400, "Invalid JSON")
            continue
        if not isinstance(message, dict):
            continue
        kind = message.get("type")
        if kind == "subscribe":
            await _subscribe(websocket, broker, client, viewer, message)
        elif kind == "unsubscribe":
            with contextlib.suppress(StreamError):
                broker.unsubscribe(client, stream_key(viewer, **_asked(message)))


async def _subscribe(
    websocket: WebSocket, broker: Broker, client: Client, viewer: Viewer, params: Mapping
) -> None:
    try:
        broker.subscribe(client, await checked_key(websocket.app, viewer, **_asked(params)))
    except StreamError as exc:
        await _error(websocket, exc.status, exc.message)


async def _error(websocket: WebSocket, status: int, message: str) -> None:
    await websocket.send_text(orjson.dumps({"error": message, "status": status}).decode())


async def _write(websocket: WebSocket, client: Client) -> None:
    while True:
        message = await client.queue.get()
        if message is None:
            await websocket.close(code=1013)  # cut off: the client did not keep up
            return
        key, event, payload = message
        data = {"stream": _stream_names(key), "event": event}
        if payload is not None:  # `filters_changed` has none, as in Mastodon
            data["payload"] = payload
        await websocket.send_text(orjson.dumps(data).decode())


routes = [
    WebSocketRoute("/api/v1/streaming", websocket_endpoint),
    Route("/api/v1/streaming/health", health, methods=["GET"]),
    Route("/api/v1/streaming/{path:path}", events_stream, methods=["GET"]),
]
