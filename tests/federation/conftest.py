"""Fixtures shared by the federation tests that talk to a stand-in server on loopback."""

from __future__ import annotations

import pytest

from pnyx.db.engine import Database

from .peer import Peer


@pytest.fixture
def local_db(settings, app) -> Database:
    """The test database, with settings that may reach loopback (where the stand-in runs)."""
    db = Database(settings.with_overrides(allow_private_addresses=True, scheme="http"))
    yield db
    db.dispose()


@pytest.fixture
def peer():
    """A signing stand-in for another server, with one account, `taka`."""
    server = Peer("taka")
    yield server
    server.close()
