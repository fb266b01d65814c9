"""Import of an archive's posts (issue 14): the Mastodon archive fixture made into posts, on
both databases, read back through core; what is skipped and why; restarts; hostile archives.
(The API, the web page and the command line have tests of their own.)"""

from __future__ import annotations

import json
import os
import zipfile
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

import pnyx.registry  # noqa: F401 - installs the media store and the events' dispatcher
from mastodon_archive import ACTOR, make_zip, outbox
from pnyx.core import accounts as core_accounts
from pnyx.core.archive_import import runs
from pnyx.core.archive_import.archive_files import ArchiveRefused
from pnyx.core.errors import CoreError
from pnyx.db.ids import new_id
from pnyx.db.tables import (
    archive_imports,
    feed_entries,
    follows,
    imported_statuses,
    jobs,
    media_attachments,
    mentions,
    notifications,
    polls,
    statuses,
)
from pnyx.federation.archive_import import run


def person(db, name: str) -> int:
    def work(tx):
        account_id, _user = core_accounts.create_local(
            tx, name, f"{name}@example.com", "correct horse battery"
        )
        return account_id

    return db.run_sync(work)


def imported(db, account_id: int, tmp_path, **changes):
    """Upload the fixture (changed) as `account_id` and run its import to the end."""
    archive = make_zip(tmp_path / "archive.zip", **changes)
    import_id = runs.receive(db, account_id, [archive])
    seen: list[tuple[int, int]] = []
    row = run(db, import_id, progress=lambda done, total: seen.append((done, total)))
    return row, seen


def rows_of(db, account_id: int):
    return db.run_sync(
        lambda tx: tx.rows(
            sa.select(statuses, imported_statuses.c.origin_uri, imported_statuses.c.published)
            .join(imported_statuses, imported_statuses.c.status_id == statuses.c.id)
            .where(statuses.c.account_id == account_id)
            .order_by(statuses.c.id)
        ),
        write=False,
    )


def by_origin(rows) -> dict[str, object]:
    return {r.origin_uri.rsplit("/", 1)[-1]: r for r in rows}


def test_the_mastodon_fixture_becomes_posts_with_their_dates_and_shapes(db, tmp_path):
    bob = person(db, "bob")
    alice = person(db, "alice")
    row, seen = imported(db, alice, tmp_path)
    assert row.state == "finished" and row.error is None
    assert (row.total, row.imported, row.skipped, row.failed) == (14, 12, 2, 0)
    assert row.skip_reasons == {"boost": 1, "direct": 1}
    assert seen[-1] == (14, 14)
    assert row.upload_keys == [] and row.actor_uri == ACTOR
    made = rows_of(db, alice)
    assert len(made) == 12
    # Ordered by their original dates, and dated so.
    assert [r.created_at for r in made] == sorted(r.created_at for r in made)
    assert made[0].created_at == datetime(2019, 11, 2, 9, 15, tzinfo=UTC)
    assert all(r.created_at == r.published for r in made)
    posts_by = by_origin(made)
    first = posts_by["103000000000000001"]
    assert first.local and first.visibility == "public"
    assert posts_by["103100000000000002"].visibility == "unlisted"
    assert posts_by["103200000000000003"].visibility == "private"
    warned = posts_by["104000000000000005"]
    assert warned.spoiler_text == "Film spoilers" and warned.sensitive
    assert posts_by["109000000000000014"].language == "fr"
    # The thread: each answers the one before, in one conversation.
    t1, t2, t3 = (posts_by[f"1060000000000000{n}"] for n in ("09", "10", "11"))
    assert (t2.in_reply_to_id, t3.in_reply_to_id) == (t1.id, t2.id)
    assert t1.conversation_id == t2.conversation_id == t3.conversation_id == t1.id
    assert t1.replies_count == 1 and t2.replies_count == 1
    # A reply to a post not known here keeps the address it answers.
    other = posts_by["107000000000000012"]
    assert other.in_reply_to_id is None
    assert other.in_reply_to_uri == "https://other.example/users/carol/statuses/42"

    def parts(tx):
        media = tx.rows(
            sa.select(media_attachments).where(
                media_attachments.c.status_id.in_([r.id for r in made])
            )
        )
        poll = tx.one_or_none(
            sa.select(polls).where(polls.c.status_id == posts_by["105500000000000008"].id)
        )
        named = tx.scalars(sa.select(mentions.c.account_id).where(mentions.c.status_id == first.id))
        return media, poll, named

    media, poll, named = db.run_sync(parts, write=False)
    assert sorted(m.description for m in media) == ["", "A red square with a white centre"]
    assert all(
        m.processing == "done" and m.file_key and m.preview_key and m.blurhash for m in media
    )
    assert poll.options == ["Tea", "Coffee"] and poll.tallies == [7, 5]
    assert poll.voters_count == 12 and poll.closed_at is not None
    assert named == [bob]


