"""Media in an S3-compatible bucket (AWS, MinIO, Garage, R2, Ceph ...), through boto3.

Browsers fetch the files from the bucket (or a CDN in front of it, PNYX_S3_PUBLIC_URL), not
through Pnyx: the objects are written with their type and long cache headers, and the bucket
must be publicly readable (a bucket policy; ACLs are not sent, as several stores refuse them).
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from pnyx.config import Settings
from pnyx.core.media_store import CHUNK

CACHE_CONTROL = "public, max-age=31536000, immutable"


class S3Store:
    def __init__(self, client, bucket: str, public_url: str) -> None:
        self.client = client
        self.bucket = bucket
        self.public_url = public_url.rstrip("/")

    @classmethod
    def from_settings(cls, settings: Settings) -> S3Store:
        endpoint = settings.s3_endpoint or None
        client = boto3.client(
            "s3",
            endpoint_url=endpoint,
            region_name=settings.s3_region or "us-east-1",
            aws_access_key_id=settings.s3_access_key or None,
            aws_secret_access_key=settings.s3_secret_key or None,
            # Path-style addressing works with every S3-compatible store (virtual hosts need
            # DNS for each bucket); a few retries, then the error is the job's.
            config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 3}),
        )
        public = settings.s3_public_url
        if not public:
            base = endpoint or f"https://s3.{settings.s3_region or 'us-east-1'}.amazonaws.com"
            public = f"{base.rstrip('/')}/{settings.s3_bucket}"
        return cls(client, settings.s3_bucket, public)

    def put(self, key: str, data: bytes, content_type: str) -> None:
        self.client.put_object(
            Bucket=self.bucket,
            Key=key,
            Body=data,
            ContentType=content_type,
            CacheControl=CACHE_CONTROL,
        )

    def put_file(self, key: str, path: str | os.PathLike[str], content_type: str) -> None:
        # boto3's managed transfer: read from disk in parts (a multipart upload past 8 MB).
        self.client.upload_file(
            os.fspath(path),
            self.bucket,
            key,
            ExtraArgs={"ContentType": content_type, "CacheControl": CACHE_CONTROL},
        )

    def _object(self, key: str):
        try:
            return self.client.get_object(Bucket=self.bucket, Key=key)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
                return None
            raise

    def get(self, key: str) -> bytes | None:
        answer = self._object(key)
        return None if answer is None else answer["Body"].read()

    def open(self, key: str) -> Iterator[bytes] | None:
        answer = self._object(key)
        return None if answer is None else _chunks(answer["Body"])

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=key)

    def url(self, key: str) -> str:
        return f"{self.public_url}/{key}"


def _chunks(body) -> Iterator[bytes]:
    """An object's body chunk by chunk; the connection is released at its end or when the
    reader stops early."""
    try:
        yield from body.iter_chunks(CHUNK)
    finally:
        body.close()
