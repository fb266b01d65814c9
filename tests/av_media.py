"""Video, audio and animated GIFs for media tests, made here with PyAV and Pillow (no binary is
committed), and one bomb of each kind: huge dimensions, an absurd length, a frame rate past
the cap, a header that lies about its length, garbage after a valid header, an impossible
sample rate, a container we do not take."""

from __future__ import annotations

import io
import math
import os
import struct
from fractions import Fraction

import av
from PIL import Image

SECRET_TITLE = "Secret title of SpyCam"


def video(
    codec: str = "libx264",
    container: str = "mp4",
    *,
    frames: int = 10,
    size: tuple[int, int] = (64, 48),
    rate: int = 10,
    sound: str | None = None,
    metadata: dict[str, str] | None = None,
    spacing: Fraction | None = None,
    rotation: int = 0,
) -> bytes:
    """A few frames of colour (and, with `sound`, a tone in that codec). `spacing`: seconds
    between frames, when they are not 1/rate apart."""
    out = io.BytesIO()
    with av.open(out, "w", format=container) as output:
        output.metadata.update(metadata or {})
        stream = output.add_stream(codec, rate=rate)
        stream.width, stream.height = size
        stream.pix_fmt = "yuv420p"
        if rotation:
            stream.set_display_rotation(rotation)  # as a phone filming upright says it
        if codec == "libx264":
            stream.codec_context.options = {"preset": "ultrafast"}
        if spacing is not None:
            stream.codec_context.time_base = Fraction(1, 1000)
        tone = _tone_stream(output, sound) if sound else None
        for i in range(frames):
            picture = Image.new("RGB", size, ((i * 40) % 256, 120, 200))
            picture.paste((250, 250, 0), (0, 0, size[0] // 2, size[1] // 2))
            frame = av.VideoFrame.from_image(picture)
            if spacing is not None:
                frame.pts, frame.time_base = int(i * spacing * 1000), Fraction(1, 1000)
            output.mux(stream.encode(frame))
        output.mux(stream.encode(None))
        if tone is not None:
            _tone(output, tone, frames / rate)
    return out.getvalue()


def _tone_stream(output, codec: str, rate: int = 48_000):
    stream = output.add_stream(codec, rate=rate)
    stream.layout = "mono"
    return stream


def _tone(output, stream, seconds: float, rate: int = 48_000) -> None:
    chunk, written = 960, 0
    while written < seconds * rate:
        frame = av.AudioFrame(format="s16", layout="mono", samples=chunk)
        frame.planes[0].update(
            b"".join(
                struct.pack("<h", int(8000 * math.sin(2 * math.pi * 440 * (written + i) / rate)))
                for i in range(chunk)
            )
        )
        frame.sample_rate, frame.pts = rate, written
        output.mux(stream.encode(frame))
        written += chunk
    output.mux(stream.encode(None))


def audio(codec: str, container: str, *, seconds: float = 1.0, metadata=None) -> bytes:
    out = io.BytesIO()
    with av.open(out, "w", format=container) as output:
        output.metadata.update(metadata or {})
        _tone(output, _tone_stream(output, codec), seconds)
    return out.getvalue()


def animated_gif(frames: int = 6, size: tuple[int, int] = (41, 31)) -> bytes:
    images = [Image.new("RGB", size, ((i * 40) % 256, 30, 90)) for i in range(frames)]
    out = io.BytesIO()
    images[0].save(out, "GIF", save_all=True, append_images=images[1:], duration=80, loop=0)
    return out.getvalue()


# --- Bombs ----------------------------------------------------------------------------------


def huge_video() -> bytes:
    """One frame of 4096x2304: over Mastodon's 3840x2160 worth of pixels."""
    return video(frames=1, size=(4096, 2304))


def endless_video() -> bytes:
    """Two frames ten hours apart: a tiny file whose header says it lasts ten hours."""
    return video(frames=2, spacing=Fraction(36_000))


def fast_video() -> bytes:
    """240 frames a second, over the cap of 120."""
    return video(frames=24, rate=240)


def lying_webm() -> bytes:
    """A WebM whose header says it lasts a tenth of a second; its frames run for 5 s."""
    data = video("libvpx-vp9", "webm", frames=50, size=(32, 32))
    at = data.index(b"\x44\x89\x88")  # Segment Info, Duration, an 8-byte float (ms)
    return data[: at + 3] + struct.pack(">d", 100.0) + data[at + 11 :]


def garbage_after_header() -> bytes:
    """A valid MP4 whose frames are replaced by random bytes."""
    data = video(frames=30, size=(160, 120))
    at = data.index(b"mdat") + 4
    return data[:at] + os.urandom(len(data) - at)


def garbage_webm() -> bytes:
    """A WebM header (EBML, tracks) and random bytes where its clusters were."""
    data = video("libvpx-vp9", "webm", frames=30, size=(160, 120))
    at = data.index(b"\x1f\x43\xb6\x75")  # the first Cluster
    return data[: at + 4] + os.urandom(len(data) - at - 4)


def absurd_wav() -> bytes:
    """A WAV whose header claims ten million samples a second."""
    data = bytearray(audio("pcm_s16le", "wav", seconds=0.1))
    data[24:28] = struct.pack("<I", 10_000_000)
    return bytes(data)


def avi() -> bytes:
    """A container we do not take, however its streams look."""
    return video("libx264", "avi", frames=2)


def _vp9_packets(size: tuple[int, int], frames: int, start: int) -> list:
    encoder = av.CodecContext.create("libvpx-vp9", "w")
    encoder.width, encoder.height = size
    encoder.pix_fmt, encoder.time_base = "yuv420p", Fraction(1, 10)
    encoder.options = {"deadline": "realtime", "cpu-used": "8"}
    packets = []
    for i in range(frames):
        frame = av.VideoFrame.from_image(Image.new("RGB", size, ((i * 50) % 256, 0, 0)))
        frame.pts = start + i
        packets += encoder.encode(frame)
    return packets + encoder.encode(None)


def growing_webm(small: tuple[int, int] = (32, 32), big: tuple[int, int] = (64, 64)) -> bytes:
    """A WebM whose header says `small`, then a keyframe of `big` (every VP9 keyframe carries
    its own size): the header lies about the frames' size."""
    packets = _vp9_packets(small, 3, 0) + _vp9_packets(big, 1, 3)
    out = io.BytesIO()
    with av.open(out, "w", format="webm") as output:
        stream = output.add_stream("libvpx-vp9", rate=10)
        stream.width, stream.height = small
        stream.pix_fmt, stream.time_base = "yuv420p", Fraction(1, 10)
        for packet in packets:
            packet.stream, packet.time_base = stream, Fraction(1, 10)
            output.mux(packet)
    return out.getvalue()