def test_nothing_is_told_to_anyone(db, tmp_path):
    """No event: no notification, no feed entry, no delivery, no stream. The worker runs the
    import and then has nothing left to do but remove the uploaded parts."""
    bob = person(db, "bob")
    alice = person(db, "alice")
    db.run_sync(lambda tx: follows_of(tx, bob, alice))
    pnyx.registry.drain(db)
    archive = make_zip(tmp_path / "archive.zip")
    import_id = runs.receive(db, alice, [archive])
    kinds = []
    worker_ran = pnyx.registry.drain(db)
    assert worker_ran == 2  # the import, then the removal of its parts
    state = db.run_sync(lambda tx: runs.get(tx, import_id), write=False)
    assert state.state == "finished" and state.imported == 12

    def told(tx):
        return (
            tx.scalars(sa.select(jobs.c.kind)),
            tx.scalar(sa.select(sa.func.count()).select_from(notifications)),
            tx.scalar(sa.select(sa.func.count()).select_from(feed_entries)),
        )

    kinds, notified, entries = db.run_sync(told, write=False)
    assert (kinds, notified, entries) == ([], 0, 0)
    assert not list((tmp_path / "media" / "archive_imports").glob("**/*.zip"))


def follows_of(tx, follower: int, target: int) -> None:
    tx.execute(
        follows.insert().values(
            id=new_id(), account_id=follower, target_account_id=target, created_at=tx.now
        )
    )


# --- Restarts -------------------------------------------------------------------------------


class Crash(Exception):
    """The worker dies after a batch (the job is run again later)."""


def test_a_crash_mid_way_resumes_with_no_duplicate(db, tmp_path):
    alice = person(db, "alice")
    import_id = runs.receive(db, alice, [make_zip(tmp_path / "a.zip")])

    def crash(done, total):
        raise Crash(done)

    with pytest.raises(Crash):
        run(db, import_id, progress=crash, batch_size=5)
    halfway = db.run_sync(lambda tx: runs.get(tx, import_id), write=False)
    assert halfway.state == "running"
    assert halfway.imported + halfway.skipped + halfway.failed == 5
    assert len(rows_of(db, alice)) == halfway.imported
    row = run(db, import_id, batch_size=5)
    assert (row.state, row.imported, row.skipped, row.failed) == ("finished", 12, 2, 0)
    made = rows_of(db, alice)
    assert len(made) == len({r.origin_uri for r in made}) == 12
    assert run(db, import_id) is None  # over: a late retry of the job does nothing


def test_the_same_archive_twice_makes_each_post_once(db, tmp_path):
    alice = person(db, "alice")
    imported(db, alice, tmp_path)
    row, _seen = imported(db, alice, tmp_path)
    assert (row.imported, row.skipped) == (0, 14)
    assert row.skip_reasons == {"boost": 1, "direct": 1, "already_imported": 12}
    assert len(rows_of(db, alice)) == 12


def test_a_reply_before_its_parent_is_linked_at_the_end(db, tmp_path):
    alice = person(db, "alice")
    imported(db, alice, tmp_path, change_items=lambda items: items[::-1])
    posts_by = by_origin(rows_of(db, alice))
    t1, t2, t3 = (posts_by[f"1060000000000000{n}"] for n in ("09", "10", "11"))
    assert (t2.in_reply_to_id, t3.in_reply_to_id) == (t1.id, t2.id)
    assert t2.in_reply_to_uri is None and t1.replies_count == 1


def test_one_import_at_a_time(db, tmp_path):
    alice = person(db, "alice")
    runs.receive(db, alice, [make_zip(tmp_path / "a.zip")])
    with pytest.raises(CoreError, match="already under way"):
        runs.receive(db, alice, [make_zip(tmp_path / "b.zip")])


# --- Hostile archives -----------------------------------------------------------------------


def nothing_kept(db, tmp_path) -> bool:
    rows = db.run_sync(
        lambda tx: tx.scalar(sa.select(sa.func.count()).select_from(archive_imports)),
        write=False,
    )
    return rows == 0 and not list((tmp_path / "media").glob("**/*.zip"))


def refused(db, account_id: int, path, tmp_path) -> str:
    with pytest.raises(ArchiveRefused) as caught:
        runs.receive(db, account_id, [path])
    assert nothing_kept(db, tmp_path)
    return caught.value.message


