"""Media uploads through the Mastodon API: upload, describe, attach, serve, delete, refuse.

The files land in the test's own data directory (the local store), so each test reads back
exactly what was stored; jobs (v2 processing, file removal) are run with `registry.drain`.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from images import gif_with_frames, jpeg_with_gps, metadata_of, png, png_bomb, svg_named_png
from pnyx import registry
from pnyx.core import image_processing, media
from pnyx.db.tables import jobs, media_attachments


def upload(client, user, data: bytes, *, version: int = 1, name="photo.jpg", **fields):
    return client.post(
        f"/api/v{version}/media",
        files={"file": (name, data, "image/jpeg")},
        data=fields,
        headers=user.headers,
    )


def uploaded(client, user, data: bytes | None = None, **fields) -> dict:
    response = upload(client, user, data or png(), **fields)
    assert response.status_code == 200, response.text
    return response.json()


def stored_files(settings) -> list[Path]:
    root = Path(settings.data_dir) / "media"
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def rows(app) -> list:
    return app.state.db.run_sync(lambda tx: tx.rows(sa.select(media_attachments)))


def job_kinds(app) -> list[str]:
    return app.state.db.run_sync(lambda tx: tx.scalars(sa.select(jobs.c.kind)))


def test_v1_upload_strips_metadata_and_serves_the_image(client, make_user, settings):
    alice = make_user("alice")
    response = upload(client, alice, jpeg_with_gps(), description="A red and blue flag")
    assert response.status_code == 200, response.text
    entity = response.json()
    assert entity["type"] == "image"
    assert entity["description"] == "A red and blue flag"
    assert entity["remote_url"] is None and entity["text_url"] is None
    assert entity["preview_remote_url"] is None
    assert entity["blurhash"] and len(entity["blurhash"]) >= 6
    # Turned upright (orientation 6: a quarter turn), so 1200x800 is stored as 800x1200.
    original, small = entity["meta"]["original"], entity["meta"]["small"]
    assert (original["width"], original["height"]) == (800, 1200)
    assert original["size"] == "800x1200" and original["aspect"] == pytest.approx(800 / 1200)
    assert small["width"] * small["height"] <= image_processing.PREVIEW_PIXELS
    assert entity["meta"]["focus"] == {"x": 0.0, "y": 0.0}
    assert entity["url"].startswith("https://pnyx.test/system/media/")
    assert entity["preview_url"].startswith("https://pnyx.test/system/media/")

    served = client.get(entity["url"].removeprefix("https://pnyx.test"))
    assert served.status_code == 200
    assert served.headers["content-type"] == "image/jpeg"
    assert served.headers["x-content-type-options"] == "nosniff"
    assert served.headers["access-control-allow-origin"] == "*"
    assert "max-age=31536000" in served.headers["cache-control"]
    facts = metadata_of(served.content)
    assert facts["exif"] == {} and facts["gps"] == {}
    assert facts["xmp"] is None and facts["icc"] is None
    assert b"SpyCam" not in served.content and b"Secretville" not in served.content

    # What is on disk is what was served: the original as sent is kept nowhere.
    files = stored_files(settings)
    assert len(files) == 2
    assert all(b"SpyCam" not in f.read_bytes() for f in files)
    preview = client.get(entity["preview_url"].removeprefix("https://pnyx.test"))
    assert preview.status_code == 200 and preview.headers["content-type"] == "image/jpeg"

    shown = client.get(f"/api/v1/media/{entity['id']}", headers=alice.headers)
    assert shown.status_code == 200 and shown.json() == entity


def test_v2_upload_is_processed_by_the_job(client, app, make_user):
    alice = make_user("alice")
    response = upload(client, alice, jpeg_with_gps(), version=2, focus="0.5,-0.25")
    assert response.status_code == 202, response.text
    entity = response.json()
    assert entity["url"] is None
    polled = client.get(f"/api/v1/media/{entity['id']}", headers=alice.headers)
    assert polled.status_code == 206 and polled.json()["url"] is None
    # The file as sent waits for the job, and is never served.
    [row] = rows(app)
    assert row.processing == media.QUEUED and row.upload_key
    assert client.get("/system/media/" + row.upload_key).status_code == 404

    registry.drain(app.state.db)

    done = client.get(f"/api/v1/media/{entity['id']}", headers=alice.headers)
    assert done.status_code == 200, done.text
    body = done.json()
    assert body["url"] and body["blurhash"]
    assert body["meta"]["focus"] == {"x": 0.5, "y": -0.25}
    served = client.get(body["url"].removeprefix("https://pnyx.test"))
    assert metadata_of(served.content)["gps"] == {}
    [row] = rows(app)
    assert row.upload_key is None
    assert client.get("/system/media/" + row.file_key).status_code == 200


@pytest.mark.parametrize(
    "data, reason",
    [
        (png_bomb(), "pixels"),
        (png_bomb(10_000), "over the limit of 50000000 pixels"),  # under Pillow's cap
        (gif_with_frames(400), "frames"),
        (svg_named_png(), "content type"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 200, "could not be read"),
    ],
    ids=["huge-dimensions", "over-our-cap", "too-many-frames", "wrong-magic-bytes", "truncated"],
)
@pytest.mark.parametrize("version", [1, 2])
def test_bombs_and_bad_files_are_refused_and_nothing_is_stored(
    client, app, make_user, settings, data, reason, version
):
    alice = make_user("alice")
    response = upload(client, alice, data, version=version, name="cat.png")
    assert response.status_code == 422, response.text
    assert reason in response.json()["error"]
    assert response.json()["error"].startswith("Validation failed: ")
    assert rows(app) == []
    assert stored_files(settings) == []
    assert media.PROCESS_JOB not in job_kinds(app)


def test_a_file_over_the_size_cap_is_refused(make_user, settings):
    from starlette.testclient import TestClient

    from pnyx.app import create_app

    small_cap = settings.with_overrides(
        max_image_bytes=20_000, max_video_bytes=20_000, max_audio_bytes=20_000
    )
    with TestClient(
        create_app(small_cap, run_workers=False, migrate=False), base_url="https://pnyx.test"
    ) as capped:
        alice = make_user("alice")
        response = upload(capped, alice, jpeg_with_gps(), version=2)
        assert response.status_code == 422, response.text
        assert "File file size must be less than 20000 Bytes" in response.json()["error"]
        assert stored_files(small_cap) == []
        # Far over: refused before the body is read.
        huge = upload(capped, alice, b"\xff\xd8\xff" + b"\x00" * 2_000_000)
        assert huge.status_code == 413


def test_upload_needs_a_file_and_the_scope(client, make_user):
    alice = make_user("alice")
    missing = client.post("/api/v1/media", data={"description": "x"}, headers=alice.headers)
    assert missing.status_code == 422
    reader = make_user("reader", scopes="read")
    assert upload(client, reader, png()).status_code == 403
    assert client.post("/api/v1/media", files={"file": ("a.png", png())}).status_code == 401


def test_describe_focus_and_limits(client, make_user):
    alice = make_user("alice")
    entity = uploaded(client, alice)
    path = f"/api/v1/media/{entity['id']}"
    changed = client.put(
        path, json={"description": "Green", "focus": "-1,1"}, headers=alice.headers
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["description"] == "Green"
    assert changed.json()["meta"]["focus"] == {"x": -1.0, "y": 1.0}
    too_long = client.put(path, json={"description": "x" * 1501}, headers=alice.headers)
    assert too_long.status_code == 422
    assert client.put(path, json={"focus": "2,0"}, headers=alice.headers).status_code == 422
    assert client.put(path, json={"focus": "a,b"}, headers=alice.headers).status_code == 422
    assert (
        client.put(path, json={"description": "x" * 1500}, headers=alice.headers).status_code == 200
    )
    # Only the owner sees or changes it.
    bob = make_user("bob")
    assert client.get(path, headers=bob.headers).status_code == 404
    assert client.put(path, json={"description": "mine"}, headers=bob.headers).status_code == 404
    assert client.delete(path, headers=bob.headers).status_code == 404


def test_posts_carry_up_to_four_owned_processed_uploads(client, app, make_user, settings):
    alice, bob = make_user("alice"), make_user("bob")
    first = uploaded(client, alice, description="one")
    second = uploaded(client, alice, description="two")
    posted = client.post(
        "/api/v1/statuses",
        data={"status": "", "media_ids[]": [second["id"], first["id"]]},
        headers=alice.headers,
    )
    assert posted.status_code == 200, posted.text
    status = posted.json()
    assert [m["id"] for m in status["media_attachments"]] == [second["id"], first["id"]]
    assert status["media_attachments"][0]["description"] == "two"
    assert status["media_attachments"][0]["url"] == second["url"]
    # Others see it too, and the media-only timeline has it.
    seen = client.get(f"/api/v1/statuses/{status['id']}", headers=bob.headers).json()
    assert len(seen["media_attachments"]) == 2
    only_media = client.get("/api/v1/timelines/public?only_media=true").json()
    assert status["id"] in [s["id"] for s in only_media]

    # Attached: not attachable again, nor deletable on its own, nor changed by PUT.
    again = client.post(
        "/api/v1/statuses", json={"status": "x", "media_ids": [first["id"]]}, headers=alice.headers
    )
    assert again.status_code == 422
    assert again.json()["error"] == media.not_found_message([first["id"]])
    gone = client.delete(f"/api/v1/media/{first['id']}", headers=alice.headers)
    assert gone.status_code == 422 and gone.json()["error"] == media.IN_USE

    five = [uploaded(client, alice)["id"] for _ in range(5)]
    too_many = client.post(
        "/api/v1/statuses", json={"status": "x", "media_ids": five}, headers=alice.headers
    )
    assert too_many.status_code == 422 and too_many.json()["error"] == media.TOO_MANY
    theirs = client.post(
        "/api/v1/statuses", json={"status": "x", "media_ids": [five[0]]}, headers=bob.headers
    )
    assert theirs.status_code == 422
    queued = upload(client, alice, png(), version=2).json()
    waiting = client.post(
        "/api/v1/statuses", json={"status": "x", "media_ids": [queued["id"]]}, headers=alice.headers
    )
    assert waiting.status_code == 422 and waiting.json()["error"] == media.NOT_READY

    # Deleting the post with delete_media deletes its media, files too (after the commit, by
    # a job).
    registry.drain(app.state.db)
    before = len(stored_files(settings))
    deleted = client.delete(
        f"/api/v1/statuses/{status['id']}?delete_media=true", headers=alice.headers
    )
    assert deleted.status_code == 200
    registry.drain(app.state.db)
    assert len(stored_files(settings)) == before - 4
    assert client.get(second["url"].removeprefix("https://pnyx.test")).status_code == 404
    assert client.get(f"/api/v1/media/{second['id']}", headers=alice.headers).status_code == 404


def test_delete_and_redraft_posts_the_same_media_again(client, app, make_user, settings):
    """Mastodon 4.4: without `delete_media`, a deleted post's uploads stay their owner's,
    attached to nothing, so an app's "delete and redraft" posts them again; nobody else may."""
    alice, bob = make_user("alice"), make_user("bob")
    photo = uploaded(client, alice, description="a heron")
    status = client.post(
        "/api/v1/statuses",
        json={"status": "look", "media_ids": [photo["id"]]},
        headers=alice.headers,
    ).json()
    registry.drain(app.state.db)
    files = stored_files(settings)
    deleted = client.delete(f"/api/v1/statuses/{status['id']}", headers=alice.headers)
    assert deleted.status_code == 200
    assert [m["id"] for m in deleted.json()["media_attachments"]] == [photo["id"]]
    registry.drain(app.state.db)
    assert stored_files(settings) == files  # nothing removed
    assert client.get(f"/api/v1/statuses/{status['id']}", headers=alice.headers).status_code == 404
    theirs = client.post(
        "/api/v1/statuses", json={"status": "mine", "media_ids": [photo["id"]]}, headers=bob.headers
    )
    assert theirs.status_code == 422
    redraft = client.post(
        "/api/v1/statuses",
        json={"status": "look again", "media_ids": [photo["id"]]},
        headers=alice.headers,
    )
    assert redraft.status_code == 200, redraft.text
    [again] = redraft.json()["media_attachments"]
    assert again["id"] == photo["id"] and again["description"] == "a heron"
    assert client.get(again["url"].removeprefix("https://pnyx.test")).status_code == 200


