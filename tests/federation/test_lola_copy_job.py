"""The copy job of a live copy (LOLA, destination end) on both databases, against a real
`pnyx serve` as the old server: the authorization done by the code a browser brings back,
a copy that crashes after its first page and resumes with no duplicate, replies read before
their parent linked at the end, the favourite and the block copied with no job queued but the
block's, and the token handed back (A refuses it afterwards).

And the client's manners with a stand-in server: the token on every request to the old
server's origin and never elsewhere, a short `429 Retry-After` waited out, a long one ending
the run until then.
"""

from __future__ import annotations

import json
import re
import threading
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urljoin, urlsplit

import httpx
import pytest
import sqlalchemy as sa

import pnyx.registry  # noqa: F401 - installs the media store and the events' dispatcher
from pnyx.core import accounts as core_accounts
from pnyx.core.lola import transfers
from pnyx.db.tables import imported_statuses, jobs, statuses
from pnyx.federation import lola_client, lola_copy
from server import PnyxServer
from tests.api.test_oauth import parse

from .people import PASSWORD, Person, login

POSTS = 45  # more than a page of `content` (40)
pytestmark = pytest.mark.xdist_group("lola-copy-job")  # one source server, one worker


@pytest.fixture(scope="module")
def source(tmp_path_factory):
    server = PnyxServer(tmp_path_factory.mktemp("lola-source"), backend="sqlite")
    server.start()
    try:
        alice, bob, mallory = login(server, "alice"), login(server, "bob"), login(server, "mallory")
        alice.api.status_favourite(bob.api.status_post("bob's post")["id"])
        alice.api.account_block(mallory.id)
        alice.api.account_follow(bob.id)
        first = alice.api.status_post("post 0")
        for n in range(1, POSTS - 1):
            alice.api.status_post(f"post {n}")
        # The newest post answers the oldest: read on the first page, its parent on the second.
        alice.api.status_post(f"post {POSTS - 1}, a reply", in_reply_to_id=first["id"])
        yield server, alice
    finally:
        server.stop()


def person(db, name: str) -> int:
    def work(tx):
        account_id, _user = core_accounts.create_local(
            tx, name, f"{name}@example.com", "correct horse battery"
        )
        return account_id

    return db.run_sync(work)


def allowed(db, server: PnyxServer, alice: Person, account_id: int) -> int:
    """The flow up to a queued copy: the browser's part at A done with httpx."""
    transfer_id, url = lola_client.prepare(db, db.settings, account_id, alice.handle)
    with httpx.Client(timeout=60) as browser:
        page = browser.get(url)
        form = parse(page.text).forms["sign-in-form"]
        data = dict(form["fields"], login="alice@example.com", password=PASSWORD)
        consent = browser.post(
            urljoin(str(page.url), form["action"]), data=data, follow_redirects=True
        )
        form = parse(consent.text).forms["consent-form"]
        name, value = form["buttons"]["authorize"]
        answer = browser.post(
            urljoin(str(consent.url), form["action"]), data={**form["fields"], name: value}
        )
    assert answer.status_code == 303, answer.text
    back = urlsplit(answer.headers["location"])
    assert f"{back.scheme}://{back.netloc}{back.path}" == lola_client.callback_url(db.settings)
    query = {k: v[0] for k, v in parse_qs(back.query).items()}
    row = db.run_sync(transfers.awaiting, query["state"])
    assert row is not None and row.id == transfer_id
    actor = lola_client.complete(db, db.settings, row, query["code"], query["activitypub_actor"])
    assert actor == server.url("/users/alice")
    return transfer_id


class Crash(Exception):
    pass


def test_a_copy_resumes_after_a_crash_with_no_duplicate(local_db, source):
    server, alice = source
    db = local_db
    alice2 = person(db, "alice2")
    transfer_id = allowed(db, server, alice, alice2)
    db.run_sync(lambda tx: tx.execute(jobs.delete()))  # the job is run here, by hand
    seen = []

    def crash_after_the_first_page(row):
        seen.append((row.phase, row.imported))
        raise Crash

    with pytest.raises(Crash):
        lola_copy.run(db, transfer_id, progress=crash_after_the_first_page)
    row = db.run_sync(transfers.get, transfer_id)
    assert seen == [("content", 40)] and (row.state, row.imported, row.total) == (
        "running",
        40,
        POSTS,
    )
    assert row.cursor and "max_id=" in row.cursor
    token = row.access_token
    content = server.url("/users/alice/content")
    assert httpx.get(content, headers={"Authorization": f"Bearer {token}"}).status_code == 200

    done = lola_copy.run(db, transfer_id)
    assert (done.state, done.imported, done.skipped, done.failed) == ("finished", POSTS, 0, 0)
    assert (done.favourites, done.blocks, done.follows_found) == (1, 1, 1)
    assert done.access_token is None
    # Nothing was queued for the posts nor the favourite (no event: no delivery, no
    # notification, no fan-out); the block's event tells mallory's server, as a block does.
    left = db.run_sync(lambda tx: tx.rows(sa.select(jobs.c.kind, jobs.c.payload)))
    assert [(kind, payload.get("event")) for kind, payload in left] == [("event", "AccountBlocked")]
    # A took its token back: it opens nothing any more.
    assert httpx.get(content, headers={"Authorization": f"Bearer {token}"}).status_code == 401
    assert lola_copy.run(db, transfer_id) is None  # over: nothing to do

    made = db.run_sync(
        lambda tx: tx.rows(
            sa.select(statuses.c.id, statuses.c.text, statuses.c.in_reply_to_id)
            .join(imported_statuses, imported_statuses.c.status_id == statuses.c.id)
            .where(statuses.c.account_id == alice2)
        )
    )
    texts = sorted(r.text for r in made)
    assert len(made) == POSTS and len(set(texts)) == POSTS
    by_text = {r.text: r for r in made}
    assert by_text[f"post {POSTS - 1}, a reply"].in_reply_to_id == by_text["post 0"].id


