"""Request and response helpers every HTTP edge uses: the database of the app handling the
request, JSON bodies, and the `{"error": ...}` responses Mastodon clients and other servers
both understand. The Mastodon API's parameter reading stays in `api.http`."""

from __future__ import annotations

from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response

from pnyx.config import Settings
from pnyx.core import trends


def json_bytes(content: Any) -> bytes:
    return orjson.dumps(content, option=orjson.OPT_NON_STR_KEYS)


class JSON(Response):
    """A JSON response; content that is bytes is JSON already (`presenters.status_json`)
    and is sent as it is."""

    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        if isinstance(content, bytes):
            return content
        return json_bytes(content)


class ApiError(Exception):
    """Any client mistake: becomes `{"error": message}` with the status code."""

    def __init__(self, status: int, message: str, **extra: Any):
        super().__init__(message)
        self.status = status
        self.message = message
        self.extra = extra


def not_found() -> ApiError:
    return ApiError(404, "Record not found")


def unprocessable(message: str) -> ApiError:
    return ApiError(422, f"Validation failed: {message}")


def error_response(status: int, message: str, **extra: Any) -> JSON:
    return JSON({"error": message, **extra}, status_code=status)


def without_nul(value: Any) -> Any:
    """NUL characters mean nothing in text and PostgreSQL refuses them: drop them at the edge."""
    if isinstance(value, str):
        return value.replace("\x00", "") if "\x00" in value else value
    if isinstance(value, dict):
        return {without_nul(k): without_nul(v) for k, v in value.items()}
    if isinstance(value, list):
        return [without_nul(v) for v in value]
    return value


def database(request: Request):
    """The app's Database; handlers run their work with `await database(request).read(fn)`."""
    return request.app.state.db


def settings(request: Request) -> Settings:
    """The app's Settings."""
    return request.app.state.settings


def trends_cache(request: Request) -> trends.Cache:
    """The app's `core.trends.Cache`, made on first use: the API and the Explore pages share
    it, so both show the same computation of the trends."""
    state = request.app.state
    if getattr(state, "trends_cache", None) is None:
        state.trends_cache = trends.Cache()
    return state.trends_cache
