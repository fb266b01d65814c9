"""Media through a real client: Mastodon.py uploads to a real `pnyx serve` (v2, as it does for
4.x servers, polling until processed), posts, and another person reads the post back; the
image is fetched over HTTP as a browser would, with nothing left of its EXIF."""

from __future__ import annotations

import httpx
import pytest
from mastodon import Mastodon, MastodonAPIError

from av_media import animated_gif, audio, huge_video, video
from images import jpeg_with_gps, metadata_of, png_bomb
from server import PnyxServer

from .test_mastodon_py import OOB, PASSWORD, SCOPES, eventually, status_code


@pytest.fixture(scope="module")
def people(server: PnyxServer) -> dict[str, tuple[Mastodon, str]]:
    for name in ("mia", "noa"):
        server.create_user(name, f"{name}@example.com", PASSWORD)
    client_id, client_secret = Mastodon.create_app(
        "Pnyx media e2e", scopes=SCOPES, redirect_uris=OOB, api_base_url=server.base_url
    )
    out = {}
    for name in ("mia", "noa"):
        api = Mastodon(
            client_id=client_id,
            client_secret=client_secret,
            api_base_url=server.base_url,
            version_check_mode="created",
            request_timeout=60,
        )
        token = api.log_in(
            username=f"{name}@example.com", password=PASSWORD, scopes=SCOPES, allow_http=True
        )
        out[name] = (api, token)
    return out


def test_upload_post_and_read_back_an_image(people):
    mia, _ = people["mia"]
    noa, _ = people["noa"]
    uploaded = mia.media_post(
        jpeg_with_gps(),
        mime_type="image/jpeg",
        description="Flag of nowhere, red stripes over blue",
        focus=(0.25, -0.5),
        synchronous=True,
    )
    assert uploaded["url"], uploaded
    status = mia.status_post("A picture", media_ids=[uploaded["id"]])
    read = noa.status(status["id"])
    [attachment] = read["media_attachments"]
    assert attachment["type"] == "image"
    assert attachment["description"] == "Flag of nowhere, red stripes over blue"
    assert attachment["blurhash"]
    assert attachment["meta"]["original"]["width"] == 800
    assert attachment["meta"]["small"]["width"] > 0
    assert attachment["meta"]["focus"] == {"x": 0.25, "y": -0.5}

    served = httpx.get(attachment["url"])
    assert served.status_code == 200
    assert served.headers["content-type"] == "image/jpeg"
    assert served.headers["x-content-type-options"] == "nosniff"
    assert served.headers["access-control-allow-origin"] == "*"
    assert "immutable" in served.headers["cache-control"]
    facts = metadata_of(served.content)
    assert facts["exif"] == {} and facts["gps"] == {} and facts["xmp"] is None
    assert httpx.get(attachment["preview_url"]).status_code == 200


def test_v2_answers_202_then_the_job_sets_the_url(server: PnyxServer, people):
    _, token = people["mia"]
    headers = {"Authorization": f"Bearer {token}"}
    first = httpx.post(
        server.url("/api/v2/media"),
        files={"file": ("p.jpg", jpeg_with_gps(), "image/jpeg")},
        headers=headers,
    )
    assert first.status_code == 202 and first.json()["url"] is None
    media_url = server.url(f"/api/v1/media/{first.json()['id']}")

    def processed() -> bool:
        answer = httpx.get(media_url, headers=headers)
        assert answer.status_code in (200, 206), answer.text
        return answer.status_code == 200 and answer.json()["url"] is not None

    assert eventually(processed, attempts=200)


def test_a_bomb_is_refused_with_422(people):
    mia, _ = people["mia"]
    with pytest.raises(MastodonAPIError) as refused:
        mia.media_post(png_bomb(), mime_type="image/png")
    assert status_code(refused.value) == 422


@pytest.mark.parametrize(
    "make, mime_type, kind, served_type",
    [
        (lambda: video("libvpx-vp9", "webm", sound="libopus"), "video/webm", "video", "video/mp4"),
        (lambda: audio("libopus", "ogg"), "audio/ogg", "audio", "audio/mpeg"),
        (animated_gif, "image/gif", "gifv", "video/mp4"),
    ],
    ids=["video", "audio", "gif"],
)
def test_video_audio_and_gif_through_mastodon_py(people, make, mime_type, kind, served_type):
    """Mastodon.py uploads through v2 and, with `synchronous`, polls until processed."""
    mia, _ = people["mia"]
    noa, _ = people["noa"]
    uploaded = mia.media_post(make(), mime_type=mime_type, description=kind, synchronous=True)
    assert uploaded["type"] == kind and uploaded["url"], uploaded
    status = mia.status_post(f"A {kind}", media_ids=[uploaded["id"]])
    [attachment] = noa.status(status["id"])["media_attachments"]
    assert attachment["type"] == kind and attachment["description"] == kind
    assert attachment["meta"]["duration"] > 0
    served = httpx.get(attachment["url"])
    assert served.status_code == 200 and served.headers["content-type"] == served_type
    mia.status_delete(status["id"])


def test_a_video_bomb_is_refused_with_422(people):
    mia, _ = people["mia"]
    with pytest.raises(MastodonAPIError) as refused:
        mia.media_post(huge_video(), mime_type="video/mp4")
    assert status_code(refused.value) == 422
