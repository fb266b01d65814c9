"""Avatars and headers through a real client: Mastodon.py's `account_update_credentials`
uploads them as multipart to a real `pnyx serve`; the account shows the stored files (EXIF
gone, cropped to Mastodon's boxes), the actor document names them as `icon` and `image`, and
`DELETE /api/v1/profile/avatar` brings the default back."""

from __future__ import annotations

import io

import httpx
import pytest
from mastodon import Mastodon, MastodonAPIError
from PIL import Image

from images import jpeg_with_gps, metadata_of, png_bomb
from server import PnyxServer

from .test_mastodon_py import OOB, PASSWORD, SCOPES


@pytest.fixture(scope="module")
def ada(server: PnyxServer) -> tuple[Mastodon, str]:
    server.create_user("ada", "ada@example.com", PASSWORD)
    client_id, client_secret = Mastodon.create_app(
        "Pnyx profile e2e", scopes=SCOPES, redirect_uris=OOB, api_base_url=server.base_url
    )
    api = Mastodon(
        client_id=client_id,
        client_secret=client_secret,
        api_base_url=server.base_url,
        version_check_mode="created",
        request_timeout=60,
    )
    token = api.log_in(
        username="ada@example.com", password=PASSWORD, scopes=SCOPES, allow_http=True
    )
    return api, token


def animated_gif(side: int = 600) -> bytes:
    frames = [Image.new("RGB", (side, side), (i * 60, 20, 200 - i * 60)) for i in range(3)]
    out = io.BytesIO()
    frames[0].save(out, "GIF", save_all=True, append_images=frames[1:], duration=80, loop=0)
    return out.getvalue()


def test_avatar_and_header_uploaded_shown_federated_and_removed(server: PnyxServer, ada):
    api, token = ada
    me = api.account_update_credentials(
        display_name="Ada",
        avatar=jpeg_with_gps(1200, 800),
        avatar_mime_type="image/jpeg",
        header=jpeg_with_gps(3000, 1500, orientation=1),
        header_mime_type="image/jpeg",
    )
    assert me["display_name"] == "Ada"
    assert me["avatar"].startswith(server.base_url + "/system/media/accounts/")
    assert me["avatar_static"] == me["avatar"]
    assert me["header"] != me["avatar"] and "/system/media/accounts/" in me["header"]
    avatar = httpx.get(me["avatar"])
    assert avatar.status_code == 200 and avatar.headers["content-type"] == "image/jpeg"
    assert avatar.headers["access-control-allow-origin"] == "*"
    facts = metadata_of(avatar.content)
    assert facts["exif"] == {} and facts["gps"] == {} and facts["xmp"] is None
    # 1200x800 turned upright (orientation 6) is 800x1200: cropped square, shrunk to 400.
    assert facts["size"] == (400, 400)
    assert metadata_of(httpx.get(me["header"]).content)["size"] == (1500, 500)
    assert api.account(me["id"])["avatar"] == me["avatar"]

    actor = httpx.get(
        server.url("/users/ada"), headers={"Accept": "application/activity+json"}
    ).json()
    assert actor["icon"] == {"type": "Image", "url": me["avatar"], "mediaType": "image/jpeg"}
    assert actor["image"]["url"] == me["header"]

    gone = httpx.delete(
        server.url("/api/v1/profile/avatar"), headers={"Authorization": f"Bearer {token}"}
    )
    assert gone.status_code == 200
    assert gone.json()["avatar"] == server.base_url + "/static/avatar.png"
    assert gone.json()["header"] == me["header"]
    assert httpx.get(me["avatar"]).status_code == 404  # no longer anyone's: not served
    actor = httpx.get(
        server.url("/users/ada"), headers={"Accept": "application/activity+json"}
    ).json()
    assert "icon" not in actor and actor["image"]["url"] == me["header"]


def test_an_animated_avatar_has_a_still_first_frame(ada):
    api, _ = ada
    me = api.account_update_credentials(avatar=animated_gif(), avatar_mime_type="image/gif")
    assert me["avatar"].endswith(".gif")
    assert me["avatar_static"] != me["avatar"]
    shown = metadata_of(httpx.get(me["avatar"]).content)
    still = metadata_of(httpx.get(me["avatar_static"]).content)
    assert shown["format"] == "GIF" and shown["size"] == (400, 400)
    assert still["format"] in ("PNG", "JPEG") and still["size"] == (400, 400)


def test_a_bomb_avatar_is_refused_and_nothing_changes(ada):
    api, _ = ada
    before = api.account_verify_credentials()
    with pytest.raises(MastodonAPIError) as refused:
        api.account_update_credentials(
            display_name="Changed", avatar=png_bomb(), avatar_mime_type="image/png"
        )
    assert "422" in str(refused.value) or "pixels" in str(refused.value)
    after = api.account_verify_credentials()
    assert after["avatar"] == before["avatar"] and after["display_name"] == before["display_name"]
