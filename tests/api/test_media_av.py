"""Video, audio and animated GIF uploads through the Mastodon API: what is stored is what apps
play (H.264/AAC MP4, MP3), with nothing left of the file's metadata, described in `meta` as
Mastodon describes it; and every kind of media bomb is refused with 422, nothing stored.

The media are made by the tests themselves (tests/av_media.py, with PyAV and Pillow)."""

from __future__ import annotations

import io

import av
import pytest

from av_media import (
    SECRET_TITLE,
    absurd_wav,
    animated_gif,
    audio,
    avi,
    endless_video,
    fast_video,
    garbage_after_header,
    garbage_webm,
    growing_webm,
    huge_video,
    lying_webm,
    video,
)
from pnyx import registry
from pnyx.core import media

from .test_media import rows, stored_files, upload


def streams_of(data: bytes) -> dict:
    """What a stored file holds: its container's tags and its streams' codecs."""
    with av.open(io.BytesIO(data)) as container:
        return {
            "format": container.format.name,
            "metadata": dict(container.metadata),
            "stream_metadata": [dict(s.metadata) for s in container.streams],
            "codecs": [(s.type, s.codec_context.name) for s in container.streams],
        }


def fetch(client, url: str):
    served = client.get(url.removeprefix("https://pnyx.test"))
    assert served.status_code == 200, url
    return served


def test_vp9_video_with_opus_becomes_h264_aac_mp4_without_its_title(client, app, make_user):
    alice = make_user("alice")
    sent = video("libvpx-vp9", "webm", sound="libopus", metadata={"title": SECRET_TITLE})
    assert SECRET_TITLE.encode() in sent
    response = upload(client, alice, sent, version=2, name="clip.webm", description="A clip")
    assert response.status_code == 202, response.text
    queued = response.json()
    assert queued["type"] == "video" and queued["url"] is None
    polled = client.get(f"/api/v1/media/{queued['id']}", headers=alice.headers)
    assert polled.status_code == 206

    registry.drain(app.state.db)

    done = client.get(f"/api/v1/media/{queued['id']}", headers=alice.headers)
    assert done.status_code == 200, done.text
    entity = done.json()
    assert entity["type"] == "video" and entity["description"] == "A clip"
    assert entity["blurhash"]
    meta = entity["meta"]
    assert meta["original"]["width"] == 64 and meta["original"]["height"] == 48
    assert meta["original"]["frame_rate"] == "10/1"
    assert meta["original"]["duration"] == pytest.approx(1.0, abs=0.1)
    assert meta["original"]["bitrate"] > 0
    assert meta["audio_encode"] == "aac" and meta["audio_channels"] == "mono"
    assert meta["audio_bitrate"] == "48000 Hz"
    assert meta["small"]["width"] == 64
    served = fetch(client, entity["url"])
    assert served.headers["content-type"] == "video/mp4"
    assert served.headers["x-content-type-options"] == "nosniff"
    facts = streams_of(served.content)
    assert facts["codecs"] == [("video", "h264"), ("audio", "aac")]
    assert SECRET_TITLE.encode() not in served.content
    assert "title" not in facts["metadata"] and "encoder" not in facts["metadata"]
    preview = fetch(client, entity["preview_url"])
    assert preview.headers["content-type"] == "image/jpeg"
    [row] = rows(app)
    assert row.upload_key is None and row.content_type == "video/mp4"


def test_h264_aac_mp4_is_copied_with_its_metadata_stripped(client, make_user, settings):
    """Already what apps play: copied packet for packet (v1 processes it at once, as
    Mastodon's v1 does), but into a new container without the tags."""
    alice = make_user("alice")
    sent = video(sound="aac", metadata={"title": SECRET_TITLE, "comment": "SpyCam"})
    response = upload(client, alice, sent, name="clip.mp4")
    assert response.status_code == 200, response.text
    entity = response.json()
    assert entity["type"] == "video" and entity["url"]
    served = fetch(client, entity["url"]).content
    assert SECRET_TITLE.encode() not in served and b"SpyCam" not in served
    with av.open(io.BytesIO(sent)) as source, av.open(io.BytesIO(served)) as stored:
        sent_packets = [bytes(p) for p in source.demux(source.streams.video[0]) if p.size]
        kept_packets = [bytes(p) for p in stored.demux(stored.streams.video[0]) if p.size]
    assert kept_packets == sent_packets  # not encoded again
    assert len(stored_files(settings)) == 2  # the video and its preview


