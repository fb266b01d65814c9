"""Cleaning the media store: uploads nobody posted, and remote files cached too long ago.

As Mastodon does (`tootctl media remove`, `media remove-orphans`): an upload still attached
to nothing a day after it was made goes, row and files; a cached copy of another server's
image goes once older than PNYX_REMOTE_MEDIA_MAX_AGE_DAYS (its row stays, shown from its
origin again, and is fetched again if its post or account is stored again; a link preview
card's image counts from when its page was last fetched); and while the
cache holds more than PNYX_REMOTE_MEDIA_MAX_BYTES the oldest cached files go first.

A file still referenced is never removed: what `plan` finds is only a proposal, and `apply`
changes each row under the same conditions it was found by (an upload attached to a post in
between is kept), then removes the files of the rows it changed, after that commit. Run by
`pnyx media prune` (with a progress bar and `--dry-run`) and by the `media.prune` job, which
runs every hour and schedules its next run.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from pnyx.core import profile_media
from pnyx.core.media_store import store_for
from pnyx.db.engine import Database, Tx
from pnyx.db.tables import accounts, media_attachments, preview_cards
from pnyx.db.types import utcnow
from pnyx.jobs.queue import enqueue

PRUNE_JOB = "media.prune"
INTERVAL = timedelta(hours=1)
ORPHAN_AGE = timedelta(days=1)  # Mastodon's: an upload not posted within a day is removed
BATCH = 100
UPLOAD, REMOTE_ATTACHMENT, REMOTE_ACCOUNT = "upload", "remote attachment", "remote account"
REMOTE_CARD = "link card image"
_ACCOUNT_KEYS = ("avatar_key", "avatar_static_key", "header_key", "header_static_key")


@dataclass(frozen=True)
class Removal:
    """Files to remove and the row they belong to: an unposted upload (the row goes too), or
    a cached copy of a remote attachment or of a remote account's images (the row stays)."""

    what: str
    row_id: int
    keys: tuple[str, ...]
    size: int


def _cached_attachments() -> sa.ColumnElement[bool]:
    return sa.and_(
        media_attachments.c.remote_url.is_not(None), media_attachments.c.file_key.is_not(None)
    )


def _cached_accounts() -> sa.ColumnElement[bool]:
    return sa.and_(
        accounts.c.domain.is_not(None),
        sa.or_(*(accounts.c[name].is_not(None) for name in _ACCOUNT_KEYS)),
    )


def _cached_cards() -> sa.ColumnElement[bool]:
    return preview_cards.c.image_key.is_not(None)


def _card_removal(row: Any) -> Removal:
    return Removal(REMOTE_CARD, row.id, (row.image_key,), int(row.image_size or 0))


def _attachment_removal(what: str, row: Any) -> Removal:
    keys = tuple(k for k in (row.file_key, row.preview_key, row.upload_key) if k)
    return Removal(what, row.id, keys, int(row.file_size or 0))


def _account_removal(row: Any) -> Removal:
    keys = tuple(getattr(row, name) for name in _ACCOUNT_KEYS if getattr(row, name))
    return Removal(REMOTE_ACCOUNT, row.id, keys, int(row.images_size or 0))


def plan(db: Database, now: datetime | None = None) -> list[Removal]:
    """What a prune would remove now."""
    now = now or utcnow()
    settings = db.settings
    expired = now - timedelta(days=settings.remote_media_max_age_days)

    def read(tx: Tx) -> list[Removal]:
        uploads = tx.rows(
            sa.select(media_attachments).where(
                media_attachments.c.status_id.is_(None),
                media_attachments.c.remote_url.is_(None),
                media_attachments.c.created_at < now - ORPHAN_AGE,
            )
        )
        remote = tx.rows(
            sa.select(media_attachments).where(
                _cached_attachments(), media_attachments.c.created_at < expired
            )
        )
        profiles = tx.rows(
            sa.select(accounts).where(_cached_accounts(), accounts.c.images_cached_at < expired)
        )
        cards = tx.rows(
            sa.select(preview_cards).where(_cached_cards(), preview_cards.c.fetched_at < expired)
        )
        return [
            *(_attachment_removal(UPLOAD, row) for row in uploads),
            *(_attachment_removal(REMOTE_ATTACHMENT, row) for row in remote),
            *(_account_removal(row) for row in profiles),
            *(_card_removal(row) for row in cards),
        ]

    return db.run_sync(read, write=False)


