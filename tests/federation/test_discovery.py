"""WebFinger, host-meta and NodeInfo: how other servers find this instance and its people."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from starlette.testclient import TestClient

import factories as f
import pnyx
from pnyx.app import create_app
from pnyx.config import Settings
from pnyx.core import accounts as core_accounts
from pnyx.db.tables import users
from pnyx.federation.discovery import INSTANCE_ACTOR, BadResource, username_from_resource

AP = "application/activity+json"


def _link(jrd: dict, rel: str) -> dict:
    found = [link for link in jrd["links"] if link["rel"] == rel]
    assert len(found) == 1, (rel, jrd["links"])
    return found[0]


def test_webfinger_acct(client, make_user):
    make_user("alice")
    response = client.get("/.well-known/webfinger", params={"resource": "acct:alice@pnyx.test"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/jrd+json")
    jrd = response.json()
    assert jrd["subject"] == "acct:alice@pnyx.test"
    assert jrd["aliases"] == ["https://pnyx.test/@alice", "https://pnyx.test/users/alice"]
    assert _link(jrd, "self") == {
        "rel": "self",
        "type": AP,
        "href": "https://pnyx.test/users/alice",
    }
    page = _link(jrd, "http://webfinger.net/rel/profile-page")
    assert page["type"] == "text/html"
    assert page["href"] == "https://pnyx.test/@alice"
    subscribe = _link(jrd, "http://ostatus.org/schema/1.0/subscribe")
    assert subscribe["template"] == "https://pnyx.test/authorize_interaction?uri={uri}"
    # Anyone's browser may ask (the CORS layer of app.py covers /.well-known/).
    cors = client.get(
        "/.well-known/webfinger",
        params={"resource": "acct:alice@pnyx.test"},
        headers={"Origin": "https://elk.example"},
    )
    assert cors.headers["access-control-allow-origin"] == "*"


@pytest.mark.parametrize(
    "resource",
    [
        "acct:ALICE@PNYX.TEST",
        "alice@pnyx.test",
        "@alice@pnyx.test",
        "acct:@alice@pnyx.test",
        "https://pnyx.test/users/alice",
        "https://pnyx.test/@alice",
        "https://PNYX.test/users/Alice",
    ],
)
def test_webfinger_resource_forms(client, make_user, resource):
    make_user("alice")
    response = client.get("/.well-known/webfinger", params={"resource": resource})
    assert response.status_code == 200, resource
    # The subject always has the account's own spelling, whatever the question's case.
    assert response.json()["subject"] == "acct:alice@pnyx.test"


def test_webfinger_instance_actor(client):
    for resource in ("acct:pnyx.test@pnyx.test", "https://pnyx.test/actor"):
        response = client.get("/.well-known/webfinger", params={"resource": resource})
        assert response.status_code == 200
        jrd = response.json()
        assert jrd["subject"] == "acct:pnyx.test@pnyx.test"
        assert _link(jrd, "self")["href"] == "https://pnyx.test/actor"


def test_webfinger_misses(client, make_user, db):
    make_user("alice")
    gone = make_user("mallory")
    f.suspend(db, gone.account_id)
    f.remote_account(db, "bob", "remote.example")

    def pending(tx):
        core_accounts.create_local(
            tx, "newbie", "newbie@example.com", "long password 1", approved=False
        )

    db.run_sync(pending)
    for resource in (
        "acct:nobody@pnyx.test",
        "acct:bob@remote.example",  # known here, but not ours to answer for
        "https://remote.example/users/bob",
        "acct:alice@other.test",
        "acct:mallory@pnyx.test",  # suspended
        "acct:newbie@pnyx.test",  # sign-up waiting for approval
        "https://pnyx.test/users/alice/statuses/1",
        "https://pnyx.test/about",
        "http://pnyx.test/users/alice",  # not our scheme: not our URL
    ):
        response = client.get("/.well-known/webfinger", params={"resource": resource})
        assert response.status_code == 404, resource


def test_webfinger_unconfirmed_is_hidden(client, make_user, db):
    user = make_user("shy")
    db.run_sync(
        lambda tx: tx.execute(
            users.update().where(users.c.id == user.user_id).values(confirmed=False)
        )
    )
    response = client.get("/.well-known/webfinger", params={"resource": "acct:shy@pnyx.test"})
    assert response.status_code == 404


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"resource": ""},
        {"resource": "alice"},
        {"resource": "acct:"},
        {"resource": "acct:@pnyx.test"},
        {"resource": "x" * 3000 + "@pnyx.test"},
    ],
)
def test_webfinger_bad_request(client, params):
    assert client.get("/.well-known/webfinger", params=params).status_code == 400


def test_resource_parsing_with_port():
    settings = Settings(domain="127.0.0.1:8001", scheme="http")
    assert username_from_resource("acct:alice@127.0.0.1:8001", settings) == "alice"
    assert username_from_resource("@alice@127.0.0.1:8001", settings) == "alice"
    assert username_from_resource("http://127.0.0.1:8001/@alice", settings) == "alice"
    assert username_from_resource("http://127.0.0.1:8001/users/alice/", settings) == "alice"
    assert username_from_resource("acct:alice@127.0.0.1:8002", settings) is None
    assert username_from_resource("acct:alice@127.0.0.1", settings) is None
    assert username_from_resource("http://127.0.0.1:8002/users/alice", settings) is None
    assert username_from_resource("http://127.0.0.1:8001/actor", settings) is INSTANCE_ACTOR
    assert username_from_resource("acct:127.0.0.1:8001@127.0.0.1:8001", settings) is INSTANCE_ACTOR
    with pytest.raises(BadResource):
        username_from_resource("mailto:alice", settings)


def test_webfinger_on_a_port(settings, tmp_path):
    ported = settings.with_overrides(domain="127.0.0.1:8001", scheme="http")
    app = create_app(ported, run_workers=False, migrate=False)
    with TestClient(app, base_url="http://127.0.0.1:8001") as c:
        db = app.state.db
        db.run_sync(
            lambda tx: core_accounts.create_local(
                tx, "carol", "carol@example.com", "long password 1"
            )
        )
        response = c.get("/.well-known/webfinger", params={"resource": "acct:carol@127.0.0.1:8001"})
        assert response.status_code == 200
        jrd = response.json()
        assert jrd["subject"] == "acct:carol@127.0.0.1:8001"
        assert _link(jrd, "self")["href"] == "http://127.0.0.1:8001/users/carol"


def test_host_meta(client):
    response = client.get("/.well-known/host-meta")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/xrd+xml")
    root = ET.fromstring(response.content)
    ns = "{http://docs.oasis-open.org/ns/xri/xrd-1.0}"
    assert root.tag == f"{ns}XRD"
    (link,) = root.findall(f"{ns}Link")
    assert link.get("rel") == "lrdd"
    assert link.get("template") == "https://pnyx.test/.well-known/webfinger?resource={uri}"


def test_nodeinfo_links(client):
    response = client.get("/.well-known/nodeinfo")
    assert response.status_code == 200
    links = {link["rel"]: link["href"] for link in response.json()["links"]}
    assert links == {
        "http://nodeinfo.diaspora.software/ns/schema/2.0": "https://pnyx.test/nodeinfo/2.0",
        "http://nodeinfo.diaspora.software/ns/schema/2.1": "https://pnyx.test/nodeinfo/2.1",
    }
    for href in links.values():
        assert client.get(href.removeprefix("https://pnyx.test")).status_code == 200


def test_nodeinfo_documents(client, make_user, db):
    alice = make_user("alice")  # a token made now: active this month
    bob = make_user("bob")
    gone = make_user("mallory")
    f.suspend(db, gone.account_id)
    remote = f.remote_account(db, "eve", "remote.example")
    f.status(db, alice.account_id, "one")
    f.status(db, alice.account_id, "two", visibility="private")
    f.status(db, bob.account_id, "three")
    f.status(db, remote, "not ours", local=False)

    for version in ("2.0", "2.1"):
        response = client.get(f"/nodeinfo/{version}")
        assert response.status_code == 200
        assert response.headers["content-type"] == (
            f'application/json; profile="http://nodeinfo.diaspora.software/ns/schema/{version}#"'
        )
        data = response.json()
        assert data["version"] == version
        assert data["software"]["name"] == "pnyx"
        assert data["software"]["version"] == "0.1.0"
        assert data["protocols"] == ["activitypub"]
        assert data["services"] == {"inbound": [], "outbound": []}
        assert data["openRegistrations"] is True
        # Suspended accounts are not counted; remote posts are not local posts.
        assert data["usage"] == {
            "users": {"total": 2, "activeMonth": 2, "activeHalfyear": 2},
            "localPosts": 3,
        }
        assert data["metadata"]["nodeName"] == "Pnyx"
        assert isinstance(data["metadata"]["nodeDescription"], str)
    # No source address configured: 2.1 leaves the software's repository out.
    assert "repository" not in client.get("/nodeinfo/2.1").json()["software"]
    assert client.get("/nodeinfo/1.0").status_code == 404


@pytest.mark.parametrize(
    ("mode", "expected"), [("open", True), ("approval", True), ("invite", False), ("closed", False)]
)
def test_nodeinfo_registrations_and_repository(settings, mode, expected):
    configured = settings.with_overrides(
        registrations=mode, source_url="https://code.example/pnyx", instance_title="Agora"
    )
    app = create_app(configured, run_workers=False, migrate=False)
    with TestClient(app, base_url="https://pnyx.test") as c:
        data = c.get("/nodeinfo/2.1").json()
    assert data["openRegistrations"] is expected
    assert data["software"]["repository"] == "https://code.example/pnyx"
    assert data["software"]["homepage"] == "https://code.example/pnyx"
    assert data["metadata"]["nodeName"] == "Agora"


def test_nodeinfo_names_mastodon_as_the_upstream_api(client):
    """megalodon's `detector()` follows /.well-known/nodeinfo to the document and, for a
    `software.name` it does not know, accepts the server only when `metadata.upstream.name`
    is "mastodon"; the version is the one /api/v2/instance claims."""
    claimed = client.get("/api/v2/instance").json()["version"].split(" ")[0]
    for link in client.get("/.well-known/nodeinfo").json()["links"]:
        data = client.get(link["href"].removeprefix("https://pnyx.test")).json()
        assert data["software"]["name"] == "pnyx"
        assert data["metadata"]["upstream"] == {"name": "mastodon", "version": claimed}
        assert claimed == pnyx.MASTODON_COMPAT_VERSION
