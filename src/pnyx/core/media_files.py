"""Any upload -> what it is and what is stored: the one door to the media processors.

The magic bytes decide. An image format goes to core.image_processing, except an animated GIF,
which becomes `gifv` video (core.gifv); a video or audio container goes to core.av_probe and
core.av_processing; anything else is refused with Mastodon's 422. `check` is the cheap part,
run while the upload is received (header only, nothing decoded); `process` decodes.
"""

from __future__ import annotations

from pnyx.config import Settings
from pnyx.core import av_probe, av_processing, gifv, image_processing
from pnyx.core.media_types import UNSUPPORTED, MediaRefused, Processed

IMAGE_TYPES = ["image/jpeg", "image/png", "image/gif", "image/webp", "image/avif"]
VIDEO_TYPES = ["video/mp4", "video/quicktime", "video/webm"]
AUDIO_TYPES = [
    "audio/mpeg",
    "audio/mp3",
    "audio/ogg",
    "audio/opus",
    "audio/vorbis",
    "audio/wav",
    "audio/wave",
    "audio/x-wav",
    "audio/vnd.wave",
    "audio/flac",
    "audio/x-flac",
    "audio/mp4",
    "audio/m4a",
    "audio/x-m4a",
    "audio/aac",
    "audio/webm",
]


def supported_mime_types() -> list[str]:
    """What uploads accept, as the instance entity names it (apps hide what is not offered)."""
    return IMAGE_TYPES + VIDEO_TYPES + AUDIO_TYPES


def check(settings: Settings, data: bytes) -> str:
    """Mastodon's type of an upload (image, gifv, video, audio), from its header alone; a file
    that must not be decoded is refused (MediaRefused)."""
    if image_processing.sniff(data) is not None:
        facts = image_processing.probe(settings, data)
        return "gifv" if facts.format == "GIF" and facts.frames > 1 else "image"
    if av_probe.sniff(data) is not None:
        return av_probe.probe(settings, data).type
    raise MediaRefused(UNSUPPORTED)


def process(settings: Settings, data: bytes) -> Processed:
    """The files to store for an upload `check` accepted."""
    kind = check(settings, data)
    if kind == "gifv":
        return gifv.process(settings, data)
    if kind == "image":
        return image_processing.process(settings, data)
    return av_processing.process(settings, data)
