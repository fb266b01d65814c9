"""The privacy policy and terms of service (API, pages, admin override) and /favicon.ico."""

from __future__ import annotations

import sqlalchemy as sa

from pnyx.core import instance_policies, instance_settings, moderation
from pnyx.db.tables import users


def set_text(client, admin_user, **values) -> None:
    def work(tx):
        user = tx.one_or_none(sa.select(users).where(users.c.account_id == admin_user.account_id))
        by = moderation.staff_member(user, admin=True)
        moderation.change_settings(tx, by, values, "policy")

    client.app.state.db.run_sync(work)


def test_default_privacy_policy_and_no_terms(client):
    policy = client.get("/api/v1/instance/privacy_policy")
    assert policy.status_code == 200
    body = policy.json()
    assert set(body) == {"updated_at", "content"}
    assert body["content"].startswith("<p>This server runs Pnyx")
    assert client.get("/api/v1/instance/terms_of_service").status_code == 404
    urls = client.get("/api/v2/instance").json()["configuration"]["urls"]
    assert urls["privacy_policy"] == "https://pnyx.test/privacy-policy"
    assert urls["terms_of_service"] is None
    page = client.get("/privacy-policy")
    assert page.status_code == 200 and "This server runs Pnyx" in page.text
    assert client.get("/terms-of-service").status_code == 404


def test_operator_text_is_escaped_and_served_everywhere(client, make_user):
    boss = make_user("boss", role="admin")
    set_text(
        client,
        boss,
        privacy_policy="We keep <nothing>.\n\nReally.",
        terms_of_service="Be kind.\nNo spam.",
    )
    assert client.get("/api/v1/instance/privacy_policy").json()["content"] == (
        "<p>We keep &lt;nothing&gt;.</p><p>Really.</p>"
    )
    terms = client.get("/api/v1/instance/terms_of_service").json()
    assert terms["content"] == "<p>Be kind.<br>No spam.</p>"
    assert terms["effective"] is True and terms["succeeded_by"] is None
    assert len(terms["effective_date"]) == 10
    urls = client.get("/api/v2/instance").json()["configuration"]["urls"]
    assert urls["terms_of_service"] == "https://pnyx.test/terms-of-service"
    page = client.get("/terms-of-service")
    assert page.status_code == 200 and "Be kind.<br>No spam." in page.text
    overrides = client.app.state.db.run_sync(instance_settings.get_overrides)
    assert overrides["terms_of_service"] == "Be kind.\nNo spam."


def test_to_html():
    assert instance_policies.to_html("a\r\nb\n\n\n<c>") == "<p>a<br>b</p><p>&lt;c&gt;</p>"


def test_favicon(client):
    icon = client.get("/favicon.ico")
    assert icon.status_code == 200
    assert icon.headers["content-type"] == "image/x-icon"
    assert icon.content[:4] == b"\x00\x00\x01\x00"  # the ICO header
