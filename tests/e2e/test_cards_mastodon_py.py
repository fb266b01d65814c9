"""Link preview cards and trending links read by Mastodon.py from a real `pnyx serve`: the
linked pages are served by a real HTTP server on loopback (the test server may reach it:
PNYX_ALLOW_PRIVATE_ADDRESSES), and the `cards.fetch` jobs are run from here with
`registry.drain` (the server's own worker may run them too: either way, once)."""

from __future__ import annotations

import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from mastodon import Mastodon, MastodonAPIError

import mastodon_apps
from pnyx import registry
from pnyx.config import Settings
from pnyx.db.engine import Database
from server import PnyxServer


def card_of(api: Mastodon, status_id, attempts: int = 150):
    """The post's card once its fetch is done: `registry.drain` here may find the job already
    taken by the server's own worker, still fetching (bounded: 15 s)."""
    for _ in range(attempts):
        card = api.status(status_id).card
        if card is not None:
            return card
        time.sleep(0.1)
    return None


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
    return mastodon_apps.people(server, ("kim", "lou"), ratelimit_method="throw")


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
    echoed = lou.status_post(f"Me too {url}")
    registry.drain(db)

    card = card_of(kim, posted.id)
    # The link trends once both posts carry its card: the server's worker may still hold
    # the second fetch (trends are then kept for minutes, so asking early would stick).
    assert card_of(lou, echoed.id) is not None
    assert card is not None
    assert card.url == url and card.title == "Tide tables" and card.type == "link"
    assert card.description == "When the sea comes in." and card.provider_name == "Coast"
    [shown] = [s for s in lou.timeline_public() if str(s.id) == str(posted.id)]
    assert shown.card.title == "Tide tables"

    links = kim.trending_links()
    assert [link.url for link in links] == [url]
    assert links[0].history[0].accounts == 2  # Mastodon.py reads the string as a number


def test_mastodon_py_sets_attribution_domains_and_reads_the_credited_author(
    people, db, pages, server
):
    """Mastodon.py does not know `attribution_domains[]` yet: it is sent as a form parameter
    through the library's own request method, as an app built on it would."""
    base, served = pages
    kim, lou = people["kim"], people["lou"]
    patch = kim._Mastodon__api_request
    me = patch(
        "PATCH", "/api/v1/accounts/update_credentials", {"attribution_domains": ["127.0.0.1"]}
    )
    assert me.source.attribution_domains == ["127.0.0.1"]
    assert kim.account_verify_credentials().source.attribution_domains == ["127.0.0.1"]
    with pytest.raises(MastodonAPIError) as refused:
        patch("PATCH", "/api/v1/accounts/update_credentials", {"attribution_domains": ["a b"]})
    assert "Attribution domains is not a valid domain name" in str(refused.value)
    assert kim.account_verify_credentials().source.attribution_domains == ["127.0.0.1"]

    tag = f'<meta name="fediverse:creator" content="@{{}}@{server.domain}">'
    credited, claimed = f"/by-kim-{uuid.uuid4().hex[:8]}", f"/by-lou-{uuid.uuid4().hex[:8]}"
    for path, who in ((credited, "kim"), (claimed, "lou")):  # lou lists no domain
        served[path] = (
            f'<html><head><meta property="og:title" content="Notes by {who}">'
            f'<meta name="author" content="{who.title()}">{tag.format(who)}</head></html>'
        ).encode()
    first = lou.status_post(f"Good read {base + credited}")
    second = kim.status_post(f"Good read too {base + claimed}")
    registry.drain(db)

    [author] = card_of(lou, first.id).authors
    assert author.account.acct == "kim" and str(author.account.id) == str(me.id)
    assert author.name == "Kim"
    [author] = card_of(kim, second.id).authors
    assert author.account is None and author.name == "Lou"
