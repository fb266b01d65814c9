"""An export through a real client against a real `pnyx serve`: Mastodon.py asks for the
archive (its low-level `__api_request`, as an app calls a server's own endpoints), the
server's job workers build it, the client follows its progress and downloads the part over
HTTP; the archive holds the person's posts with their media and proofs. Another person's token
downloads nothing, and a second export while one is prepared is refused as Mastodon refuses."""

from __future__ import annotations

import io
import json
import zipfile

import httpx
import pytest
from mastodon import Mastodon, MastodonAPIError

from images import jpeg_with_gps
from server import PnyxServer

from .test_mastodon_py import OOB, PASSWORD, SCOPES, eventually, status_code


@pytest.fixture(scope="module")
def people(server: PnyxServer) -> dict[str, tuple[Mastodon, str]]:
    for name in ("ona", "pim"):
        server.create_user(name, f"{name}@example.com", PASSWORD)
    client_id, client_secret = Mastodon.create_app(
        "Pnyx exports e2e", scopes=SCOPES, redirect_uris=OOB, api_base_url=server.base_url
    )
    out = {}
    for name in ("ona", "pim"):
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


def _call(api: Mastodon, method: str, path: str):
    return api._Mastodon__api_request(method, path)  # noqa: SLF001 - Mastodon.py's own way


def test_export_with_mastodon_py(people, server: PnyxServer):
    ona, ona_token = people["ona"]
    pim, pim_token = people["pim"]
    media = ona.media_post(jpeg_with_gps(), mime_type="image/jpeg", synchronous=True)
    ona.status_post("leaving with this", media_ids=[media["id"]])
    ona.status_post("and this one, privately", visibility="private")

    asked = _call(ona, "POST", "/api/v1/pnyx/exports")
    assert asked["state"] in ("queued", "running")
    with pytest.raises(MastodonAPIError) as refused:
        _call(ona, "POST", "/api/v1/pnyx/exports")
    assert status_code(refused.value) == 422

    def built() -> bool:
        return _call(ona, "GET", f"/api/v1/pnyx/exports/{asked['id']}")["state"] == "done"

    assert eventually(built, attempts=600)  # the server's own job workers build it
    done = _call(ona, "GET", f"/api/v1/pnyx/exports/{asked['id']}")
    assert done["progress"]["done"] == done["progress"]["total"] == 3
    [part] = done["parts"]
    assert part["url"] == server.url(f"/api/v1/pnyx/exports/{asked['id']}/parts/1")

    download = httpx.get(part["url"], headers={"Authorization": f"Bearer {ona_token}"})
    assert download.status_code == 200 and len(download.content) == part["size"]
    archive = zipfile.ZipFile(io.BytesIO(download.content))
    items = json.loads(archive.read("outbox.json"))["orderedItems"]
    notes = {item["object"]["content"]: item["object"] for item in items}
    shown = notes["<p>leaving with this</p>"]
    assert shown["proof"]["type"] == "DataIntegrityProof"
    path = shown["attachment"][0]["url"]
    assert archive.read(path) == httpx.get(media["url"]).content
    assert "<p>and this one, privately</p>" in notes

    stranger = httpx.get(part["url"], headers={"Authorization": f"Bearer {pim_token}"})
    assert stranger.status_code == 404 and stranger.json() == {"error": "Record not found"}
    assert [e["id"] for e in _call(pim, "GET", "/api/v1/pnyx/exports")] == []
    following = httpx.get(
        server.url("/api/v1/pnyx/exports/csv/following.csv"),
        headers={"Authorization": f"Bearer {ona_token}"},
    )
    assert following.text == "Account address,Show boosts,Notify on new posts,Languages\n"
