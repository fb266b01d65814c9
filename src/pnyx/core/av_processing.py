"""Video and audio uploads -> files every app plays, with no metadata left, with PyAV.

Video is stored as H.264 with AAC sound in an MP4 whose index comes first (browsers start
playing before the end arrives). A file that is already that (H.264 in 4:2:0, AAC or no
sound, at most 60 frames a second, in MP4 or QuickTime) is copied packet by packet into a new
MP4, as Mastodon passes it through; anything else is decoded and encoded again. Either way
only the first video and audio streams are kept and nothing of the container or stream
metadata (titles, locations, device names, dates, the encoder's name) is written.

Audio is stored as MP3, as Mastodon does: every app and browser plays it, where Ogg Opus
still fails on older Safari. An MP3 is copied frame by frame into a new file without its tags;
anything else is encoded again.

Every frame is decoded, also when packets are only copied: decoding is how a file with a
valid header and garbage after it is found out, and how the frames are held to what the
header promised (`_Budget`: no frame larger than the pixel cap, no time past the header's
length or the cap, no more frames than the length and the frame-rate cap allow). The first
frame becomes the preview and the blurhash. Pure functions; files are written in a temporary
folder that is removed whatever happens.
"""

from __future__ import annotations

import math
import tempfile
from collections.abc import Iterable
from fractions import Fraction
from pathlib import Path
from typing import Any

from PIL import Image

from pnyx.config import Settings
from pnyx.core import av_probe
from pnyx.core.av_probe import AVFacts, refused
from pnyx.core.image_processing import blurhash_of, dimensions, preview
from pnyx.core.media_types import MediaRefused, Processed, Rendition

ENCODER_THREADS = 2
H264_OPTIONS = {"preset": "veryfast", "crf": "23", "profile": "high"}
MP4_OPTIONS = {"movflags": "+faststart"}
# No "encoder: Lavf..." tag, no creation time: nothing but the streams.
BARE = {"fflags": "+bitexact"}
TIME_BASE = Fraction(1, 90_000)
PASSTHROUGH_PIXEL_FORMATS = {"yuv420p", "yuvj420p"}
PASSTHROUGH_FRAME_RATE = 60
AUDIO_BITRATE = 128_000
MP3_BITRATE = {1: 96_000, 2: 192_000}
MP3_RATES = {32_000, 44_100, 48_000}
CODEC_NAMES = {"mp3float": "mp3", "aac_fixed": "aac"}  # decoders by their codec's name
# How far past the header's length a file may run (rounding, a last frame's duration).
SLACK_SECONDS = 2.0


class _Budget:
    """What decoding may still produce, from the header and the caps."""

    def __init__(self, settings: Settings, facts: AVFacts):
        cap = settings.max_video_seconds if facts.type == "video" else settings.max_audio_seconds
        self.seconds = float(cap)
        if facts.duration is not None:
            self.seconds = min(self.seconds, facts.duration * 1.1 + SLACK_SECONDS)
        self.max_frames = math.ceil(self.seconds * settings.max_video_frame_rate) + 1
        self.max_pixels = settings.max_video_pixels
        self.frames = 0
        self.samples = 0

    def video(self, frame: Any) -> None:
        self.frames += 1
        if self.frames > self.max_frames:
            raise refused("File has more frames than its length and frame rate allow")
        if frame.width * frame.height > self.max_pixels:
            raise refused(f"{frame.width}x{frame.height} videos are not supported")
        self._time(_seconds(frame))

    def audio(self, frame: Any) -> None:
        self.samples += frame.samples
        self._time(self.samples / (frame.sample_rate or 1))
        self._time(_seconds(frame))

    def _time(self, seconds: float | None) -> None:
        if seconds is not None and seconds > self.seconds:
            raise refused("File is longer than its header says or than the limit")


def _read_error(exc: BaseException) -> MediaRefused:
    return refused(f"File could not be read as video or audio ({exc})")


def process(settings: Settings, data: bytes, facts: AVFacts | None = None) -> Processed:
    """The stored file, and for video its preview and blurhash, from an upload `av_probe`
    accepts (MediaRefused for one that breaks a promise while decoded)."""
    import av  # on first use: see av_probe

    facts = facts or av_probe.probe(settings, data)
    with tempfile.TemporaryDirectory(prefix="pnyx-media-") as folder:
        path = Path(folder) / ("original.mp4" if facts.type == "video" else "original.mp3")
        source = av_probe.open_input(settings, data, facts.container)
        try:
            if facts.type == "video":
                first = _video(settings, facts, source, path)
            else:
                first = None
                _audio(settings, facts, source, path)
        except MediaRefused:
            raise
        except (av.FFmpegError, ValueError, OSError, MemoryError) as exc:
            raise _read_error(exc) from exc
        finally:
            source.close()
        stored = path.read_bytes()
    if facts.type == "video":
        if first is None:
            raise refused("File has no video frames")
        return video_result("video", stored, first)
    return _audio_result(stored)


