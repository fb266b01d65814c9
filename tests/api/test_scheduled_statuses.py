"""Scheduled statuses through the Mastodon API: schedule (with Mastodon's limits and errors),
list, move, cancel, and publication by the durable job (run with `registry.drain`), with media
and polls kept, never twice."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from images import png
from pnyx import registry
from pnyx.core import media
from pnyx.core import scheduled_statuses as core
from pnyx.db.tables import jobs, scheduled_statuses, statuses


def later(minutes: int = 60) -> str:
    return (datetime.now(UTC) + timedelta(minutes=minutes)).isoformat()


def make_due(app) -> None:
    """Time passes: every scheduled post and its jobs are due now."""

    def work(tx):
        tx.execute(scheduled_statuses.update().values(scheduled_at=tx.now))
        tx.execute(jobs.update().values(run_at=tx.now))

    app.state.db.run_sync(work)


def own_posts(app, account_id: int) -> list:
    return app.state.db.run_sync(
        lambda tx: tx.rows(sa.select(statuses).where(statuses.c.account_id == account_id))
    )


def test_a_scheduled_post_is_published_by_the_job_once(client, make_user, app):
    alice = make_user("alice")
    photo = client.post(
        "/api/v1/media", files={"file": ("a.png", png(), "image/png")}, headers=alice.headers
    ).json()
    response = client.post(
        "/api/v1/statuses",
        json={
            "status": "Later, with a picture and a poll?",
            "scheduled_at": later(),
            "media_ids": [photo["id"]],
            "visibility": "unlisted",
            "spoiler_text": "cw",
        },
        headers=alice.headers,
    )
    assert response.status_code == 200, response.text
    entity = response.json()
    assert set(entity) == {"id", "scheduled_at", "params", "media_attachments"}
    assert entity["params"]["text"] == "Later, with a picture and a poll?"
    assert entity["params"]["visibility"] == "unlisted"
    assert entity["params"]["media_ids"] == [photo["id"]]
    assert [m["id"] for m in entity["media_attachments"]] == [photo["id"]]
    assert own_posts(app, alice.account_id) == []

    # Reserved: not deletable, not attachable to another post meanwhile.
    gone = client.delete(f"/api/v1/media/{photo['id']}", headers=alice.headers)
    assert gone.status_code == 422 and gone.json()["error"] == media.IN_USE
    other = client.post(
        "/api/v1/statuses", json={"status": "x", "media_ids": [photo["id"]]}, headers=alice.headers
    )
    assert other.status_code == 422

    listed = client.get("/api/v1/scheduled_statuses", headers=alice.headers).json()
    assert [s["id"] for s in listed] == [entity["id"]]
    registry.drain(app.state.db)  # not due yet: nothing happens
    assert own_posts(app, alice.account_id) == []

    make_due(app)
    registry.drain(app.state.db)
    [post] = own_posts(app, alice.account_id)
    assert post.visibility == "unlisted" and post.spoiler_text == "cw"
    shown = client.get(f"/api/v1/statuses/{post.id}", headers=alice.headers).json()
    assert [m["id"] for m in shown["media_attachments"]] == [photo["id"]]
    assert client.get("/api/v1/scheduled_statuses", headers=alice.headers).json() == []
    assert (
        client.get(f"/api/v1/scheduled_statuses/{entity['id']}", headers=alice.headers).status_code
        == 404
    )

    # The job again (a retry, a duplicate) publishes nothing more.
    app.state.db.run_sync(lambda tx: core.publish(tx, int(entity["id"])))
    assert len(own_posts(app, alice.account_id)) == 1


def test_a_scheduled_poll_keeps_its_options(client, make_user, app):
    alice = make_user("alice")
    response = client.post(
        "/api/v1/statuses",
        json={
            "status": "Tea or coffee?",
            "scheduled_at": later(),
            "poll": {"options": ["tea", "coffee"], "expires_in": 3600, "multiple": True},
        },
        headers=alice.headers,
    )
    assert response.status_code == 200, response.text
    assert response.json()["params"]["poll"]["options"] == ["tea", "coffee"]
    make_due(app)
    registry.drain(app.state.db)
    [post] = own_posts(app, alice.account_id)
    shown = client.get(f"/api/v1/statuses/{post.id}", headers=alice.headers).json()
    assert [o["title"] for o in shown["poll"]["options"]] == ["tea", "coffee"]
    assert shown["poll"]["multiple"] is True


def test_too_soon_invalid_and_past_times(client, make_user, app):
    alice = make_user("alice")
    soon = client.post(
        "/api/v1/statuses",
        data={"status": "soon", "scheduled_at": later(2)},
        headers=alice.headers,
    )
    assert soon.status_code == 422 and soon.json()["error"] == "Validation failed: " + core.TOO_SOON
    bad = client.post(
        "/api/v1/statuses", data={"status": "x", "scheduled_at": "tomorrow"}, headers=alice.headers
    )
    assert bad.status_code == 422
    # A time already past posts at once, as Mastodon does.
    past = client.post(
        "/api/v1/statuses",
        data={"status": "now", "scheduled_at": later(-10)},
        headers=alice.headers,
    )
    assert past.status_code == 200 and past.json()["content"] == "<p>now</p>"
    # Content is checked when scheduling.
    empty = client.post(
        "/api/v1/statuses", data={"status": "", "scheduled_at": later()}, headers=alice.headers
    )
    assert empty.status_code == 422


def test_daily_limit(client, make_user, app):
    alice = make_user("alice")
    when = (datetime.now(UTC) + timedelta(days=2)).replace(hour=12, minute=0)

    def fill(tx):
        for n in range(core.DAILY_LIMIT):
            tx.execute(
                scheduled_statuses.insert().values(
                    id=10_000 + n,
                    account_id=alice.account_id,
                    scheduled_at=when,
                    params={"text": str(n)},
                    created_at=tx.now,
                )
            )

    app.state.db.run_sync(fill)
    over = client.post(
        "/api/v1/statuses",
        data={"status": "one more", "scheduled_at": when.isoformat()},
        headers=alice.headers,
    )
    assert (
        over.status_code == 422 and over.json()["error"] == "Validation failed: " + core.OVER_DAILY
    )
    next_day = client.post(
        "/api/v1/statuses",
        data={"status": "one more", "scheduled_at": (when + timedelta(days=1)).isoformat()},
        headers=alice.headers,
    )
    assert next_day.status_code == 200, next_day.text


def test_move_and_cancel(client, make_user, app):
    alice, bob = make_user("alice"), make_user("bob")
    photo = client.post(
        "/api/v1/media", files={"file": ("a.png", png(), "image/png")}, headers=alice.headers
    ).json()
    made = client.post(
        "/api/v1/statuses",
        data={"status": "move me", "scheduled_at": later(), "media_ids[]": photo["id"]},
        headers=alice.headers,
    ).json()
    path = f"/api/v1/scheduled_statuses/{made['id']}"
    assert client.get(path, headers=bob.headers).status_code == 404
    assert (
        client.put(path, data={"scheduled_at": later(3)}, headers=alice.headers).status_code == 422
    )
    moved = client.put(path, data={"scheduled_at": later(24 * 60)}, headers=alice.headers)
    assert moved.status_code == 200, moved.text
    assert moved.json()["scheduled_at"] > made["scheduled_at"]
    # The first job comes due: the post was moved later, so it waits for its new time.
    app.state.db.run_sync(lambda tx: tx.execute(jobs.update().values(run_at=tx.now)))
    registry.drain(app.state.db)
    assert own_posts(app, alice.account_id) == []

    assert client.delete(path, headers=bob.headers).status_code == 404
    assert client.delete(path, headers=alice.headers).json() == {}
    assert client.get(path, headers=alice.headers).status_code == 404
    # Its media go back to the author, free to delete.
    assert client.delete(f"/api/v1/media/{photo['id']}", headers=alice.headers).status_code == 200
    make_due(app)
    registry.drain(app.state.db)
    assert own_posts(app, alice.account_id) == []


def test_scopes_and_pagination(client, make_user):
    alice = make_user("alice")
    reader = make_user("reader", scopes="read")
    ids = []
    for n in range(3):
        made = client.post(
            "/api/v1/statuses",
            data={"status": f"n{n}", "scheduled_at": later(60 + n)},
            headers=alice.headers,
        )
        ids.append(made.json()["id"])
    page = client.get("/api/v1/scheduled_statuses?limit=2", headers=alice.headers)
    assert [s["id"] for s in page.json()] == ids[::-1][:2]
    assert 'rel="next"' in page.headers["link"]
    refused = client.post(
        "/api/v1/statuses", data={"status": "x", "scheduled_at": later()}, headers=reader.headers
    )
    assert refused.status_code == 403
    assert client.get("/api/v1/scheduled_statuses").status_code == 401
    # The same Idempotency-Key again answers with the first scheduled post.
    headers = {**alice.headers, "Idempotency-Key": "once"}
    first = client.post(
        "/api/v1/statuses", json={"status": "x", "scheduled_at": later()}, headers=headers
    ).json()
    again = client.post(
        "/api/v1/statuses", json={"status": "x", "scheduled_at": later()}, headers=headers
    ).json()
    assert again["id"] == first["id"]


def test_two_jobs_running_at_once_publish_once(client, make_user, app):
    """A post moved earlier has two due jobs; two workers may run them at the same moment.
    The second waits for the first's transaction, then finds the row gone and does nothing
    (on PostgreSQL it read the row before: only the DELETE's row count tells it)."""
    alice = make_user("alice")
    made = client.post(
        "/api/v1/statuses", data={"status": "once", "scheduled_at": later()}, headers=alice.headers
    ).json()
    make_due(app)
    db = app.state.db
    results = []
    with db.transaction() as first:
        results.append(core.publish(first, int(made["id"])))
        second = threading.Thread(
            target=lambda: results.append(db.run_sync(core.publish, int(made["id"])))
        )
        second.start()
        second.join(timeout=0.5)  # let it reach the row this transaction holds
    second.join()
    assert results[0] is not None and results[1] is None
    assert len(own_posts(app, alice.account_id)) == 1


def test_a_time_beyond_ten_years_or_the_calendar_is_refused(client, make_user):
    me = make_user("me")
    for when in ("9999-12-31T23:59:59Z", "9999-12-31T23:59:59-01:00", "2100-01-01T00:00:00Z"):
        answer = client.post(
            "/api/v1/statuses",
            headers=me.headers,
            json={"status": "later", "scheduled_at": when},
        )
        assert answer.status_code == 422, (when, answer.text)
        assert answer.json()["error"].count("Validation failed") == 1