@pytest.mark.parametrize(
    "codec, container",
    [("libopus", "ogg"), ("libmp3lame", "mp3"), ("flac", "flac"), ("pcm_s16le", "wav")],
)
def test_audio_becomes_mp3_without_tags(client, make_user, codec, container):
    alice = make_user("alice")
    sent = audio(codec, container, metadata={"title": SECRET_TITLE})
    response = upload(client, alice, sent, name=f"sound.{container}")
    assert response.status_code == 200, response.text
    entity = response.json()
    assert entity["type"] == "audio"
    assert entity["preview_url"] is None and entity["blurhash"] is None
    meta = entity["meta"]
    assert meta["duration"] == pytest.approx(1.0, abs=0.1)
    assert meta["original"]["bitrate"] > 0
    assert meta["audio_encode"] == "mp3" and meta["audio_channels"] == "mono"
    assert meta["audio_bitrate"] in ("48000 Hz", "44100 Hz")
    served = fetch(client, entity["url"])
    assert served.headers["content-type"] == "audio/mpeg"
    facts = streams_of(served.content)
    assert facts["codecs"] == [("audio", "mp3float")]
    assert SECRET_TITLE.encode() not in served.content
    assert "title" not in facts["metadata"]


def test_an_animated_gif_becomes_a_silent_looping_gifv(client, make_user):
    alice = make_user("alice")
    response = upload(client, alice, animated_gif(), name="loop.gif")
    assert response.status_code == 200, response.text
    entity = response.json()
    assert entity["type"] == "gifv"
    served = fetch(client, entity["url"])
    assert served.headers["content-type"] == "video/mp4"
    assert streams_of(served.content)["codecs"] == [("video", "h264")]
    # Even sides for H.264: 41x31 is stored as 40x30.
    assert (entity["meta"]["original"]["width"], entity["meta"]["original"]["height"]) == (40, 30)
    assert entity["meta"]["duration"] == pytest.approx(0.48, abs=0.1)
    assert fetch(client, entity["preview_url"]).headers["content-type"] == "image/jpeg"
    # A one-frame GIF is an image still.
    still = upload(client, alice, animated_gif(frames=1), name="still.gif").json()
    assert still["type"] == "image"


@pytest.mark.parametrize(
    "make, reason",
    [
        (huge_video, "4096x2304 videos are not supported"),
        (endless_video, "longer than 600 seconds"),
        (fast_video, "240fps videos are not supported"),
        (lying_webm, "longer than its header says"),
        (garbage_after_header, "could not be read"),
        (garbage_webm, "no video frames"),
        (absurd_wav, "sample rate"),
        (avi, "content type is invalid"),
    ],
    ids=[
        "huge-dimensions",
        "absurd-duration",
        "frame-rate",
        "header-lies-about-length",
        "garbage-after-mp4-header",
        "garbage-after-webm-header",
        "impossible-sample-rate",
        "container-not-taken",
    ],
)
def test_media_bombs_are_refused_and_nothing_is_stored(
    client, app, make_user, settings, make, reason
):
    alice = make_user("alice")
    response = upload(client, alice, make(), name="bomb.mp4")
    assert response.status_code == 422, response.text
    assert response.json()["error"].startswith("Validation failed: ")
    assert reason in response.json()["error"]
    assert rows(app) == []
    assert stored_files(settings) == []


@pytest.mark.parametrize("make", [lying_webm, garbage_webm], ids=["lying", "garbage"])
def test_a_bomb_found_by_the_job_leaves_no_file(client, app, make_user, settings, make):
    """Through v2 the header passes and the job decodes: the upload is marked failed, its
    file removed, and polling it says so (422, as Mastodon)."""
    alice = make_user("alice")
    response = upload(client, alice, make(), version=2, name="bomb.webm")
    assert response.status_code == 202, response.text
    registry.drain(app.state.db)
    polled = client.get(f"/api/v1/media/{response.json()['id']}", headers=alice.headers)
    assert polled.status_code == 422
    assert polled.json()["error"] == media.PROCESSING_FAILED
    assert stored_files(settings) == []
    [row] = rows(app)
    assert row.processing == media.FAILED and row.file_key is None


