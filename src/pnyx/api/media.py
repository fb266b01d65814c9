"""Mastodon API: media uploads (`/api/v1/media`, `/api/v2/media`) and the files they make.

Apps upload first, then post with `media_ids`. v1 answers once the file is processed (200),
whatever its kind, as Mastodon's v1 does; v2 leaves the processing to the `media.process` job
and answers 202 with `url: null`, and apps poll `GET /api/v1/media/:id` (206 while
processing, 200 once done). The rules and the checks of the file are in `pnyx.core.media` and
`pnyx.core.media_files`; this module reads the request and renders.

Uploaded files in the local store are served at /system/media/<key> (`serve`): only files of
processed uploads, with their own type, `nosniff`, a year of caching (a key never names
another file), CORS for any origin (web apps load images with `crossorigin`) and byte ranges
(browsers seek in a video, and Safari plays none from a server without them).
"""

from __future__ import annotations

import functools

import anyio
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from pnyx.api.auth import require
from pnyx.api.http import JSON, ApiError, Params, database, path_id, read_params
from pnyx.config import Settings
from pnyx.core import media
from pnyx.core.media_store import LOCAL_PATH, store_for
from pnyx.presenters import entities

FORM_OVERHEAD = media.FORM_OVERHEAD
MEDIA_PATHS = ("/api/v1/media", "/api/v2/media")


def upload_limit(settings: Settings) -> int:
    """The largest body a media upload may have: a file one byte over the cap still arrives
    whole, so that it is refused with Mastodon's 422 and its reason rather than a bare 413."""
    largest = max(settings.max_image_bytes, settings.max_video_bytes, settings.max_audio_bytes)
    return max(settings.max_request_bytes, largest + FORM_OVERHEAD)


def _attributes(params: Params) -> media.Attributes:
    description = params.str("description")
    return media.Attributes(
        description=media.check_description(description),
        focus=media.parse_focus(params.str("focus")),
    )


def _upload(now: bool):
    async def handle(request: Request) -> JSON:
        settings = request.app.state.settings
        params = await read_params(request, max_bytes=upload_limit(settings))
        upload = params.files.get("file")
        if upload is None:
            raise ApiError(422, "Validation failed: File can't be blank")
        attributes = _attributes(params)
        data = await upload.read()
        db = database(request)
        viewer = await db.read(lambda tx: require(tx, request, "write:media"))
        media_id = await anyio.to_thread.run_sync(
            functools.partial(media.upload, db, viewer.account_id, data, attributes, now=now)
        )
        row = await db.read(lambda tx: media.own(tx, viewer.account_id, media_id))
        status = 200 if row.processing == media.DONE else 202
        return JSON(entities.media_attachment(row), status_code=status)

    return handle


async def show(request: Request) -> JSON:
    media_id = path_id(request)

    def work(tx):
        viewer = require(tx, request, "read:statuses")
        return media.shown(tx, viewer.account_id, media_id)

    row = await database(request).read(work)
    status = 200 if row.processing == media.DONE else 206
    return JSON(entities.media_attachment(row), status_code=status)


async def update(request: Request) -> JSON:
    media_id = path_id(request)
    params = await read_params(request)
    attributes = _attributes(params)

    def work(tx):
        viewer = require(tx, request, "write:media")
        return media.update(tx, viewer.account_id, media_id, attributes)

    row = await database(request).write(work)
    status = 200 if row.processing == media.DONE else 206
    return JSON(entities.media_attachment(row), status_code=status)


async def destroy(request: Request) -> JSON:
    media_id = path_id(request)

    def work(tx):
        viewer = require(tx, request, "write:media")
        media.delete(tx, viewer.account_id, media_id)

    await database(request).write(work)
    return JSON({})


# Never changes: a key names one file for ever (a new upload has a new id and token).
CACHE_CONTROL = "public, max-age=31536000, immutable"


async def serve(request: Request) -> Response:
    """A file of a processed upload in the local store; anything else is 404. (Files in an
    S3 bucket are fetched from it: Pnyx is not their proxy.)"""
    key = request.path_params["key"]
    settings = request.app.state.settings
    if settings.s3_bucket:
        raise ApiError(404, "Record not found")
    content_type = await database(request).read(lambda tx: media.served(tx, key))
    data = None
    if content_type is not None:
        data = await anyio.to_thread.run_sync(store_for(settings).get, key)
    if data is None:
        raise ApiError(404, "Record not found")
    headers = {
        "Cache-Control": CACHE_CONTROL,
        "X-Content-Type-Options": "nosniff",
        "Access-Control-Allow-Origin": "*",
        "Content-Security-Policy": "default-src 'none'; sandbox",
        "Accept-Ranges": "bytes",
    }
    wanted = byte_range(request.headers.get("range"), len(data))
    if wanted is None:
        return Response(data, media_type=content_type, headers=headers)
    start, end = wanted
    if start >= len(data):
        headers["Content-Range"] = f"bytes */{len(data)}"
        return Response(b"", status_code=416, headers=headers)
    headers["Content-Range"] = f"bytes {start}-{end}/{len(data)}"
    return Response(
        data[start : end + 1], status_code=206, media_type=content_type, headers=headers
    )


def byte_range(header: str | None, size: int) -> tuple[int, int] | None:
    """One range of `Range: bytes=a-b` (`a-`, `-n` too), the last byte capped at the end;
    None for no header or one we do not read (the whole file is then sent). Safari plays a
    video only from a server that answers ranges."""
    if not header or not header.startswith("bytes=") or "," in header:
        return None
    first, _, last = header[len("bytes=") :].strip().partition("-")
    try:
        if not first:
            length = int(last)
            return (max(0, size - length), size - 1) if length > 0 else None
        start = int(first)
        end = int(last) if last else size - 1
    except ValueError:
        return None
    if start >= size:
        return start, start  # past the end: 416
    if end < start:
        return None
    return start, min(end, size - 1)


routes = [
    Route("/api/v1/media", _upload(now=True), methods=["POST"]),
    Route("/api/v2/media", _upload(now=False), methods=["POST"]),
    Route("/api/v1/media/{id:int}", show, methods=["GET"]),
    Route("/api/v1/media/{id:int}", update, methods=["PUT"]),
    Route("/api/v1/media/{id:int}", destroy, methods=["DELETE"]),
    Route(LOCAL_PATH + "{key:path}", serve, methods=["GET"]),
]
