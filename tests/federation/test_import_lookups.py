"""The import job's lookups on other servers: a server that does not answer is asked once per
batch, its other rows failing at once with its reason (Mastodon's stoplight), and the rows of
other servers go on. A closed port on loopback is the server that does not answer."""

from __future__ import annotations

import dataclasses
import socket

import pytest

from pnyx.core import accounts as core_accounts
from pnyx.core.imports import csv_files, csv_rows, runs
from pnyx.db.engine import Database
from pnyx.federation import import_lookups


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def open_db(settings):
    """The test database, with loopback addresses allowed (a local federation setup)."""
    database = Database(dataclasses.replace(settings, allow_private_addresses=True))
    yield database
    database.dispose()


def test_a_server_that_does_not_answer_is_asked_once_per_batch(open_db):
    db = open_db
    me = db.run_sync(
        lambda tx: core_accounts.create_local(tx, "me", "me@example.com", "correct horse")[0]
    )
    db.run_sync(
        lambda tx: core_accounts.create_local(tx, "bob", "bob@example.com", "correct horse")
    )
    silent = f"127.0.0.1:{closed_port()}"
    content = f"a@{silent}\nbob@pnyx.test\nb@{silent}\nhttps://x.example/not-an-address\n"
    rows = csv_files.parse("blocking", content.encode())
    import_id = db.run_sync(runs.create, me, "blocking", "merge", rows)
    import_lookups.run_to_the_end(db, import_id)
    view = db.run_sync(runs.get, me, import_id)
    assert (view.processed, view.imported, view.failed) == (4, 1, 3)
    first, second, third = view.failures
    assert (first.row, second.row, third.row) == (1, 3, 4)
    assert first.reason.startswith(f"{csv_rows.ACCOUNT_NOT_FOUND}: webfinger: network error")
    why = first.reason.removeprefix(f"{csv_rows.ACCOUNT_NOT_FOUND}: ")
    assert second.reason == f"{csv_rows.ACCOUNT_NOT_FOUND}: {silent} did not answer: {why}"
    assert third.reason == csv_rows.NOT_AN_ADDRESS
