"""Video and audio as people upload them: which container the first bytes announce, and what
its header says, checked against the caps before a single frame is decoded.

A container is chosen by its magic bytes and then opened with that demuxer only: a file is
never read as anything else (FFmpeg would otherwise guess, and some of its demuxers, such as
HLS playlists, open other files). The header must then name a video or audio stream in a
codec we decode, within the caps on bytes, pixels, frame rate, length, sample rate and
channels. Decoding itself (core.av_processing) checks again that the frames keep to what the
header said. The library is PyAV, which brings its own FFmpeg from PyPI.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, replace
from fractions import Fraction
from typing import Any

from pnyx.config import Settings
from pnyx.core.image_processing import UNSUPPORTED, MediaRefused

# PyAV (`av`) is imported inside the functions that use it, here and in av_processing and
# gifv: it loads FFmpeg's libraries (~22 MB), which a server that has not yet seen a video or
# a sound should not carry (the idle RSS of `pnyx serve`, BENCHMARKS.md).

# Demuxers by their first bytes. ISO media (MP4, M4A, QuickTime) has its type at offset 4;
# still-image brands of the same family (AVIF, HEIC) are images, not ours.
_IMAGE_BRANDS = {b"avif", b"avis", b"heic", b"heix", b"mif1", b"msf1", b"heim", b"heis"}
_QUICKTIME_ATOMS = {b"moov", b"mdat", b"wide", b"free", b"skip"}
ISO_MEDIA, MATROSKA, OGG, MP3, WAV, FLAC, ADTS = (
    "mov",
    "matroska",
    "ogg",
    "mp3",
    "wav",
    "flac",
    "aac",
)

# What we decode, by decoder name (PyAV names the decoder, e.g. mp3float for mp3).
VIDEO_CODECS = {"h264", "hevc", "vp8", "vp9", "av1", "libdav1d"}
AUDIO_CODECS = {
    "aac",
    "aac_fixed",
    "mp3",
    "mp3float",
    "opus",
    "libopus",
    "vorbis",
    "flac",
    "alac",
    "pcm_s16le",
    "pcm_s16be",
    "pcm_s24le",
    "pcm_s32le",
    "pcm_f32le",
    "pcm_u8",
}
MAX_STREAMS = 16
MAX_SAMPLE_RATE = 192_000
MAX_CHANNELS = 8
# At most this much of the file is read to find its streams (FFmpeg's default, made explicit).
PROBE_BYTES = 5_000_000


def sniff(data: bytes) -> str | None:
    """The demuxer the first bytes call for, or None for anything we do not take."""
    head = data[:16]
    if head[4:8] == b"ftyp":
        return None if head[8:12] in _IMAGE_BRANDS else ISO_MEDIA
    if head[4:8] in _QUICKTIME_ATOMS:
        return ISO_MEDIA
    if head[:4] == b"\x1aE\xdf\xa3":
        return MATROSKA
    if head[:4] == b"OggS":
        return OGG
    if head[:4] == b"fLaC":
        return FLAC
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return WAV
    if head[:3] == b"ID3":
        return MP3
    if len(head) >= 2 and head[0] == 0xFF:
        if head[1] & 0xF6 == 0xF0:  # ADTS: sync word, layer 00
            return ADTS
        if head[1] & 0xE0 == 0xE0 and head[1] & 0x06:  # MPEG audio frame, layer 1-3
            return MP3
    return None


@dataclass(frozen=True)
class AVFacts:
    """What the header of an accepted file says."""

    type: str  # "video" or "audio"
    container: str
    duration: float | None  # seconds; None when the header does not say (it is then capped
    # while decoding)
    width: int = 0
    height: int = 0
    frame_rate: Fraction | None = None
    video_codec: str | None = None
    pixel_format: str | None = None
    audio_codec: str | None = None
    sample_rate: int = 0
    channels: int = 0


def refused(reason: str) -> MediaRefused:
    return MediaRefused(f"Validation failed: {reason}")


def input_options(settings: Settings) -> dict[str, str]:
    """Options of the demuxer and of every decoder it opens: no frame over the pixel cap is
    ever allocated, whatever a stream says later."""
    return {"max_pixels": str(settings.max_video_pixels), "probesize": str(PROBE_BYTES)}


def open_input(settings: Settings, data: bytes, container: str) -> Any:
    """The file opened with the demuxer its magic bytes named, and no other."""
    import av

    try:
        return av.open(io.BytesIO(data), format=container, options=input_options(settings))
    except (av.FFmpegError, ValueError, OSError) as exc:
        raise refused(f"File could not be read as video or audio ({exc})") from exc


def open_input_bare(data: bytes, container: str) -> Any:
    """A file we wrote ourselves, opened to describe it."""
    import av

    return av.open(io.BytesIO(data), format=container)


def video_stream(container: Any) -> Any:
    """The first real video stream (cover art in an audio file is no video)."""
    import av

    for stream in container.streams.video:
        if not stream.disposition & av.stream.Disposition.attached_pic:
            return stream
    return None


def audio_stream(container: Any) -> Any:
    return container.streams.audio[0] if container.streams.audio else None


def probe(settings: Settings, data: bytes) -> AVFacts:
    """Refuse (MediaRefused) what must not be decoded; else the header's facts."""
    largest = max(settings.max_video_bytes, settings.max_audio_bytes)
    if len(data) > largest:
        raise refused(f"File file size must be less than {largest} Bytes")
    kind = sniff(data)
    if kind is None:
        raise MediaRefused(UNSUPPORTED)
    container = open_input(settings, data, kind)
    try:
        return _facts(settings, container, kind, len(data))
    finally:
        container.close()


