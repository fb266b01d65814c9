"""Fixtures for end-to-end tests: one real `pnyx serve` per storage backend and module.

Starting a server costs a second or two, so each test module shares one per backend
(module scope); tests must therefore leave the relationships they change as they found them.
When a test fails, the server's output is attached to its report, so a 500 shows its traceback.
"""

from __future__ import annotations

import os

import pytest

from server import PnyxServer

PG_URL = os.environ.get("PNYX_TEST_DATABASE_URL", "")
E2E_BACKENDS = ["sqlite"] + (["postgres"] if PG_URL else [])

_active: list[PnyxServer] = []


@pytest.fixture(scope="module", params=E2E_BACKENDS)
def server(request, tmp_path_factory) -> PnyxServer:
    """A running `pnyx serve` on loopback with a fresh database of the given backend."""
    data_dir = tmp_path_factory.mktemp(f"pnyx-{request.param}")
    instance = PnyxServer(data_dir, backend=request.param, postgres_url=PG_URL or None)
    instance.start()
    _active.append(instance)
    try:
        yield instance
    finally:
        _active.remove(instance)
        instance.stop()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.failed and _active:
        for instance in _active:
            text = instance.logs()
            if len(text) > 20_000:
                text = "...\n" + text[-20_000:]
            report.sections.append((f"pnyx serve output ({instance.backend})", text))
