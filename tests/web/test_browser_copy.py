"""A live copy (LOLA) in a real browser: Chromium, signed in on B, reaches the copy page from
the import page, types the old address with the keyboard, signs in at A and allows the copy
there, comes back to B and reloads until the copy is over; no serious accessibility
violation on the copy page, and it fits a phone.

B is served as `localhost`, A as `127.0.0.1`: a browser keeps cookies per host, not per port,
and two servers on one host would share (and overwrite) each other's session cookie.
"""

from __future__ import annotations

import re

import pytest

from server import PnyxServer

from . import browser as helpers
from .conftest import _servers, start_server, stop_server

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser-copy")]


class LocalhostServer(PnyxServer):
    """A `pnyx serve` whose name is localhost:<port> (it still listens on 127.0.0.1)."""

    @property
    def domain(self) -> str:
        return f"localhost:{self.port}"


@pytest.fixture(scope="module")
def servers(chromium, tmp_path_factory):
    a = start_server(tmp_path_factory, "copy-a")
    b = LocalhostServer(
        tmp_path_factory.mktemp("copy-b"), env={"PNYX_PASSWORD_HASHING": "fast-insecure"}
    )
    b.start()
    _servers.append(b)
    try:
        yield a, b
    finally:
        stop_server(b)
        stop_server(a)


def no_serious_violations(page) -> None:
    bad = helpers.serious(helpers.run_axe(page, helpers.axe_source()))
    assert not bad, f"{page.url}:\n" + helpers.describe(bad)


def test_a_copy_allowed_at_the_old_server_and_followed_to_its_end(chromium, servers):
    a, b = servers
    alice = helpers.login(a, "alice")
    for n in range(3):
        alice.api.status_post(f"Old post number {n}")
    b.create_user("alice2", "alice2@example.com", helpers.PASSWORD)
    context = helpers.signed_in_context(chromium, b, "alice2")
    page = helpers.new_page(context)
    try:
        page.goto(b.base_url + "/settings/import")
        page.get_by_role("link", name="Copy your account from another server").click()
        page.wait_for_url(re.compile(r"/settings/import/copy$"))
        assert page.get_by_role("heading", level=1).inner_text() == (
            "Copy your account from another server"
        )
        no_serious_violations(page)
        field = page.get_by_label("Your old account")
        field.focus()
        page.keyboard.type(f"alice@{a.domain}")
        page.keyboard.press("Enter")
        page.wait_for_url(re.compile(re.escape(a.base_url) + r"/oauth/authorize"))
        helpers_sign_in_at_a(page)
        assert "copy your whole account" in helpers.main_text(page)
        page.get_by_role("button", name="Authorize").click()
        page.wait_for_url(re.compile(re.escape(b.base_url) + r"/settings/import/copy\?started="))
        assert "Your old server allowed the copy" in page.get_by_role("status").inner_text()

        def finished():
            page.goto(b.base_url + "/settings/import/copy")
            return "Finished" in helpers.main_text(page)

        assert helpers.eventually(finished, timeout=90), helpers.main_text(page)
        record = page.locator("article.import").first
        assert "3 of 3 posts processed" in record.inner_text()
        assert "Posts copied: 3." in record.inner_text()
        no_serious_violations(page)
        page.set_viewport_size({"width": 390, "height": 800})
        assert helpers.horizontal_overflow(page) is None
        assert page.watch.errors == [], page.watch.errors
    finally:
        context.close()


def helpers_sign_in_at_a(page) -> None:
    """A's OAuth sign-in form, then its consent page."""
    page.get_by_label(re.compile(r"username", re.I)).fill("alice@example.com")
    page.get_by_label("Password", exact=True).fill(helpers.PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()
