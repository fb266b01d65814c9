"""Custom emojis: staff add them (refusals included), apps list them, and posts, names and
bios that write `:shortcode:` list them in their entity's `emojis`, ours and other servers'."""

from __future__ import annotations

import io
import os

import pytest
import sqlalchemy as sa
from PIL import Image

from images import jpeg_with_gps, png, svg_named_png
from pnyx.core import custom_emojis, remote_store, status_views
from pnyx.core.custom_emojis import IncomingEmoji
from pnyx.core.errors import CoreError
from pnyx.db.tables import custom_emojis as emoji_table
from pnyx.federation import internal_to_as2

from ..factories import remote_account


@pytest.fixture
def store(app):
    return app.state.db


def animated_gif() -> bytes:
    frames = [Image.new("RGB", (24, 24), (i * 100, 50, 50)) for i in range(3)]
    out = io.BytesIO()
    frames[0].save(out, "GIF", save_all=True, append_images=frames[1:], duration=90, loop=0)
    return out.getvalue()


def too_big_png() -> bytes:
    """A real PNG over 256 KB (noise does not compress)."""
    image = Image.frombytes("RGB", (320, 320), os.urandom(320 * 320 * 3))
    out = io.BytesIO()
    image.save(out, "PNG")
    assert len(out.getvalue()) > custom_emojis.MAX_BYTES
    return out.getvalue()


def refusal(store, shortcode: str, data: bytes) -> str:
    with pytest.raises(CoreError) as caught:
        custom_emojis.upload(store, shortcode, data)
    assert caught.value.status == 422
    return caught.value.message


def test_uploads_that_are_refused(store):
    custom_emojis.upload(store, "blobcat", png(32, 32))
    assert "256 KB" in refusal(store, "big", too_big_png())
    assert refusal(store, "photo", jpeg_with_gps(64, 64)).endswith("content type is invalid")
    assert refusal(store, "svg", svg_named_png()).endswith("content type is invalid")
    for bad in ("a", "bad-code", "née", "", "::", "x" * 65, "spaced out"):
        assert "Shortcode must be" in refusal(store, bad, png(16, 16)), bad
    assert (
        refusal(store, "blobcat", png(16, 16))
        == "Validation failed: Shortcode has already been taken"
    )
    assert refusal(store, ":blobcat:", png(16, 16)).endswith("already been taken")
    rows = store.run_sync(lambda tx: custom_emojis.local(tx, with_disabled=True))
    assert [r.shortcode for r in rows] == ["blobcat"]


def test_listed_served_disabled_and_removed(client, store):
    custom_emojis.upload(store, "party", animated_gif(), category="Fun")
    custom_emojis.upload(store, "blobcat", png(32, 32), visible_in_picker=False)
    listed = client.get("/api/v1/custom_emojis").json()
    assert [e["shortcode"] for e in listed] == ["blobcat", "party"]
    blobcat, party = listed
    assert blobcat["visible_in_picker"] is False and blobcat["category"] is None
    assert blobcat["url"] == blobcat["static_url"]
    assert party["category"] == "Fun" and party["url"] != party["static_url"]
    assert party["url"].endswith(".gif") and party["static_url"].endswith(".png")
    prefix = "https://pnyx.test"
    animated = client.get(party["url"].removeprefix(prefix))
    assert animated.status_code == 200 and animated.headers["content-type"] == "image/gif"
    assert Image.open(io.BytesIO(animated.content)).n_frames == 3
    still = client.get(party["static_url"].removeprefix(prefix))
    assert still.headers["content-type"] == "image/png"
    assert getattr(Image.open(io.BytesIO(still.content)), "n_frames", 1) == 1

    store.run_sync(custom_emojis.change, "party", disabled=True)
    assert [e["shortcode"] for e in client.get("/api/v1/custom_emojis").json()] == ["blobcat"]
    store.run_sync(custom_emojis.change, "party", disabled=False)
    assert len(client.get("/api/v1/custom_emojis").json()) == 2

    store.run_sync(custom_emojis.remove, "party")
    assert [e["shortcode"] for e in client.get("/api/v1/custom_emojis").json()] == ["blobcat"]
    assert client.get(party["url"].removeprefix(prefix)).status_code == 404


