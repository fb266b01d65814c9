"""Web Push end to end: a real `pnyx serve`, apps subscribing with Mastodon.py (and raw HTTP
for the standard format), and a push service of our own on loopback that receives what the
server sends and decrypts it with the keys the test made.

The server runs no job workers of its own (PNYX_JOB_WORKERS=0): the test runs the due jobs
with `registry.drain` on the server's database, so each push is sent exactly when the test
says, and "nothing was sent" is a fact of the queue, not a wait.
"""

from __future__ import annotations

import base64
import json
import os
import queue
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import http_ece
import httpx
import pytest
import sqlalchemy as sa
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from mastodon import Mastodon
from py_vapid import Vapid01, Vapid02

from pnyx import registry
from pnyx.config import Settings
from pnyx.db.engine import Database
from pnyx.db.tables import jobs
from server import PnyxServer

PG_URL = os.environ.get("PNYX_TEST_DATABASE_URL", "")
PASSWORD = "correct horse battery staple"
SCOPES = ["read", "write", "follow", "push"]


class PushService:
    """A push service on loopback: records every POST; answers 410 under /gone/, 503 under
    /busy/, else 201."""

    def __init__(self) -> None:
        self.received: queue.Queue[tuple[str, dict[str, str], bytes]] = queue.Queue()
        service = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length)
                headers = {k.lower(): v for k, v in self.headers.items()}
                service.received.put((self.path, headers, body))
                status = 201
                if self.path.startswith("/gone/"):
                    status = 410
                elif self.path.startswith("/busy/"):
                    status = 503
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}{path}"

    def taken(self) -> list[tuple[str, dict[str, str], bytes]]:
        """Everything received so far (the jobs that sent it have run: drain returned)."""
        out = []
        while not self.received.empty():
            out.append(self.received.get_nowait())
        return out

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture(scope="module", params=["sqlite"] + (["postgres"] if PG_URL else []))
def server(request, tmp_path_factory):
    data_dir = tmp_path_factory.mktemp(f"pnyx-push-{request.param}")
    instance = PnyxServer(
        data_dir,
        backend=request.param,
        postgres_url=PG_URL or None,
        env={"PNYX_JOB_WORKERS": "0"},
    )
    with instance:
        yield instance


@pytest.fixture(scope="module")
def db(server):
    database = Database(
        Settings(
            domain=server.domain,
            scheme="http",
            database_url=server.database_url,
            allow_private_addresses=True,
        )
    )
    yield database
    database.dispose()


@pytest.fixture(scope="module")
def push_service():
    service = PushService()
    yield service
    service.close()


@pytest.fixture(scope="module")
def app_keys(server):
    return Mastodon.create_app(
        "Pnyx push e2e",
        scopes=SCOPES,
        redirect_uris="urn:ietf:wg:oauth:2.0:oob",
        api_base_url=server.base_url,
    )


def person(server, app_keys) -> Mastodon:
    name = f"p{uuid.uuid4().hex[:10]}"
    server.create_user(name, f"{name}@example.com", PASSWORD)
    api = Mastodon(
        client_id=app_keys[0],
        client_secret=app_keys[1],
        api_base_url=server.base_url,
        version_check_mode="none",
        request_timeout=60,
    )
    api.log_in(f"{name}@example.com", PASSWORD, scopes=SCOPES, allow_http=True)
    return api


def run_jobs(db: Database) -> None:
    registry.drain(db)


def _b64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def test_legacy_push_decrypted_with_mastodon_py(server, db, push_service, app_keys):
    alice, bob = person(server, app_keys), person(server, app_keys)
    private, public = alice.push_subscription_generate_keys()
    sub = alice.push_subscription_set(
        push_service.url("/alice"),
        public,
        mention_events=True,
        favourite_events=False,
    )
    assert sub.alerts.mention is True and sub.alerts.favourite is False
    server_key = httpx.get(server.url("/api/v2/instance")).json()["configuration"]["vapid"]
    assert sub.server_key == server_key["public_key"]
    run_jobs(db)
    push_service.taken()  # anything earlier tests left

    # A favourite: not among the alerts, nothing is sent.
    mine = alice.status_post("something to like")
    bob.status_favourite(mine.id)
    run_jobs(db)
    assert push_service.taken() == []

    bob.status_post(f"@{alice.me().acct} are you there?")
    run_jobs(db)
    received = push_service.taken()
    assert [path for path, _, _ in received] == ["/alice"]
    _, headers, body = received[0]
    assert headers["content-encoding"] == "aesgcm"
    assert int(headers["ttl"]) > 0 and headers["urgency"] == "normal"
    assert headers["authorization"].startswith("WebPush ")
    p256ecdsa = headers["crypto-key"].split("p256ecdsa=")[1].split(";")[0]
    assert p256ecdsa == sub.server_key
    assert Vapid01.verify(p256ecdsa, headers["authorization"])

    payload = alice.push_subscription_decrypt_push(
        body, private, headers["encryption"], headers["crypto-key"]
    )
    notification = alice.notifications(types=["mention"])[0]
    assert payload.notification_type == "mention"
    assert str(payload.notification_id) == str(notification.id)
    assert payload.access_token == alice.access_token
    assert payload.preferred_locale
    assert bob.me().username in payload.title
    assert payload.body == f"@{alice.me().username} are you there?"
    assert payload.icon.startswith("http")


