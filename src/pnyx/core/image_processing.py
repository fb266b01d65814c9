"""Images as people upload them -> images safe to store and show, with Pillow.

An upload is hostile until proven otherwise. In order, each step before any pixel is decoded:
the magic bytes say which format it is (the name and the type the client gives are ignored),
the size in bytes is capped, and the header's dimensions and frame count are checked against
the caps (a decompression bomb is a few kilobytes of PNG that decodes to gigabytes). Only then
is it decoded, turned upright (EXIF orientation), converted to sRGB when it carries another
colour profile, resized to Mastodon's limits, and written again from the pixels alone: no
EXIF (GPS included), no XMP, no ICC profile, no comments survive. A small preview and a
blurhash come from the same pixels.

Animated GIFs are not processed here: they become `gifv` video (core.gifv), which reuses the
header checks (`probe`), the preview and the blurhash of this module. Pure functions, no
database and no store.
"""

from __future__ import annotations

import io
import math
import warnings
from dataclasses import dataclass
from typing import Any

import blurhash
from PIL import Image, ImageCms, ImageOps, ImageSequence, UnidentifiedImageError

from pnyx.config import Settings
from pnyx.core.media_types import UNSUPPORTED, MediaRefused, Processed, Rendition

__all__ = ["UNSUPPORTED", "MediaRefused", "Processed", "Rendition", "probe", "process"]

# Mastodon's limits: stored images have at most 3840x2160 worth of pixels, previews 640x360.
MAX_IMAGE_PIXELS = 8_294_400
PREVIEW_PIXELS = 230_400
BLURHASH_COMPONENTS = (4, 3)
BLURHASH_SOURCE = 64  # the blurhash is computed from a thumbnail this wide at most

# Pillow's own bomb check, tightened from its default (about 179 million pixels) to what any
# setting here allows; ours runs first and says why.
Image.MAX_IMAGE_PIXELS = 200_000_000

# Formats by their first bytes; what Pillow calls them; what we store them as.
_MAGIC: tuple[tuple[bytes, int, str], ...] = (
    (b"\xff\xd8\xff", 0, "JPEG"),
    (b"\x89PNG\r\n\x1a\n", 0, "PNG"),
    (b"GIF87a", 0, "GIF"),
    (b"GIF89a", 0, "GIF"),
)
MIME = {"JPEG": "image/jpeg", "PNG": "image/png", "GIF": "image/gif", "WEBP": "image/webp"}
EXTENSIONS = {"JPEG": "jpg", "PNG": "png", "GIF": "gif", "WEBP": "webp"}


def sniff(data: bytes) -> str | None:
    """The image format its first bytes announce (JPEG, PNG, GIF, WEBP, AVIF), or None."""
    for magic, offset, name in _MAGIC:
        if data[offset : offset + len(magic)] == magic:
            return name
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WEBP"
    if data[4:8] == b"ftyp" and data[8:12] in (b"avif", b"avis"):
        return "AVIF"
    return None


@dataclass(frozen=True)
class Probe:
    """What the header says, before decoding: format, size, frame count."""

    format: str
    width: int
    height: int
    frames: int


def _open(data: bytes, expected: str) -> Image.Image:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=[expected])
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise MediaRefused(
            f"Validation failed: File could not be read as an image ({exc})"
        ) from exc
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise MediaRefused("Validation failed: File has too many pixels") from exc
    return image


def probe(settings: Settings, data: bytes) -> Probe:
    """Refuse (MediaRefused) what must not be decoded; else the header's facts. Cheap: it reads
    the header (and, for animations, walks the frames without decoding them)."""
    limit = settings.max_image_bytes
    if len(data) > limit:
        raise MediaRefused(f"Validation failed: File file size must be less than {limit} Bytes")
    kind = sniff(data)
    if kind is None:
        raise MediaRefused(UNSUPPORTED)
    image = _open(data, kind)
    width, height = image.size
    if width < 1 or height < 1:
        raise MediaRefused("Validation failed: File has no pixels")
    if width * height > settings.max_image_input_pixels:
        raise MediaRefused(
            f"Validation failed: File dimensions {width}x{height} are over the limit of "
            f"{settings.max_image_input_pixels} pixels"
        )
    frames = _frame_count(image, settings.max_image_frames)
    if frames > settings.max_image_frames:
        raise MediaRefused(
            f"Validation failed: File has more than {settings.max_image_frames} frames"
        )
    # Every frame is decoded to be resized: their pixels together are capped as one image's.
    if frames * width * height > settings.max_image_input_pixels * 4:
        raise MediaRefused("Validation failed: File has too many pixels in all its frames")
    return Probe(kind, width, height, frames)


