"""What every kind of media processing shares: the refusal, a stored file, the result.

Images (core.image_processing), animated GIFs (core.gifv), video and audio
(core.av_processing) each turn an upload into a `Processed`: the file to store, its preview
when it has one, a blurhash, and Mastodon's `meta`. Core.media stores whichever it gets.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pnyx.core.errors import CoreError

UNSUPPORTED = "Validation failed: File content type is invalid"  # as Mastodon words it


class MediaRefused(CoreError):
    """An upload that will not be stored: 422 with a message that says why."""

    status = 422


@dataclass(frozen=True)
class Rendition:
    data: bytes
    content_type: str
    extension: str
    width: int
    height: int


@dataclass(frozen=True)
class Processed:
    """An upload made safe to store: `type` is Mastodon's (image, gifv, video, audio); audio
    has no preview (`small`) and no blurhash."""

    type: str
    original: Rendition
    small: Rendition | None
    blurhash: str | None
    meta: dict[str, Any] = field(default_factory=dict)