def _apply_one(tx: Tx, removal: Removal) -> bool:
    """Change the row if it is still as it was found; True when its files are to go."""
    if removal.what == UPLOAD:
        table = media_attachments
        done = tx.execute(
            table.delete().where(
                table.c.id == removal.row_id,
                table.c.status_id.is_(None),
                table.c.remote_url.is_(None),
            )
        )
    elif removal.what == REMOTE_ATTACHMENT:
        table = media_attachments
        done = tx.execute(
            table.update()
            .where(table.c.id == removal.row_id, table.c.file_key == removal.keys[0])
            .values(file_key=None, preview_key=None, url=None, preview_url=None, file_size=None)
        )
    elif removal.what == REMOTE_CARD:
        done = tx.execute(
            preview_cards.update()
            .where(
                preview_cards.c.id == removal.row_id,
                preview_cards.c.image_key == removal.keys[0],
            )
            .values(image_key=None, image_size=None, image_url=preview_cards.c.image_remote_url)
        )
    else:
        columns: dict[str, Any] = {name: None for name in _ACCOUNT_KEYS}
        for kind in profile_media.KINDS:
            columns[f"{kind}_url"] = accounts.c[f"{kind}_remote_url"]
            columns[f"{kind}_static_url"] = None
        current = [accounts.c[name] for name in _ACCOUNT_KEYS]
        done = tx.execute(
            accounts.update()
            .where(
                accounts.c.id == removal.row_id,
                sa.or_(*(column.in_(removal.keys) for column in current)),
            )
            .values(**columns, images_size=None, images_cached_at=None)
        )
    return bool(done.rowcount)


def apply(
    db: Database,
    removals: Sequence[Removal],
    progress: Callable[[int], None] | None = None,
) -> int:
    """Carry out `removals` in batches; the number actually made (a row changed meanwhile
    is left as it is)."""
    store = store_for(db.settings)
    made = 0
    for start in range(0, len(removals), BATCH):
        batch = removals[start : start + BATCH]
        changed = db.run_sync(lambda tx, batch=batch: [r for r in batch if _apply_one(tx, r)])
        for removal in changed:
            for key in removal.keys:
                store.delete(key)
        made += len(changed)
        if progress is not None:
            progress(len(batch))
    return made


def cached_bytes(db: Database) -> int:
    """Bytes of remote files in the cache (originals of attachments, avatars and headers, link
    cards' images)."""

    def read(tx: Tx) -> int:
        attachments = tx.scalar(
            sa.select(sa.func.coalesce(sa.func.sum(media_attachments.c.file_size), 0)).where(
                _cached_attachments()
            )
        )
        profiles = tx.scalar(
            sa.select(sa.func.coalesce(sa.func.sum(accounts.c.images_size), 0)).where(
                _cached_accounts()
            )
        )
        cards = tx.scalar(
            sa.select(sa.func.coalesce(sa.func.sum(preview_cards.c.image_size), 0)).where(
                _cached_cards()
            )
        )
        return int(attachments or 0) + int(profiles or 0) + int(cards or 0)

    return db.run_sync(read, write=False)


def over_budget(db: Database) -> list[Removal]:
    """The oldest cached remote files whose removal brings the cache under its size cap."""
    excess = cached_bytes(db) - db.settings.remote_media_max_bytes
    if excess <= 0:
        return []

    def read(tx: Tx) -> list[Removal]:
        attachments = tx.rows(
            sa.select(media_attachments)
            .where(_cached_attachments())
            .order_by(media_attachments.c.created_at)
            .limit(10_000)
        )
        profiles = tx.rows(
            sa.select(accounts)
            .where(_cached_accounts())
            .order_by(accounts.c.images_cached_at)
            .limit(10_000)
        )
        cards = tx.rows(
            sa.select(preview_cards)
            .where(_cached_cards())
            .order_by(preview_cards.c.fetched_at)
            .limit(10_000)
        )
        aged = sorted(
            [(row.created_at, _attachment_removal(REMOTE_ATTACHMENT, row)) for row in attachments]
            + [(row.images_cached_at or row.updated_at, _account_removal(row)) for row in profiles]
            + [(row.fetched_at, _card_removal(row)) for row in cards],
            key=lambda pair: pair[0],
        )
        chosen, freed = [], 0
        for _when, removal in aged:
            if freed >= excess:
                break
            chosen.append(removal)
            freed += removal.size
        return chosen

    return db.run_sync(read, write=False)


def evict_over_budget(db: Database) -> int:
    return apply(db, over_budget(db))


def _slot(moment: datetime) -> int:
    return int(moment.timestamp() // INTERVAL.total_seconds())


def schedule(tx: Tx, *, after: datetime | None = None) -> None:
    """The next `media.prune` run: now, or the hour after `after`. Keyed by the hour it runs
    in, so that every process that schedules it (each `pnyx serve` and `pnyx worker` at
    start) adds one run per hour between them, not one each."""
    if after is None:
        slot, run_at = _slot(tx.now), tx.now
    else:
        slot = _slot(after) + 1
        run_at = datetime.fromtimestamp(slot * INTERVAL.total_seconds(), tz=UTC)
    enqueue(tx, PRUNE_JOB, {}, run_at=run_at, unique_key=f"{PRUNE_JOB}:{slot}")


def prune_job(db: Database, payload: dict[str, Any]) -> None:
    """The periodic `media.prune` job: prune, evict past the cap, then schedule the next."""
    apply(db, plan(db))
    evict_over_budget(db)
    db.run_sync(lambda tx: schedule(tx, after=tx.now))
