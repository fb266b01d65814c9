"""What received activities do, once the inbox has checked who sent them.

`handlers.process` is what the inbox worker runs; here it is called directly with a sender
stored as a remote account (the signature check it would have passed is tested elsewhere).
"""

from __future__ import annotations

import sqlalchemy as sa

import factories
from pnyx import registry
from pnyx.core import follows
from pnyx.db.tables import blocks, favourites, jobs, notifications, reports, statuses, tombstones
from pnyx.db.tables import follows as follows_table
from pnyx.federation import handlers

PUBLIC = "https://www.w3.org/ns/activitystreams#Public"
R = "https://remote.example"


def sender(db, name: str = "rita") -> int:
    account_id = factories.remote_account(db, name, "remote.example")
    return account_id


def note(number: int, *, author: str = "rita", **extra) -> dict:
    return {
        "id": f"{R}/users/{author}/statuses/{number}",
        "type": "Note",
        "attributedTo": f"{R}/users/{author}",
        "content": f"<p>note {number}</p>",
        "to": [PUBLIC],
        "cc": [f"{R}/users/{author}/followers"],
        "published": "2026-11-20T10:00:00Z",
        **extra,
    }


def activity(kind: str, obj, number: int, actor: str = "rita") -> dict:
    return {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": f"{R}/users/{actor}/activities/{kind.lower()}/{number}",
        "type": kind,
        "actor": f"{R}/users/{actor}",
        "object": obj,
    }


def process(app, doc: dict, signer_id: int) -> None:
    handlers.process(app.state.db, app.state.settings, doc, signer_id)


def remote_statuses(db) -> list:
    return db.run_sync(
        lambda tx: tx.rows(sa.select(statuses.c.id, statuses.c.uri, statuses.c.content))
    )


def test_create_is_stored_once_and_only_when_someone_here_cares(app, make_user):
    db = app.state.db
    rita = sender(db)
    process(app, activity("Create", note(1), 1), rita)
    assert remote_statuses(db) == []  # nobody here follows Rita or is named
    reader = make_user("reader").account_id
    factories.follow(db, reader, rita)
    process(app, activity("Create", note(2), 2), rita)
    process(app, activity("Create", note(2), 2), rita)  # the same activity again
    assert [s.uri for s in remote_statuses(db)] == [f"{R}/users/rita/statuses/2"]


def test_a_delete_before_its_create_leaves_a_tombstone(app, make_user):
    db = app.state.db
    rita = sender(db)
    factories.follow(db, make_user("reader").account_id, rita)
    uri = f"{R}/users/rita/statuses/3"
    process(app, activity("Delete", {"id": uri, "type": "Tombstone"}, 3), rita)
    process(app, activity("Create", note(3), 3), rita)
    assert remote_statuses(db) == []
    assert db.run_sync(lambda tx: tx.scalar(sa.select(tombstones.c.uri))) == uri


def test_objects_must_belong_to_their_sender(app, make_user):
    db = app.state.db
    rita = sender(db)
    mallory = sender(db, "mallory")
    reader = make_user("reader").account_id
    for someone in (rita, mallory):
        factories.follow(db, reader, someone)
    # Mallory sends a note attributed to Rita, and one on another server.
    process(app, activity("Create", note(4, author="rita"), 4, actor="mallory"), mallory)
    elsewhere = dict(note(5, author="mallory"), id="https://elsewhere.example/notes/5")
    process(app, activity("Create", elsewhere, 5, actor="mallory"), mallory)
    assert remote_statuses(db) == []
    # Rita's own post: Mallory can neither edit nor delete it.
    process(app, activity("Create", note(6), 6), rita)
    edited = dict(note(6), content="<p>defaced</p>", updated="2026-11-21T10:00:00Z")
    process(app, activity("Update", edited, 7, actor="mallory"), mallory)
    process(app, activity("Delete", f"{R}/users/rita/statuses/6", 8, actor="mallory"), mallory)
    [kept] = remote_statuses(db)
    assert "note 6" in kept.content
    # Rita can.
    process(app, activity("Update", edited, 9), rita)
    assert "defaced" in remote_statuses(db)[0].content
    process(app, activity("Delete", f"{R}/users/rita/statuses/6", 10), rita)
    assert remote_statuses(db) == []


