"""Fixtures for the real-browser tests (tests/web/test_browser_*.py, test_accessibility.py).

One Chromium per test process (session scope) and one real `pnyx serve` per test module
(SQLite: the browser tests exercise the pages, the storage engines are covered elsewhere).
Tests of a module share its server, so each test makes its own people and posts, or puts back
what it changes. When a browser test fails, the server's output is attached to its report, so
a 500 shows its traceback.

The in-process page tests in this folder (the `client` fixture) do not use any of this.
"""

from __future__ import annotations

import pytest

from server import PnyxServer

from . import browser as helpers

_servers: list[PnyxServer] = []


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "browser: drives Chromium through Playwright (deselect with -m 'not browser')"
    )


@pytest.fixture(scope="session")
def chromium():
    """A headless Debian Chromium driven by Playwright; skips (or fails under
    PNYX_REQUIRE_BROWSER=1) when the browser or playwright is missing."""
    reason = helpers.missing_browser()
    if reason:
        helpers.skip_or_fail(reason)
    from playwright.sync_api import sync_playwright

    manager = sync_playwright().start()
    try:
        browser = helpers.launch(manager)
        try:
            yield browser
        finally:
            browser.close()
    finally:
        manager.stop()


def start_server(tmp_path_factory, name: str, **options) -> PnyxServer:
    """A `pnyx serve` for this module, stopped by `stop_server`; its output goes into the
    reports of failing tests."""
    env = {"PNYX_PASSWORD_HASHING": "fast-insecure", **options.pop("env", {})}
    server = PnyxServer(tmp_path_factory.mktemp(name), backend="sqlite", env=env, **options)
    server.start()
    _servers.append(server)
    return server


def stop_server(server: PnyxServer) -> None:
    if server in _servers:
        _servers.remove(server)
    server.stop()


@pytest.fixture(scope="module")
def web_server(chromium, tmp_path_factory):
    """The module's `pnyx serve` (requested after `chromium`, so no server starts when the
    browser tests are skipped)."""
    server = start_server(tmp_path_factory, "web")
    try:
        yield server
    finally:
        stop_server(server)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if not report.failed or not _servers:
        return
    for server in _servers:
        text = server.logs()
        if len(text) > 20_000:
            text = "...\n" + text[-20_000:]
        report.sections.append((f"pnyx serve output ({server.base_url})", text))
