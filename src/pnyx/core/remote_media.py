"""Remote media and avatars, cached: fetched once, checked and processed like an upload,
stored in the media store and shown from here.

Another server's attachments and avatars are shown from our store rather than their origin:
readers' browsers do not tell every remote server what they read, and a file is checked by
the same pipeline as an upload (magic bytes, size, pixel and frame caps before decoding, all
metadata stripped, a preview and a blurhash made here). `remote_url` keeps where it came from,
as Mastodon does, and until it is cached (or when the cache is off, PNYX_REMOTE_MEDIA_CACHE)
the origin is shown.

When a remote post or account is stored, `schedule_*` adds a durable `media.cache_remote` job
in that transaction; the fetch is never made inside it. The job is federation's (it owns the
safe HTTP client: no private address unless PNYX_ALLOW_PRIVATE_ADDRESSES, capped sizes and
time): it asks `pending` what to fetch and hands each body to `store_fetched`, which
processes it outside any transaction and points the row at the files only if the row still
wants them (a post edited or deleted meanwhile keeps nothing). Past the cache's total size
(PNYX_REMOTE_MEDIA_MAX_BYTES) the oldest cached files are removed by the hourly `media.prune`
job (`media_prune.evict_over_budget`): summing the cache is a scan, too costly per fetch.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from pnyx.core import custom_emojis, media, profile_media
from pnyx.core.image_processing import MediaRefused
from pnyx.core.media_store import store_for
from pnyx.db.engine import Database, Tx
from pnyx.db.tables import accounts, media_attachments
from pnyx.jobs.queue import enqueue

log = logging.getLogger("pnyx.core.remote_media")

CACHE_JOB = "media.cache_remote"
ATTACHMENT, ACCOUNT, EMOJI = "attachment", "account", "emoji"


@dataclass(frozen=True)
class Pending:
    """One remote file to fetch: of an attachment (`kind` "image"), or an account's avatar
    or header (`kind` "avatar", "header")."""

    owner: str  # ATTACHMENT, ACCOUNT or EMOJI (`kind` "emoji")
    owner_id: int
    kind: str
    url: str


def schedule_attachments(tx: Tx, ids: list[int]) -> None:
    """After this transaction stores remote attachments `ids`, cache their images."""
    if not tx.settings.remote_media_cache:
        return
    for media_id in ids:
        key = f"{CACHE_JOB}:{ATTACHMENT}:{media_id}"
        enqueue(tx, CACHE_JOB, {ATTACHMENT: media_id}, unique_key=key)


def schedule_emojis(tx: Tx, ids: list[int]) -> None:
    """After this transaction stores remote custom emojis `ids`, cache their images."""
    if not tx.settings.remote_media_cache:
        return
    for emoji_id in ids:
        key = f"{CACHE_JOB}:{EMOJI}:{emoji_id}"
        enqueue(tx, CACHE_JOB, {EMOJI: emoji_id}, unique_key=key)


def schedule_account(tx: Tx, account_id: int) -> None:
    """After this transaction stores a remote account, cache its avatar and header if they
    are not cached yet."""
    if not tx.settings.remote_media_cache:
        return
    row = tx.one_or_none(sa.select(accounts).where(accounts.c.id == account_id))
    if row is None or row.domain is None:
        return
    if _account_pending(row):
        key = f"{CACHE_JOB}:{ACCOUNT}:{account_id}"
        enqueue(tx, CACHE_JOB, {ACCOUNT: account_id}, unique_key=key)


def account_image_values(tx: Tx, existing: Any, avatar: str | None, header: str | None) -> dict:
    """The image columns of a remote account stored again: an image whose origin did not
    change keeps what we cached of it; a new or gone one shows its origin (or nothing) and
    our old files of it are removed after commit."""
    origins = {profile_media.AVATAR: avatar, profile_media.HEADER: header}
    if existing is not None and all(
        getattr(existing, f"{kind}_remote_url") == url for kind, url in origins.items()
    ):
        return {}
    # One changed: both are fetched again (cheap), so that images_size stays exact.
    values: dict[str, Any] = {"images_size": None, "images_cached_at": None}
    for kind, url in origins.items():
        values.update(profile_media.columns(kind, None))
        values[f"{kind}_remote_url"] = url
        values[f"{kind}_url"] = url
    if existing is not None:
        media.forget_keys(tx, profile_media.old_keys(existing, profile_media.KINDS))
    return values


def _account_pending(row: Any) -> list[Pending]:
    return [
        Pending(ACCOUNT, row.id, kind, getattr(row, f"{kind}_remote_url"))
        for kind in profile_media.KINDS
        if getattr(row, f"{kind}_remote_url") and not getattr(row, f"{kind}_key")
    ]


def pending(db: Database, payload: dict[str, Any]) -> list[Pending]:
    """What a `media.cache_remote` job still has to fetch (nothing once done: idempotent)."""

    def read(tx: Tx) -> list[Pending]:
        if not tx.settings.remote_media_cache:
            return []
        if ATTACHMENT in payload:
            row = tx.one_or_none(
                sa.select(media_attachments).where(
                    media_attachments.c.id == int(payload[ATTACHMENT])
                )
            )
            if row is None or not row.remote_url or row.file_key or row.type != "image":
                return []  # gone, cached, or not an image (video is shown from its origin)
            return [Pending(ATTACHMENT, row.id, "image", row.remote_url)]
        if EMOJI in payload:
            emoji = custom_emojis.cache_pending(tx, int(payload[EMOJI]))
            return (
                [] if emoji is None else [Pending(EMOJI, emoji.id, EMOJI, emoji.image_remote_url)]
            )
        row = tx.one_or_none(sa.select(accounts).where(accounts.c.id == int(payload[ACCOUNT])))
        if row is None or row.domain is None:
            return []
        return _account_pending(row)

    return db.run_sync(read, write=False)


def store_fetched(db: Database, item: Pending, data: bytes) -> bool:
    """Process a fetched file like an upload and point its row at it; False when the file is
    refused or the row no longer wants it (then nothing stays in the store)."""
    settings = db.settings
    store = store_for(settings)
    token = secrets.token_hex(8)
    try:
        if item.owner == ATTACHMENT:
            processed = media.process_checked(settings, data)
            keys = media.store_renditions(
                store, f"media_attachments/{item.owner_id}/{token}", processed
            )
            values = media.done_values(store, keys, processed, {})
            del values["processing"], values["type"]
        elif item.owner == EMOJI:
            stored = custom_emojis.store_cached(settings, item.owner_id, data)
            keys = [k for k in (stored.key, stored.static_key) if k]
        else:
            image = profile_media.process(settings, item.kind, data)
            prefix = f"{media.ACCOUNT_PREFIX}{item.owner_id}/{item.kind}/{token}"
            stored = profile_media.store_image(settings, prefix, item.kind, image)
            keys = [k for k in (stored.key, stored.static_key) if k]
    except MediaRefused as exc:
        log.info("remote %s %s refused: %s", item.kind, item.url, exc)
        return False

    def save(tx: Tx) -> bool:
        if item.owner == ATTACHMENT:
            return _save_attachment(tx, item, values)
        if item.owner == EMOJI:
            return custom_emojis.save_cached(tx, item.owner_id, item.url, stored)
        return _save_account_image(tx, item, stored)

    try:
        saved = db.run_sync(save)
    except BaseException:
        for key in keys:
            store.delete(key)
        raise
    if not saved:
        for key in keys:
            store.delete(key)
    return saved


def _save_attachment(tx: Tx, item: Pending, values: dict[str, Any]) -> bool:
    row = tx.one_or_none(
        sa.select(media_attachments).where(media_attachments.c.id == item.owner_id)
    )
    if row is None or row.remote_url != item.url or row.file_key:
        return False
    # The focal point and alt text are the author's; sizes and blurhash are what we made.
    meta = {**values.pop("meta"), **{k: v for k, v in (row.meta or {}).items() if k == "focus"}}
    blurhash = row.blurhash or values.pop("blurhash")
    values.pop("blurhash", None)
    tx.execute(
        media_attachments.update()
        .where(media_attachments.c.id == item.owner_id)
        .values(**values, meta=meta, blurhash=blurhash)
    )
    return True


def _save_account_image(tx: Tx, item: Pending, image: profile_media.StoredImage) -> bool:
    row = tx.one_or_none(sa.select(accounts).where(accounts.c.id == item.owner_id))
    if row is None or getattr(row, f"{item.kind}_remote_url") != item.url:
        return False
    if getattr(row, f"{item.kind}_key"):
        return False
    tx.execute(
        accounts.update()
        .where(accounts.c.id == item.owner_id)
        .values(
            **profile_media.columns(item.kind, image),
            images_size=(row.images_size or 0) + image.size,
            images_cached_at=tx.now,
        )
    )
    return True