def test_posts_and_profiles_list_the_emojis_they_use(client, store, make_user):
    custom_emojis.upload(store, "blobcat", png(32, 32), category="Cats")
    custom_emojis.upload(store, "party", animated_gif())
    alice = make_user("alice")
    answer = client.post(
        "/api/v1/statuses",
        json={
            "status": "hello :blobcat::party: :nope: and:party:glued and :party:",
            "spoiler_text": "cw :party:",
            "poll": {"options": ["yes :blobcat:", "no"], "expires_in": 3600},
        },
        headers=alice.headers,
    )
    assert answer.status_code == 200, answer.text
    status = answer.json()
    assert ":party:" in status["spoiler_text"]  # the text keeps its shortcodes, as Mastodon's
    assert [e["shortcode"] for e in status["emojis"]] == ["party", "blobcat"]
    blobcat = next(e for e in status["emojis"] if e["shortcode"] == "blobcat")
    assert blobcat == {
        **blobcat,
        "category": "Cats",
        "visible_in_picker": True,
        "static_url": blobcat["url"],
    }
    assert [e["shortcode"] for e in status["poll"]["emojis"]] == ["blobcat"]
    plain = client.post("/api/v1/statuses", json={"status": "no emoji"}, headers=alice.headers)
    assert plain.json()["emojis"] == []

    me = client.patch(
        "/api/v1/accounts/update_credentials",
        data={"display_name": "Alice :blobcat:", "note": "I like :party:"},
        headers=alice.headers,
    ).json()
    assert [e["shortcode"] for e in me["emojis"]] == ["blobcat", "party"]
    assert me["display_name"] == "Alice :blobcat:"
    timeline = client.get(f"/api/v1/accounts/{alice.account_id}/statuses", headers=alice.headers)
    first = timeline.json()[-1]
    assert [e["shortcode"] for e in first["account"]["emojis"]] == ["blobcat", "party"]
    assert [e["shortcode"] for e in first["emojis"]] == ["party", "blobcat"]

    # Disabled: shown nowhere; removed: gone from the profile too.
    store.run_sync(custom_emojis.change, "party", disabled=True)
    shown = client.get(f"/api/v1/statuses/{status['id']}", headers=alice.headers).json()
    assert [e["shortcode"] for e in shown["emojis"]] == ["blobcat"]
    assert [e["shortcode"] for e in shown["account"]["emojis"]] == ["blobcat"]
    store.run_sync(custom_emojis.remove, "blobcat")
    account = client.get(f"/api/v1/accounts/{alice.account_id}").json()
    assert account["emojis"] == []


def test_one_query_finds_the_emojis_of_a_whole_page(client, store, make_user):
    custom_emojis.upload(store, "blobcat", png(32, 32))
    alice = make_user("alice")
    ids = [
        int(
            client.post(
                "/api/v1/statuses", json={"status": f"{i} :blobcat:"}, headers=alice.headers
            ).json()["id"]
        )
        for i in range(6)
    ]
    seen: list[str] = []

    def count(conn, cursor, statement, *args):
        if "custom_emojis" in statement:
            seen.append(statement)

    engine = store.engine
    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        bundle = store.run_sync(status_views.load, ids, alice.account_id, write=False)
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)
    assert len(seen) == 1
    for status_id in ids:
        row = bundle.statuses[status_id]
        assert [e["shortcode"] for e in status_views.emojis_of(bundle, row)] == ["blobcat"]


def test_other_servers_emojis_are_theirs(store, make_user):
    custom_emojis.upload(store, "blobcat", png(32, 32))
    viewer = make_user("viewer").account_id
    author = remote_account(store, "rem", "remote.example")
    theirs = [
        IncomingEmoji(
            "blobcat", "https://remote.example/emoji/blobcat.png", "https://remote.example/emojis/1"
        ),
        IncomingEmoji("ftp", "ftp://remote.example/x.png"),
        IncomingEmoji("bad code", "https://remote.example/x.png"),
    ]
    status_id = store.run_sync(
        remote_store.store_status,
        author,
        remote_store.IncomingStatus(
            uri="https://remote.example/notes/1",
            content="<p>theirs :blobcat: :ftp:</p>",
            visibility="public",
            emojis=theirs,
        ),
    )
    bundle = store.run_sync(status_views.load, [status_id], viewer, write=False)
    [emoji] = status_views.emojis_of(bundle, bundle.statuses[status_id])
    assert emoji["url"] == "https://remote.example/emoji/blobcat.png"  # not ours
    rows = store.run_sync(
        lambda tx: tx.rows(sa.select(emoji_table).where(emoji_table.c.domain.is_not(None)))
    )
    assert [(r.shortcode, r.domain, r.uri) for r in rows] == [
        ("blobcat", "remote.example", "https://remote.example/emojis/1")
    ]
    # The API never offers another server's emojis.
    assert [r.shortcode for r in store.run_sync(custom_emojis.local)] == ["blobcat"]

    # The actor names it too; a new image replaces the old one.
    store.run_sync(
        remote_store.store_account,
        remote_store.IncomingAccount(
            uri="https://remote.example/users/rem",
            username="rem",
            domain="remote.example",
            inbox_url="https://remote.example/users/rem/inbox",
            display_name="Rem :blobcat:",
            emojis=[IncomingEmoji("blobcat", "https://remote.example/emoji/new.png")],
        ),
    )
    account = store.run_sync(remote_store.account_by_uri, "https://remote.example/users/rem")
    assert [e["url"] for e in account.emojis] == ["https://remote.example/emoji/new.png"]


