"""Media stores: local files under PNYX_DATA_DIR/media, or an S3-compatible bucket.

Both fit `pnyx.core.media_store.MediaStore`; `store_for(settings)` picks one (S3 when
PNYX_S3_BUCKET is set) and keeps it for the process, since an S3 client is costly to make.
"""

from __future__ import annotations

import threading

from pnyx.config import Settings
from pnyx.core.media_store import MediaStore
from pnyx.storage.local import LocalStore

_stores: dict[tuple, MediaStore] = {}
_lock = threading.Lock()


def _identity(settings: Settings) -> tuple:
    return (
        settings.base_url,
        settings.data_dir,
        settings.s3_bucket,
        settings.s3_endpoint,
        settings.s3_region,
        settings.s3_access_key,
        settings.s3_secret_key,
        settings.s3_public_url,
    )


def store_for(settings: Settings) -> MediaStore:
    key = _identity(settings)
    with _lock:
        store = _stores.get(key)
        if store is None:
            store = _stores[key] = _s3(settings) if settings.s3_bucket else LocalStore(settings)
        return store


def _s3(settings: Settings) -> MediaStore:
    # Imported only when a bucket is configured: boto3 and botocore hold ~26 MB of every
    # process that loads them, a quarter of an idle `pnyx serve` (bench/media.py).
    from pnyx.storage.s3 import S3Store

    return S3Store.from_settings(settings)
