"""Avatars and headers of local accounts: uploaded, cropped, stored, replaced and removed.

An image is checked and processed like any upload (`image_processing`: magic bytes, size,
pixel and frame caps before decoding, metadata stripped), then cropped to Mastodon's boxes:
avatars 400x400, headers 1500x500. An animated GIF stays animated and gets a still first
frame (`avatar_static`, `header_static`). The files are written before the transaction that
points the account at them (`prepare`, outside any transaction: processing takes a while),
and removed again if it fails (`discard`). The files an account stops using are removed by
the `media.remove_files` job after that transaction commits (`media.forget_keys`).
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from pnyx.config import Settings
from pnyx.core import events, image_processing, media
from pnyx.core.errors import Invalid, NotFound
from pnyx.core.image_processing import ProfileImage
from pnyx.core.media_store import store_for
from pnyx.db.engine import Tx
from pnyx.db.tables import accounts

AVATAR, HEADER = "avatar", "header"
KINDS = (AVATAR, HEADER)
# Mastodon's Account::Avatar and Account::Header geometries.
BOXES = {AVATAR: (400, 400), HEADER: (1500, 500)}


def form_limit(settings: Settings) -> int:
    """The largest body of a profile form carrying an avatar and a header at their cap."""
    return max(settings.max_request_bytes, 2 * settings.max_profile_image_bytes) + (
        media.FORM_OVERHEAD
    )


@dataclass(frozen=True)
class StoredImage:
    """Files written for an avatar or header, not yet the account's."""

    kind: str
    key: str
    static_key: str | None
    url: str
    static_url: str
    size: int


def key_columns(kind: str) -> tuple[str, str]:
    return f"{kind}_key", f"{kind}_static_key"


def store_image(settings: Settings, prefix: str, kind: str, image: ProfileImage) -> StoredImage:
    """Write the renditions of `image` under `prefix`; if the second fails, the first goes."""
    store = store_for(settings)
    key = f"{prefix}/original.{image.original.extension}"
    store.put(key, image.original.data, image.original.content_type)
    static_key = None
    size = len(image.original.data)
    if image.static is not None:
        static_key = f"{prefix}/static.{image.static.extension}"
        try:
            store.put(static_key, image.static.data, image.static.content_type)
        except BaseException:
            store.delete(key)
            raise
        size += len(image.static.data)
    url = store.url(key)
    return StoredImage(
        kind, key, static_key, url, store.url(static_key) if static_key else url, size
    )


def process(settings: Settings, kind: str, data: bytes) -> ProfileImage:
    """The checked and cropped image (MediaRefused, 422, for a file that is refused)."""
    if kind not in BOXES:
        raise Invalid(f"Unknown profile image {kind}")
    image_processing.probe(settings, data)  # refuse before waiting for a decoding slot
    with media.DECODING:
        return image_processing.process_profile(settings, data, BOXES[kind])


def prepare(settings: Settings, account_id: int, kind: str, data: bytes) -> StoredImage:
    """Check, process and store an upload for `account_id`'s `kind`, outside any transaction."""
    image = process(settings, kind, data)
    prefix = f"{media.ACCOUNT_PREFIX}{account_id}/{kind}/{secrets.token_hex(8)}"
    return store_image(settings, prefix, kind, image)


def discard(settings: Settings, images: Iterable[StoredImage | None]) -> None:
    """Files written by `prepare` for a change that did not happen."""
    store = store_for(settings)
    for image in images:
        if image is not None:
            for key in (image.key, image.static_key):
                if key:
                    store.delete(key)


def columns(kind: str, image: StoredImage | None) -> dict[str, Any]:
    """The account's columns for `kind` showing `image` (None: no image, the default shown)."""
    key, static_key = key_columns(kind)
    return {
        f"{kind}_url": image.url if image else None,
        f"{kind}_static_url": image.static_url if image else None,
        key: image.key if image else None,
        static_key: image.static_key if image else None,
    }


def old_keys(account: Any, kinds: Iterable[str]) -> list[str]:
    """The store keys of `account`'s current files of `kinds`."""
    return [k for kind in kinds for k in (getattr(account, c) for c in key_columns(kind)) if k]


def set_images(tx: Tx, account: Any, images: dict[str, StoredImage | None]) -> dict[str, Any]:
    """The column values that point `account` at `images` (by kind; None removes it); its
    previous files are removed after commit."""
    values: dict[str, Any] = {}
    for kind, image in images.items():
        values.update(columns(kind, image))
    media.forget_keys(tx, old_keys(account, images))
    return values


def remove(tx: Tx, account_id: int, kind: str) -> Any:
    """DELETE /api/v1/profile/avatar|header: back to the default image (a no-op without one)."""
    if kind not in BOXES:
        raise NotFound()
    account = tx.one_or_none(
        sa.select(accounts).where(accounts.c.id == account_id, accounts.c.domain.is_(None))
    )
    if account is None:
        raise NotFound()
    if getattr(account, f"{kind}_url") is None and getattr(account, f"{kind}_key") is None:
        return account
    values = set_images(tx, account, {kind: None})
    tx.execute(
        accounts.update().where(accounts.c.id == account_id).values(**values, updated_at=tx.now)
    )
    events.record(tx, events.AccountUpdated(account_id))
    return account