# --- Video ----------------------------------------------------------------------------------


def even_size(width: int, height: int, max_pixels: int) -> tuple[int, int]:
    """H.264 in 4:2:0 wants even sides: scaled under `max_pixels`, rounded down to even."""
    if width * height > max_pixels:
        factor = math.sqrt(max_pixels / (width * height))
        width, height = int(width * factor), int(height * factor)
    return max(2, width - width % 2), max(2, height - height % 2)


def h264_stream(output: Any, width: int, height: int, rate: Fraction | None) -> Any:
    stream = output.add_stream("libx264", rate=rate or Fraction(30))
    stream.width, stream.height = width, height
    stream.pix_fmt = "yuv420p"
    stream.codec_context.time_base = TIME_BASE
    stream.codec_context.options = dict(H264_OPTIONS)
    stream.thread_count = ENCODER_THREADS
    return stream


def open_mp4(path: Path) -> Any:
    import av

    return av.open(str(path), "w", format="mp4", options=MP4_OPTIONS, container_options=BARE)


class VideoEncoder:
    """Frames in, H.264 out: scaled to the stream's size, timed in 1/90000 s, in order."""

    def __init__(self, output: Any, stream: Any):
        self.output, self.stream = output, stream
        self.last_pts = -1
        self.count = 0

    def add(self, frame: Any, seconds: float | None) -> None:
        if self.count == 0 and frame.rotation:
            # A phone filming upright stores the pixels sideways and says how to turn them:
            # the new file says so too (the pixels are not turned, as in a copied file).
            self.stream.set_display_rotation(frame.rotation)
        if seconds is None:
            seconds = self.count / float(self.stream.codec_context.framerate or 30)
        pts = round(seconds / TIME_BASE)
        if pts <= self.last_pts:
            return  # a frame out of order or repeated: dropped, as ffmpeg's -vsync does
        picture = frame.reformat(
            width=self.stream.width, height=self.stream.height, format="yuv420p"
        )
        picture.pts, picture.time_base = pts, TIME_BASE
        self.last_pts = pts
        self.count += 1
        self.output.mux(self.stream.encode(picture))

    def finish(self) -> None:
        self.output.mux(self.stream.encode(None))


def _passthrough(facts: AVFacts) -> bool:
    return (
        facts.container == av_probe.ISO_MEDIA
        and facts.video_codec == "h264"
        and facts.pixel_format in PASSTHROUGH_PIXEL_FORMATS
        and (facts.frame_rate or 0) <= PASSTHROUGH_FRAME_RATE
        and facts.audio_codec in (None, "aac", "aac_fixed")
    )


def _video(settings: Settings, facts: AVFacts, source: Any, path: Path) -> Image.Image | None:
    """Writes the MP4 at `path`; returns the first frame as a picture."""
    budget = _Budget(settings, facts)
    vin, ain = av_probe.video_stream(source), av_probe.audio_stream(source)
    for stream in (vin, ain):
        if stream is not None:
            stream.codec_context.options = av_probe.input_options(settings)
    vin.thread_type = "AUTO"
    first: Image.Image | None = None
    with open_mp4(path) as output:
        if _passthrough(facts):
            copy = {vin: output.add_stream_from_template(vin)}
            if ain is not None:
                copy[ain] = output.add_stream_from_template(ain)
            audio_out = None
        else:
            copy = {}
            width, height = even_size(facts.width, facts.height, settings.max_video_pixels)
            encoder = VideoEncoder(output, h264_stream(output, width, height, facts.frame_rate))
            audio_out = _AudioEncoder(output, "aac", ain) if ain is not None else None
        for packet in source.demux([s for s in (vin, ain) if s is not None]):
            is_video = packet.stream is vin
            for frame in _frames(packet):
                if is_video:
                    budget.video(frame)
                    if first is None:
                        first = upright_picture(frame)
                    if not copy:
                        encoder.add(frame, _seconds(frame))
                else:
                    budget.audio(frame)
                    if audio_out is not None:
                        audio_out.add(frame)
            if copy and packet.dts is not None:
                packet.stream = copy[packet.stream]
                output.mux(packet)
        if not copy:
            encoder.finish()
            if audio_out is not None:
                audio_out.finish()
    if budget.frames == 0:
        raise refused("File has no video frames")
    return first


def _frames(packet: Any) -> Iterable[Any]:
    """The frames a packet gives (the empty packets at the end flush the decoder)."""
    return packet.decode()


def _seconds(frame: Any) -> float | None:
    seconds = frame.time
    return seconds if seconds is not None and math.isfinite(seconds) else None


def upright_picture(frame: Any) -> Image.Image:
    """A decoded frame as it is meant to be seen (turned by its display rotation)."""
    picture = frame.to_image()
    return picture.rotate(frame.rotation, expand=True) if frame.rotation else picture


