"""The `media.cache_remote` job: another server's images fetched into our media store.

Core decided what to fetch (`core.remote_media.pending`) and keeps the rules of what is
stored (`store_fetched`: the upload pipeline, the row still wanting it). This module only
fetches, with the safe client: no private, loopback or link-local address unless
PNYX_ALLOW_PRIVATE_ADDRESSES, the image size cap while the body streams in, a deadline and
a redirect cap. A file that cannot be fetched or is refused stays shown from its origin; a
transient failure is not retried for ever (one attempt per stored post or account).
"""

from __future__ import annotations

import logging
from typing import Any

from pnyx.core import remote_media
from pnyx.db.engine import Database
from pnyx.federation.fetch import FetchError, RemoteClient

log = logging.getLogger("pnyx.federation.media_cache")

IMAGE_ACCEPT = "image/avif, image/webp, image/png, image/jpeg, image/gif, */*;q=0.5"


def cache_remote(db: Database, payload: dict[str, Any]) -> None:
    items = remote_media.pending(db, payload)
    if not items:
        return
    settings = db.settings
    with RemoteClient(settings, timeout=30.0, max_bytes=settings.max_image_bytes) as client:
        for item in items:
            try:
                response = client.get(item.url, accept=IMAGE_ACCEPT)
            except FetchError as exc:
                log.info("not cached: %s %s (%s)", item.kind, item.url, exc)
                continue
            remote_media.store_fetched(db, item, response.body)
