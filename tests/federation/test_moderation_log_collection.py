"""The public moderation log as the instance actor's collection (`moderationLog`): other
servers and tools page through the same entries as `/moderation`, in every fetch mode, and
never see what only the staff may see."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from pnyx.app import create_app
from pnyx.core import accounts, domain_blocks, moderation, moderation_log
from pnyx.federation import moderation_documents

AP = {"Accept": "application/activity+json"}
BASE = "https://pnyx.test"


@pytest.fixture
def fetch_client(settings):
    """Authorized fetch on: the log is public anyway, so no signature is asked for."""
    app = create_app(
        settings.with_overrides(authorized_fetch=True), run_workers=False, migrate=False
    )
    with TestClient(app, base_url=BASE) as c:
        yield c


def _act(db) -> tuple[int, str]:
    def people(tx):
        ada, _ = accounts.create_local(
            tx, "ada", "ada@example.com", "correct horse battery", role="admin"
        )
        uma, _ = accounts.create_local(tx, "uma", "uma@example.com", "correct horse battery")
        hopeful, _ = accounts.create_local(
            tx, "hopeful", "hopeful@example.com", "correct horse battery", approved=False
        )
        return moderation.staff_member(accounts.user_for_account(tx, ada)), uma, hopeful

    ada, uma, hopeful = db.run_sync(people)
    rule = db.run_sync(moderation.add_rule, ada, "No advertising")
    db.run_sync(
        lambda tx: moderation_log.record(tx, "warn", uma, ada.account_id, "Ads", rule_id=rule)
    )
    db.run_sync(moderation.suspend, ada, uma, "Ads again", rule)
    db.run_sync(moderation.reject, ada, hopeful, "Only a link")
    db.run_sync(
        moderation.block_domain,
        ada,
        "spam.example",
        domain_blocks.BlockInput(
            severity="suspend", public_comment="Spam", private_comment="ticket 7", obfuscate=True
        ),
    )
    return uma, db.run_sync(lambda tx: accounts.get(tx, uma).uri)


def test_the_instance_actor_pages_its_public_log(fetch_client, db, monkeypatch):
    uma, uma_uri = _act(db)
    actor = fetch_client.get("/actor", headers=AP).json()
    assert actor["moderationLog"] == f"{BASE}/actor/moderation_log"

    root = fetch_client.get("/actor/moderation_log", headers=AP)
    assert root.status_code == 200 and root.headers["content-type"].startswith(
        "application/activity+json"
    )
    body = root.json()
    assert body["type"] == "OrderedCollection" and body["totalItems"] == 5
    assert any(isinstance(c, dict) and "ModerationAction" in c for c in body["@context"])

    monkeypatch.setattr(moderation_documents, "PAGE_SIZE", 3)
    first = fetch_client.get(body["first"], headers=AP).json()
    assert first["type"] == "OrderedCollectionPage" and first["partOf"] == body["id"]
    second = fetch_client.get(first["next"], headers=AP).json()
    assert "next" not in second
    items = first["orderedItems"] + second["orderedItems"]
    assert [i["moderationAction"] for i in items] == [
        "domain_block:suspend",
        "reject",
        "suspend",
        "warn",
        "rule:add",
    ]
    by_action = {i["moderationAction"]: i for i in items}
    assert by_action["warn"]["object"] == uma_uri
    assert by_action["warn"]["rule"] == "No advertising"
    assert by_action["warn"]["content"] == "Ads" and by_action["warn"]["actorRole"] == "admin"
    assert by_action["warn"]["type"] == "ModerationAction"
    assert by_action["warn"]["id"].startswith(f"{BASE}/moderation#entry-")
    blocked = by_action["domain_block:suspend"]
    assert blocked["content"] == "Spam" and "*" in blocked["targetDomain"]
    assert "object" not in by_action["reject"]
    text = str(items)
    for secret in ("hopeful", "ticket 7", "spam.example", "ada"):
        assert secret not in text, secret