def video_result(kind: str, stored: bytes, first: Image.Image) -> Processed:
    """The stored MP4 as Mastodon describes it, read back from the file itself; the size is
    the size it is shown at (`first` is upright)."""
    small = preview(first.convert("RGB"))
    described = av_probe.open_input_bare(stored, "mp4")
    try:
        video = described.streams.video[0]
        audio = av_probe.audio_stream(described)
        duration = (described.duration or 0) / 1_000_000
        rate = Fraction(video.average_rate or video.guessed_rate or 0)
        width, height = video.width, video.height
        if (first.width > first.height) != (width > height):
            width, height = height, width  # turned a quarter by its display rotation
        meta: dict[str, Any] = {
            "length": _length(duration),
            "duration": round(duration, 3),
            "fps": round(rate) if rate else 0,
            **dimensions(width, height),
            **(_audio_meta(audio) if audio is not None and kind == "video" else {}),
            "original": {
                "width": width,
                "height": height,
                "frame_rate": f"{rate.numerator}/{rate.denominator}",
                "duration": round(duration, 3),
                "bitrate": int(described.bit_rate or 0),
            },
            "small": dimensions(small.width, small.height),
        }
    finally:
        described.close()
    return Processed(
        type=kind,
        original=Rendition(stored, "video/mp4", "mp4", width, height),
        small=small,
        blurhash=blurhash_of(first.convert("RGB")),
        meta=meta,
    )


def _length(seconds: float) -> str:
    """Mastodon's "0:01:28.65"."""
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{int(hours)}:{int(minutes):02d}:{secs:05.2f}"


# --- Audio ----------------------------------------------------------------------------------


class _AudioEncoder:
    """Decoded sound in, `codec` out: resampled to a rate and layout the codec takes, timed by
    the samples written."""

    def __init__(self, output: Any, codec: str, source: Any):
        channels = 1 if source.channels == 1 else 2
        rate = int(source.sample_rate)
        if codec == "libmp3lame" and rate not in MP3_RATES:
            rate = 48_000 if rate > 44_100 else 44_100
        elif codec == "aac" and rate > 96_000:
            rate = 48_000
        layout = "mono" if channels == 1 else "stereo"
        self.stream = output.add_stream(codec, rate=rate)
        self.stream.layout = layout
        self.stream.bit_rate = MP3_BITRATE[channels] if codec == "libmp3lame" else AUDIO_BITRATE
        sample_format = self.stream.codec_context.codec.audio_formats[0].name
        import av

        self.resampler = av.AudioResampler(format=sample_format, layout=layout, rate=rate)
        self.output = output
        self.written = 0

    def add(self, frame: Any) -> None:
        frame.pts = None
        self._write(self.resampler.resample(frame))

    def finish(self) -> None:
        self._write(self.resampler.resample(None))
        self.output.mux(self.stream.encode(None))

    def _write(self, frames: Iterable[Any]) -> None:
        for frame in frames:
            frame.pts = self.written
            frame.time_base = Fraction(1, frame.sample_rate)
            self.written += frame.samples
            self.output.mux(self.stream.encode(frame))


def _audio(settings: Settings, facts: AVFacts, source: Any, path: Path) -> None:
    budget = _Budget(settings, facts)
    ain = av_probe.audio_stream(source)
    ain.codec_context.options = av_probe.input_options(settings)
    copying = facts.container == av_probe.MP3 and facts.audio_codec in ("mp3", "mp3float")
    import av

    with av.open(str(path), "w", format="mp3", container_options=BARE) as output:
        copy = output.add_stream_from_template(ain) if copying else None
        encoder = None if copying else _AudioEncoder(output, "libmp3lame", ain)
        decoded = 0
        for packet in source.demux(ain):
            for frame in _frames(packet):
                decoded += 1
                budget.audio(frame)
                if encoder is not None:
                    encoder.add(frame)
            if copy is not None and packet.dts is not None:
                packet.stream = copy
                output.mux(packet)
        if encoder is not None:
            encoder.finish()
    if decoded == 0:
        raise refused("File has no audio")


def _audio_meta(stream: Any) -> dict[str, Any]:
    """Mastodon's words for the sound of a file: "mp3", "44100 Hz", "stereo"."""
    channels = int(stream.channels or 0)
    name = stream.codec_context.codec.name
    return {
        "audio_encode": CODEC_NAMES.get(name, name),
        "audio_bitrate": f"{int(stream.sample_rate or 0)} Hz",
        "audio_channels": {1: "mono", 2: "stereo"}.get(channels, f"{channels} channels"),
    }


def _audio_result(stored: bytes) -> Processed:
    described = av_probe.open_input_bare(stored, "mp3")
    try:
        audio = described.streams.audio[0]
        duration = (described.duration or 0) / 1_000_000
        meta = {
            "length": _length(duration),
            "duration": round(duration, 3),
            **_audio_meta(audio),
            "original": {"duration": round(duration, 3), "bitrate": int(described.bit_rate or 0)},
        }
    finally:
        described.close()
    return Processed(
        type="audio",
        original=Rendition(stored, "audio/mpeg", "mp3", 0, 0),
        small=None,
        blurhash=None,
        meta=meta,
    )
