"""The ActivityPub documents other servers fetch: actors, Notes, Creates and collections,
with content negotiation, visibility and authorized-fetch mode."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

import factories as f
from pnyx.app import create_app
from pnyx.core import accounts as core_accounts
from pnyx.core import follows as core_follows
from pnyx.core.keys import generate_keypair
from pnyx.db.tables import accounts
from pnyx.federation import signatures

AP = {"Accept": "application/activity+json"}
LD = {"Accept": 'application/ld+json; profile="https://www.w3.org/ns/activitystreams"'}
HTML = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
PUBLIC = "https://www.w3.org/ns/activitystreams#Public"
BASE = "https://pnyx.test"


def _post(client, user, text: str, **extra) -> str:
    response = client.post("/api/v1/statuses", headers=user.headers, json={"status": text, **extra})
    assert response.status_code == 200, response.text
    return response.json()["id"]


def _ap(client, path: str, **kwargs):
    return client.get(path, headers=AP, follow_redirects=False, **kwargs)


def _set_account(db, account_id: int, **values) -> None:
    db.run_sync(
        lambda tx: tx.execute(accounts.update().where(accounts.c.id == account_id).values(**values))
    )


def _follow(db, follower_id: int, target_id: int) -> None:
    """Through core, so that the counters move as they do in life."""
    db.run_sync(lambda tx: core_follows.follow(tx, follower_id, target_id))


def _remote_with_key(db, username: str, domain: str = "remote.example"):
    """A known remote account whose key we hold, and its private half for signing."""
    account_id = f.remote_account(db, username, domain)
    pair = generate_keypair()
    uri = f"https://{domain}/users/{username}"
    _set_account(
        db,
        account_id,
        public_key_pem=pair.public_pem,
        public_key_id=f"{uri}#main-key",
        inbox_url=f"{uri}/inbox",
    )
    return account_id, uri, pair.private_pem


def _signed(client, path: str, key_owner_uri: str, private_pem: str):
    headers = signatures.sign_request(
        method="GET",
        url=BASE + path,
        body=None,
        key_id=f"{key_owner_uri}#main-key",
        private_key_pem=private_pem,
    )
    return client.get(path, headers={**headers, **AP}, follow_redirects=False)


# --- actors -----------------------------------------------------------------------------------


def test_actor_document(client, make_user):
    make_user("alice")
    response = _ap(client, "/users/alice")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/activity+json; charset=utf-8"
    assert "Accept" in response.headers["vary"]
    actor = response.json()
    uri = f"{BASE}/users/alice"
    assert actor["id"] == uri
    assert actor["type"] == "Person"
    assert actor["preferredUsername"] == "alice"
    assert actor["inbox"] == f"{uri}/inbox"
    assert actor["outbox"] == f"{uri}/outbox"
    assert actor["followers"] == f"{uri}/followers"
    assert actor["following"] == f"{uri}/following"
    assert actor["featured"] == f"{uri}/collections/featured"
    assert actor["endpoints"] == {"sharedInbox": f"{BASE}/inbox"}
    assert actor["url"] == f"{BASE}/@alice"
    assert actor["publicKey"]["id"] == f"{uri}#main-key"
    assert actor["publicKey"]["owner"] == actor["id"]
    assert actor["publicKey"]["publicKeyPem"].startswith("-----BEGIN PUBLIC KEY-----")
    # The key was made on this first fetch and is kept: a second fetch shows the same one.
    again = _ap(client, "/users/alice").json()
    assert again["publicKey"] == actor["publicKey"]
    # The other AP media type, a different case in the name, and the web address answer too.
    assert client.get("/users/alice", headers=LD).json() == actor
    assert _ap(client, "/users/ALICE").json()["id"] == uri
    assert _ap(client, "/@alice").json() == actor


def test_actor_fields(client, make_user, db):
    other = make_user("elsewhere")
    robot = make_user("robot")
    _set_account(
        db,
        robot.account_id,
        bot=True,
        locked=True,
        discoverable=False,
        display_name="Robbie",
        note="<p>beep</p>",
        fields=[{"name": "Site", "value": "https://robot.example", "verified_at": None}],
        also_known_as=["https://old.example/users/robot"],
        moved_to_account_id=other.account_id,
    )
    actor = _ap(client, "/users/robot").json()
    assert actor["type"] == "Service"
    assert actor["name"] == "Robbie"
    assert actor["summary"] == "<p>beep</p>"
    assert actor["manuallyApprovesFollowers"] is True
    assert actor["discoverable"] is False
    # The profile fields, then its identity statement (FEP-c390, federation.identity_statements).
    assert actor["attachment"][:-1] == [
        {"type": "PropertyValue", "name": "Site", "value": "https://robot.example"}
    ]
    assert actor["attachment"][-1]["type"] == "VerifiableIdentityStatement"
    assert actor["alsoKnownAs"] == ["https://old.example/users/robot"]
    assert actor["movedTo"] == f"{BASE}/users/elsewhere"


def test_actor_for_browsers(client, make_user):
    make_user("alice")
    response = client.get("/users/alice", headers=HTML, follow_redirects=False)
    assert response.status_code == 302
    assert response.headers["location"] == f"{BASE}/@alice"
    assert "Accept" in response.headers["vary"]
    # No Accept at all is a browser-like request too.
    assert client.get("/users/alice", follow_redirects=False).status_code == 302
    # Browsers get the web UI's profile page at the same address.
    page = client.get("/@alice", headers=HTML, follow_redirects=False)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert not page.headers["content-type"].startswith("application/activity+json")


def test_actor_misses(client, make_user, db):
    gone = make_user("mallory")
    f.suspend(db, gone.account_id)
    remote = f.remote_account(db, "bob", "remote.example")
    assert remote
    db.run_sync(
        lambda tx: core_accounts.create_local(
            tx, "newbie", "newbie@example.com", "long password 1", approved=False
        )
    )

    missing = _ap(client, "/users/nobody")
    assert missing.status_code == 404
    assert missing.json() == {"error": "Record not found"}
    assert client.get("/users/nobody", headers=HTML).status_code == 404
    assert _ap(client, "/users/bob").status_code == 404  # remote: not ours to serve
    assert _ap(client, "/users/newbie").status_code == 404  # waiting for approval
    assert _ap(client, "/@newbie").status_code == 404
    suspended = _ap(client, "/users/mallory")
    assert suspended.status_code == 410
    assert "publicKey" not in suspended.text
    assert _ap(client, "/@mallory").status_code == 410
    assert client.get("/users/mallory", headers=HTML, follow_redirects=False).status_code == 404


def test_instance_actor(client):
    response = _ap(client, "/actor")
    assert response.status_code == 200
    actor = response.json()
    assert actor["id"] == f"{BASE}/actor"
    assert actor["type"] == "Application"
    assert actor["preferredUsername"] == "pnyx.test"
    assert actor["publicKey"]["owner"] == f"{BASE}/actor"
    assert actor["publicKey"]["id"] == f"{BASE}/actor#main-key"
    assert _ap(client, "/actor").json()["publicKey"] == actor["publicKey"]


# --- statuses ---------------------------------------------------------------------------------


def test_note_document(client, make_user):
    alice = make_user("alice")
    make_user("bob")
    sid = _post(client, alice, "hello @bob #Pnyx", language="en", spoiler_text="cw")
    response = _ap(client, f"/users/alice/statuses/{sid}")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/activity+json; charset=utf-8"
    note = response.json()
    uri = f"{BASE}/users/alice/statuses/{sid}"
    assert note["id"] == uri
    assert note["type"] == "Note"
    assert note["url"] == f"{BASE}/@alice/{sid}"
    assert note["attributedTo"] == f"{BASE}/users/alice"
    assert note["to"] == [PUBLIC]
    assert note["cc"] == [f"{BASE}/users/alice/followers", f"{BASE}/users/bob"]
    assert note["summary"] == "cw"
    assert note["sensitive"] is True
    assert note["inReplyTo"] is None
    assert "hello" in note["content"]
    assert note["contentMap"] == {"en": note["content"]}
    mentions = [t for t in note["tag"] if t["type"] == "Mention"]
    assert mentions == [{"type": "Mention", "href": f"{BASE}/users/bob", "name": "@bob@pnyx.test"}]
    hashtags = [t for t in note["tag"] if t["type"] == "Hashtag"]
    assert [t["name"] for t in hashtags] == ["#Pnyx"]
    assert hashtags[0]["href"] == f"{BASE}/tags/pnyx"

    # The web address answers servers with the same document; the activity wraps it.
    assert _ap(client, f"/@alice/{sid}").json() == note
    create = _ap(client, f"/users/alice/statuses/{sid}/activity").json()
    assert create["type"] == "Create"
    assert create["id"] == f"{uri}/activity"
    assert create["actor"] == f"{BASE}/users/alice"
    assert create["object"]["id"] == uri
    assert create["to"] == note["to"] and create["cc"] == note["cc"]

    # Browsers are sent to the web page of the post.
    page = client.get(f"/users/alice/statuses/{sid}", headers=HTML, follow_redirects=False)
    assert page.status_code == 302
    assert page.headers["location"] == f"{BASE}/@alice/{sid}"


def test_unlisted_reply_and_poll(client, make_user):
    alice = make_user("alice")
    bob = make_user("bob")
    parent = _post(client, bob, "first")
    reply = _post(client, alice, "@bob indeed", in_reply_to_id=parent, visibility="unlisted")
    note = _ap(client, f"/users/alice/statuses/{reply}").json()
    assert note["to"] == [f"{BASE}/users/alice/followers"]
    assert note["cc"] == [PUBLIC, f"{BASE}/users/bob"]
    assert note["inReplyTo"] == f"{BASE}/users/bob/statuses/{parent}"

    poll = _post(client, alice, "which?", poll={"options": ["this", "that"], "expires_in": 3600})
    question = _ap(client, f"/users/alice/statuses/{poll}").json()
    assert question["type"] == "Question"
    assert [o["name"] for o in question["oneOf"]] == ["this", "that"]
    assert question["endTime"]


def test_statuses_not_for_strangers(client, make_user, db):
    alice = make_user("alice")
    bob = make_user("bob")
    private = _post(client, alice, "friends only", visibility="private")
    direct = _post(client, alice, "@bob psst", visibility="direct")
    public = _post(client, alice, "hi")
    bobs = _post(client, bob, "bob's")
    boost = client.post(f"/api/v1/statuses/{bobs}/reblog", headers=alice.headers).json()["id"]

    for path in (
        f"/users/alice/statuses/{private}",
        f"/users/alice/statuses/{private}/activity",
        f"/@alice/{private}",
        f"/users/alice/statuses/{direct}",
        f"/users/alice/statuses/{direct}/activity",
        f"/users/alice/statuses/{boost}",  # a boost is not a Note
        f"/users/bob/statuses/{public}",  # someone else's post under the wrong name
        "/users/alice/statuses/12345",
        "/users/alice/statuses/not-a-number",
        "/users/alice/statuses/99999999999999999999999",
        f"/users/nobody/statuses/{public}",
    ):
        response = _ap(client, path)
        assert response.status_code == 404, path
        assert "friends only" not in response.text and "psst" not in response.text
    # Browsers learn nothing either: no redirect to a page of a private post.
    page = client.get(f"/users/alice/statuses/{private}", headers=HTML, follow_redirects=False)
    assert page.status_code == 404

    # A suspended author's posts are gone for everyone.
    f.suspend(db, alice.account_id)
    assert _ap(client, f"/users/alice/statuses/{public}").status_code == 404


# --- collections ------------------------------------------------------------------------------


def test_followers_and_following(client, make_user, db):
    alice = make_user("alice")
    bob = make_user("bob")
    carol = f.remote_account(db, "carol", "remote.example")
    _follow(db, bob.account_id, alice.account_id)
    _follow(db, carol, alice.account_id)
    _follow(db, alice.account_id, bob.account_id)

    root = _ap(client, "/users/alice/followers")
    assert root.status_code == 200
    followers = root.json()
    url = f"{BASE}/users/alice/followers"
    assert followers["id"] == url
    assert followers["type"] == "OrderedCollection"
    assert followers["totalItems"] == 2
    assert followers["first"] == f"{url}?page=1"

    page = _ap(client, "/users/alice/followers?page=1").json()
    assert page["type"] == "OrderedCollectionPage"
    assert page["id"] == f"{url}?page=1"
    assert page["partOf"] == url
    assert page["totalItems"] == 2
    assert page["orderedItems"] == ["https://remote.example/users/carol", f"{BASE}/users/bob"]
    assert "next" not in page and "prev" not in page

    following = _ap(client, "/users/alice/following").json()
    assert following["totalItems"] == 1
    assert _ap(client, "/users/alice/following?page=1").json()["orderedItems"] == [
        f"{BASE}/users/bob"
    ]
    # Collections are documents for servers whatever the Accept header says.
    assert client.get("/users/alice/followers").json()["totalItems"] == 2


def test_follower_pages(client, make_user, db):
    alice = make_user("alice")
    remote = [f.remote_account(db, f"r{n}", "many.example") for n in range(45)]
    for account_id in remote:
        f.follow(db, account_id, alice.account_id)
    url = f"{BASE}/users/alice/followers"
    first = _ap(client, "/users/alice/followers?page=1").json()
    assert len(first["orderedItems"]) == 40
    assert first["orderedItems"][0] == "https://many.example/users/r44"  # newest first
    assert first["next"] == f"{url}?page=2"
    second = _ap(client, "/users/alice/followers?page=2").json()
    assert len(second["orderedItems"]) == 5
    assert second["prev"] == f"{url}?page=1"
    assert "next" not in second
    assert set(first["orderedItems"]) | set(second["orderedItems"]) == {
        f"https://many.example/users/r{n}" for n in range(45)
    }
    # A suspended follower is not listed.
    f.suspend(db, remote[0])
    again = _ap(client, "/users/alice/followers?page=2").json()
    assert "https://many.example/users/r0" not in again["orderedItems"]


def test_hidden_collections(client, make_user, db):
    alice = make_user("alice")
    bob = make_user("bob")
    _follow(db, bob.account_id, alice.account_id)
    _set_account(db, alice.account_id, hide_collections=True)
    for kind, total in (("followers", 1), ("following", 0)):
        root = _ap(client, f"/users/alice/{kind}")
        assert root.status_code == 200
        body = root.json()
        assert body["totalItems"] == total
        assert "first" not in body and "orderedItems" not in body
        page = _ap(client, f"/users/alice/{kind}?page=1")
        assert page.status_code == 403
        assert "users/bob" not in page.text


def test_collections_of_missing_accounts(client, make_user, db):
    gone = make_user("mallory")
    f.suspend(db, gone.account_id)
    for kind in ("followers", "following", "outbox", "collections/featured"):
        assert _ap(client, f"/users/nobody/{kind}").status_code == 404
        assert _ap(client, f"/users/mallory/{kind}").status_code == 410


def test_outbox(client, make_user):
    alice = make_user("alice")
    bob = make_user("bob")
    public = _post(client, alice, "public one")
    unlisted = _post(client, alice, "unlisted one", visibility="unlisted")
    _post(client, alice, "private one", visibility="private")
    _post(client, alice, "@bob direct one", visibility="direct")
    bobs = _post(client, bob, "bob's")
    client.post(f"/api/v1/statuses/{bobs}/reblog", headers=alice.headers)

    url = f"{BASE}/users/alice/outbox"
    root = _ap(client, "/users/alice/outbox").json()
    assert root["type"] == "OrderedCollection"
    assert root["id"] == url
    assert root["first"] == f"{url}?page=true"
    statuses_count = client.get(f"/api/v1/accounts/{alice.account_id}").json()["statuses_count"]
    assert root["totalItems"] == statuses_count

    page = _ap(client, "/users/alice/outbox?page=true").json()
    assert page["type"] == "OrderedCollectionPage"
    assert page["partOf"] == url
    items = page["orderedItems"]
    assert [i["type"] for i in items] == ["Create", "Create"]
    assert [i["object"]["id"] for i in items] == [
        f"{BASE}/users/alice/statuses/{unlisted}",
        f"{BASE}/users/alice/statuses/{public}",
    ]
    assert all("@context" not in i for i in items)
    assert "private one" not in str(page) and "direct one" not in str(page)
    assert "next" not in page


def test_outbox_pages(client, make_user, db):
    alice = make_user("alice")
    ids = [f.status(db, alice.account_id, f"post {n}") for n in range(25)]
    url = f"{BASE}/users/alice/outbox"
    first = _ap(client, "/users/alice/outbox?page=true").json()
    assert len(first["orderedItems"]) == 20
    assert first["orderedItems"][0]["object"]["content"] == "<p>post 24</p>"
    assert first["next"] == f"{url}?max_id={ids[5]}&page=true"
    second = _ap(client, first["next"].removeprefix(BASE)).json()
    assert [i["object"]["content"] for i in second["orderedItems"]] == [
        f"<p>post {n}</p>" for n in (4, 3, 2, 1, 0)
    ]
    assert "next" not in second
    # `last` (min_id=0) is the oldest page, oldest post last.
    root = _ap(client, "/users/alice/outbox").json()
    last = _ap(client, root["last"].removeprefix(BASE)).json()
    assert last["orderedItems"][-1]["object"]["content"] == "<p>post 0</p>"


def test_featured(client, make_user, db):
    alice = make_user("alice")
    public = _post(client, alice, "pinned and public")
    private = _post(client, alice, "pinned but private", visibility="private")
    _post(client, alice, "not pinned")
    f.pin(db, alice.account_id, int(public))
    f.pin(db, alice.account_id, int(private))
    featured = _ap(client, "/users/alice/collections/featured").json()
    assert featured["id"] == f"{BASE}/users/alice/collections/featured"
    assert featured["type"] == "OrderedCollection"
    assert featured["totalItems"] == 1
    (note,) = featured["orderedItems"]
    assert note["type"] == "Note"
    assert note["id"] == f"{BASE}/users/alice/statuses/{public}"
    assert "@context" not in note


# --- signed fetches ---------------------------------------------------------------------------


def test_signed_fetch_sees_followers_only(client, make_user, db):
    alice = make_user("alice")
    follower_id, follower_uri, follower_key = _remote_with_key(db, "fan")
    _, stranger_uri, stranger_key = _remote_with_key(db, "stranger")
    _follow(db, follower_id, alice.account_id)
    private = _post(client, alice, "for my followers", visibility="private")
    path = f"/users/alice/statuses/{private}"

    seen = _signed(client, path, follower_uri, follower_key)
    assert seen.status_code == 200, seen.text
    note = seen.json()
    assert note["to"] == [f"{BASE}/users/alice/followers"]
    # Never to be kept by a shared cache.
    assert "private" in seen.headers["cache-control"]
    assert _signed(client, f"{path}/activity", follower_uri, follower_key).status_code == 200

    assert _signed(client, path, stranger_uri, stranger_key).status_code == 404
    assert _ap(client, path).status_code == 404


def test_direct_only_to_mentioned(client, make_user, db):
    alice = make_user("alice")
    friend_id, friend_uri, friend_key = _remote_with_key(db, "friend")
    _, other_uri, other_key = _remote_with_key(db, "other")
    direct = f.status(db, alice.account_id, "just you", visibility="direct", mention=[friend_id])
    path = f"/users/alice/statuses/{direct}"
    assert _signed(client, path, friend_uri, friend_key).status_code == 200
    assert _signed(client, path, other_uri, other_key).status_code == 404


# --- authorized fetch -------------------------------------------------------------------------


@pytest.fixture
def secure_client(settings):
    app = create_app(
        settings.with_overrides(authorized_fetch=True), run_workers=False, migrate=False
    )
    with TestClient(app, base_url=BASE) as c:
        yield c


def test_authorized_fetch(secure_client, db):
    c = secure_client

    alice, _ = db.run_sync(
        lambda tx: core_accounts.create_local(tx, "alice", "alice@example.com", "long password 1")
    )
    public = f.status(db, alice, "hello")
    reader_id, reader_uri, reader_key = _remote_with_key(db, "reader")

    for path in (
        f"/users/alice/statuses/{public}",
        f"/users/alice/statuses/{public}/activity",
        f"/@alice/{public}",
        "/users/alice/followers",
        "/users/alice/following",
        "/users/alice/outbox",
        "/users/alice/collections/featured",
    ):
        response = _ap(c, path)
        assert response.status_code == 401, path
        assert response.json() == {"error": "Request not signed"}
        signed = _signed(c, path, reader_uri, reader_key)
        assert signed.status_code == 200, (path, signed.text)
        assert "private" in signed.headers["cache-control"]

    # The actor: to unsigned requests, only what is needed to check its signatures.
    minimal = _ap(c, "/users/alice").json()
    assert minimal["id"] == f"{BASE}/users/alice"
    assert minimal["publicKey"]["owner"] == minimal["id"]
    assert {"id", "type", "preferredUsername", "inbox", "publicKey"} <= set(minimal)
    assert "followers" not in minimal and "summary" not in minimal and "name" not in minimal
    full = _signed(c, "/users/alice", reader_uri, reader_key).json()
    assert full["followers"] == f"{BASE}/users/alice/followers"
    assert full["publicKey"] == minimal["publicKey"]

    # Someone the account blocks gets no more than a stranger, and none of its posts.
    f.block(db, alice, reader_id)
    blocked = _signed(c, "/users/alice", reader_uri, reader_key).json()
    assert blocked == minimal
    assert _signed(c, f"/users/alice/statuses/{public}", reader_uri, reader_key).status_code == 404

    # The instance actor and discovery stay open: they are how servers find keys at all.
    assert _ap(c, "/actor").status_code == 200
    webfinger = c.get("/.well-known/webfinger", params={"resource": "acct:alice@pnyx.test"})
    assert webfinger.status_code == 200
    assert c.get("/nodeinfo/2.0").status_code == 200


def test_accept_header_reading(client, make_user):
    make_user("alice")
    for accept in (
        "application/activity+json",
        "application/ld+json",
        'application/ld+json; profile="https://www.w3.org/ns/activitystreams"',
        "application/json",
        "text/html;q=0.5, application/activity+json",
    ):
        response = client.get("/users/alice", headers={"Accept": accept}, follow_redirects=False)
        assert response.status_code == 200, accept
    for accept in ("text/html", "*/*", "application/activity+json;q=0"):
        response = client.get("/users/alice", headers={"Accept": accept}, follow_redirects=False)
        assert response.status_code == 302, accept


def test_a_deleted_post_is_gone_not_unknown(client, make_user):
    """As Mastodon: 410 with a Tombstone for servers, a 410 page for browsers."""
    alice = make_user("alice")
    sid = _post(client, alice, "soon gone")
    assert client.delete(f"/api/v1/statuses/{sid}", headers=alice.headers).status_code == 200
    for path in (f"/users/alice/statuses/{sid}", f"/@alice/{sid}"):
        response = _ap(client, path)
        assert response.status_code == 410, path
        assert response.headers["content-type"] == "application/activity+json; charset=utf-8"
        tombstone = response.json()
        assert tombstone["id"] == f"{BASE}/users/alice/statuses/{sid}"
        assert tombstone["type"] == "Tombstone" and tombstone["deleted"]
    browser = client.get(
        f"/users/alice/statuses/{sid}", headers={"Accept": "text/html"}, follow_redirects=False
    )
    assert browser.status_code == 410
    page = client.get(f"/@alice/{sid}", headers={"Accept": "text/html"})
    assert page.status_code == 410 and "This post has been deleted." in page.text
    # A post that never was is still unknown.
    assert _ap(client, f"/users/alice/statuses/{int(sid) + 1}").status_code == 404
    assert client.get(f"/@alice/{int(sid) + 1}").status_code == 404


def test_every_answer_at_a_shared_address_varies_on_accept(client, make_user):
    """`/@name` and `/@name/id` answer servers and browsers differently: whatever the answer
    (page, document, redirect, not found), it says it depends on Accept, so no cache mixes
    them up."""
    alice = make_user("alice")
    bob = make_user("bob")
    sid = _post(client, alice, "hello")
    boost = client.post(f"/api/v1/statuses/{sid}/reblog", headers=bob.headers).json()["id"]
    paths = ("/@alice", f"/@alice/{sid}", f"/@bob/{boost}", "/@nobody", "/@alice/1")
    for path in (*paths, "/@alice/followers"):
        for headers in (HTML, AP):
            response = client.get(path, headers=headers, follow_redirects=False)
            vary = [v.strip().lower() for v in response.headers.get("vary", "").split(",")]
            assert "accept" in vary, (path, headers, response.status_code)