def test_the_note_and_actor_carry_emoji_tags_and_the_emoji_is_served(client, store, make_user):
    row = custom_emojis.upload(store, "blobcat", png(32, 32))
    alice = make_user("alice")
    status = client.post(
        "/api/v1/statuses", json={"status": "hi :blobcat:"}, headers=alice.headers
    ).json()
    client.patch(
        "/api/v1/accounts/update_credentials",
        data={"display_name": "Alice :blobcat:"},
        headers=alice.headers,
    )
    tag = {
        "id": f"https://pnyx.test/emojis/{row.id}",
        "type": "Emoji",
        "name": ":blobcat:",
        "updated": internal_to_as2.iso(row.updated_at),
        "icon": {"type": "Image", "mediaType": "image/png", "url": row.url},
    }
    ap = {"Accept": "application/activity+json"}
    note = client.get(f"/users/alice/statuses/{status['id']}", headers=ap).json()
    assert tag in note["tag"]
    actor = client.get("/users/alice", headers=ap).json()
    assert actor["tag"] == [tag]
    served = client.get(f"/emojis/{row.id}", headers=ap)
    assert served.status_code == 200
    assert {k: v for k, v in served.json().items() if k != "@context"} == tag
    store.run_sync(custom_emojis.change, "blobcat", disabled=True)
    assert client.get(f"/emojis/{row.id}", headers=ap).status_code == 404
    assert client.get("/emojis/12345", headers=ap).status_code == 404


def _remote_person(store, name: str, display_name: str, emojis) -> int:
    return store.run_sync(
        remote_store.store_account,
        remote_store.IncomingAccount(
            uri=f"https://remote.example/users/{name}",
            username=name,
            domain="remote.example",
            inbox_url=f"https://remote.example/users/{name}/inbox",
            display_name=display_name,
            emojis=emojis,
        ),
    )


def test_a_new_image_reaches_every_account_that_shows_the_emoji(store, client):
    old = [IncomingEmoji("wave", "https://remote.example/e/wave-1.png")]
    ana = _remote_person(store, "ana", "Ana :wave:", old)
    ben = _remote_person(store, "ben", "Ben :wave:", old)
    cat = _remote_person(store, "cat", "Cat, no emoji", old)
    for person in (ana, ben):
        emojis = client.get(f"/api/v1/accounts/{person}").json()["emojis"]
        assert [e["url"] for e in emojis] == ["https://remote.example/e/wave-1.png"]
    assert client.get(f"/api/v1/accounts/{cat}").json()["emojis"] == []

    # A post of another account of that server declares a new image for :wave:.
    store.run_sync(
        remote_store.store_status,
        cat,
        remote_store.IncomingStatus(
            uri="https://remote.example/notes/wave",
            content="<p>:wave:</p>",
            visibility="public",
            emojis=[IncomingEmoji("wave", "https://remote.example/e/wave-2.png")],
        ),
    )
    for person in (ana, ben):
        emojis = client.get(f"/api/v1/accounts/{person}").json()["emojis"]
        assert [e["url"] for e in emojis] == ["https://remote.example/e/wave-2.png"]


def test_a_text_of_many_shortcodes_looks_up_a_bounded_number():
    text = " ".join(f":code{i}:" for i in range(500))
    found = custom_emojis.shortcodes_in(text)
    assert len(found) == custom_emojis.MAX_PER_TEXT
    assert "code0" in found and "code499" not in found
