"""A link preview card's image, cached: fetched once, checked and shrunk like any remote
image, stored in the media store and shown from here.

As for other servers' media (`core.remote_media`): readers' browsers do not tell the linked
site what they read, and the file goes through the upload pipeline's checks (magic bytes,
size and pixel caps before decoding, metadata stripped). Only the small rendition is kept
(Mastodon's 640x360 worth of pixels: a card shows a thumbnail), with its blurhash and, for a
`link` card, its size as the card's `width` and `height` (as Mastodon sets them). Until it is
cached, or when PNYX_REMOTE_MEDIA_CACHE is off, or when the file is refused, the card shows
the image's origin (`image_remote_url` keeps it).

The fetch is the `cards.fetch` job's, after the card is saved; `pending` says what to fetch
and `store_fetched` keeps it only if the card still wants that image.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass

import sqlalchemy as sa

from pnyx.core import image_processing, media
from pnyx.core.image_processing import MediaRefused
from pnyx.core.media_store import store_for
from pnyx.db.engine import Database, Tx
from pnyx.db.tables import preview_cards

log = logging.getLogger("pnyx.core.card_images")

PREFIX = media.CARD_PREFIX


@dataclass(frozen=True)
class Pending:
    card_id: int
    url: str


def pending(db: Database, card_id: int) -> Pending | None:
    """The image card `card_id` still wants cached, if any."""

    def read(tx: Tx) -> Pending | None:
        if not tx.settings.remote_media_cache:
            return None
        row = tx.one_or_none(sa.select(preview_cards).where(preview_cards.c.id == card_id))
        if row is None or not row.image_remote_url or row.image_key:
            return None
        return Pending(row.id, row.image_remote_url)

    return db.run_sync(read, write=False)


def store_fetched(db: Database, item: Pending, data: bytes) -> bool:
    """Check and shrink the fetched image, store it and point the card at it; False when the
    file is refused or the card no longer wants it (then nothing stays in the store)."""
    settings = db.settings
    try:
        if image_processing.sniff(data) is None:
            raise MediaRefused("not an image")
        with media.DECODING:
            processed = image_processing.process(settings, data)
    except MediaRefused as exc:
        log.info("card image %s refused: %s", item.url, exc)
        return False
    small = processed.small or processed.original
    store = store_for(settings)
    key = f"{PREFIX}{item.card_id}/{secrets.token_hex(8)}/small.{small.extension}"
    store.put(key, small.data, small.content_type)

    def save(tx: Tx) -> bool:
        row = tx.one_or_none(sa.select(preview_cards).where(preview_cards.c.id == item.card_id))
        if row is None or row.image_remote_url != item.url or row.image_key:
            return False
        values = {
            "image_key": key,
            "image_url": store.url(key),
            "image_size": len(small.data),
            "blurhash": processed.blurhash,
        }
        if row.type == "link":
            values.update(width=small.width, height=small.height)
        tx.execute(
            preview_cards.update().where(preview_cards.c.id == item.card_id).values(**values)
        )
        return True

    try:
        saved = db.run_sync(save)
    except BaseException:
        store.delete(key)
        raise
    if not saved:
        store.delete(key)
    return saved
