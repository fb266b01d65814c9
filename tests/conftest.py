"""Shared fixtures: every storage test runs on SQLite, and on PostgreSQL when
PNYX_TEST_DATABASE_URL is set (CI sets it).

Each pytest-xdist worker gets its own PostgreSQL database (created on first use) and its own
SQLite template; every test starts from an empty, fully migrated schema.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass

import pytest
import sqlalchemy as sa
from starlette.testclient import TestClient

from pnyx.app import create_app
from pnyx.config import Settings
from pnyx.core import accounts as core_accounts
from pnyx.core import oauth as core_oauth
from pnyx.core import row_cache
from pnyx.db.engine import Database, create_db_engine, normalize_url
from pnyx.db.migrate import upgrade
from pnyx.db.tables import metadata

PG_URL = os.environ.get("PNYX_TEST_DATABASE_URL", "")
BACKENDS = ["sqlite"] + (["postgres"] if PG_URL else [])


def _worker() -> str:
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


_pg_ready: dict[str, str] = {}


def _postgres_url() -> str:
    """A migrated database of this worker's own, created on first use."""
    worker = _worker()
    if worker in _pg_ready:
        return _pg_ready[worker]
    base = sa.engine.make_url(normalize_url(PG_URL))
    name = f"{base.database or 'pnyx_test'}_{worker}"
    admin = sa.create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    admin.dispose()
    url = base.set(database=name).render_as_string(hide_password=False)
    engine = create_db_engine(url)
    upgrade(engine)
    engine.dispose()
    _pg_ready[worker] = url
    return url


_sqlite_template: dict[str, str] = {}


def _sqlite_url(tmp_path) -> str:
    worker = _worker()
    if worker not in _sqlite_template:
        # Inside this run's base temp dir: a template left by an earlier run may predate a migration.
        template_dir = tmp_path.parent / f"sqlite-template-{worker}"
        template_dir.mkdir(parents=True, exist_ok=True)
        template = template_dir / "template.sqlite3"
        engine = create_db_engine(f"sqlite:///{template}")
        upgrade(engine)
        with engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        engine.dispose()
        _sqlite_template[worker] = str(template)
    target = tmp_path / "pnyx.sqlite3"
    shutil.copyfile(_sqlite_template[worker], target)
    return f"sqlite:///{target}"


def _empty_postgres(url: str) -> None:
    engine = create_db_engine(url)
    names = ", ".join(f'"{t.name}"' for t in metadata.sorted_tables)
    with engine.begin() as conn:
        conn.exec_driver_sql(f"TRUNCATE {names} CASCADE")
    engine.dispose()


@pytest.fixture(autouse=True)
def _no_rows_kept_from_another_test():
    """What is kept in memory between requests (rows, rendered parts, viewers' rules: every
    `core.row_cache.VersionedCache`) is valid for one database; each test has its own, and
    some write rows with ids another test used."""
    row_cache.clear()


@pytest.fixture(params=BACKENDS)
def database_url(request, tmp_path) -> str:
    if request.param == "postgres":
        url = _postgres_url()
        _empty_postgres(url)
        return url
    return _sqlite_url(tmp_path)


@pytest.fixture
def settings(database_url, tmp_path) -> Settings:
    return Settings(
        domain="pnyx.test",
        scheme="https",
        data_dir=str(tmp_path),
        database_url=database_url,
        rate_limits=False,
        job_workers=0,
        password_hashing="fast-insecure",
    )


@pytest.fixture
def db(settings) -> Database:
    database = Database(settings)
    yield database
    database.dispose()


@pytest.fixture
def app(settings):
    return create_app(settings, run_workers=False, migrate=False)


@pytest.fixture
def client(app):
    with TestClient(app, base_url="https://pnyx.test") as c:
        yield c


@dataclass
class User:
    """A local user with a full-scope token, for API tests."""

    username: str
    account_id: int
    user_id: int
    token: str
    app_id: int

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


@pytest.fixture
def make_user(app):
    database: Database = app.state.db
    counter = {"n": 0}

    def make(
        username: str | None = None,
        *,
        scopes: str = "read write follow push",
        role: str = "user",
        locked: bool = False,
    ) -> User:
        counter["n"] += 1
        name = username or f"user{counter['n']}"

        def work(tx):
            account_id, user_id = core_accounts.create_local(
                tx, name, f"{name}@example.com", "correct horse battery", role=role
            )
            if locked:
                from pnyx.db.tables import accounts

                tx.execute(accounts.update().where(accounts.c.id == account_id).values(locked=True))
            app_row = core_oauth.create_app(tx, "test app", [core_oauth.OOB], scopes.split())
            token, _ = core_oauth.issue_token(tx, app_row.id, user_id, scopes.split())
            return User(name, account_id, user_id, token, app_row.id)

        return database.run_sync(work)

    return make