def test_a_grant_taken_back_stops_the_copy_and_says_why(local_db, source):
    server, alice = source
    transfer_id = allowed(local_db, server, alice, person(local_db, "alice2"))
    row = local_db.run_sync(transfers.get, transfer_id)
    # The person took the grant back at the old server before the copy started.
    lola_client.revoke(local_db, local_db.settings, row.endpoints, row.client_id, row.access_token)
    done = lola_copy.run(local_db, transfer_id)
    assert (done.state, done.imported, done.access_token) == ("failed", 0, None)
    assert done.error.startswith("The old server refused the posts: HTTP 401")


def test_a_collection_that_never_ends_is_cut(local_db, source, monkeypatch):
    """A source whose `next` goes on and on does not hold the copy forever: past the pages a
    run reads of one collection, the rest of it is passed, and said."""
    server, alice = source
    monkeypatch.setattr(lola_copy, "MAX_PAGES", 1)
    transfer_id = allowed(local_db, server, alice, person(local_db, "alice2"))
    done = lola_copy.run(local_db, transfer_id)
    assert (done.state, done.imported) == ("finished", 40)
    assert {"uri": "", "reason": "more than 1 pages"} in done.failures


class StandIn:
    """A server that answers from a script: path -> list of (status, headers, body), the last
    one repeated; it records each request's path and Authorization header."""

    def __init__(self, script: dict[str, list[tuple[int, dict, bytes]]]):
        self.script = script
        self.seen: list[tuple[str, str | None]] = []
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                path = self.path.split("?")[0]
                stand_in.seen.append((path, self.headers.get("Authorization")))
                answers = stand_in.script.get(path) or [(404, {}, b"")]
                status, headers, body = answers.pop(0) if len(answers) > 1 else answers[0]
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.http.daemon_threads = True
        self.base = f"http://127.0.0.1:{self.http.server_address[1]}"
        threading.Thread(target=self.http.serve_forever, args=(0.02,), daemon=True).start()

    def close(self):
        self.http.shutdown()
        self.http.server_close()


AP = {"Content-Type": "application/activity+json"}


def test_the_token_goes_to_the_old_server_only_and_429_is_honoured(local_db):
    elsewhere = StandIn({"/media/a.png": [(200, {"Content-Type": "image/png"}, b"png")]})
    old = StandIn({})
    collection = {"id": f"{old.base}/users/alice/content", "type": "OrderedCollection"}
    old.script.update(
        {
            "/users/alice/content": [
                (429, {"Retry-After": "2"}, b""),
                (200, AP, json.dumps(collection).encode()),
            ],
            "/moved": [(302, {"Location": elsewhere.base + "/media/a.png"}, b"")],
            "/busy": [(429, {"Retry-After": "3600"}, b"")],
        }
    )
    waits: list[float] = []
    try:
        with lola_client.PortabilityClient(
            local_db.settings, token="tok", token_origin=old.base, sleep=waits.append
        ) as client:
            found = client.document(old.base + "/users/alice/content")
            assert found["type"] == "OrderedCollection"
            assert len(waits) == 1 and 0 < waits[0] <= 2  # the short wait, waited out
            assert client.fetch(old.base + "/moved", accept="*/*").body == b"png"
            before = datetime.now(UTC)
            with pytest.raises(lola_client.RateLimited) as limited:
                client.fetch(old.base + "/busy")
            assert (limited.value.not_before - before).total_seconds() > 3000
    finally:
        old.close()
        elsewhere.close()
    assert old.seen[:2] == [("/users/alice/content", "Bearer tok")] * 2
    assert ("/moved", "Bearer tok") in old.seen
    assert elsewhere.seen == [("/media/a.png", None)]  # the redirect left the origin: no token


def test_an_address_is_read_before_any_network(local_db):
    settings = local_db.settings
    assert lola_client.read_source("alice@old.example", settings) == (
        "http://old.example",
        "alice@old.example",
    )
    assert lola_client.read_source(" https://old.example/users/alice ", settings)[1].endswith(
        "/users/alice"
    )
    assert lola_client.read_source("old.example", settings) == ("http://old.example", None)
    for bad in ("", "nobody", "a b@c.d", "javascript:alert(1)", "x" * 600, "@@old.example"):
        with pytest.raises(lola_client.LolaError) as refused:
            lola_client.read_source(bad, settings)
        assert refused.value.kind == "address", bad
    with pytest.raises(lola_client.LolaError) as own:
        lola_client.discover(local_db, settings, "someone@pnyx.test")
    assert own.value.kind == "same"
    assert re.search(r"on this server already", own.value.message)
