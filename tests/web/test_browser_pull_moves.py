"""Announcing a move from the new account in a real browser (Chromium against a real `pnyx
serve`): a Pnyx export of an account elsewhere (its identity.json and followers.csv) is
imported with `pnyx import archive`; the settings navigation leads to the page, a wrong
password is refused, then the move is announced with the keyboard and the page follows the
followers' lookup to its end; no serious accessibility violation on the page."""

from __future__ import annotations

import json
import re
import uuid
from datetime import UTC, datetime

import pytest

from mastodon_archive import ACTOR, make_zip
from pnyx.federation import data_integrity, identity_proofs

from . import browser as helpers

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser-pull-moves")]


def no_serious_violations(page) -> None:
    bad = helpers.serious(helpers.run_axe(page, helpers.axe_source()))
    assert not bad, f"{page.url}:\n" + helpers.describe(bad)


def archive(path) -> str:
    """A Pnyx export of alice@old.example: her key, and one follower on a server that is gone."""
    private = data_integrity.new_private_key()
    public = data_integrity.public_key_of(private)
    identity = {
        "type": "PnyxIdentity",
        "actor": ACTOR,
        "subject": identity_proofs.did_key(public),
        "secretKeyMultibase": identity_proofs.private_multikey(private),
        "statement": identity_proofs.statement(ACTOR, private, datetime.now(UTC)),
    }
    members = {
        "identity.json": json.dumps(identity).encode(),
        "followers.csv": b"Account address\ncarol@127.0.0.1:9\n",
    }
    return str(make_zip(path, members=members))


def test_announcing_a_move_from_the_new_account(chromium, web_server, tmp_path):
    server = web_server
    name = f"new{uuid.uuid4().hex[:8]}"
    server.create_user(name, f"{name}@example.com", helpers.PASSWORD)
    server.cli("import", "archive", name, archive(tmp_path / "export.zip"))

    page = helpers.new_page(helpers.signed_in_context(chromium, server, name))
    try:
        page.goto(server.base_url + "/settings/move")
        page.get_by_role("link", name="Announce a move").click()
        page.wait_for_url(re.compile(r"/settings/move/announce$"))
        assert page.get_by_role("heading", level=1).inner_text() == "Announce a move from here"
        assert page.get_by_role("heading", name=ACTOR).is_visible()
        assert page.get_by_text("Not announced yet").is_visible()
        no_serious_violations(page)

        page.get_by_label("Current password").fill("not my password")
        page.get_by_role("button", name="Announce the move to my followers").click()
        assert "Current password is invalid" in page.get_by_role("alert").inner_text()
        no_serious_violations(page)

        field = page.get_by_label("Current password")
        field.fill(helpers.PASSWORD)
        field.press("Enter")
        page.wait_for_url(re.compile(r"saved=1"))
        assert page.get_by_role("status").inner_text().startswith("The move is announced.")
        assert page.get_by_role("button", name="Announce the move to my followers").count() == 0
        no_serious_violations(page)

        def over() -> bool:
            page.goto(server.base_url + "/settings/move/announce")
            return page.get_by_text("Announced: your followers' servers were sent").count() > 0

        assert helpers.eventually(over, timeout=60)
        assert page.get_by_text("Not found: 1.").count() == 1
        page.get_by_text("Followers not found, and why").click()
        assert page.get_by_text("carol@127.0.0.1:9").is_visible()
        assert page.get_by_text("you can announce again after").is_visible()
        no_serious_violations(page)
        assert not page.watch.errors, page.watch.errors
    finally:
        page.context.close()
