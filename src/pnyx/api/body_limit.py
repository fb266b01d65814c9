"""The request body limit (PNYX_MAX_REQUEST_BYTES), enforced while the body streams in.

Handlers read bodies in many ways (forms, multipart, JSON, the inbox's stream). Checking the
size after reading lets one chunked request without Content-Length fill the process's memory
before the check runs. So the limit sits in front of every route, as an ASGI middleware:
a declared Content-Length over the limit is answered 413 before anything is read, and a body
without one (chunked) is counted as it arrives; the read that crosses the limit raises
`BodyTooLarge`, an `ApiError` every handler already turns into 413 `{"error": ...}`.
"""

from __future__ import annotations

import orjson

from pnyx.api.http import ApiError

TOO_LARGE = "Request body too large"


class BodyTooLarge(ApiError):
    """The body grew past the limit while it was being read."""

    def __init__(self) -> None:
        super().__init__(413, TOO_LARGE)


def _declared_length(scope) -> int | None:
    for key, value in scope.get("headers", ()):
        if key == b"content-length":
            text = value.decode("latin-1").strip()
            return int(text) if text.isdigit() else None
    return None


async def _refuse(send) -> None:
    body = orjson.dumps({"error": TOO_LARGE})
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class BodyLimitMiddleware:
    """`larger`: paths (by prefix) allowed more than `max_bytes`, such as media uploads."""

    def __init__(self, app, max_bytes: int, larger: dict[str, int] | None = None):
        self.app = app
        self.max_bytes = max_bytes
        self.larger = tuple((larger or {}).items())

    def limit_for(self, path: str) -> int:
        for prefix, limit in self.larger:
            if path == prefix or path.startswith(prefix + "/"):
                return limit
        return self.max_bytes

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        max_bytes = self.limit_for(scope["path"].rstrip("/"))
        declared = _declared_length(scope)
        if declared is not None and declared > max_bytes:
            await _refuse(send)
            return
        received = 0
        started = False

        async def counted_receive():
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > max_bytes:
                    raise BodyTooLarge()
            return message

        async def watched_send(message):
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counted_receive, watched_send)
        except BodyTooLarge:
            # Normally the app's ApiError handler answered already; this is for code that
            # let it through (a middleware reading the body, say).
            if not started:
                await _refuse(send)
