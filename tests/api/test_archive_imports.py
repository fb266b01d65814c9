"""The import of an archive through the API (`/api/v1/pnyx/imports/archive`), read back as
apps read posts: the Mastodon archive fixture's posts with their original dates and order,
media, content warning, closed poll, thread and origin; nothing told to followers; search."""

from __future__ import annotations

import sqlalchemy as sa

from mastodon_archive import ACTOR, make_zip
from pnyx import registry
from pnyx.db.tables import feed_entries, jobs

PATH = "/api/v1/pnyx/imports/archive"


def upload(client, user, *paths):
    files = [("file[]", (p.name, p.read_bytes(), "application/zip")) for p in paths]
    return client.post(PATH, headers=user.headers, files=files)


def imported(client, db, user, tmp_path) -> dict:
    answer = upload(client, user, make_zip(tmp_path / "archive.zip"))
    assert answer.status_code == 202, answer.text
    queued = answer.json()
    assert queued["state"] == "queued" and queued["total"] == 14
    registry.drain(db)
    return client.get(f"{PATH}/{queued['id']}", headers=user.headers).json()


def statuses_of(client, user) -> list[dict]:
    return client.get(
        f"/api/v1/accounts/{user.account_id}/statuses", headers=user.headers, params={"limit": 40}
    ).json()


def test_an_archive_becomes_posts_apps_show_as_they_were(client, app, make_user, tmp_path):
    db = app.state.db
    bob = make_user("bob")
    alice = make_user("alice")
    client.post(f"/api/v1/accounts/{alice.account_id}/follow", headers=bob.headers)
    client.post("/api/v1/statuses", headers=bob.headers, json={"status": "my newest"})
    registry.drain(db)
    [newest] = client.get("/api/v1/timelines/home", headers=bob.headers).json()
    done = imported(client, db, alice, tmp_path)
    assert (done["state"], done["imported"], done["skipped"], done["failed"]) == (
        "finished",
        12,
        2,
        0,
    )
    assert done["skipped_reasons"] == {"boost": 1, "direct": 1}
    assert done["actor_uri"] == ACTOR
    [listed] = client.get(PATH, headers=alice.headers).json()
    assert listed == done

    shown = statuses_of(client, alice)
    assert len(shown) == 12
    dates = [s["created_at"] for s in shown]
    assert dates == sorted(dates, reverse=True)  # newest first, by their original dates
    assert dates[0].startswith("2023-03-08T11:30:00") and dates[-1].startswith("2019-11-02")
    by_text = {s["content"]: s for s in shown}
    for status in shown:
        origin = status["pnyx"]["imported_from"]
        assert origin["uri"].startswith(ACTOR + "/statuses/")
        assert origin["published"] == status["created_at"]
        assert origin["url"].startswith("https://old.example/@alice/")
    warned = next(s for s in shown if s["spoiler_text"])
    assert warned["spoiler_text"] == "Film spoilers" and warned["sensitive"] is True
    with_media = [s for s in shown if s["media_attachments"]]
    assert len(with_media) == 2
    described = [m["description"] for s in with_media for m in s["media_attachments"]]
    assert sorted(d or "" for d in described) == ["", "A red square with a white centre"]
    for status in with_media:
        [media] = status["media_attachments"]
        assert media["type"] == "image" and media["blurhash"] and media["preview_url"]
        assert client.get(media["url"]).status_code == 200
    poll = next(s["poll"] for s in shown if s["poll"])
    assert poll["expired"] is True and poll["votes_count"] == 12
    assert [(o["title"], o["votes_count"]) for o in poll["options"]] == [("Tea", 7), ("Coffee", 5)]
    third = next(s for t, s in by_text.items() if "3/3" in t)
    context = client.get(f"/api/v1/statuses/{third['id']}/context", headers=alice.headers).json()
    assert ["1/3" in a["content"] or "2/3" in a["content"] for a in context["ancestors"]] == [
        True,
        True,
    ]
    first = next(s for t, s in by_text.items() if "old place" in t)
    assert [t["name"] for t in first["tags"]] == ["cats"]
    assert [m["acct"] for m in first["mentions"]] == ["bob"]

    # Nothing reached bob: nothing new in his home (her posts sit at their dates, below
    # everything newer, as her older posts would), no feed entry, no notification; and
    # nothing goes to other servers.
    home = "/api/v1/timelines/home"
    assert client.get(home, headers=bob.headers, params={"since_id": newest["id"]}).json() == []
    assert client.get(home, headers=bob.headers).json()[0]["id"] == newest["id"]
    assert client.get("/api/v1/notifications", headers=bob.headers).json() == []

    def told(tx):
        entries = tx.scalars(
            sa.select(feed_entries.c.status_id).where(feed_entries.c.viewer_id == bob.account_id)
        )
        return entries, tx.scalars(sa.select(jobs.c.kind))

    entries, kinds = db.run_sync(told, write=False)
    assert set(entries) <= {int(newest["id"])}
    assert "deliver" not in kinds and "event" not in kinds

    # Searchable, as any of her posts.
    found = client.get(
        "/api/v2/search",
        headers=alice.headers,
        params={"q": "moving servers", "type": "statuses"},
    ).json()["statuses"]
    assert [s["id"] for s in found] == [next(s["id"] for t, s in by_text.items() if "1/3" in t)]


def test_refusals_answer_in_mastodons_error_format(client, app, make_user, tmp_path):
    alice = make_user("alice")
    reader = make_user("reader", scopes="read")
    text = tmp_path / "not.zip"
    text.write_text("hello")
    answer = upload(client, alice, text)
    assert answer.status_code == 422
    assert answer.json() == {"error": "Archive refused: the file is not a zip archive"}
    assert client.post(PATH, headers=alice.headers, json={}).status_code == 422
    assert client.post(PATH, files={"file": ("a.zip", b"x")}).status_code == 401
    assert upload(client, reader, make_zip(tmp_path / "a.zip")).status_code == 403
    assert client.get(PATH, headers=alice.headers).json() == []
    mine = upload(client, alice, make_zip(tmp_path / "b.zip")).json()
    assert client.get(f"{PATH}/{mine['id']}", headers=reader.headers).status_code == 404
    again = upload(client, alice, make_zip(tmp_path / "c.zip"))
    assert again.status_code == 422 and "already under way" in again.json()["error"]