def test_standard_push_aes128gcm(server, db, push_service, app_keys):
    carol, dave = person(server, app_keys), person(server, app_keys)
    key = ec.generate_private_key(ec.SECP256R1())
    point = key.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    secret = os.urandom(16)
    answer = httpx.post(
        server.url("/api/v1/push/subscription"),
        headers={"Authorization": f"Bearer {carol.access_token}"},
        data={
            "subscription[endpoint]": push_service.url("/carol"),
            "subscription[keys][p256dh]": base64.urlsafe_b64encode(point).decode().rstrip("="),
            "subscription[keys][auth]": base64.urlsafe_b64encode(secret).decode().rstrip("="),
            "subscription[standard]": "true",
            "data[alerts][follow]": "true",
            "data[policy]": "all",
        },
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["standard"] is True
    run_jobs(db)
    push_service.taken()

    dave.account_follow(carol.me().id)
    run_jobs(db)
    received = push_service.taken()
    assert [path for path, _, _ in received] == ["/carol"]
    _, headers, body = received[0]
    assert headers["content-encoding"] == "aes128gcm"
    scheme, _, params = headers["authorization"].partition(" ")
    assert scheme == "vapid"
    fields = dict(part.split("=", 1) for part in params.split(","))
    assert fields["k"] == answer.json()["server_key"]
    assert Vapid02.verify(headers["authorization"])
    plain = http_ece.decrypt(body, private_key=key, auth_secret=secret, version="aes128gcm")
    payload = json.loads(plain)
    assert payload["notification_type"] == "follow"
    assert payload["access_token"] == carol.access_token
    assert str(payload["notification_id"]) == str(carol.notifications()[0].id)
    assert dave.me().username in payload["title"]


def test_gone_subscription_is_removed(server, db, push_service, app_keys):
    erin, fred = person(server, app_keys), person(server, app_keys)
    _, public = erin.push_subscription_generate_keys()
    erin.push_subscription_set(push_service.url("/gone/erin"), public, mention_events=True)
    run_jobs(db)
    push_service.taken()
    fred.status_post(f"@{erin.me().acct} hello")
    run_jobs(db)
    assert [path for path, _, _ in push_service.taken()] == ["/gone/erin"]
    answer = httpx.get(
        server.url("/api/v1/push/subscription"),
        headers={"Authorization": f"Bearer {erin.access_token}"},
    )
    assert answer.status_code == 404
    fred.status_post(f"@{erin.me().acct} still there?")
    run_jobs(db)
    assert push_service.taken() == []


def test_busy_push_service_is_retried_later(server, db, push_service, app_keys):
    gina, hugo = person(server, app_keys), person(server, app_keys)
    _, public = gina.push_subscription_generate_keys()
    gina.push_subscription_set(push_service.url("/busy/gina"), public, mention_events=True)
    run_jobs(db)
    push_service.taken()
    hugo.status_post(f"@{gina.me().acct} hello")
    run_jobs(db)
    assert [path for path, _, _ in push_service.taken()] == ["/busy/gina"]

    def waiting(tx):
        return tx.rows(
            sa.select(jobs.c.attempts, jobs.c.last_error, jobs.c.failed_at).where(
                jobs.c.kind == "web_push.deliver"
            )
        )

    [job] = db.run_sync(waiting)
    assert job.attempts == 1 and job.failed_at is None and "503" in job.last_error
    answer = httpx.get(
        server.url("/api/v1/push/subscription"),
        headers={"Authorization": f"Bearer {gina.access_token}"},
    )
    assert answer.status_code == 200  # kept: the service may take it next time