def test_edits_change_media_and_their_descriptions(client, make_user):
    alice = make_user("alice")
    first, second = uploaded(client, alice), uploaded(client, alice)
    status = client.post(
        "/api/v1/statuses",
        json={"status": "pics", "media_ids": [first["id"]]},
        headers=alice.headers,
    ).json()
    path = f"/api/v1/statuses/{status['id']}"
    # A text-only edit keeps the media.
    kept = client.put(path, json={"status": "pics!"}, headers=alice.headers).json()
    assert [m["id"] for m in kept["media_attachments"]] == [first["id"]]
    # Form spelling of media_attributes, as apps send it.
    edited = client.put(
        path,
        data={
            "status": "pics!!",
            "media_ids[]": [second["id"], first["id"]],
            "media_attributes[][id]": first["id"],
            "media_attributes[][description]": "now described",
            "media_attributes[][focus]": "0.1,0.2",
        },
        headers=alice.headers,
    )
    assert edited.status_code == 200, edited.text
    carried = edited.json()["media_attachments"]
    assert [m["id"] for m in carried] == [second["id"], first["id"]]
    assert carried[1]["description"] == "now described"
    assert carried[1]["meta"]["focus"] == {"x": 0.1, "y": 0.2}
    # Dropping one gives it back, unattached: its owner may delete it.
    dropped = client.put(
        path, json={"status": "one", "media_ids": [second["id"]]}, headers=alice.headers
    )
    assert [m["id"] for m in dropped.json()["media_attachments"]] == [second["id"]]
    assert client.delete(f"/api/v1/media/{first['id']}", headers=alice.headers).status_code == 200


def test_deleting_an_upload_removes_its_files(client, app, make_user, settings):
    alice = make_user("alice")
    entity = uploaded(client, alice)
    assert len(stored_files(settings)) == 2
    response = client.delete(f"/api/v1/media/{entity['id']}", headers=alice.headers)
    assert response.status_code == 200 and response.json() == {}
    registry.drain(app.state.db)
    assert stored_files(settings) == []
    assert client.get(f"/api/v1/media/{entity['id']}", headers=alice.headers).status_code == 404
    assert client.get(entity["url"].removeprefix("https://pnyx.test")).status_code == 404


def test_only_files_of_processed_uploads_are_served(client, make_user, settings):
    alice = make_user("alice")
    uploaded(client, alice)
    # A file put in the media folder by anything else is not served, nor is a path outside it.
    stray = Path(settings.data_dir) / "media" / "stray" / "file.html"
    stray.parent.mkdir(parents=True)
    stray.write_bytes(b"<script>alert(1)</script>")
    assert client.get("/system/media/stray/file.html").status_code == 404
    assert client.get("/system/media/../pnyx.sqlite3").status_code == 404
