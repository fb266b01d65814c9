"""Media both ways: a local upload goes out in the Note as Mastodon sends it (a Document with
its type, address, alt text, blurhash, focal point and size), and a Mastodon attachment is read
back with the same facts. The other server is the loopback stand-in (tests/federation/peer.py).
"""

from __future__ import annotations

import httpx

from images import jpeg_with_gps
from pnyx import registry
from pnyx.core import media, status_views, statuses
from pnyx.core.statuses import StatusInput
from pnyx.federation import internal_to_as2
from pnyx.federation.as2_to_internal import parse_object
from pnyx.federation.as2_to_received import incoming_attachment


def test_a_post_with_an_image_reaches_another_server_with_its_attachment(local_db, peer, make_user):
    alice = make_user("alice").account_id
    media_id = media.upload(
        local_db,
        alice,
        jpeg_with_gps(),
        media.Attributes(description="A flag, red over blue", focus=(0.5, -0.25)),
        now=True,
    )
    local_db.run_sync(
        statuses.create,
        alice,
        StatusInput(
            text=f"@taka@{peer.domain} look", visibility="public", media_ids=[str(media_id)]
        ),
    )
    registry.drain(local_db)

    [create] = peer.of_type("Create")
    [document] = create["object"]["attachment"]
    row = local_db.run_sync(media.own, alice, media_id)
    assert document == {
        "type": "Document",
        "mediaType": "image/jpeg",
        "url": row.url,
        "name": "A flag, red over blue",
        "blurhash": row.blurhash,
        "focalPoint": [0.5, -0.25],
        "width": 800,
        "height": 1200,
    }
    # The other server can fetch the file at that address.
    assert document["url"].startswith(local_db.settings.base_url + "/system/media/")


def test_the_note_document_is_what_the_api_shows(local_db, make_user):
    alice = make_user("alice").account_id
    media_id = media.upload(
        local_db, alice, jpeg_with_gps(), media.Attributes(description="alt"), now=True
    )
    status_id = local_db.run_sync(
        statuses.create, alice, StatusInput(text="", media_ids=[str(media_id)])
    )
    bundle = local_db.run_sync(status_views.load, [status_id], alice)
    note = internal_to_as2.status_note(bundle, status_id, local_db.settings)
    [document] = note["attachment"]
    assert document["name"] == "alt" and document["focalPoint"] == [0.0, 0.0]


def test_mastodon_attachments_keep_alt_text_blurhash_focus_and_size():
    note = parse_object(
        {
            "id": "https://masto.example/users/a/statuses/1",
            "type": "Note",
            "attributedTo": "https://masto.example/users/a",
            "to": ["https://www.w3.org/ns/activitystreams#Public"],
            "content": "<p>pic</p>",
            "attachment": [
                {
                    "type": "Document",
                    "mediaType": "image/png",
                    "url": "https://files.masto.example/a.png",
                    "name": "A cat",
                    "blurhash": "UBL_:rOpGG-oBUNG,qRj2so|=eE1w^n4S5NH",
                    "focalPoint": [-0.4, 0.9],
                    "width": 640,
                    "height": 480,
                },
                {
                    "type": "Document",
                    "mediaType": "image/png",
                    "url": "https://files.masto.example/b.png",
                    "focalPoint": [3, "x"],
                },
            ],
        }
    )
    first, second = (incoming_attachment(a) for a in note.attachments)
    assert (first.kind, first.description, first.width, first.height) == (
        "image",
        "A cat",
        640,
        480,
    )
    assert first.blurhash == "UBL_:rOpGG-oBUNG,qRj2so|=eE1w^n4S5NH"
    assert first.focus == (-0.4, 0.9)
    assert second.focus is None


def test_served_files_answer_a_plain_fetch(local_db, make_user, app):
    """What another server does with the Document's url: GET it (here through the app)."""
    from starlette.testclient import TestClient

    alice = make_user("alice").account_id
    media_id = media.upload(local_db, alice, jpeg_with_gps(), media.Attributes(), now=True)
    row = local_db.run_sync(media.own, alice, media_id)
    with TestClient(app, base_url=app.state.settings.base_url) as client:
        answer = client.get(httpx.URL(row.url).path)
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "image/jpeg"


def test_video_gifv_and_audio_go_out_as_documents_with_their_types(local_db, peer, make_user):
    from av_media import animated_gif, audio, video

    alice = make_user("alice").account_id
    uploads = [
        (video(sound="aac"), "A clip"),
        (animated_gif(), "A loop"),
        (audio("libopus", "ogg"), "A tone"),
    ]
    ids = [
        str(media.upload(local_db, alice, data, media.Attributes(description=alt), now=True))
        for data, alt in uploads
    ]
    local_db.run_sync(
        statuses.create,
        alice,
        StatusInput(text=f"@taka@{peer.domain} sounds", visibility="public", media_ids=ids),
    )
    registry.drain(local_db)

    [create] = peer.of_type("Create")
    clip, loop, tone = create["object"]["attachment"]
    assert {k: clip[k] for k in ("type", "mediaType", "name", "width", "height")} == {
        "type": "Document",
        "mediaType": "video/mp4",
        "name": "A clip",
        "width": 64,
        "height": 48,
    }
    assert clip["blurhash"] and clip["url"].endswith(".mp4")
    assert (loop["mediaType"], loop["name"], loop["width"], loop["height"]) == (
        "video/mp4",
        "A loop",
        40,
        30,
    )
    assert (tone["type"], tone["mediaType"], tone["name"]) == ("Document", "audio/mpeg", "A tone")
    assert tone["url"].endswith(".mp3") and "width" not in tone
    # Read back as a Mastodon server sends them, they are video and audio again.
    note = parse_object({**create["object"], "@context": create["@context"]})
    kinds = [incoming_attachment(a).kind for a in note.attachments]
    assert kinds == ["video", "video", "audio"]
