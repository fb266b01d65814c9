"""Delivery jobs against a stand-in remote server on loopback: what is retried, what is not,
and servers that keep failing.

The `deliver` job function and the worker loop are the real ones; the remote end is a plain
HTTP server in this test answering what each case needs.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import sqlalchemy as sa

import factories
from pnyx import registry
from pnyx.core import follows, keys, statuses
from pnyx.core.statuses import StatusInput
from pnyx.db.engine import Database
from pnyx.db.tables import accounts, domains, jobs
from pnyx.db.types import utcnow
from pnyx.federation import delivery, signatures
from pnyx.jobs import queue, worker
from pnyx.jobs.queue import enqueue
from server import free_port


class Remote:
    """Answers every POST with `status`, after checking its signature with `public_pem`."""

    def __init__(self):
        self.port = free_port()
        self.status = 202
        self.retry_after: str | None = None  # a Retry-After header to answer with
        self.public_pem = ""
        self.received: list[tuple[str, bool]] = []  # (path, signature verified)
        self.hold = threading.Event()  # set: requests wait for `release` before answering
        self.release = threading.Event()
        self.in_flight = threading.Semaphore(0)  # one release per request held
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
                if remote.hold.is_set():
                    remote.in_flight.release()
                    remote.release.wait(30)
                self.send_response(remote.status)
                if remote.retry_after is not None:
                    self.send_header("Retry-After", remote.retry_after)
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
    server.release.set()
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


def _one_job(db):
    return db.run_sync(lambda tx: tx.one_or_none(sa.select(jobs)), write=False)


def test_a_busy_server_is_not_waited_for_and_the_attempt_not_counted(local_db, remote, alice):
    """Two deliveries already in flight to the server (the most one process sends it at
    once): a third is put back a little later at once, without using one of its attempts."""
    remote.hold.set()
    in_flight = [
        threading.Thread(
            target=delivery.deliver, args=(local_db, _payload(local_db, alice, remote.inbox))
        )
        for _ in range(delivery.PER_SERVER)
    ]
    for thread in in_flight:
        thread.start()
    for _ in in_flight:
        assert remote.in_flight.acquire(timeout=30)
    local_db.run_sync(
        lambda tx: enqueue(tx, "deliver", _payload(local_db, alice, remote.inbox), max_attempts=16)
    )
    assert worker.run_one(
        local_db, "test-worker", registry.JOBS
    )  # returns while the two are still held
    job = _one_job(local_db)
    assert job.attempts == 0 and job.failed_at is None and job.locked_by is None
    assert job.run_at > utcnow() + timedelta(seconds=delivery.BUSY_DELAY - 2)
    assert len(remote.received) == delivery.PER_SERVER  # the third was not sent

    remote.release.set()
    for thread in in_flight:
        thread.join(30)
    remote.hold.clear()
    local_db.run_sync(lambda tx: tx.execute(jobs.update().values(run_at=tx.now)))
    assert worker.run_one(local_db, "test-worker", registry.JOBS)
    assert _one_job(local_db) is None and len(remote.received) == delivery.PER_SERVER + 1


@pytest.mark.parametrize("status", [429, 503])
def test_retry_after_in_seconds_is_honoured(local_db, remote, alice, status):
    remote.status, remote.retry_after = status, "100"
    local_db.run_sync(
        lambda tx: enqueue(tx, "deliver", _payload(local_db, alice, remote.inbox), max_attempts=16)
    )
    assert worker.run_one(local_db, "test-worker", registry.JOBS)
    job = _one_job(local_db)
    assert job.attempts == 1 and job.failed_at is None
    # Not after the first backoff's 15 s: after the 100 s the server asked for.
    assert job.run_at >= utcnow() + timedelta(seconds=95), job.run_at - utcnow()


def test_retry_after_as_a_date_is_honoured_up_to_the_ceiling(local_db, remote, alice):
    remote.status = 503
    in_an_hour = datetime.now(UTC) + timedelta(hours=1)
    remote.retry_after = format_datetime(in_an_hour, usegmt=True)
    local_db.run_sync(
        lambda tx: enqueue(tx, "deliver", _payload(local_db, alice, remote.inbox), max_attempts=16)
    )
    assert worker.run_one(local_db, "test-worker", registry.JOBS)
    job = _one_job(local_db)
    assert job.run_at >= in_an_hour - timedelta(seconds=1)

    remote.retry_after = format_datetime(datetime.now(UTC) + timedelta(days=9), usegmt=True)
    local_db.run_sync(lambda tx: tx.execute(jobs.update().values(run_at=tx.now)))
    assert worker.run_one(local_db, "test-worker", registry.JOBS)
    job = _one_job(local_db)
    assert job.attempts == 2
    assert utcnow() + timedelta(hours=11) < job.run_at <= utcnow() + timedelta(hours=12)


def test_a_retry_after_that_says_nothing_usable_leaves_the_backoff(local_db, remote, alice):
    remote.status, remote.retry_after = 429, "soon"
    local_db.run_sync(
        lambda tx: enqueue(tx, "deliver", _payload(local_db, alice, remote.inbox), max_attempts=16)
    )
    assert worker.run_one(local_db, "test-worker", registry.JOBS)
    job = _one_job(local_db)
    assert job.attempts == 1 and job.run_at < utcnow() + timedelta(seconds=30)


def test_a_federate_job_taken_over_is_rendered_once(local_db, remote, alice):
    """A worker stalls past its lease with a `federate` job and another worker takes the job
    over and runs it; when the first one resumes, its run is rolled back: one delivery per
    inbox, each activity rendered (and its id minted) once."""
    zed = factories.remote_account(local_db, "zed", remote.domain)

    def follower(tx):
        tx.execute(accounts.update().where(accounts.c.id == zed).values(inbox_url=remote.inbox))
        follows.follow(tx, zed, alice)

    local_db.run_sync(follower)
    local_db.run_sync(lambda tx: tx.execute(jobs.delete()))  # the follow's own jobs
    local_db.run_sync(statuses.create, alice, StatusInput(text="once", visibility="public"))
    assert worker.run_one(local_db, "test-worker", registry.JOBS)  # the event: -> `federate`
    (stalled,) = local_db.run_sync(queue.claim, "stalled-worker")
    assert stalled.kind == "federate"
    local_db.run_sync(lambda tx: tx.execute(jobs.update().values(locked_until=utcnow())))
    assert worker.run_one(
        local_db, "live-worker", registry.JOBS, ("default",)
    )  # takes it over, runs it
    worker.run_claimed(local_db, stalled, registry.JOBS)  # the stalled worker resumes
    kinds = local_db.run_sync(lambda tx: tx.scalars(sa.select(jobs.c.kind)))
    assert kinds == ["deliver"]


def test_deliveries_to_a_slow_server_do_not_hold_up_incoming_work(local_db, remote, alice):
    """A process with two job threads, twenty deliveries due to a server that does not answer
    and then one job for incoming work: the thread kept off deliveries runs it while the
    other is stuck in a delivery (before that delivery's 10 s deadline frees it)."""
    remote.hold.set()
    local_db.run_sync(
        lambda tx: [
            enqueue(tx, "deliver", _payload(local_db, alice, remote.inbox), max_attempts=16)
            for _ in range(20)
        ]
    )
    assert local_db.run_sync(
        lambda tx: queue.enqueue(tx, "mentions.resolve", {"status_id": 1, "uris": []})
    )
    pool = registry.worker_pool(local_db, 2).start()
    try:
        assert remote.in_flight.acquire(timeout=30)  # a delivery is stuck at the server

        def kinds() -> list[str]:
            return local_db.run_sync(lambda tx: tx.scalars(sa.select(jobs.c.kind)), write=False)

        for _ in range(300):
            if "mentions.resolve" not in kinds():
                break
            threading.Event().wait(0.05)
        errors = local_db.run_sync(
            lambda tx: tx.scalars(
                sa.select(jobs.c.last_error).where(jobs.c.last_error.is_not(None))
            )
        )
        assert "mentions.resolve" not in kinds() and errors == []
        assert len(remote.received) == 1  # the other thread never took a delivery
    finally:
        remote.release.set()
        pool.stop()
