"""An archive bigger than PNYX_EXPORT_PART_MB is split into parts: part 1 holds the documents,
the CSV files and the media that fit, the others media only; each part is a standalone zip
with its own manifest, and each file the outbox names is in exactly one of them."""

from __future__ import annotations

import json

from images import jpeg_with_gps
from pnyx.core.exports import records
from pnyx.portability import archive
from portability.archives import manifest, parts_of


def _post_with_media(client, user, count: int) -> list[str]:
    ids = []
    for index in range(count):
        media = client.post(
            "/api/v1/media",
            files={"file": (f"{index}.jpg", jpeg_with_gps(320 + index, 240), "image/jpeg")},
            headers=user.headers,
        ).json()
        ids.append(media["id"])
        if len(ids) % 2 == 0:
            answer = client.post(
                "/api/v1/statuses",
                json={"status": f"pictures {index}", "media_ids": ids[-2:]},
                headers=user.headers,
            )
            assert answer.status_code == 200, answer.text
    return ids


def test_a_small_part_limit_splits_the_archive(client, app, make_user):
    db = app.state.db
    alice = make_user("alice")
    media_ids = _post_with_media(client, alice, 6)
    export = db.run_sync(records.request, alice.account_id)
    sizes = [
        len(client.get(m["url"]).content)
        for m in (client.get(f"/api/v1/media/{i}", headers=alice.headers).json() for i in media_ids)
    ]
    # Two files a part, give or take: the limit is below three of the biggest.
    limit = 2 * max(sizes) + 4 * archive.ENTRY_COST + archive.PART_COST
    done = archive.build(db, export.id, part_bytes=limit)
    assert done is not None and done.state == records.DONE
    parts = parts_of(db, done)
    count = len(parts)
    assert count >= 3
    first = parts[0]
    assert {"outbox.json", "actor.json", "likes.json", "bookmarks.json"} <= set(first)
    assert "following_accounts.csv" in first and "lists.csv" in first
    holder: dict[str, int] = {}
    for number, files in enumerate(parts, start=1):
        found = manifest(files)
        assert (found["part"], found["parts"]) == (number, count)
        assert {f["path"] for f in found["files"]} == set(files) - {"pnyx-export.json"}
        media = [name for name in files if name.startswith("media_attachments/")]
        if number > 1:
            assert media and set(files) == {*media, "pnyx-export.json"}  # media only
            assert done.parts[number - 1].size <= limit
        for name in media:
            assert name not in holder
            holder[name] = number
    outbox = json.loads(first["outbox.json"])
    named = [
        attachment["url"]
        for item in outbox["orderedItems"]
        for attachment in item["object"]["attachment"]
    ]
    assert sorted(named) == sorted(holder)  # every file the outbox names, once
    assert [p.number for p in done.parts] == list(range(1, count + 1))


def test_a_file_bigger_than_a_part_has_a_part_of_its_own(client, app, make_user):
    db = app.state.db
    alice = make_user("alice")
    _post_with_media(client, alice, 2)
    export = db.run_sync(records.request, alice.account_id)
    done = archive.build(db, export.id, part_bytes=1)  # smaller than anything
    parts = parts_of(db, done)
    assert len(parts) == 3
    for files in parts[1:]:
        assert len([n for n in files if n.startswith("media_attachments/")]) == 1
