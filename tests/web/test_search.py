"""Web UI: the search page (issue 4)."""

from __future__ import annotations

import dataclasses
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from starlette.testclient import TestClient

import factories
from pnyx.app import create_app
from pnyx.core import accounts as core_accounts
from pnyx.core import statuses
from pnyx.core.keys import generate_keypair

from .forms import sign_in


def post(db, account_id: int, text: str, visibility: str = "public") -> int:
    return db.run_sync(
        statuses.create, account_id, statuses.StatusInput(text=text, visibility=visibility)
    )


def test_empty_search_shows_a_labelled_form(client):
    page = client.get("/search")
    assert page.status_code == 200
    assert '<form method="get" action="/search" role="search"' in page.text
    assert '<label for="search-q">' in page.text and 'id="search-q" name="q"' in page.text
    assert "Accounts</h2>" not in page.text


def test_signed_out_finds_accounts_and_hashtags_but_no_posts(client, make_user):
    db = client.app.state.db
    alice = make_user("alice")
    make_user("alicia")
    post(db, alice.account_id, "alice talks about #Gardening today")
    page = client.get("/search", params={"q": "ali"})
    assert page.status_code == 200
    assert '<a href="/@alice">' in page.text and '<a href="/@alicia">' in page.text
    assert "Sign in to search posts." in page.text
    assert "talks about" not in page.text and "<article" not in page.text

    tags = client.get("/search", params={"q": "#garden"}).text
    assert '<a href="/tags/gardening">#gardening</a>' in tags
    assert "talks about" not in tags


def test_remote_accounts_are_found_by_handle(client, make_user):
    db = client.app.state.db
    factories.remote_account(db, "zed", "remote.example", display_name="Zed Elsewhere")
    page = client.get("/search", params={"q": "@zed@remote.example"}).text
    assert '<a href="/@zed@remote.example"><strong>Zed Elsewhere</strong>' in page

    # Signed in, a known remote account is found without asking its server; an address on a
    # private network is not looked up at all (and finds nothing, without an error).
    make_user("me")
    sign_in(client, "me")
    assert (
        '<a href="/@zed@remote.example">'
        in client.get("/search", params={"q": "@zed@remote.example"}).text
    )
    started = time.monotonic()
    nobody = client.get("/search", params={"q": "@ghost@127.0.0.1:9"})
    assert nobody.status_code == 200 and "No accounts found." in nobody.text
    assert time.monotonic() - started < 10


def test_a_profile_address_finds_that_account(client, make_user):
    """The search page finds the account a pasted profile address names, as the API does."""
    make_user("alice")
    factories.remote_account(client.app.state.db, "zed", "remote.example", display_name="Zed")
    for q, link in (
        ("https://pnyx.test/@alice", '<a href="/@alice">'),
        ("https://pnyx.test/users/alice", '<a href="/@alice">'),
        ("https://remote.example/@zed", '<a href="/@zed@remote.example">'),
    ):
        assert link in client.get("/search", params={"q": q}).text, q


def test_signed_in_finds_posts_it_may_see_only(client, make_user):
    db = client.app.state.db
    me, bob, carol = make_user("me"), make_user("bob"), make_user("carol")
    factories.follow(db, me.account_id, bob.account_id)
    public = post(db, carol.account_id, "pumpkin soup for everyone")
    hidden = post(db, carol.account_id, "pumpkin soup for my followers", visibility="private")
    friend = post(db, bob.account_id, "pumpkin soup for bob's followers", visibility="private")
    # A followers-only post is found by those whose library holds it (here: bookmarked).
    factories.bookmark(db, me.account_id, friend)
    sign_in(client, "me")
    page = client.get("/search", params={"q": "pumpkin soup"})
    assert page.status_code == 200
    text = page.text
    assert f'id="status-{public}"' in text and "pumpkin soup for everyone" in text
    assert f'id="status-{friend}"' in text
    assert f'id="status-{hidden}"' not in text and "for my followers" not in text
    assert "Sign in to search posts." not in text
    # Results link to the post pages.
    assert f'href="/@carol/{public}"' in text


