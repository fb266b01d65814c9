"""Feeds in a real browser (Chromium against a real `pnyx serve`): the switcher on home
changes the feed, a feed composed with the form is created and shown, and "Why?" opens on a
post and shows its reasons and the chart of its score."""

from __future__ import annotations

import re
import uuid

import pytest

import factories as f
from pnyx.config import Settings
from pnyx.core.algorithms import catalog
from pnyx.db.engine import Database

from . import browser as helpers

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser-feeds")]


def _set_up(server, fn):
    """Set-up straight in the server's database (what the test is about goes through pages)."""
    settings = Settings(
        domain=server.domain, scheme="http", database_url=server.database_url, job_workers=0
    )
    database = Database(settings)
    try:
        return fn(database)
    finally:
        database.dispose()


def _account(server, name: str) -> int:
    server.create_user(name, f"{name}@example.com", helpers.PASSWORD)
    from pnyx.core import accounts

    return helpers.in_database(server, lambda tx: accounts.find_local(tx, name).id)


def heading(page) -> str:
    return page.get_by_role("heading", level=1).inner_text().strip()


def test_switch_compose_and_ask_why(chromium, web_server):
    server = web_server
    word = uuid.uuid4().hex[:8]
    me, author, fan = (_account(server, f"{n}{word}") for n in ("pia", "quin", "rae"))

    def world(db):
        f.follow(db, me, author)
        f.follow(db, me, fan)
        post = f.status(db, author, f"liked {word}")
        f.favourite(db, fan, post)
        f.status(db, fan, reblog_of=post)
        return post

    post = _set_up(server, world)
    page = helpers.new_page(helpers.signed_in_context(chromium, server, f"pia{word}"))
    try:
        page.goto(server.base_url + "/home")
        switcher = page.get_by_role("navigation", name="Feeds")
        assert (
            switcher.get_by_role("link", name="Following").get_attribute("aria-current") == "page"
        )
        switcher.get_by_role("link", name="Catch-up").click()
        page.wait_for_url(re.compile(r"feed=catch-up"))
        assert heading(page) == "Catch-up"
        version = catalog.ALGORITHMS["catch-up"].version
        assert page.get_by_text(f"catch-up@{version}").is_visible()

        item = page.locator(f"#status-{post}")
        why = item.locator("details.why")
        assert not why.get_by_role("img").is_visible()
        why.locator("summary").click()
        assert why.get_by_text(f"You follow @quin{word}.").is_visible()
        assert why.get_by_text("Ranked by “Catch-up”").is_visible()
        chart = why.get_by_role("img", name="Score 3")
        assert chart.is_visible()
        assert "boosts: 2 × 1 = 2" in chart.locator("desc").text_content()
        axe = helpers.axe_source()
        bad = helpers.serious(helpers.run_axe(page, axe))  # with "Why?" open
        assert not bad, helpers.describe(bad)

        # Compose a feed from this server's public posts, then read it.
        page.goto(server.base_url + "/feeds")
        page.get_by_role("link", name="Compose a feed").click()
        page.get_by_label("Title").fill(f"Local {word}")
        page.get_by_label("This server's public posts").check()
        page.get_by_role("button", name="Create the feed").click()
        page.wait_for_load_state()
        assert heading(page) == f"Local {word}"
        assert "/feeds/" in page.get_by_label("Share this feed").input_value()
        bad = helpers.serious(helpers.run_axe(page, axe))  # the composed feed's page
        assert not bad, helpers.describe(bad)
        page.get_by_role("link", name="Read it").click()
        page.wait_for_load_state()
        assert heading(page) == f"Local {word}"
        assert page.get_by_text(f"liked {word}").first.is_visible()
        switcher = page.get_by_role("navigation", name="Feeds")
        current = switcher.get_by_role("link", name=f"Local {word}")
        assert current.get_attribute("aria-current") == "page"
        switcher.get_by_role("link", name="Following").click()
        page.wait_for_load_state()
        assert heading(page) == "Home"
    finally:
        page.context.close()
