"""Media uploads: what a person may upload, where its files go, and when it joins a post.

An upload is made before the post that carries it (Mastodon's flow): `upload` checks the file
(`media_files.check`: magic bytes, size, pixel, frame, frame-rate and length caps, before any
decoding) and either processes it at once (`POST /api/v1/media`, as Mastodon does for every
kind: v1 answers with the finished attachment) or stores the file as sent and leaves the
processing to the durable `media.process` job (`POST /api/v2/media`). A refused file leaves
nothing behind: no row, no file. Processing happens outside any transaction (it takes a
while, and SQLite has one writer); the row is written once the files are stored, and the
files are removed again if that fails.

The owner then describes it (`update`: alt text, focal point), attaches up to four to a post
(`for_post`, `attach`, `set_for_status`), or deletes it while it is attached to nothing. The
files of a row that goes (deleted upload, deleted post) are removed by the
`media.remove_files` job, after the commit that removed the row.
"""

from __future__ import annotations

import re
import secrets
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from pnyx.config import Settings
from pnyx.core import media_files
from pnyx.core.errors import CoreError, Invalid, NotFound
from pnyx.core.media_store import MediaStore, store_for
from pnyx.core.media_types import MediaRefused, Processed
from pnyx.db.engine import Database, Tx
from pnyx.db.ids import new_id, parse_id
from pnyx.db.tables import accounts, custom_emojis, media_attachments, preview_cards, statuses
from pnyx.jobs.queue import enqueue

QUEUED, DONE, FAILED = "queued", "done", "failed"
PROCESS_JOB = "media.process"
REMOVE_FILES_JOB = "media.remove_files"
EMOJI_PREFIX = "custom_emojis/"  # custom emojis: custom_emojis/<id>/<token>/<file>
ACCOUNT_PREFIX = "accounts/"  # avatars and headers: accounts/<id>/<kind>/<token>/<file>
CARD_PREFIX = "preview_cards/"  # link cards' images: preview_cards/<id>/<token>/small.<ext>
MAX_ATTACHMENTS = 4  # Mastodon's Status::MEDIA_ATTACHMENTS_LIMIT
FORM_OVERHEAD = 64 * 1024  # room for the multipart framing and the other fields of a form
MAX_DESCRIPTION = 1500  # Mastodon's MediaAttachment::MAX_DESCRIPTION_LENGTH
# Mastodon's words (config/locales/en.yml, media_attachments.validations).
TOO_MANY = "Cannot attach more than 4 files"
NOT_READY = "Cannot attach files that have not finished processing. Try again in a moment!"
IN_USE = "Media attachment is currently used by a status"
# Decoding a large image takes a few hundred megabytes for a moment: at most this many at once
# per process, whoever asks (a v1 upload, a media.process job).
DECODING = threading.BoundedSemaphore(2)
# A video or a GIF is encoded again with two threads, for as long as it lasts: one at a time.
TRANSCODING = threading.BoundedSemaphore(1)
PROCESSING_FAILED = "Error processing thumbnail for uploaded media"


def post_form_limit(settings: Settings) -> int:
    """The largest body of a form that posts with its images (the web's compose form)."""
    return MAX_ATTACHMENTS * settings.max_image_bytes + FORM_OVERHEAD


def not_found_message(ids: Sequence[str]) -> str:
    return f"Media {', '.join(ids)} not found or already attached to another post"


@dataclass(frozen=True)
class Attributes:
    """What the owner says of an upload; None: not given."""

    description: str | None = None
    focus: tuple[float, float] | None = None


def parse_focus(raw: str | None) -> tuple[float, float] | None:
    """Mastodon's "x,y", each from -1.0 to 1.0 (0,0 the centre); empty: not given."""
    if raw is None or not str(raw).strip():
        return None
    parts = str(raw).split(",")
    try:
        x, y = (float(part) for part in parts)
    except ValueError:
        raise Invalid("Focus must be two numbers, x,y") from None
    if not (-1.0 <= x <= 1.0 and -1.0 <= y <= 1.0):
        raise Invalid("Focus must be within -1.0 and 1.0")
    return x, y


def check_description(text: str | None) -> str | None:
    if text is None:
        return None
    cleaned = text.replace("\x00", "").strip()
    if len(cleaned) > MAX_DESCRIPTION:
        raise Invalid(f"Description is too long (maximum is {MAX_DESCRIPTION} characters)")
    return cleaned


def _focus_meta(focus: tuple[float, float]) -> dict[str, float]:
    return {"x": round(focus[0], 2), "y": round(focus[1], 2)}


# --- Upload ---------------------------------------------------------------------------------