def test_like_and_its_undo(app, make_user):
    db = app.state.db
    rita = sender(db)
    alice = make_user("alice").account_id
    status_id = factories.status(db, alice, "like me")
    uri = db.run_sync(lambda tx: tx.scalar(sa.select(statuses.c.uri)))
    like = activity("Like", uri, 11)
    process(app, like, rita)
    process(app, like, rita)
    count = lambda: db.run_sync(  # noqa: E731
        lambda tx: tx.scalar(
            sa.select(statuses.c.favourites_count).where(statuses.c.id == status_id)
        )
    )
    assert count() == 1
    process(app, activity("Undo", like, 12), rita)
    assert count() == 0
    assert (
        db.run_sync(lambda tx: tx.scalar(sa.select(sa.func.count()).select_from(favourites))) == 0
    )


def test_a_like_without_an_id_is_theirs_and_its_undo_takes_only_it(app, make_user):
    """A Like may come without an id: it is not made one of ours (no uri on this server, no
    activity sent on the sender's behalf), the author is told, and an Undo naming the post
    removes that favourite and no other id-less one."""
    db = app.state.db
    rita = sender(db)
    alice = make_user("alice").account_id
    first = factories.status(db, alice, "like me")
    second = factories.status(db, alice, "me too")
    uri_of = lambda sid: db.run_sync(  # noqa: E731
        lambda tx: tx.scalar(sa.select(statuses.c.uri).where(statuses.c.id == sid))
    )
    for number, status_id in ((20, first), (21, second)):
        like = activity("Like", uri_of(status_id), number)
        del like["id"]
        process(app, like, rita)
    stored = db.run_sync(lambda tx: tx.rows(sa.select(favourites.c.status_id, favourites.c.uri)))
    assert sorted(stored) == sorted([(first, None), (second, None)])
    assert db.run_sync(lambda tx: tx.scalars(sa.select(jobs.c.kind))) == []  # nothing to send
    told = db.run_sync(
        lambda tx: tx.scalars(
            sa.select(notifications.c.status_id).where(notifications.c.type == "favourite")
        )
    )
    assert sorted(told) == sorted([first, second])

    undo = activity("Undo", {"type": "Like", "object": uri_of(second)}, 22)
    process(app, undo, rita)
    left = db.run_sync(lambda tx: tx.scalars(sa.select(favourites.c.status_id)))
    assert left == [first]


def test_follow_is_accepted_and_undone(app, make_user):
    db = app.state.db
    rita = sender(db)
    alice = make_user("alice").account_id
    follow = activity("Follow", "https://pnyx.test/users/alice", 13)
    process(app, follow, rita)
    assert db.run_sync(follows.is_following, rita, alice)
    accepts = db.run_sync(
        lambda tx: [
            p for p in tx.scalars(sa.select(jobs.c.payload)) if p.get("event") == "FollowAccepted"
        ]
    )
    assert accepts and accepts[0]["uri"] == follow["id"]
    process(app, activity("Undo", follow, 14), rita)
    assert not db.run_sync(follows.is_following, rita, alice)


def test_block_and_unblock(app, make_user):
    db = app.state.db
    rita = sender(db)
    alice = make_user("alice").account_id
    factories.follow(db, alice, rita)
    block = activity("Block", "https://pnyx.test/users/alice", 15)
    process(app, block, rita)
    blocked = lambda: db.run_sync(  # noqa: E731
        lambda tx: tx.scalar(sa.select(sa.func.count()).select_from(blocks))
    )
    assert blocked() == 1
    # A block ends the follow both ways.
    assert (
        db.run_sync(lambda tx: tx.scalar(sa.select(sa.func.count()).select_from(follows_table)))
        == 0
    )
    process(app, activity("Undo", block, 16), rita)
    assert blocked() == 0


