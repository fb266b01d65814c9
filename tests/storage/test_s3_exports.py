"""An export with its parts in an S3-compatible bucket (a real `moto_server`): the media files
are streamed from the bucket into the zip, the part is streamed into the bucket and back out
to its owner, and the sweep removes it from the bucket once expired."""

from __future__ import annotations

import io
import zipfile
from datetime import timedelta

from starlette.testclient import TestClient

from images import jpeg_with_gps
from pnyx.core.exports import records
from pnyx.db.tables import account_exports
from pnyx.portability import archive
from storage.test_s3 import BUCKET, bucket, keys, s3_app, s3_endpoint  # noqa: F401 - fixtures


def test_an_export_in_the_bucket(s3_app, bucket, make_user):  # noqa: F811
    db = s3_app.state.db
    alice = make_user("alice")
    with TestClient(s3_app, base_url="https://pnyx.test") as client:
        media = client.post(
            "/api/v1/media",
            files={"file": ("photo.jpg", jpeg_with_gps(), "image/jpeg")},
            headers=alice.headers,
        ).json()
        client.post(
            "/api/v1/statuses",
            json={"status": "from the bucket", "media_ids": [media["id"]]},
            headers=alice.headers,
        )
        asked = client.post("/api/v1/pnyx/exports", headers=alice.headers).json()
        done = archive.build(db, int(asked["id"]))
        [part] = done.parts
        assert part.key in keys(bucket)
        download = client.get(f"/api/v1/pnyx/exports/{asked['id']}/parts/1", headers=alice.headers)
        assert download.status_code == 200 and len(download.content) == part.size
        files = zipfile.ZipFile(io.BytesIO(download.content))
        [path] = [n for n in files.namelist() if n.startswith("media_attachments/")]
        original = [k for k in keys(bucket) if k.startswith(f"media_attachments/{media['id']}/")]
        stored = [bucket.get_object(Bucket=BUCKET, Key=k)["Body"].read() for k in original]
        assert files.read(path) in stored

        db.run_sync(
            lambda tx: tx.execute(
                account_exports.update()
                .where(account_exports.c.id == done.id)
                .values(expires_at=tx.now - timedelta(seconds=1))
            )
        )
        assert records.sweep(db) == 1
        assert part.key not in keys(bucket)
        gone = client.get(f"/api/v1/pnyx/exports/{asked['id']}/parts/1", headers=alice.headers)
        assert gone.status_code == 410
