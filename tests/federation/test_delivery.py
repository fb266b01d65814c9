"""Delivery jobs against a stand-in remote server on loopback: what is retried, what is not,
and servers that keep failing.

The `deliver` job function and the worker loop are the real ones; the remote end is a plain
HTTP server in this test answering what each case needs.
"""

from __future__ import annotations

import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import sqlalchemy as sa

from pnyx import registry
from pnyx.core import keys
from pnyx.db.engine import Database
from pnyx.db.tables import domains, jobs
from pnyx.federation import delivery, signatures
from pnyx.jobs import worker
from pnyx.jobs.queue import enqueue
from server import free_port


class Remote:
    """Answers every POST with `status`, after checking its signature with `public_pem`."""

    def __init__(self):
        self.port = free_port()
        self.status = 202
        self.public_pem = ""
        self.received: list[tuple[str, bool]] = []  # (path, signature verified)
        remote = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                try:
                    signatures.verify_request(
                        method="POST",
                        path=self.path,
                        headers=dict(self.headers),
                        body=body,
                        public_key_pem=remote.public_pem,
                        scheme="http",
                    )
                    verified = True
                except signatures.SignatureError:
                    verified = False
                remote.received.append((self.path, verified))
                self.send_response(remote.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.http = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.http.daemon_threads = True
        threading.Thread(target=self.http.serve_forever, daemon=True).start()

    @property
    def domain(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def inbox(self) -> str:
        return f"http://{self.domain}/inbox"


@pytest.fixture
def remote():
    server = Remote()
    yield server
    server.http.shutdown()


@pytest.fixture
def local_db(settings, make_user, app) -> Database:
    """The test database, with settings that may reach loopback (where the stand-in runs)."""
    db = Database(settings.with_overrides(allow_private_addresses=True, scheme="http"))
    yield db
    db.dispose()


def _payload(db, account_id: int, inbox: str) -> dict:
    return {
        "inbox": inbox,
        "account_id": account_id,
        "activity": {"id": "https://pnyx.test/activity/1", "type": "Create"},
    }


@pytest.fixture
def alice(make_user, local_db, remote):
    account_id = make_user("alice").account_id
    remote.public_pem = local_db.run_sync(keys.ensure_keypair, account_id).public_pem
    return account_id


def test_an_accepted_delivery_is_signed_and_clears_failures(local_db, remote, alice):
    local_db.run_sync(delivery.record_failure, remote.domain)
    delivery.deliver(local_db, _payload(local_db, alice, remote.inbox))
    assert remote.received == [("/inbox", True)]
    row = local_db.run_sync(
        lambda tx: tx.one_or_none(sa.select(domains).where(domains.c.domain == remote.domain))
    )
    assert row.failures == 0 and row.last_success_at is not None


def test_a_refusal_is_not_retried_but_a_server_error_is(local_db, remote, alice):
    remote.status = 403
    with pytest.raises(worker.PermanentError):
        delivery.deliver(local_db, _payload(local_db, alice, remote.inbox))
    remote.status = 503
    with pytest.raises(RuntimeError):
        delivery.deliver(local_db, _payload(local_db, alice, remote.inbox))
    remote.status = 429  # busy: worth another try
    with pytest.raises(RuntimeError):
        delivery.deliver(local_db, _payload(local_db, alice, remote.inbox))


def test_through_the_worker_retries_are_scheduled_and_refusals_kept(local_db, remote, alice):
    remote.status = 500
    local_db.run_sync(
        lambda tx: enqueue(tx, "deliver", _payload(local_db, alice, remote.inbox), max_attempts=16)
    )
    assert worker.run_one(local_db, "test-worker", registry.JOBS)
    job = local_db.run_sync(lambda tx: tx.one_or_none(sa.select(jobs)))
    assert job.failed_at is None and job.attempts == 1 and job.run_at > job.created_at
    assert "500" in job.last_error

    remote.status = 410
    local_db.run_sync(lambda tx: tx.execute(jobs.update().values(run_at=tx.now)))
    assert worker.run_one(local_db, "test-worker", registry.JOBS)
    job = local_db.run_sync(lambda tx: tx.one_or_none(sa.select(jobs)))
    assert job.failed_at is not None and "410" in job.last_error  # kept, not retried


def test_a_server_down_for_days_is_skipped_until_heard_from(local_db, remote, alice):
    port = free_port()  # nobody listens there
    down = f"127.0.0.1:{port}"
    for _ in range(3):
        with pytest.raises(RuntimeError):
            delivery.deliver(local_db, _payload(local_db, alice, f"http://{down}/inbox"))

    def fail_later(tx, days: int):
        return delivery.record_failure(tx, down, now=tx.now + timedelta(days=days))

    for _ in range(delivery.UNAVAILABLE_FAILURES):
        assert local_db.run_sync(fail_later, 1) is False  # many failures, but not for long
    assert local_db.run_sync(fail_later, 4) is True  # failing for days: unavailable
    assert local_db.run_sync(delivery.is_unavailable, down)
    # Skipped without a request (the job ends quietly).
    delivery.deliver(local_db, _payload(local_db, alice, f"http://{down}/inbox"))
    # Anything heard from that server (the inbox calls mark_available) makes it available.
    local_db.run_sync(delivery.mark_available, down)
    assert not local_db.run_sync(delivery.is_unavailable, down)
