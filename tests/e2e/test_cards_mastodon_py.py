"""Link preview cards and trending links read by Mastodon.py from a real `pnyx serve`: the
linked pages are served by a real HTTP server on loopback (the test server may reach it:
PNYX_ALLOW_PRIVATE_ADDRESSES), and the `cards.fetch` jobs are run from here with
`registry.drain` (the server's own worker may run them too: either way, once)."""

from __future__ import annotations

import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from mastodon import Mastodon

from pnyx import registry
from pnyx.config import Settings
from pnyx.db.engine import Database
from server import PnyxServer

PASSWORD = "correct horse battery staple"
SCOPES = ["read", "write", "follow", "push"]


@pytest.fixture(scope="module")
def pages():
    """A web server with one page per path given in `served` (path -> HTML)."""
    served: dict[str, bytes] = {}

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_GET(self):
            body = served.get(self.path)
            self.send_response(200 if body is not None else 404)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body or b"")))
            self.end_headers()
            self.wfile.write(body or b"")

    http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    http.daemon_threads = True
    threading.Thread(target=http.serve_forever, args=(0.02,), daemon=True).start()
    yield f"http://127.0.0.1:{http.server_port}", served
    http.shutdown()
    http.server_close()


@pytest.fixture(scope="module")
def db(server: PnyxServer):
    database = Database(
        Settings(
            domain=server.domain,
            scheme="http",
            database_url=server.database_url,
            allow_private_addresses=True,
        )
    )
    yield database
    database.dispose()


@pytest.fixture(scope="module")
def people(server: PnyxServer) -> dict[str, Mastodon]:
    client_id, secret = Mastodon.create_app(
        "Pnyx cards e2e",
        scopes=SCOPES,
        redirect_uris="urn:ietf:wg:oauth:2.0:oob",
        api_base_url=server.base_url,
    )
    out = {}
    for name in ("kim", "lou"):
        server.create_user(name, f"{name}@example.com", PASSWORD)
        api = Mastodon(
            client_id=client_id,
            client_secret=secret,
            api_base_url=server.base_url,
            version_check_mode="created",
            ratelimit_method="throw",
            request_timeout=60,
        )
        api.log_in(f"{name}@example.com", PASSWORD, scopes=SCOPES, allow_http=True)
        out[name] = api
    return out


def test_mastodon_py_reads_the_card_and_the_trending_link(people, db, pages):
    base, served = pages
    path = f"/story-{uuid.uuid4().hex[:8]}"
    served[path] = (
        b'<html lang="en"><head><meta property="og:title" content="Tide tables">'
        b'<meta property="og:description" content="When the sea comes in.">'
        b'<meta property="og:site_name" content="Coast"></head></html>'
    )
    url = base + path
    kim, lou = people["kim"], people["lou"]
    posted = kim.status_post(f"Worth reading: {url}")
    lou.status_post(f"Me too {url}")
    registry.drain(db)

    card = kim.status(posted.id).card
    assert card is not None
    assert card.url == url and card.title == "Tide tables" and card.type == "link"
    assert card.description == "When the sea comes in." and card.provider_name == "Coast"
    [shown] = [s for s in lou.timeline_public() if str(s.id) == str(posted.id)]
    assert shown.card.title == "Tide tables"

    links = kim.trending_links()
    assert [link.url for link in links] == [url]
    assert links[0].history[0].accounts == 2  # Mastodon.py reads the string as a number