def test_search_escapes_the_query(client):
    page = client.get("/search", params={"q": '"><script>alert(1)</script>'}).text
    assert "<script>alert(1)" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_search_in_french(client, make_user):
    make_user("alice")
    page = client.get(
        "/search", params={"q": "nobody-here"}, headers={"Accept-Language": "fr"}
    ).text
    assert '<html lang="fr">' in page
    assert "Aucun compte trouvé." in page
    assert "Connectez-vous pour rechercher des messages." in page


class StandIn:
    """A stand-in remote server on loopback: WebFinger and one actor document."""

    def __init__(self):
        docs: dict[str, bytes] = {}

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                body = docs.get(self.path.split("?")[0])
                self.send_response(200 if body else 404)
                self.send_header("Content-Type", "application/activity+json")
                self.send_header("Content-Length", str(len(body or b"")))
                self.end_headers()
                self.wfile.write(body or b"")

            def log_message(self, *args):
                pass

        self.docs = docs
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, args=(0.02,), daemon=True).start()
        self.host = f"127.0.0.1:{self.server.server_port}"

    def serve_actor(self, username: str) -> None:
        base = f"http://{self.host}"
        actor = f"{base}/users/{username}"
        self.docs["/.well-known/webfinger"] = json.dumps(
            {
                "subject": f"acct:{username}@{self.host}",
                "links": [{"rel": "self", "type": "application/activity+json", "href": actor}],
            }
        ).encode()
        self.docs[f"/users/{username}"] = json.dumps(
            {
                "@context": ["https://www.w3.org/ns/activitystreams"],
                "id": actor,
                "type": "Person",
                "preferredUsername": username,
                "name": "Zoe Far Away",
                "inbox": f"{actor}/inbox",
                "outbox": f"{actor}/outbox",
                "url": f"{base}/@{username}",
                "publicKey": {
                    "id": f"{actor}#main-key",
                    "owner": actor,
                    "publicKeyPem": generate_keypair().public_pem,
                },
            }
        ).encode()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def loopback_client(settings):
    """The app allowed to reach loopback servers (as PNYX_ALLOW_PRIVATE_ADDRESSES=1 does)."""
    app = create_app(
        dataclasses.replace(settings, scheme="http", allow_private_addresses=True),
        run_workers=False,
        migrate=False,
    )
    with TestClient(app, base_url="http://pnyx.test") as c:
        yield c


def test_signed_in_search_finds_an_account_on_another_server(loopback_client):
    client = loopback_client
    client.app.state.db.run_sync(
        core_accounts.create_local, "me", "me@example.com", "correct horse battery"
    )
    remote = StandIn()
    try:
        remote.serve_actor("zoe")
        handle = f"@zoe@{remote.host}"
        # Signed out, nothing is asked of the other server.
        assert "No accounts found." in client.get("/search", params={"q": handle}).text
        sign_in(client, "me")
        page = client.get("/search", params={"q": handle}).text
    finally:
        remote.close()
    assert f'<a href="/@zoe@{remote.host}"><strong>Zoe Far Away</strong>' in page


def test_operators_work_on_the_page_and_a_bad_date_finds_no_posts(client, make_user):
    db = client.app.state.db
    me, bob = make_user("me"), make_user("bob")
    mine = post(db, me.account_id, "turnip stew tonight")
    theirs = post(db, bob.account_id, "turnip stew recipe")
    sign_in(client, "me")
    text = client.get("/search", params={"q": "turnip from:me"}).text
    assert f'id="status-{mine}"' in text and f'id="status-{theirs}"' not in text
    text = client.get("/search", params={"q": "turnip -from:me"}).text
    assert f'id="status-{theirs}"' in text and f'id="status-{mine}"' not in text
    # A malformed date is no error page: the posts part is empty, the page is there.
    page = client.get("/search", params={"q": "turnip before:someday"})
    assert page.status_code == 200
    assert f'id="status-{mine}"' not in page.text and f'id="status-{theirs}"' not in page.text