def upload(db: Database, account_id: int, data: bytes, attributes: Attributes, *, now: bool) -> int:
    """Store an upload of `account_id`, processed `now` or by the job; returns its id.

    Raises MediaRefused (422) for a file that is refused, before anything is stored."""
    settings = db.settings
    kind = media_files.check(settings, data)
    store = store_for(settings)
    media_id = new_id()
    prefix = f"media_attachments/{media_id}/{secrets.token_hex(8)}"
    description = check_description(attributes.description) or ""
    meta: dict[str, Any] = {"focus": _focus_meta(attributes.focus or (0.0, 0.0))}
    if now:
        processed = process_checked(settings, data)
        stored = store_renditions(store, prefix, processed)
        row = {**done_values(store, stored, processed, meta), "description": description}
    else:
        stored = [f"{prefix}/upload"]
        store.put(stored[0], data, "application/octet-stream")
        row = {
            "type": kind,
            "processing": QUEUED,
            "upload_key": stored[0],
            "meta": meta,
            "description": description,
        }

    def insert(tx: Tx) -> None:
        tx.execute(
            media_attachments.insert().values(
                id=media_id, account_id=account_id, created_at=tx.now, **row
            )
        )
        if not now:
            enqueue(tx, PROCESS_JOB, {"id": media_id}, unique_key=f"{PROCESS_JOB}:{media_id}")

    try:
        db.run_sync(insert)
    except BaseException:
        for key in stored:
            store.delete(key)
        raise
    return media_id


def process_checked(settings: Settings, data: bytes) -> Processed:
    """An upload or a fetched remote file through the pipeline of its kind: images at most
    two at a time, videos and GIFs (encoded again) one at a time."""
    kind = media_files.check(settings, data)
    with DECODING if kind == "image" else TRANSCODING:
        return media_files.process(settings, data)


def store_renditions(store: MediaStore, prefix: str, processed: Processed) -> list[str]:
    """Write the file and its preview (audio has none); if the second fails, the first goes
    too."""
    original = f"{prefix}/original.{processed.original.extension}"
    store.put(original, processed.original.data, processed.original.content_type)
    if processed.small is None:
        return [original]
    small = f"{prefix}/small.{processed.small.extension}"
    try:
        store.put(small, processed.small.data, processed.small.content_type)
    except BaseException:
        store.delete(original)
        raise
    return [original, small]


def done_values(
    store: MediaStore, keys: list[str], processed: Processed, meta: dict[str, Any]
) -> dict[str, Any]:
    original, small = keys[0], (keys[1] if len(keys) > 1 else None)
    return {
        "type": processed.type,
        "processing": DONE,
        "file_key": original,
        "preview_key": small,
        "upload_key": None,
        "url": store.url(original),
        "preview_url": store.url(small) if small else None,
        "content_type": processed.original.content_type,
        "file_size": len(processed.original.data),
        "blurhash": processed.blurhash,
        "meta": {**processed.meta, "focus": meta.get("focus", {"x": 0.0, "y": 0.0})},
    }


def process_job(db: Database, payload: dict[str, Any]) -> None:
    """The `media.process` job: the file as sent -> the stored image, or the row marked failed
    (a file that fooled the checks made at upload). Idempotent: a row no longer queued is left
    as it is, and the files are named by the row, so a retry writes the same keys."""
    media_id = int(payload["id"])
    row = db.run_sync(_get, media_id, write=False)
    if row is None or row.processing != QUEUED or not row.upload_key:
        return
    store = store_for(db.settings)
    data = store.get(row.upload_key)
    processed: Processed | None = None
    if data is not None:
        try:
            processed = process_checked(db.settings, data)
        except MediaRefused:
            processed = None
    if processed is None:
        db.run_sync(_mark_failed, media_id)
        store.delete(row.upload_key)
        return
    prefix = row.upload_key.rsplit("/", 1)[0]
    keys = store_renditions(store, prefix, processed)
    values = done_values(store, keys, processed, dict(row.meta or {}))
    if not db.run_sync(_finish, media_id, values):  # deleted while it was processed
        for key in keys:
            store.delete(key)
    store.delete(row.upload_key)


def _get(tx: Tx, media_id: int) -> Any:
    return tx.one_or_none(sa.select(media_attachments).where(media_attachments.c.id == media_id))


def _mark_failed(tx: Tx, media_id: int) -> None:
    tx.execute(
        media_attachments.update()
        .where(media_attachments.c.id == media_id, media_attachments.c.processing == QUEUED)
        .values(processing=FAILED, upload_key=None)
    )


