"""An admin's changes to the instance (name, description, registration mode) reach every place
that shows or applies them: the Mastodon API, sign-up through the API, NodeInfo, web pages."""

from __future__ import annotations

from pnyx.core import instance_settings

from ..api.test_accounts_api import app_token, signup


def test_overrides_reach_the_api_nodeinfo_signup_and_pages(client):
    db = client.app.state.db
    db.run_sync(instance_settings.set_override, "instance_title", "Agora")
    db.run_sync(instance_settings.set_override, "instance_description", "A square for talk")
    db.run_sync(instance_settings.set_override, "registrations", "closed")

    v1 = client.get("/api/v1/instance").json()
    assert v1["title"] == "Agora" and v1["registrations"] is False
    v2 = client.get("/api/v2/instance").json()
    assert v2["title"] == "Agora" and v2["registrations"]["enabled"] is False
    nodeinfo = client.get("/nodeinfo/2.1").json()
    assert nodeinfo["openRegistrations"] is False
    assert nodeinfo["metadata"]["nodeName"] == "Agora"
    landing = client.get("/").text
    assert "<title>Agora</title>" in landing and "A square for talk" in landing

    _, headers = app_token(client)
    assert signup(client, headers).status_code == 403  # closed, whatever the config says
    db.run_sync(instance_settings.set_override, "registrations", None)  # back to the config
    assert signup(client, headers).status_code == 200
