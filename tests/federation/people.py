"""People on real test servers, logged in with Mastodon.py, and patient checks.

Delivery between servers is asynchronous (jobs), so tests poll with `eventually`: a bounded
number of attempts with a short pause, never an assertion on time itself.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from mastodon import Mastodon

from server import PnyxServer

PASSWORD = "correct horse battery staple"
SCOPES = ["read", "write", "follow", "push"]


@dataclass
class Person:
    username: str
    server: PnyxServer
    api: Mastodon
    id: str

    @property
    def handle(self) -> str:
        return f"{self.username}@{self.server.domain}"


def eventually(check, attempts: int = 150, pause: float = 0.1):
    """Poll until `check()` returns something truthy; return it (or the last falsy value)."""
    result = None
    for _ in range(attempts):
        result = check()
        if result:
            return result
        time.sleep(pause)
    return result


def login(server: PnyxServer, username: str) -> Person:
    """Create the user with the CLI, register an app and log in by password."""
    server.create_user(username, f"{username}@example.com", PASSWORD)
    client_id, client_secret = Mastodon.create_app(
        "Pnyx federation test", scopes=SCOPES, api_base_url=server.base_url
    )
    api = Mastodon(
        client_id=client_id,
        client_secret=client_secret,
        api_base_url=server.base_url,
        version_check_mode="none",
        request_timeout=60,
    )
    api.log_in(
        username=f"{username}@example.com", password=PASSWORD, scopes=SCOPES, allow_http=True
    )
    return Person(username, server, api, str(api.account_verify_credentials()["id"]))


def find_in_home(person: Person, word: str):
    """The first status in the person's home timeline whose content has `word`, or None."""
    for status in person.api.timeline_home(limit=40):
        if word in status["content"]:
            return status
    return None


@contextmanager
def two_servers(tmp_path_factory, name: str) -> Iterator[tuple[PnyxServer, PnyxServer]]:
    """Servers A (SQLite) and B (PostgreSQL when PNYX_TEST_DATABASE_URL is set, else SQLite),
    running for the block: federation is tested across both kinds of storage."""
    pg_url = os.environ.get("PNYX_TEST_DATABASE_URL", "")
    a = PnyxServer(tmp_path_factory.mktemp(f"{name}-a"), backend="sqlite")
    b = PnyxServer(
        tmp_path_factory.mktemp(f"{name}-b"),
        backend="postgres" if pg_url else "sqlite",
        postgres_url=pg_url or None,
    )
    a.start()
    try:
        b.start()
        try:
            yield a, b
        finally:
            b.stop()
    finally:
        a.stop()
