"""Media in an S3-compatible store: a real `moto_server` process on loopback, reached by boto3
over HTTP exactly as a bucket elsewhere would be (upload, the URL browsers fetch, delete)."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import boto3
import httpx
import pytest
from botocore.exceptions import ClientError
from starlette.testclient import TestClient

from images import jpeg_with_gps, metadata_of
from pnyx import registry
from pnyx.app import create_app
from server import free_port

BUCKET = "pnyx-media"
PUBLIC_READ = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": "*",
            "Action": "s3:GetObject",
            "Resource": f"arn:aws:s3:::{BUCKET}/*",
        }
    ],
}


@pytest.fixture(scope="module")
def s3_endpoint():
    port = free_port()
    executable = Path(sys.executable).parent / "moto_server"
    process = subprocess.Popen(
        [str(executable), "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    endpoint = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):  # bounded: about 20 s on a busy machine
            try:
                httpx.get(endpoint + "/moto-api/", timeout=1.0)
                break
            except httpx.TransportError:
                time.sleep(0.1)
        else:
            pytest.fail("moto_server did not start")
        yield endpoint
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture
def bucket(s3_endpoint):
    client = boto3.client(
        "s3",
        endpoint_url=s3_endpoint,
        region_name="us-east-1",
        aws_access_key_id="test-key",
        aws_secret_access_key="test-secret",
    )
    client.create_bucket(Bucket=BUCKET)
    # As the README asks of operators: anyone may read the bucket's files.
    client.put_bucket_policy(Bucket=BUCKET, Policy=json.dumps(PUBLIC_READ))
    yield client
    for item in client.list_objects_v2(Bucket=BUCKET).get("Contents", []):
        client.delete_object(Bucket=BUCKET, Key=item["Key"])
    client.delete_bucket(Bucket=BUCKET)


@pytest.fixture
def s3_app(settings, s3_endpoint, bucket):
    s3_settings = settings.with_overrides(
        s3_bucket=BUCKET,
        s3_endpoint=s3_endpoint,
        s3_region="us-east-1",
        s3_access_key="test-key",
        s3_secret_key="test-secret",
    )
    return create_app(s3_settings, run_workers=False, migrate=False)


def keys(client) -> list[str]:
    return sorted(i["Key"] for i in client.list_objects_v2(Bucket=BUCKET).get("Contents", []))


def test_uploads_go_to_the_bucket_and_are_served_from_it(s3_app, bucket, s3_endpoint, make_user):
    alice = make_user("alice")
    with TestClient(s3_app, base_url="https://pnyx.test") as client:
        response = client.post(
            "/api/v1/media",
            files={"file": ("photo.jpg", jpeg_with_gps(), "image/jpeg")},
            data={"description": "in the bucket"},
            headers=alice.headers,
        )
        assert response.status_code == 200, response.text
        entity = response.json()
        stored = keys(bucket)
        assert len(stored) == 2
        assert (
            entity["url"] == f"{s3_endpoint}/{BUCKET}/{[k for k in stored if 'original' in k][0]}"
        )
        assert entity["preview_url"].startswith(f"{s3_endpoint}/{BUCKET}/")

        fetched = httpx.get(entity["url"])  # what a browser does: straight from the store
        assert fetched.status_code == 200
        assert fetched.headers["content-type"] == "image/jpeg"
        assert metadata_of(fetched.content)["gps"] == {}
        head = bucket.head_object(Bucket=BUCKET, Key=stored[0])
        assert "max-age=31536000" in head["CacheControl"]
        # Pnyx does not serve the bucket's files itself.
        assert client.get("/system/media/" + stored[0]).status_code == 404

        # v2: the file as sent waits in the bucket for the job, then gives way to the image.
        queued = client.post(
            "/api/v2/media",
            files={"file": ("photo.jpg", jpeg_with_gps(), "image/jpeg")},
            headers=alice.headers,
        )
        assert queued.status_code == 202
        assert any(k.endswith("/upload") for k in keys(bucket))
        registry.drain(s3_app.state.db)
        assert not any(k.endswith("/upload") for k in keys(bucket))
        assert len(keys(bucket)) == 4

        for media_id in (entity["id"], queued.json()["id"]):
            assert (
                client.delete(f"/api/v1/media/{media_id}", headers=alice.headers).status_code == 200
            )
        registry.drain(s3_app.state.db)
        assert keys(bucket) == []
        with pytest.raises(ClientError):
            bucket.head_object(Bucket=BUCKET, Key=stored[0])