def _finish(tx: Tx, media_id: int, values: dict[str, Any]) -> bool:
    done = tx.execute(
        media_attachments.update()
        .where(media_attachments.c.id == media_id, media_attachments.c.processing == QUEUED)
        .values(**values)
    )
    return bool(done.rowcount)


def remove_files_job(tx: Tx, payload: dict[str, Any]) -> None:
    """The `media.remove_files` job: the files of rows that are gone (idempotent)."""
    store = store_for(tx.settings)
    for key in payload.get("keys", ()):
        store.delete(key)


def forget_keys(tx: Tx, keys: Sequence[str]) -> None:
    """After this transaction commits, the files under `keys` go (a job, so a rollback keeps
    them)."""
    if keys:
        enqueue(tx, REMOVE_FILES_JOB, {"keys": list(keys)})


def forget_files(tx: Tx, rows: Sequence[Any]) -> None:
    """After this transaction removes `rows`, their files go."""
    forget_keys(tx, [k for r in rows for k in (r.file_key, r.preview_key, r.upload_key) if k])


def forget_files_of_status(tx: Tx, status_id: int) -> None:
    """A post is being deleted: its media rows go with it (cascade), their files after."""
    forget_files(
        tx,
        tx.rows(
            sa.select(
                media_attachments.c.file_key,
                media_attachments.c.preview_key,
                media_attachments.c.upload_key,
            ).where(media_attachments.c.status_id == status_id)
        ),
    )


def release_from_status(tx: Tx, status_id: int) -> None:
    """A post is being deleted but its uploads are kept: they become its author's unattached
    uploads again (files untouched), free for another post."""
    tx.execute(
        media_attachments.update()
        .where(media_attachments.c.status_id == status_id)
        .values(status_id=None)
    )


# --- The owner's changes ------------------------------------------------------------------


def own(tx: Tx, account_id: int, media_id: int) -> Any:
    """An upload of `account_id`; anyone else's is not found."""
    row = _get(tx, media_id)
    if row is None or row.account_id != account_id:
        raise NotFound()
    return row


def shown(tx: Tx, account_id: int, media_id: int) -> Any:
    """GET /api/v1/media/:id: the owner's upload; a failed one says so (422)."""
    row = own(tx, account_id, media_id)
    if row.processing == FAILED:
        raise CoreError(PROCESSING_FAILED)
    return row


def update(tx: Tx, account_id: int, media_id: int, attributes: Attributes) -> Any:
    """Alt text and focal point of an upload not yet attached (an attached one is changed
    through its post's edit, `media_attributes`)."""
    row = own(tx, account_id, media_id)
    if row.status_id is not None:
        raise NotFound()
    _describe(tx, row, attributes)
    return _get(tx, media_id)


def _describe(tx: Tx, row: Any, attributes: Attributes) -> None:
    values: dict[str, Any] = {}
    description = check_description(attributes.description)
    if description is not None:
        values["description"] = description
    if attributes.focus is not None:
        values["meta"] = {**(row.meta or {}), "focus": _focus_meta(attributes.focus)}
    if values:
        tx.execute(
            media_attachments.update().where(media_attachments.c.id == row.id).values(**values)
        )


def delete(tx: Tx, account_id: int, media_id: int) -> None:
    """Delete an upload attached to nothing (an attached one goes with its post)."""
    row = own(tx, account_id, media_id)
    if row.status_id is not None or row.scheduled_status_id is not None:
        raise CoreError(IN_USE)
    tx.execute(media_attachments.delete().where(media_attachments.c.id == media_id))
    forget_files(tx, [row])


# --- Media of posts -----------------------------------------------------------------------


def for_post(
    tx: Tx, account_id: int, raw_ids: Sequence[str], status_id: int | None = None
) -> list[Any]:
    """The uploads a post is to carry, in the order given, checked as Mastodon checks them:
    at most four, each the author's, attached to nothing else (or to this post, for an
    edit), and processed."""
    wanted: list[int] = []
    unknown: list[str] = []
    for raw in dict.fromkeys(str(r).strip() for r in raw_ids if str(r).strip()):
        parsed = parse_id(raw)
        if parsed is None:
            unknown.append(raw)
        else:
            wanted.append(parsed)
    if len(wanted) + len(unknown) > MAX_ATTACHMENTS:
        raise CoreError(TOO_MANY)
    if not wanted and not unknown:
        return []
    # Free: on no post, and not reserved for a post scheduled for later.
    free: sa.ColumnElement[bool] = sa.and_(
        media_attachments.c.status_id.is_(None),
        media_attachments.c.scheduled_status_id.is_(None),
    )
    if status_id is not None:
        free = sa.or_(free, media_attachments.c.status_id == status_id)
    found = {
        row.id: row
        for row in tx.rows(
            sa.select(media_attachments).where(
                media_attachments.c.id.in_(wanted),
                media_attachments.c.account_id == account_id,
                free,
            )
        )
    }
    unknown += [str(i) for i in wanted if i not in found]
    if unknown:
        raise CoreError(not_found_message(unknown))
    rows = [found[i] for i in wanted]
    if any(row.processing != DONE for row in rows):
        raise CoreError(NOT_READY)
    return rows


