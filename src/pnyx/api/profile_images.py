"""Mastodon API: avatars and headers, uploaded with `update_credentials` (multipart `avatar`
and `header`) and removed with `DELETE /api/v1/profile/avatar|header` (Mastodon 4.2+).

The files are checked, processed and stored before the transaction that changes the profile
(`profile_media.prepare`, in a thread: decoding takes a while); the rules are in
`pnyx.core.profile_media`.
"""

from __future__ import annotations

import functools
from typing import Any

import anyio

from pnyx.api.http import Params
from pnyx.config import Settings
from pnyx.core import profile_media
from pnyx.core.image_processing import MediaRefused

PROFILE_PATHS = ("/api/v1/accounts/update_credentials",)


def profile_upload_limit(settings: Settings) -> int:
    """Room for an avatar and a header at their cap, and the other fields."""
    return profile_media.form_limit(settings)


async def read_upload(settings: Settings, kind: str, upload: Any) -> bytes:
    data = await upload.read()
    limit = settings.max_profile_image_bytes
    if len(data) > limit:
        raise MediaRefused(
            f"Validation failed: {kind.capitalize()} file size must be less than {limit} Bytes"
        )
    return data


async def prepare_images(
    settings: Settings, account_id: int, params: Params
) -> dict[str, profile_media.StoredImage]:
    """The avatar and header sent, processed and stored (by kind); none half-stored."""
    sent = {kind: params.files.get(kind) for kind in profile_media.KINDS}
    datas = {
        kind: await read_upload(settings, kind, upload)
        for kind, upload in sent.items()
        if upload is not None and not isinstance(upload, str)
    }
    images: dict[str, profile_media.StoredImage] = {}
    try:
        for kind, data in datas.items():
            images[kind] = await anyio.to_thread.run_sync(
                functools.partial(profile_media.prepare, settings, account_id, kind, data)
            )
    except BaseException:
        profile_media.discard(settings, images.values())
        raise
    return images
