"""Custom emojis between two real `pnyx serve` processes, read with Mastodon.py.

Server A (SQLite) and server B (PostgreSQL when PNYX_TEST_DATABASE_URL is set) each add an
emoji with `pnyx emoji add`. Alice's post and profile on A name A's `:blobcat:`: Bob on B
reads the post and the account with the emoji in their `emojis`, its image fetched into B's
own store (the remote-media cache). Bob's post naming B's `:party:` reaches Alice on A the
same way. Each side shows only the other's emoji, never its own of the same name.
"""

from __future__ import annotations

import io
import uuid

import httpx
import pytest
from PIL import Image

from images import png

from .people import eventually, find_in_home, login, two_servers


def gif() -> bytes:
    frames = [Image.new("RGB", (20, 20), (i * 120, 40, 90)) for i in range(2)]
    out = io.BytesIO()
    frames[0].save(out, "GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)
    return out.getvalue()


@pytest.fixture(scope="module")
def pair(tmp_path_factory):
    with two_servers(tmp_path_factory, "emoji") as (a, b):
        for server, name, data, suffix in (
            (a, "blobcat", png(32, 32), "png"),
            (b, "blobcat", png(8, 8), "png"),  # B's own, of the same name
            (b, "party", gif(), "gif"),
        ):
            path = server.data_dir / f"{name}.{suffix}"
            path.write_bytes(data)
            server.cli("emoji", "add", name, str(path))
        alice, bob = login(a, "alice"), login(b, "bob")
        alice_there = bob.api.account_lookup(alice.handle)
        bob.api.account_follow(alice_there["id"])
        assert eventually(lambda: bob.api.account_relationships(alice_there["id"])[0]["following"])
        yield a, b, alice, bob, alice_there


def test_a_post_and_a_profile_bring_their_emojis_to_the_other_server(pair):
    a, b, alice, bob, alice_there = pair
    ours = {e["shortcode"]: e for e in alice.api.custom_emojis()}
    me = alice.api.account_update_credentials(display_name="Alice :blobcat:")
    assert [e["shortcode"] for e in me["emojis"]] == ["blobcat"]
    assert me["emojis"][0]["url"] == ours["blobcat"]["url"]
    word = f"emoji{uuid.uuid4().hex[:8]}"
    posted = alice.api.status_post(f"{word} :blobcat: :party:")
    assert [e["shortcode"] for e in posted["emojis"]] == ["blobcat"]  # A has no :party:

    there = eventually(lambda: find_in_home(bob, word))
    assert there, "the post never reached Bob"
    [emoji] = there["emojis"]
    assert emoji["shortcode"] == "blobcat"
    b_own = {e["shortcode"]: e for e in bob.api.custom_emojis()}["blobcat"]
    assert emoji["url"] != b_own["url"]  # A's, not B's of the same name

    def cached():
        status = bob.api.status(there["id"])
        url = status["emojis"][0]["url"]
        return status if url.startswith(b.base_url + "/system/media/custom_emojis/") else None

    status = eventually(cached)
    assert status, f"A's emoji was never cached on B: {bob.api.status(there['id'])['emojis']}"
    image = httpx.get(status["emojis"][0]["url"])
    assert image.status_code == 200 and image.headers["content-type"] == "image/png"
    assert Image.open(io.BytesIO(image.content)).size == (32, 32)

    def profile_emojis():
        account = bob.api.account(alice_there["id"])
        return account if account["emojis"] else None

    account = eventually(profile_emojis)
    assert account, bob.api.account(alice_there["id"])
    assert account["display_name"] == "Alice :blobcat:"
    assert [e["shortcode"] for e in account["emojis"]] == ["blobcat"]
    assert account["emojis"][0]["url"] != b_own["url"]


def test_a_reply_from_the_other_server_brings_its_emoji_back(pair):
    a, b, alice, bob, alice_there = pair
    word = f"back{uuid.uuid4().hex[:8]}"
    bob.api.status_post(f"@{alice.handle} {word} :party: :blobcat:")

    def mentioned():
        for n in alice.api.notifications(types=["mention"]):
            if word in n["status"]["content"]:
                return n["status"]
        return None

    status = eventually(mentioned)
    assert status, "Bob's mention never reached Alice"
    # B's party and B's blobcat, as B declared them (A's own blobcat is not B's).
    assert sorted(e["shortcode"] for e in status["emojis"]) == ["blobcat", "party"]
    a_own = {e["shortcode"]: e for e in alice.api.custom_emojis()}
    assert all(e["url"] != a_own["blobcat"]["url"] for e in status["emojis"])
    assert [e["shortcode"] for e in alice.api.custom_emojis()] == ["blobcat"]

    # The Note Bob's server sent names the emoji's document, which B serves.
    note = httpx.get(status["uri"], headers={"Accept": "application/activity+json"}).json()
    tags = {t["name"]: t for t in note["tag"] if t["type"] == "Emoji"}
    assert set(tags) == {":party:", ":blobcat:"}
    served = httpx.get(tags[":party:"]["id"], headers={"Accept": "application/activity+json"})
    assert served.status_code == 200
    assert served.json()["icon"]["url"] == tags[":party:"]["icon"]["url"]
    assert served.json()["icon"]["mediaType"] == "image/gif"