def attach(tx: Tx, status_id: int, rows: Sequence[Any]) -> None:
    for position, row in enumerate(rows):
        tx.execute(
            media_attachments.update()
            .where(media_attachments.c.id == row.id)
            .values(status_id=status_id, position=position)
        )


def set_for_status(
    tx: Tx,
    status_id: int,
    rows: Sequence[Any] | None,
    described: Sequence[tuple[int, Attributes]] = (),
) -> None:
    """An edit: the post now carries `rows` (None: the same as before); those it no longer
    carries go back to their owner unattached. Then `described` changes the alt text and focal
    point of media the post carries."""
    if rows is not None:
        kept = [row.id for row in rows]
        detach = media_attachments.update().where(media_attachments.c.status_id == status_id)
        if kept:
            detach = detach.where(media_attachments.c.id.not_in(kept))
        tx.execute(detach.values(status_id=None, position=0))
        attach(tx, status_id, rows)
        tx.execute(statuses.update().where(statuses.c.id == status_id).values(has_media=bool(rows)))
    for media_id, attributes in described:
        row = _get(tx, media_id)
        if row is not None and row.status_id == status_id:
            _describe(tx, row, attributes)


# What keys are made of (`media_attachments/<id>/<random hex>/<name>.<ext>`, and the
# accounts' images).
_KEY = re.compile(r"[A-Za-z0-9_./-]{1,512}")
_TYPES = {"jpg": "image/jpeg", "png": "image/png", "gif": "image/gif", "webp": "image/webp"}


def _type_of(key: str) -> str:
    return _TYPES.get(key.rsplit(".", 1)[-1], "application/octet-stream")


def served(tx: Tx, key: str) -> str | None:
    """The content type of a file we show, by its key: a file of a processed upload or of a
    cached remote attachment, an account's avatar or header, or a link card's image. None for
    any other key (the file as sent, a failed upload, a key of nothing): those are never
    served. A key that is not one we could have made (other characters, a NUL that would
    upset PostgreSQL, `..`) is not even looked up."""
    if not _KEY.fullmatch(key) or ".." in key:
        return None
    if key.startswith(ACCOUNT_PREFIX):
        return _type_of(key) if _account_holds(tx, key) else None
    if key.startswith(CARD_PREFIX):  # a link preview card's cached image (core.card_images)
        found = tx.scalar(sa.select(preview_cards.c.id).where(preview_cards.c.image_key == key))
        return _type_of(key) if found is not None else None
    if key.startswith(EMOJI_PREFIX):
        return _type_of(key) if _emoji_holds(tx, key) else None
    row = tx.one_or_none(
        sa.select(media_attachments.c.file_key, media_attachments.c.content_type).where(
            sa.or_(media_attachments.c.file_key == key, media_attachments.c.preview_key == key),
            media_attachments.c.processing == DONE,
        )
    )
    if row is None:
        return None
    if key == row.file_key:
        return row.content_type or "application/octet-stream"
    return _type_of(key)


def _account_holds(tx: Tx, key: str) -> bool:
    """`accounts/<id>/...`: one of that account's current image files?"""
    account_id = parse_id(key.split("/")[1]) if key.count("/") >= 2 else None
    if account_id is None:
        return False
    images = (
        accounts.c.avatar_key,
        accounts.c.avatar_static_key,
        accounts.c.header_key,
        accounts.c.header_static_key,
    )
    row = tx.one_or_none(sa.select(*images).where(accounts.c.id == account_id))
    return row is not None and key in tuple(row)


def _emoji_holds(tx: Tx, key: str) -> bool:
    """`custom_emojis/<id>/...`: one of that emoji's current files?"""
    emoji_id = parse_id(key.split("/")[1]) if key.count("/") >= 2 else None
    if emoji_id is None:
        return False
    files = (custom_emojis.c.file_key, custom_emojis.c.static_key)
    row = tx.one_or_none(sa.select(*files).where(custom_emojis.c.id == emoji_id))
    return row is not None and key in tuple(row)
