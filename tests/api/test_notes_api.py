"""Community notes through the Pnyx API on one server: who may write and rate, the rules a
note follows, anonymous ratings, and how a post shows its notes (`pnyx.notes`, and a note
rated helpful as the Status' `card`, which the Mastodon apps draw)."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from pnyx.db.tables import accounts, community_notes, note_ratings

SOURCE = "https://example.org/report"
MISLEADING = "MISINFORMED_OR_POTENTIALLY_MISLEADING"


def seasoned(app, *users) -> None:
    """Accounts old enough to write and rate notes (notes_min_account_days)."""

    def work(tx):
        ids = [u.account_id for u in users]
        long_ago = tx.now - timedelta(days=30)
        tx.execute(accounts.update().where(accounts.c.id.in_(ids)).values(created_at=long_ago))

    app.state.db.run_sync(work)


def post(client, user, text: str = "The moon is made of cheese", **extra) -> dict:
    answer = client.post("/api/v1/statuses", json={"status": text, **extra}, headers=user.headers)
    assert answer.status_code == 200, answer.text
    return answer.json()


def note_on(client, user, status_id: str, **changes):
    body = {
        "status_id": status_id,
        "classification": MISLEADING,
        "reasons": ["misleadingFactualError"],
        "summary": f"The moon is rock, as samples show: {SOURCE}",
        **changes,
    }
    return client.post("/api/v1/pnyx/notes", json=body, headers=user.headers)


def test_a_note_is_written_rated_and_shown_with_its_post(app, client, make_user):
    author, writer, rater, reader = (make_user(n) for n in ("author", "writer", "rater", "rd"))
    seasoned(app, writer, rater, reader)
    status = post(client, author)
    answer = note_on(client, writer, status["id"])
    assert answer.status_code == 200, answer.text
    note = answer.json()
    assert note["status"] == "needs_more_ratings"
    assert note["own"] is True and note["can_rate"] is False
    assert note["url"].endswith(f"/notes/{note['id']}")
    assert "participant" not in note and "account" not in note  # never who wrote it

    rated = client.post(
        f"/api/v1/pnyx/notes/{note['id']}/rating",
        json={"helpfulness_level": "HELPFUL", "helpful_tags": ["helpfulGoodSources"]},
        headers=rater.headers,
    )
    assert rated.status_code == 200, rated.text
    assert rated.json()["own_rating"]["helpfulness_level"] == "HELPFUL"
    assert rated.json()["ratings_count"] == 1
    # A new answer replaces the old one.
    again = client.post(
        f"/api/v1/pnyx/notes/{note['id']}/rating",
        json={"helpfulness_level": "NOT_HELPFUL", "not_helpful_tags": ["notHelpfulIncorrect"]},
        headers=rater.headers,
    )
    assert again.json()["ratings_count"] == 1
    assert again.json()["own_rating"]["helpfulness_level"] == "NOT_HELPFUL"
    # Others see how many rated, never who nor how.
    seen = client.get(f"/api/v1/pnyx/notes/{note['id']}", headers=reader.headers).json()
    assert seen["own_rating"] is None and seen["ratings_count"] == 1
    assert "NOT_HELPFUL" not in str(seen)
    assert seen["can_rate"] is True

    # Under the post: every note with its status; no card while it needs ratings.
    shown = client.get(f"/api/v1/statuses/{status['id']}", headers=reader.headers).json()
    assert [n["id"] for n in shown["pnyx"]["notes"]] == [note["id"]]
    assert shown["card"] is None
    listed = client.get(f"/api/v1/pnyx/statuses/{status['id']}/notes").json()
    assert [n["status"] for n in listed] == ["needs_more_ratings"]

    # Rated helpful (as scoring would set it): the apps' card says so, for everyone.
    app.state.db.run_sync(
        lambda tx: tx.execute(
            community_notes.update()
            .where(community_notes.c.id == int(note["id"]))
            .values(status="CURRENTLY_RATED_HELPFUL", tags=["helpfulGoodSources", "helpfulClear"])
        )
    )
    for headers in (reader.headers, {}):
        shown = client.get(f"/api/v1/statuses/{status['id']}", headers=headers).json()
        assert shown["card"]["title"] == "Readers added context"
        assert shown["card"]["description"] == note["summary"]
        assert shown["card"]["url"] == note["url"]
        assert shown["pnyx"]["notes"][0]["status"] == "helpful"
    timeline = client.get("/api/v1/timelines/public", headers=reader.headers).json()
    assert next(s for s in timeline if s["id"] == status["id"])["card"]["url"] == note["url"]

    # Its author takes it back: shown nowhere, still in the data.
    assert client.delete(f"/api/v1/pnyx/notes/{note['id']}", headers=writer.headers).json() == {}
    shown = client.get(f"/api/v1/statuses/{status['id']}", headers=reader.headers).json()
    assert shown["card"] is None and shown["pnyx"]["notes"] == []
    assert client.get(f"/api/v1/pnyx/notes/{note['id']}").status_code == 404


def test_the_rules_of_a_note(app, client, make_user):
    author, writer = make_user("author"), make_user("writer")
    status = post(client, author)
    young = note_on(client, writer, status["id"])
    assert young.status_code == 403
    assert "7 days old" in young.json()["error"]
    seasoned(app, writer)
    cases = {
        "link": {"summary": "No source at all, just my word"},
        "mention": {"summary": f"Ask @author about it {SOURCE}"},
        "long": {"summary": SOURCE + " " + "x" * 280},
        "classification": {"classification": "MAYBE"},
        "reasons": {"reasons": ["notMisleadingPersonalOpinion"]},
        "blank": {"summary": "   "},
    }
    for name, change in cases.items():
        answer = note_on(client, writer, status["id"], **change)
        assert answer.status_code == 422, (name, answer.text)
        assert answer.json()["error"].startswith("Validation failed"), name
    # A "not misleading" note needs no source.
    fine = note_on(
        client,
        writer,
        status["id"],
        classification="NOT_MISLEADING",
        reasons=["notMisleadingPersonalOpinion"],
        summary="It is an opinion, plainly worded as one.",
    )
    assert fine.status_code == 200, fine.text
    # Private posts get no notes (notes are public data); unknown posts are not found.
    private = post(client, author, "for my followers", visibility="private")
    assert note_on(client, writer, private["id"]).status_code == 404
    assert note_on(client, writer, "99999999").status_code == 404
    assert client.post("/api/v1/pnyx/notes", json={}, headers=writer.headers).status_code == 422


def test_nobody_rates_their_own_note_and_bad_ratings_are_refused(app, client, make_user):
    author, writer, rater = make_user("author"), make_user("writer"), make_user("rater")
    seasoned(app, writer, rater)
    status = post(client, author)
    note = note_on(client, writer, status["id"]).json()
    path = f"/api/v1/pnyx/notes/{note['id']}/rating"
    own = client.post(path, json={"helpfulness_level": "HELPFUL"}, headers=writer.headers)
    assert own.status_code == 403
    for body in (
        {"helpfulness_level": "GREAT"},
        {"helpfulness_level": "HELPFUL", "not_helpful_tags": ["notHelpfulIncorrect"]},
        {"helpfulness_level": "NOT_HELPFUL", "helpful_tags": ["helpfulClear"]},
        {"helpfulness_level": "HELPFUL", "helpful_tags": ["helpfulMagic"]},
    ):
        answer = client.post(path, json=body, headers=rater.headers)
        assert answer.status_code == 422, body
    assert client.delete(path, headers=rater.headers).status_code == 404
    ok = client.post(path, json={"helpfulness_level": "SOMEWHAT_HELPFUL"}, headers=rater.headers)
    assert ok.status_code == 200
    assert client.delete(path, headers=rater.headers).json()["own_rating"] is None
    count = app.state.db.run_sync(
        lambda tx: tx.scalar(sa.select(sa.func.count()).select_from(note_ratings))
    )
    assert count == 0


def test_the_queue_holds_notes_that_need_the_viewers_rating(app, client, make_user):
    author, writer, rater = make_user("author"), make_user("writer"), make_user("rater")
    seasoned(app, writer, rater)
    first = note_on(client, writer, post(client, author)["id"]).json()
    second = note_on(client, writer, post(client, author, "Another claim")["id"]).json()
    queue = client.get("/api/v1/pnyx/notes/queue", headers=rater.headers).json()
    assert [n["id"] for n in queue] == [second["id"], first["id"]]
    assert client.get("/api/v1/pnyx/notes/queue", headers=writer.headers).json() == []
    client.post(
        f"/api/v1/pnyx/notes/{second['id']}/rating",
        json={"helpfulness_level": "HELPFUL"},
        headers=rater.headers,
    )
    queue = client.get("/api/v1/pnyx/notes/queue", headers=rater.headers).json()
    assert [n["id"] for n in queue] == [first["id"]]
    mine = client.get("/api/v1/pnyx/notes/mine", headers=writer.headers).json()
    assert {n["id"] for n in mine} == {first["id"], second["id"]}
    assert client.get("/api/v1/pnyx/notes/queue").status_code == 401
