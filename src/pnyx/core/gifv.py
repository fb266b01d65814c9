"""Animated GIFs -> `gifv`: a silent H.264 MP4 that apps loop, as Mastodon makes them.

A GIF animation is a poor video format: hundreds of kilobytes a second, 256 colours, no
seeking. Mastodon turns every animated GIF into an MP4 without sound and calls it `gifv`;
apps play it muted and looped. The GIF has passed `image_processing.probe` first (size,
pixels, frames, all from the header), so decoding it is bounded. Pillow composes each frame
(disposal, transparency), the frames are laid on white (video has no transparency) and keep
their own durations; the stored size is the image cap's, rounded to even sides for H.264.
"""

from __future__ import annotations

import io
import tempfile
from pathlib import Path
from typing import Any

from PIL import Image, ImageSequence

from pnyx.config import Settings
from pnyx.core import image_processing
from pnyx.core.av_processing import VideoEncoder, even_size, h264_stream, open_mp4, video_result
from pnyx.core.media_types import MediaRefused, Processed

# Browsers show a GIF frame of 0 or 10 ms for 100 ms; so does the video.
MIN_FRAME_MS = 20
DEFAULT_FRAME_MS = 100
BACKGROUND = (255, 255, 255)


def _frames(image: Image.Image) -> list[tuple[Image.Image, int]]:
    """Each frame composed, flattened on white, with its duration in milliseconds."""
    frames = []
    for frame in ImageSequence.Iterator(image):
        duration = int(frame.info.get("duration") or 0)
        if duration < MIN_FRAME_MS:
            duration = DEFAULT_FRAME_MS
        rgba = frame.convert("RGBA")
        flat = Image.new("RGB", rgba.size, BACKGROUND)
        flat.paste(rgba, mask=rgba.getchannel("A"))
        frames.append((flat, duration))
    return frames


def process(settings: Settings, data: bytes) -> Processed:
    """The MP4 of an animated GIF, with a preview of its first frame."""
    facts = image_processing.probe(settings, data)
    try:
        image = Image.open(io.BytesIO(data), formats=["GIF"])
        frames = _frames(image)
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        raise MediaRefused(
            f"Validation failed: File could not be read as an image ({exc})"
        ) from exc
    if not frames:
        raise MediaRefused("Validation failed: File has no frames")
    width, height = even_size(facts.width, facts.height, image_processing.MAX_IMAGE_PIXELS)
    with tempfile.TemporaryDirectory(prefix="pnyx-gifv-") as folder:
        path = Path(folder) / "original.mp4"
        with open_mp4(path) as output:
            encoder = VideoEncoder(output, h264_stream(output, width, height, None))
            elapsed = 0
            for picture, duration in frames:
                encoder.add(_video_frame(picture), elapsed / 1000)
                elapsed += duration
            # The last frame is shown for its own duration: it is written again at the end.
            encoder.add(_video_frame(frames[-1][0]), (elapsed - 1) / 1000)
            encoder.finish()
        stored = path.read_bytes()
    return video_result("gifv", stored, frames[0][0])


def _video_frame(picture: Image.Image) -> Any:
    import av  # on first use: see av_probe

    return av.VideoFrame.from_image(picture)