def _frame_count(image: Image.Image, cap: int) -> int:
    """Frames of an animation, counted up to one past `cap` (no need to walk the rest)."""
    if not getattr(image, "is_animated", False):
        return 1
    declared = getattr(image, "n_frames", 1)  # GIF walks its blocks to count, decoding none
    return min(int(declared), cap + 1)


def process(settings: Settings, data: bytes) -> Processed:
    """The stored image, its preview and its blurhash, from an upload `probe` accepts. An
    animation is not for this function (core.gifv makes it a video): its first frame is."""
    facts = probe(settings, data)
    image = _open(data, facts.format)
    try:
        first = upright(image)
        original = _still(first, facts.format)
    except MediaRefused:
        raise
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        raise MediaRefused(
            f"Validation failed: File could not be read as an image ({exc})"
        ) from exc
    small = preview(first)
    return Processed(
        type="image",
        original=original,
        small=small,
        blurhash=blurhash_of(first),
        meta={
            "original": dimensions(original.width, original.height),
            "small": dimensions(small.width, small.height),
            "focus": {"x": 0.0, "y": 0.0},
        },
    )


def dimensions(width: int, height: int) -> dict[str, Any]:
    return {
        "width": width,
        "height": height,
        "size": f"{width}x{height}",
        "aspect": round(width / height, 6),
    }


def upright(image: Image.Image) -> Image.Image:
    """Decoded, turned as its EXIF orientation says, in sRGB, in RGB or RGBA, with no
    metadata left in `info`."""
    image.load()
    turned = ImageOps.exif_transpose(image) or image
    icc = image.info.get("icc_profile")
    if turned.mode not in ("RGB", "RGBA"):
        has_alpha = turned.mode in ("LA", "PA", "RGBa", "La") or (
            turned.mode == "P" and "transparency" in turned.info
        )
        turned = turned.convert("RGBA" if has_alpha else "RGB")
    if icc:
        turned = _to_srgb(turned, icc)
    turned.info = {}
    return turned


def _to_srgb(image: Image.Image, icc: bytes) -> Image.Image:
    """Colours as meant: converted from the embedded profile to sRGB, which browsers assume
    for an image without one. A profile that cannot be read is ignored."""
    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        target = ImageCms.createProfile("sRGB")
        converted = ImageCms.profileToProfile(image, source, target, outputMode=image.mode)
    except (ImageCms.PyCMSError, OSError, ValueError):
        return image
    return converted if converted is not None else image


def scaled(width: int, height: int, max_pixels: int) -> tuple[int, int]:
    if width * height <= max_pixels:
        return width, height
    factor = math.sqrt(max_pixels / (width * height))
    return max(1, int(width * factor)), max(1, int(height * factor))


def _encode(image: Image.Image, kind: str) -> Rendition:
    """Pixels only: no exif, icc_profile, xmp or comment is passed, and `info` is empty."""
    image.info = {}
    out = io.BytesIO()
    if kind == "JPEG":
        image.convert("RGB").save(out, "JPEG", quality=90, optimize=True)
    elif kind == "WEBP":
        image.save(out, "WEBP", quality=90)
    else:
        kind = "PNG"
        image.save(out, "PNG", optimize=True)
    return Rendition(out.getvalue(), MIME[kind], EXTENSIONS[kind], image.width, image.height)


def _still(image: Image.Image, kind: str) -> Rendition:
    """A still image at Mastodon's size. JPEG and WebP stay what they are; PNG stays PNG;
    anything else (AVIF, a one-frame GIF) becomes PNG when it has transparency, else JPEG."""
    size = scaled(image.width, image.height, MAX_IMAGE_PIXELS)
    if size != image.size:
        image = image.resize(size, Image.Resampling.LANCZOS)
    if kind not in ("JPEG", "PNG", "WEBP"):
        kind = "PNG" if image.mode == "RGBA" else "JPEG"
    if kind == "JPEG" and image.mode == "RGBA":
        kind = "PNG"
    return _encode(image, kind)


def preview(image: Image.Image) -> Rendition:
    """The small rendition apps show in timelines: Mastodon's 640x360 worth of pixels."""
    size = scaled(image.width, image.height, PREVIEW_PIXELS)
    small = image.resize(size, Image.Resampling.LANCZOS) if size != image.size else image.copy()
    return _encode(small, "PNG" if small.mode == "RGBA" else "JPEG")