def test_video_limits_are_settings_and_the_instance_says_them(make_user, settings):
    from starlette.testclient import TestClient

    from pnyx.app import create_app

    capped = settings.with_overrides(
        max_video_seconds=1, max_video_pixels=2_000, max_video_frame_rate=10
    )
    with TestClient(
        create_app(capped, run_workers=False, migrate=False), base_url="https://pnyx.test"
    ) as capped_client:
        config = capped_client.get("/api/v2/instance").json()["configuration"]
        limits = config["media_attachments"]
        assert limits["video_matrix_limit"] == 2_000
        assert limits["video_frame_rate_limit"] == 10
        assert limits["video_size_limit"] == capped.max_video_bytes
        for kind in ("video/mp4", "video/webm", "video/quicktime", "audio/mpeg", "audio/ogg"):
            assert kind in limits["supported_mime_types"]
        alice = make_user("alice")
        too_large = upload(capped_client, alice, video(size=(64, 48)))
        assert too_large.status_code == 422
        assert "64x48 videos are not supported" in too_large.json()["error"]
        long = upload(capped_client, alice, video(frames=30, size=(32, 32), rate=5))
        assert long.status_code == 422 and "longer than 1 seconds" in long.json()["error"]
        # The header says 32x32 (under the cap), a later keyframe is 64x64 (over it): FFmpeg
        # is told the cap too, and refuses to make the frame.
        grows = upload(capped_client, alice, growing_webm(), name="grows.webm")
        assert grows.status_code == 422, grows.text
        assert "could not be read" in grows.json()["error"]
        assert stored_files(capped) == []


def test_posts_carry_video_and_federate_it_as_a_document(client, make_user):
    alice = make_user("alice")
    clip = upload(client, alice, video(sound="aac"), description="Waves").json()
    posted = client.post(
        "/api/v1/statuses",
        json={"status": "Look", "media_ids": [clip["id"]]},
        headers=alice.headers,
    )
    assert posted.status_code == 200, posted.text
    [attachment] = posted.json()["media_attachments"]
    assert attachment["type"] == "video" and attachment["url"] == clip["url"]
    note = client.get(
        posted.json()["uri"].removeprefix("https://pnyx.test"),
        headers={"Accept": "application/activity+json"},
    ).json()
    [document] = note["attachment"]
    assert document["type"] == "Document"
    assert document["mediaType"] == "video/mp4"
    assert document["url"] == clip["url"]
    assert document["name"] == "Waves"
    assert (document["width"], document["height"]) == (64, 48)
    assert document["blurhash"] == clip["blurhash"]


def test_served_video_answers_byte_ranges(client, make_user):
    alice = make_user("alice")
    entity = upload(client, alice, video()).json()
    path = entity["url"].removeprefix("https://pnyx.test")
    whole = client.get(path)
    assert whole.headers["accept-ranges"] == "bytes"
    size = len(whole.content)
    part = client.get(path, headers={"Range": "bytes=0-99"})
    assert part.status_code == 206 and part.content == whole.content[:100]
    assert part.headers["content-range"] == f"bytes 0-99/{size}"
    assert part.headers["content-type"] == "video/mp4"
    tail = client.get(path, headers={"Range": "bytes=-10"})
    assert tail.status_code == 206 and tail.content == whole.content[-10:]
    rest = client.get(path, headers={"Range": f"bytes={size - 5}-"})
    assert rest.content == whole.content[-5:]
    assert client.get(path, headers={"Range": f"bytes={size}-"}).status_code == 416
    assert client.get(path, headers={"Range": "bytes=a-b"}).content == whole.content


@pytest.mark.parametrize("codec", ["libx264", "libvpx-vp9"], ids=["copied", "encoded"])
def test_a_phone_video_filmed_upright_stays_upright(client, make_user, codec):
    """Sideways pixels with a display rotation: the stored file keeps the rotation, whether
    copied or encoded again, and the preview and sizes are upright."""
    alice = make_user("alice")
    entity = upload(client, alice, video(codec, "mp4", rotation=90), name="phone.mp4").json()
    assert entity["type"] == "video"
    assert (entity["meta"]["width"], entity["meta"]["height"]) == (48, 64)
    assert (entity["meta"]["small"]["width"], entity["meta"]["small"]["height"]) == (48, 64)
    served = fetch(client, entity["url"]).content
    with av.open(io.BytesIO(served)) as stored:
        assert next(stored.decode(video=0)).rotation == 90


def test_only_images_and_remote_gifs_are_their_own_preview():
    from types import SimpleNamespace

    from pnyx.presenters import entities

    def remote(kind: str, url: str) -> dict:
        row = SimpleNamespace(
            id=1,
            type=kind,
            url=None,
            preview_url=None,
            remote_url=url,
            meta={},
            description="",
            blurhash=None,
        )
        return entities.media_attachment(row)

    assert remote("image", "https://a.example/p.png")["preview_url"] == "https://a.example/p.png"
    assert remote("gifv", "https://a.example/l.gif")["preview_url"] == "https://a.example/l.gif"
    assert remote("video", "https://a.example/v.mp4")["preview_url"] is None
    assert remote("audio", "https://a.example/s.mp3")["preview_url"] is None
