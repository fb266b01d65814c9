"""Delivery under faults: a receiving server that is down, and a worker killed mid-delivery.

Both use real `pnyx serve` processes. The second uses a stand-in remote server on loopback (a
plain HTTP server in this test) that holds the first delivery open, so that the worker can be
killed while the request is in flight.
"""

from __future__ import annotations

import json
import os
import signal
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import sqlalchemy as sa

from pnyx.config import Settings
from pnyx.core import follows, remote_store
from pnyx.db.engine import Database
from pnyx.db.tables import accounts, jobs
from server import PnyxServer, free_port

from .people import eventually, find_in_home, login


def database_of(server: PnyxServer) -> Database:
    return Database(Settings(domain=server.domain, scheme="http", database_url=server.database_url))


def test_a_server_that_was_down_gets_the_post_when_it_is_back(tmp_path):
    a = PnyxServer(tmp_path / "a").start()
    b = PnyxServer(tmp_path / "b").start()
    try:
        alice, bob = login(a, "alice").api, login(b, "bob")
        alice_there = bob.api.account_lookup(f"alice@{a.domain}")
        bob.api.account_follow(alice_there["id"])
        assert eventually(lambda: bob.api.account_relationships(alice_there["id"])[0]["following"])

        b.pause()
        word = f"meanwhile{uuid.uuid4().hex[:8]}"
        alice.status_post(word)
        db = database_of(a)

        def failed_once():
            return db.run_sync(
                lambda tx: tx.scalar(
                    sa.select(sa.func.count()).where(
                        jobs.c.kind == "deliver", jobs.c.last_error.is_not(None)
                    )
                )
            )

        assert eventually(failed_once), "the delivery never failed while B was down"
        db.dispose()
        b.resume()
        # The retry comes after the first backoff (15 s and a little jitter).
        assert eventually(lambda: find_in_home(bob, word), attempts=600), a.logs()[-3000:]
    finally:
        b.stop()
        a.stop()


class Peer:
    """A stand-in remote server: records every POST; holds the first Create open until
    released, to let the test kill the worker mid-delivery."""

    def __init__(self):
        self.port = free_port()
        self.received: list[tuple[str, str, int]] = []  # (type, id, status answered)
        self.holding = threading.Event()
        self.release = threading.Event()
        self.hold_next_create = True
        peer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                activity = json.loads(body)
                if activity.get("type") == "Create" and peer.hold_next_create:
                    peer.hold_next_create = False
                    peer.received.append((activity["type"], activity["id"], 0))
                    peer.holding.set()
                    peer.release.wait(60)
                    return  # no answer: the connection just ends
                peer.received.append((activity["type"], activity["id"], 202))
                self.send_response(202)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.http = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.http.daemon_threads = True
        threading.Thread(target=self.http.serve_forever, daemon=True).start()

    @property
    def domain(self) -> str:
        return f"127.0.0.1:{self.port}"

    def close(self):
        self.release.set()
        self.http.shutdown()


PG_URL = os.environ.get("PNYX_TEST_DATABASE_URL", "")


@pytest.mark.parametrize("backend", ["sqlite", "postgres"] if PG_URL else ["sqlite"])
def test_a_worker_killed_mid_delivery_delivers_once_in_effect(tmp_path, backend):
    """A worker killed with a delivery in flight: after its lease (short here; a live worker
    would keep extending it) a new worker POSTs the same activity under the same id."""
    peer = Peer()
    a = PnyxServer(
        tmp_path / "a",
        backend=backend,
        env={"PNYX_JOB_WORKERS": "0", "PNYX_JOB_LEASE_SECONDS": "12"},
    ).start()
    worker = a.popen_cli("worker")
    try:
        alice = login(a, "alice").api
        db = database_of(a)

        def remote_follower(tx):
            zed = remote_store.store_account(
                tx,
                remote_store.IncomingAccount(
                    uri=f"http://{peer.domain}/users/zed",
                    username="zed",
                    domain=peer.domain,
                    inbox_url=f"http://{peer.domain}/users/zed/inbox",
                ),
            )
            alice_id = tx.scalar(sa.select(accounts.c.id).where(accounts.c.username == "alice"))
            follows.follow(tx, zed, alice_id, uri=f"http://{peer.domain}/follows/1")

        db.run_sync(remote_follower)
        word = f"inflight{uuid.uuid4().hex[:8]}"
        post = alice.status_post(word)
        assert peer.holding.wait(30), "the delivery never reached the peer"
        os.killpg(worker.pid, signal.SIGKILL)  # the worker dies with the request in flight
        worker.wait(10)
        peer.release.set()

        worker = a.popen_cli("worker")  # a new worker takes the job over once its lease ends
        create_id = post["uri"] + "/activity"

        def delivered():
            return [r for r in peer.received if r[1] == create_id and r[2] == 202]

        assert eventually(delivered, attempts=400), peer.received
        time.sleep(1)
        creates = [r for r in peer.received if r[1] == create_id]
        # Sent twice at most (once cut off, once answered), always under the same id, so the
        # receiver keeps it once; answered exactly once.
        assert len(delivered()) == 1 and len(creates) <= 2, creates

        def left():
            return db.run_sync(
                lambda tx: tx.scalar(sa.select(sa.func.count()).where(jobs.c.kind == "deliver"))
            )

        assert eventually(lambda: left() == 0)
        db.dispose()
    finally:
        if worker.poll() is None:
            os.killpg(worker.pid, signal.SIGKILL)
        peer.close()
        a.stop()


@pytest.fixture(autouse=True)
def _no_leftover_env(monkeypatch):
    monkeypatch.delenv("PNYX_JOB_WORKERS", raising=False)