@dataclass(frozen=True)
class ProfileImage:
    """An avatar or header: the image shown, and a still first frame when it is animated."""

    original: Rendition
    static: Rendition | None


def _fit(image: Image.Image, box: tuple[int, int]) -> Image.Image:
    """Cropped around the centre to the box's shape, then shrunk to fit it (never enlarged):
    Mastodon's "400x400#" and "1500x500#", without upscaling a small picture."""
    width, height = box
    aspect = width / height
    if image.width / image.height > aspect:
        crop_w, crop_h = max(1, round(image.height * aspect)), image.height
    else:
        crop_w, crop_h = image.width, max(1, round(image.width / aspect))
    left, top = (image.width - crop_w) // 2, (image.height - crop_h) // 2
    cropped = image.crop((left, top, left + crop_w, top + crop_h))
    if crop_w > width:
        cropped = cropped.resize((width, height), Image.Resampling.LANCZOS)
    cropped.info = {}
    return cropped


def process_profile(settings: Settings, data: bytes, box: tuple[int, int]) -> ProfileImage:
    """An avatar (box 400x400) or header (1500x500) from an upload or a remote server's file:
    the same checks and metadata stripping as any upload, cropped to the box."""
    facts = probe(settings, data)
    image = _open(data, facts.format)
    try:
        if facts.frames > 1 and facts.format == "GIF":
            first_frame = _open(data, facts.format)
            first_frame.seek(0)
            first = _fit(upright(first_frame), box)
            frames, durations = [], []
            for frame in ImageSequence.Iterator(image):
                durations.append(int(frame.info.get("duration", 100)))
                frames.append(_fit(frame.convert("RGBA"), box))
            out = io.BytesIO()
            frames[0].save(
                out,
                "GIF",
                save_all=True,
                append_images=frames[1:],
                duration=durations,
                loop=int(image.info.get("loop", 0)),
                disposal=2,
            )
            animated = Rendition(out.getvalue(), MIME["GIF"], "gif", first.width, first.height)
            static = _encode(first, "PNG" if first.mode == "RGBA" else "JPEG")
            return ProfileImage(animated, static)
        still = _fit(upright(image), box)
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        raise MediaRefused(
            f"Validation failed: File could not be read as an image ({exc})"
        ) from exc
    return ProfileImage(_still(still, facts.format), None)


def blurhash_of(image: Image.Image) -> str:
    thumb = image.convert("RGB")
    thumb.thumbnail((BLURHASH_SOURCE, BLURHASH_SOURCE))
    width, height = thumb.size
    raw = thumb.tobytes()  # RGB, row after row
    rows = [
        [tuple(raw[i : i + 3]) for i in range(y * width * 3, (y + 1) * width * 3, 3)]
        for y in range(height)
    ]
    x, y = BLURHASH_COMPONENTS
    return blurhash.encode(rows, components_x=x, components_y=y)


def process_emoji(settings: Settings, data: bytes) -> ProfileImage:
    """A custom emoji (PNG, GIF or WebP, from staff or another server): the same checks and
    metadata stripping as any upload, its size kept; `static` is a still PNG of the first
    frame when it is animated (an animation stays in its format, GIF or WebP)."""
    facts = probe(settings, data)
    if facts.format not in ("PNG", "GIF", "WEBP"):
        raise MediaRefused(UNSUPPORTED)
    try:
        first = _open(data, facts.format)
        first.seek(0)
        still = upright(first).convert("RGBA")
        still.info = {}
        if facts.frames == 1:
            return ProfileImage(_encode(still, "PNG"), None)
        image = _open(data, facts.format)
        frames, durations = [], []
        for frame in ImageSequence.Iterator(image):
            durations.append(int(frame.info.get("duration", 100)))
            pixels = frame.convert("RGBA")
            pixels.info = {}
            frames.append(pixels)
        out = io.BytesIO()
        extra = {"disposal": 2} if facts.format == "GIF" else {}
        frames[0].save(
            out,
            facts.format,
            save_all=True,
            append_images=frames[1:],
            duration=durations,
            loop=int(image.info.get("loop", 0)),
            **extra,
        )
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        raise MediaRefused(
            f"Validation failed: File could not be read as an image ({exc})"
        ) from exc
    kind = facts.format
    animated = Rendition(out.getvalue(), MIME[kind], EXTENSIONS[kind], still.width, still.height)
    return ProfileImage(animated, _encode(still, "PNG"))