def test_hostile_archives_are_refused_whole(db, tmp_path):
    alice = person(db, "alice")
    text = tmp_path / "notes.zip"
    text.write_text("these are not the archives you are looking for")
    assert "not a zip archive" in refused(db, alice, text, tmp_path)

    climbing = make_zip(tmp_path / "climb.zip", members={"../../etc/cron.d/evil": b"* * * * *"})
    assert "named '../../etc/cron.d/evil'" in refused(db, alice, climbing, tmp_path)
    absolute = make_zip(tmp_path / "abs.zip", members={"/etc/passwd": b"root"})
    assert "named '/etc/passwd'" in refused(db, alice, absolute, tmp_path)

    bomb = tmp_path / "bomb.zip"
    with (
        zipfile.ZipFile(make_zip(bomb), "a", zipfile.ZIP_DEFLATED) as archive,
        archive.open("media_attachments/zeros.png", "w") as fh,
    ):
        for _ in range(4):
            fh.write(bytes(1 << 20))
    assert "zip bomb" in refused(db, alice, bomb, tmp_path)

    broken = make_zip(tmp_path / "broken.zip", members={"outbox.json": b'{"orderedItems": [{'})
    assert "outbox.json is not valid JSON" in refused(db, alice, broken, tmp_path)
    no_outbox = make_zip(tmp_path / "none.zip", leave_out=("outbox.json",))
    assert "no outbox.json" in refused(db, alice, no_outbox, tmp_path)


def test_a_part_over_the_size_limit_is_refused(db, tmp_path):
    small = db.settings.with_overrides(import_max_mb=1)
    big = make_zip(tmp_path / "big.zip", members={"padding.bin": os.urandom(1100 << 10)})
    with pytest.raises(ArchiveRefused, match="larger than 1 MB"):
        runs.check(small, [big])


def test_hostile_items_are_skipped_or_cleaned_and_counted(db, tmp_path):
    alice = person(db, "alice")
    mimic = "https://evil.example/users/mallory"

    def hostile(items):
        first = items[0]
        first["object"]["content"] = (
            '<p onclick="steal()">Hi<script>alert(1)</script><style>p{display:none}</style>'
            '<a href="javascript:alert(2)">x</a></p>'
        )
        forged = json.loads(json.dumps(items[1]))
        forged["object"]["id"] = "https://old.example/users/alice/statuses/1"
        forged["object"]["attributedTo"] = mimic
        wrong_actor = json.loads(json.dumps(items[2]))
        wrong_actor["actor"] = mimic
        huge = json.loads(json.dumps(items[13]))
        huge["object"]["id"] = "https://old.example/users/alice/statuses/2"
        huge["object"]["content"] = "<p>" + os.urandom(1 << 20).hex() + "</p>"
        return [*items, forged, wrong_actor, huge, "DEEP", "not an object"]

    document = outbox()
    document["orderedItems"] = hostile(document["orderedItems"])
    deep = '{"id": "deep", "x": ' + "[" * 10_000 + "]" * 10_000 + "}"
    text = json.dumps(document).replace('"DEEP"', deep)
    row, _seen = imported(db, alice, tmp_path, members={"outbox.json": text.encode()})
    assert row.state == "finished"
    assert (row.imported, row.skipped, row.failed) == (12, 4, 3)
    assert row.skip_reasons == {"boost": 1, "direct": 1, "other_actor": 2}
    reasons = [f["reason"] for f in row.failures]
    assert any("larger than" in r for r in reasons) and any("deeper" in r for r in reasons)
    cleaned = by_origin(rows_of(db, alice))["103000000000000001"].content
    for bad in ("script", "alert", "style", "onclick", "javascript"):
        assert bad not in cleaned


def test_a_media_file_that_is_not_an_image_is_left_out(db, tmp_path):
    alice = person(db, "alice")
    name = "media_attachments/files/104/500/000/000/000/006/original/3f2a1b9c8d7e6f50.png"
    row, _seen = imported(db, alice, tmp_path, members={name: b"#!/bin/sh\nrm -rf /\n" * 10})
    assert (row.imported, row.failed) == (12, 0)
    [failure] = row.failures
    assert failure["uri"].endswith("/104500000000000006")
    assert name in failure["reason"]
    post = by_origin(rows_of(db, alice))["104500000000000006"]
    assert not post.has_media
    count = db.run_sync(
        lambda tx: tx.scalar(
            sa.select(sa.func.count())
            .select_from(media_attachments)
            .where(media_attachments.c.status_id == post.id)
        ),
        write=False,
    )
    assert count == 0