def _facts(settings: Settings, container: Any, kind: str, size: int) -> AVFacts:
    if len(container.streams) > MAX_STREAMS:
        raise refused(f"File has more than {MAX_STREAMS} streams")
    video, audio = video_stream(container), audio_stream(container)
    if video is None and audio is None:
        raise refused("File has no video or audio stream")
    duration = container.duration / 1_000_000 if container.duration else None
    facts = AVFacts(
        type="video" if video is not None else "audio",
        container=kind,
        duration=duration if duration and duration > 0 else None,
    )
    if audio is not None:
        facts = _audio_facts(facts, audio)
    if video is not None:
        facts = _video_facts(settings, facts, video)
        _check_length(facts, settings.max_video_seconds)
        if size > settings.max_video_bytes:
            raise refused(f"File file size must be less than {settings.max_video_bytes} Bytes")
    else:
        _check_length(facts, settings.max_audio_seconds)
        if size > settings.max_audio_bytes:
            raise refused(f"File file size must be less than {settings.max_audio_bytes} Bytes")
    return facts


def _check_length(facts: AVFacts, cap: int) -> None:
    if facts.duration is not None and facts.duration > cap:
        raise refused(f"File is longer than {cap} seconds")


def _audio_facts(facts: AVFacts, stream: Any) -> AVFacts:
    codec = stream.codec_context.name
    if codec not in AUDIO_CODECS:
        raise MediaRefused(UNSUPPORTED)
    rate, channels = int(stream.sample_rate or 0), int(stream.channels or 0)
    if not 0 < rate <= MAX_SAMPLE_RATE:
        raise refused(f"File has an audio sample rate of {rate} Hz")
    if not 0 < channels <= MAX_CHANNELS:
        raise refused(f"File has {channels} audio channels")
    return replace(facts, audio_codec=codec, sample_rate=rate, channels=channels)


def _video_facts(settings: Settings, facts: AVFacts, stream: Any) -> AVFacts:
    codec = stream.codec_context.name
    if codec not in VIDEO_CODECS:
        raise MediaRefused(UNSUPPORTED)
    width, height = int(stream.width or 0), int(stream.height or 0)
    if width < 1 or height < 1:
        raise refused("File has no pixels")
    if width * height > settings.max_video_pixels:
        raise refused(f"{width}x{height} videos are not supported")  # Mastodon's words
    # The average rate, measured over the first frames; not the guessed one, which for a
    # variable-rate WebM (a browser's recording) can be its time base, 1000 fps. Without an
    # average, the frames are counted while decoded.
    rate = stream.average_rate
    frame_rate = Fraction(rate) if rate else None
    if frame_rate is not None and frame_rate > settings.max_video_frame_rate:
        raise refused(f"{int(frame_rate)}fps videos are not supported")
    return replace(
        facts,
        width=width,
        height=height,
        frame_rate=frame_rate,
        video_codec=codec,
        pixel_format=stream.codec_context.pix_fmt,
    )