def test_a_report_from_another_server_is_kept_for_moderators(app, make_user):
    db = app.state.db
    rita = sender(db)
    alice = make_user("alice").account_id
    status_id = factories.status(db, alice, "reported")
    uri = db.run_sync(lambda tx: tx.scalar(sa.select(statuses.c.uri)))
    flag = activity("Flag", ["https://pnyx.test/users/alice", uri], 17)
    flag["content"] = "spam"
    process(app, flag, rita)
    report = db.run_sync(lambda tx: tx.one_or_none(sa.select(reports)))
    assert report.target_account_id == alice and report.status_ids == [status_id]
    assert report.comment == "spam" and report.account_id == rita


def test_unknown_activities_are_ignored(app):
    db = app.state.db
    rita = sender(db)
    process(app, activity("EmojiReact", f"{R}/x", 18), rita)
    process(app, activity("Arrive", None, 19), rita)
    assert remote_statuses(db) == []


def test_unknown_mentions_are_looked_up_later_and_at_most_ten(app, make_user):
    from pnyx.federation.mentions import MAX_FETCHED, RESOLVE_MENTIONS

    db = app.state.db
    rita = sender(db)
    reader = make_user("reader")
    factories.follow(db, reader.account_id, rita)
    base = app.state.settings.base_url
    named = [f"{base}/users/reader", f"{base}/users/nobody"]  # ours: known, and no one
    named += [f"http://127.0.0.1:9/users/u{i}" for i in range(60)]  # nothing answers there
    tags = [{"type": "Mention", "href": href, "name": f"@x{i}"} for i, href in enumerate(named)]
    process(app, activity("Create", note(40, tag=tags), 40), rita)
    [stored] = remote_statuses(db)
    [payload] = db.run_sync(
        lambda tx: list(
            tx.scalars(sa.select(jobs.c.payload).where(jobs.c.kind == RESOLVE_MENTIONS))
        )
    )
    assert payload["status_id"] == stored.id
    assert len(payload["uris"]) == MAX_FETCHED and all("127.0.0.1:9" in u for u in payload["uris"])

    registry.drain(db)  # every fetch fails: the post keeps the mentions it had, the job ends
    assert not db.run_sync(
        lambda tx: list(tx.scalars(sa.select(jobs.c.id).where(jobs.c.kind == RESOLVE_MENTIONS)))
    )
    from pnyx.db.tables import mentions

    mentioned = db.run_sync(
        lambda tx: list(
            tx.scalars(sa.select(mentions.c.account_id).where(mentions.c.status_id == stored.id))
        )
    )
    assert mentioned == [reader.account_id]


def test_remote_edits_keep_their_history_like_local_ones(client, app, make_user):
    db = app.state.db
    rita = sender(db)
    reader = make_user("reader")
    factories.follow(db, reader.account_id, rita)
    process(app, activity("Create", note(30), 30), rita)
    [status] = remote_statuses(db)
    factories.status(db, reader.account_id, reblog_of=status.id)
    for number, words in ((31, "second words"), (32, "third words")):
        edited = note(30, content=f"<p>{words}</p>", updated=f"2026-11-20T1{number - 30}:00:00Z")
        process(app, activity("Update", edited, number), rita)
    # The same Update again (a retry) adds no version.
    process(app, activity("Update", edited, 32), rita)

    answer = client.get(f"/api/v1/statuses/{status.id}/history", headers=reader.headers)
    assert answer.status_code == 200
    contents = [version["content"] for version in answer.json()]
    assert contents == ["<p>note 30</p>", "<p>second words</p>", "<p>third words</p>"]
    # As for local edits, whoever boosted it here is told each time.
    kinds = [n["type"] for n in client.get("/api/v1/notifications", headers=reader.headers).json()]
    assert kinds.count("update") == 2


def test_a_malformed_object_is_refused_once_not_retried(app, make_user, caplog):
    """A Note with no author cannot become a post however often it is tried: it is logged
    and dropped, not raised for the job to retry for hours."""
    db = app.state.db
    rita = sender(db)
    factories.follow(db, make_user("reader").account_id, rita)
    broken = {k: v for k, v in note(11).items() if k != "attributedTo"}
    with caplog.at_level("INFO", logger="pnyx.federation.handlers"):
        process(app, activity("Update", broken, 11), rita)
    assert remote_statuses(db) == []
    assert any("refused" in r.getMessage() for r in caplog.records)
