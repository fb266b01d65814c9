"""Pruning the media store removes the right files only: uploads not posted within a day,
cached remote files past the max age or past the cache's size cap, and never a file still
used (a local avatar, a posted upload, an upload posted between the plan and the prune)."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from click.testing import CliRunner

import factories
from images import jpeg_with_gps, png
from pnyx import registry
from pnyx.cli import main
from pnyx.core import accounts as core_accounts
from pnyx.core import media, media_prune, profile_media, profiles, remote_media, statuses
from pnyx.core.media_store import store_for
from pnyx.core.remote_store import IncomingAttachment, IncomingStatus, store_status
from pnyx.core.statuses import StatusInput
from pnyx.db.engine import Database
from pnyx.db.tables import accounts, jobs, media_attachments


def _age(db: Database, table, row_id: int, **columns) -> None:
    db.run_sync(lambda tx: tx.execute(table.update().where(table.c.id == row_id).values(**columns)))


def _days_ago(db: Database, days: int):
    return db.run_sync(lambda tx: tx.now - timedelta(days=days), write=False)


def _row(db: Database, table, row_id: int):
    return db.run_sync(
        lambda tx: tx.one_or_none(sa.select(table).where(table.c.id == row_id)), write=False
    )


def _upload(db: Database, account_id: int) -> int:
    return media.upload(db, account_id, png(), media.Attributes(), now=True)


def _remote_cached(db: Database, author: int, n: int) -> int:
    """A remote post's attachment, cached (the fetch itself is federation's, tested there)."""
    status_id = db.run_sync(
        store_status,
        author,
        IncomingStatus(
            uri=f"https://elsewhere.example/notes/{n}",
            content="<p>hi</p>",
            visibility="public",
            attachments=[
                IncomingAttachment(kind="image", remote_url=f"https://elsewhere.example/{n}.jpg")
            ],
        ),
    )
    row = db.run_sync(
        lambda tx: tx.one_or_none(
            sa.select(media_attachments).where(media_attachments.c.status_id == status_id)
        ),
        write=False,
    )
    [item] = remote_media.pending(db, {"attachment": row.id})
    assert remote_media.store_fetched(db, item, jpeg_with_gps())
    return row.id


def _remote_account_cached(db: Database) -> int:
    author = factories.remote_account(db, "ava", "avatars.example")
    url = "https://avatars.example/a.png"
    _age(db, accounts, author, avatar_remote_url=url, avatar_url=url)
    [item] = remote_media.pending(db, {"account": author})
    assert remote_media.store_fetched(db, item, png(500, 500))
    return author


def test_prune_removes_the_right_files_only(db, app):
    store = store_for(db.settings)
    alice = _local(db, "alice")
    old_orphan, new_orphan, posted = (_upload(db, alice) for _ in range(3))
    db.run_sync(statuses.create, alice, StatusInput(text="x", media_ids=[str(posted)]))
    avatar = profile_media.prepare(db.settings, alice, "avatar", png(800, 800))
    db.run_sync(profiles.update_profile, alice, profiles.ProfileUpdate(avatar=avatar))
    author = factories.remote_account(db, "bob", "elsewhere.example")
    old_remote, new_remote = _remote_cached(db, author, 1), _remote_cached(db, author, 2)
    remote_account = _remote_account_cached(db)
    for media_id in (old_orphan, posted, old_remote):
        _age(db, media_attachments, media_id, created_at=_days_ago(db, 30))
    _age(db, accounts, remote_account, images_cached_at=_days_ago(db, 30))
    old_files = {
        media_id: (_row(db, media_attachments, media_id).file_key)
        for media_id in (old_orphan, new_orphan, posted, old_remote, new_remote)
    }
    remote_avatar = _row(db, accounts, remote_account).avatar_key

    planned = media_prune.plan(db)
    assert {(r.what, r.row_id) for r in planned} == {
        (media_prune.UPLOAD, old_orphan),
        (media_prune.REMOTE_ATTACHMENT, old_remote),
        (media_prune.REMOTE_ACCOUNT, remote_account),
    }
    assert media_prune.apply(db, planned) == 3

    assert _row(db, media_attachments, old_orphan) is None
    assert store.get(old_files[old_orphan]) is None
    cached = _row(db, media_attachments, old_remote)
    assert cached.file_key is None and cached.remote_url == "https://elsewhere.example/1.jpg"
    assert store.get(old_files[old_remote]) is None
    shown = _row(db, accounts, remote_account)
    assert shown.avatar_key is None and shown.avatar_url == "https://avatars.example/a.png"
    assert store.get(remote_avatar) is None
    for kept in (new_orphan, posted, new_remote):
        assert store.get(old_files[kept]) is not None
    assert store.get(_row(db, accounts, alice).avatar_key) is not None
    assert media_prune.plan(db) == []


def test_an_upload_posted_after_the_plan_is_kept(db, app):
    alice = _local(db, "alice")
    upload = _upload(db, alice)
    _age(db, media_attachments, upload, created_at=_days_ago(db, 2))
    planned = media_prune.plan(db)
    assert [r.row_id for r in planned] == [upload]
    db.run_sync(statuses.create, alice, StatusInput(text="now", media_ids=[str(upload)]))
    assert media_prune.apply(db, planned) == 0
    row = _row(db, media_attachments, upload)
    assert row is not None and store_for(db.settings).get(row.file_key) is not None


def test_past_the_size_cap_the_oldest_cached_files_go(db, settings, app):
    author = factories.remote_account(db, "bob", "elsewhere.example")
    first, second = _remote_cached(db, author, 1), _remote_cached(db, author, 2)
    _age(db, media_attachments, first, created_at=_days_ago(db, 3))
    _age(db, media_attachments, second, created_at=_days_ago(db, 2))
    assert media_prune.over_budget(db) == []  # the default cap is far away
    size = _row(db, media_attachments, second).file_size
    db = Database(settings.with_overrides(remote_media_max_bytes=size))  # room for one
    try:
        assert [r.row_id for r in media_prune.over_budget(db)] == [first]
        assert media_prune.evict_over_budget(db) == 1
        assert _row(db, media_attachments, first).file_key is None
        assert _row(db, media_attachments, second).file_key is not None
    finally:
        db.dispose()


def test_the_periodic_job_prunes_and_schedules_its_next_run(db, app):
    alice = _local(db, "alice")
    upload = _upload(db, alice)
    _age(db, media_attachments, upload, created_at=_days_ago(db, 2))
    db.run_sync(media_prune.schedule)
    db.run_sync(media_prune.schedule)  # a second process starting: still one run
    assert registry.drain(db) == 1
    assert _row(db, media_attachments, upload) is None
    waiting = db.run_sync(
        lambda tx: tx.rows(sa.select(jobs).where(jobs.c.kind == media_prune.PRUNE_JOB)),
        write=False,
    )
    assert len(waiting) == 1 and waiting[0].run_at > _days_ago(db, 0)  # the next hour


def test_the_cli_dry_run_removes_nothing_and_the_real_run_does(db, app, database_url, tmp_path):
    alice = _local(db, "alice")
    upload = _upload(db, alice)
    _age(db, media_attachments, upload, created_at=_days_ago(db, 2))
    env = {
        "PNYX_DATABASE_URL": database_url,
        "PNYX_DOMAIN": "pnyx.test",
        "PNYX_DATA_DIR": db.settings.data_dir,
        "PNYX_CONFIG": str(tmp_path / "absent.toml"),
    }
    runner = CliRunner()
    dry = runner.invoke(main, ["media", "prune", "--dry-run"], env=env, catch_exceptions=False)
    assert dry.exit_code == 0, dry.output
    assert "Would remove 1 upload(s)" in dry.output
    assert _row(db, media_attachments, upload) is not None
    real = runner.invoke(main, ["media", "prune"], env=env, catch_exceptions=False)
    assert real.exit_code == 0, real.output
    assert "Removed 1 of 1 upload(s)" in real.output
    assert _row(db, media_attachments, upload) is None


def _local(db: Database, name: str) -> int:
    return db.run_sync(
        lambda tx: core_accounts.create_local(tx, name, f"{name}@example.com", "pw-long-enough")[0]
    )
