"""Link preview cards: posts made through the API link pages served by a real HTTP server on
loopback; the `cards.fetch` job fetches them through the safe client (allowed to reach
loopback here, refused without PNYX_ALLOW_PRIVATE_ADDRESSES), reads OpenGraph and oEmbed,
keeps only what is safe, and the Status entity shows the card. Trending links count them."""

from __future__ import annotations

import re
import threading
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import orjson
import sqlalchemy as sa

import factories
from images import jpeg_with_gps, metadata_of
from pnyx import registry
from pnyx.core import media_prune, preview_cards, trends
from pnyx.core.remote_store import IncomingStatus, store_status
from pnyx.db.engine import Database
from pnyx.db.tables import jobs
from pnyx.db.tables import preview_cards as cards_table
from pnyx.federation import card_pages

OG_PAGE = """<!doctype html><html lang="fr-FR"><head>
<title>Plain title</title>
<meta property="og:title" content="The &lt;b&gt;Ocean&lt;/b&gt; <script>alert(1)</script>">
<meta property="og:description" content="All about   the sea.">
<meta property="og:image" content="/img/sea.jpg">
<meta property="og:image:alt" content="Waves at dusk">
<meta property="og:site_name" content="Sea News">
<meta property="article:published_time" content="2026-03-01T10:00:00Z">
</head><body><p>text</p></body></html>"""


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        pass  # a client that stops reading at its cap is expected here


@contextmanager
def _server(answer):
    """A web server on loopback answering every GET with `answer()` -> (status, HTML)."""

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_GET(self):
            status, body = answer()
            self.send_response(status)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    http = _QuietServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=http.serve_forever, args=(0.02,), daemon=True).start()
    try:
        yield f"http://127.0.0.1:{http.server_port}"
    finally:
        http.shutdown()
        http.server_close()


def _page(peer, path: str, html: str, content_type: str = "text/html; charset=utf-8") -> str:
    return peer.serve_file(path, html.encode(), content_type)


def _post(client, user, text: str, **extra) -> dict:
    response = client.post("/api/v1/statuses", headers=user.headers, json={"status": text, **extra})
    assert response.status_code == 200, response.text
    return response.json()


def _card(client, user, status_id: str):
    response = client.get(f"/api/v1/statuses/{status_id}", headers=user.headers)
    assert response.status_code == 200, response.text
    return response.json()["card"]


def _card_row(db: Database, url: str):
    return db.run_sync(
        lambda tx: tx.one_or_none(sa.select(cards_table).where(cards_table.c.url == url)),
        write=False,
    )


def test_an_opengraph_page_becomes_the_posts_card(client, make_user, local_db, peer):
    alice = make_user("alice")
    url = _page(peer, "/articles/ocean", OG_PAGE)
    status = _post(client, alice, f"Read this {url} now")
    assert status["card"] is None  # fetched after commit, by the job
    registry.drain(local_db)

    card = _card(client, alice, status["id"])
    assert card["url"] == url
    assert card["title"] == "The <b>Ocean</b> <script>alert(1)</script>"  # text, not markup
    assert card["description"] == "All about the sea."
    assert card["image"] == f"{peer.base}/img/sea.jpg"
    assert card["image_description"] == "Waves at dusk"
    assert card["provider_name"] == "Sea News"
    assert card["type"] == "link" and card["html"] == ""
    assert card["language"] == "fr"
    assert card["published_at"].startswith("2026-03-01T10:00:00")

    # The web page of the post shows the card: one link, the image with its alt, text escaped.
    page = client.get(f"/@alice/{status['id']}", headers={"Accept": "text/html"}).text
    [shown] = re.findall(r'<a class="preview-card".*?</a>', page, re.S)
    assert f'href="{url}"' in shown and 'rel="nofollow noopener noreferrer"' in shown
    assert f'<img src="{peer.base}/img/sea.jpg" alt="Waves at dusk"' in shown
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in shown and "<script>" not in shown

    # A second post linking the same page shows the kept card at once: no second fetch.
    bob = make_user("bob")
    again = _post(client, bob, f"also {url}")
    assert again["card"]["title"] == card["title"]
    registry.drain(local_db)
    assert peer.file_requests.count("/articles/ocean") == 1


def test_oembed_video_keeps_only_an_https_iframe(client, make_user, local_db, peer):
    alice = make_user("alice")
    oembed = {
        "type": "video",
        "version": "1.0",
        "title": "A clip",
        "author_name": "Maker",
        "author_url": "/people/maker",
        "provider_name": "Tube",
        "width": 640,
        "height": 360,
        "html": (
            '<script src="https://evil.example/x.js"></script>'
            '<iframe src="https://player.example/embed/1" width="640" height="360" '
            'onload="steal()" style="position:fixed" allowfullscreen></iframe>'
            '<img src=x onerror="steal()">'
        ),
    }
    endpoint = peer.serve_file("/oembed/1", orjson.dumps(oembed), "application/json")
    page = f"""<html><head><title>Clip page</title>
    <link rel="alternate" type="application/json+oembed" href="{endpoint}">
    </head></html>"""
    url = _page(peer, "/watch/1", page)
    status = _post(client, alice, f"watch {url}")
    registry.drain(local_db)

    card = _card(client, alice, status["id"])
    assert card["type"] == "video" and card["title"] == "A clip"
    assert card["width"] == 640 and card["height"] == 360
    assert card["author_name"] == "Maker"
    assert card["author_url"] == f"{peer.base}/people/maker"
    html = card["html"]
    assert html.startswith("<iframe") and 'src="https://player.example/embed/1"' in html
    for bad in ("script", "onload", "onerror", "style", "<img", "evil.example"):
        assert bad not in html


def test_rich_embeds_without_an_iframe_fall_back_to_a_link_card():
    data = preview_cards.CardData(
        title="t", type="rich", html='<div onclick="x()"><script>x()</script>hello</div>'
    )
    values = preview_cards._cleaned(data)
    assert values["type"] == "link" and values["html"] == ""
    plain_http = preview_cards.embed_html('<iframe src="http://player.example/1"></iframe>')
    assert plain_http == ""


def test_an_oversized_page_is_cut_at_the_cap(client, make_user, local_db):
    alice = make_user("alice")
    padding = "<!--" + "x" * 1_200_000 + "-->"
    html = (
        '<html><head><meta property="og:title" content="Big page">'
        + padding
        + '<meta property="og:description" content="past the cap"></head></html>'
    ).encode()
    with _server(lambda: (200, html)) as base:
        url = f"{base}/big"
        status = _post(client, alice, f"big {url}")
        registry.drain(local_db)
    card = _card(client, alice, status["id"])
    assert card["title"] == "Big page"
    assert card["description"] == ""  # it was after the first megabyte: never read


def test_not_html_and_no_title_give_no_card(client, make_user, local_db, peer):
    alice = make_user("alice")
    json_url = peer.serve_file("/data.json", b'{"a": 1}', "application/json")
    bare_url = _page(peer, "/bare", "<html><body>nothing</body></html>")
    first = _post(client, alice, f"see {json_url}")
    second = _post(client, alice, f"see {bare_url}")
    registry.drain(local_db)
    assert _card(client, alice, first["id"]) is None
    assert _card(client, alice, second["id"]) is None
    assert _card_row(local_db, json_url).error == (
        "content type application/json is not application/xhtml+xml or text/html"
    )
    assert _card_row(local_db, bare_url).error == "the page has no title"
    # Recorded: another post of the same dead link fetches nothing again.
    before = len(peer.file_requests)
    _post(client, alice, f"again {json_url}")
    registry.drain(local_db)
    assert len(peer.file_requests) == before


def test_which_link_and_which_posts(client, make_user, local_db, peer):
    alice, bob = make_user("alice"), make_user("bob")
    url = _page(peer, "/articles/ocean", OG_PAGE)
    other = _page(peer, "/articles/other", OG_PAGE.replace("Ocean", "Other"))
    # A mention and a hashtag come before the link: they are not it.
    status = _post(client, alice, f"@bob #sea {url}")
    direct = _post(client, alice, f"@bob private {url}", visibility="direct")
    registry.drain(local_db)
    assert _card(client, alice, status["id"])["url"] == url
    assert _card(client, alice, direct["id"]) is None  # direct messages get no card
    assert _card(client, bob, status["id"])["url"] == url

    # An edit to another link changes the card; to no link drops it.
    edited = client.put(
        f"/api/v1/statuses/{status['id']}", headers=alice.headers, json={"status": f"now {other}"}
    )
    assert edited.status_code == 200, edited.text
    registry.drain(local_db)
    assert _card(client, alice, status["id"])["title"].startswith("The <b>Other")
    client.put(
        f"/api/v1/statuses/{status['id']}", headers=alice.headers, json={"status": "no link"}
    )
    assert _card(client, alice, status["id"]) is None


def test_first_link_rules():
    html = (
        '<p><span class="h-card"><a href="https://a.example/@x" class="u-url mention">@x</a>'
        '</span> <a href="https://pnyx.test/tags/t" class="mention hashtag" rel="tag">#t</a> '
        '<a href="https://pnyx.test/about">here</a> <a href="ftp://f.example/x">ftp</a> '
        '<a href="https://m.example/users/y">someone</a> '
        '<a href="https://news.example/a#part">news</a> <a href="https://later.example/">2</a></p>'
    )
    found = preview_cards.first_link(html, ["https://m.example/users/y"], "pnyx.test")
    assert found == "https://news.example/a"
    assert preview_cards.first_link("<p>no links</p>", [], "pnyx.test") is None


def test_a_private_address_is_refused_without_the_setting(settings, client, make_user, peer):
    db = Database(settings.with_overrides(allow_private_addresses=False, scheme="http"))
    try:
        alice = make_user("alice")
        url = _page(peer, "/articles/ocean", OG_PAGE)
        status = _post(client, alice, f"Read {url}")
        registry.drain(db)
        assert _card(client, alice, status["id"]) is None
        assert peer.file_requests == []
        row = _card_row(db, url)
        assert row is not None and "loopback" in row.error
    finally:
        db.dispose()


def test_a_shared_link_trends(client, make_user, local_db, peer, app):
    app.state.trends_cache = trends.Cache(seconds=0)
    url = _page(peer, "/articles/ocean", OG_PAGE)
    lonely = _page(peer, "/articles/lonely", OG_PAGE.replace("Ocean", "Lonely"))
    people = [make_user(f"p{n}") for n in range(3)]
    for person in people:
        _post(client, person, f"look {url}")
    _post(client, people[0], f"mine {lonely}")  # one account: not a trend
    _post(client, people[1], f"hidden {lonely}", visibility="unlisted")
    registry.drain(local_db)

    response = client.get("/api/v1/trends/links")
    assert response.status_code == 200, response.text
    [link] = response.json()
    assert link["url"] == url and link["title"].startswith("The <b>Ocean")
    assert link["history"][0]["uses"] == "3" and link["history"][0]["accounts"] == "3"
    assert len(link["history"]) == 7
    # Its timeline: the public posts of discoverable accounts that share it, newest first.
    shared = client.get("/api/v1/timelines/link", params={"url": url})
    assert shared.status_code == 200, shared.text
    assert [s["account"]["username"] for s in shared.json()] == ["p2", "p1", "p0"]
    assert all(s["card"]["url"] == url for s in shared.json())
    paged = client.get("/api/v1/timelines/link", params={"url": url, "limit": 1})
    assert len(paged.json()) == 1 and 'rel="next"' in paged.headers["Link"]
    # Not trending (or not a card): 404, as Mastodon.
    assert client.get("/api/v1/timelines/link", params={"url": lonely}).status_code == 404
    missing = client.get("/api/v1/timelines/link", params={"url": "https://x.example/"})
    assert missing.status_code == 404 and missing.json() == {"error": "Record not found"}
    assert client.get("/api/v1/timelines/link").status_code == 404


def test_remote_posts_get_cards_but_not_behind_a_content_warning(client, make_user, local_db, peer):
    viewer = make_user("viewer")
    url = _page(peer, "/articles/ocean", OG_PAGE)
    author = factories.remote_account(local_db, "taka", "elsewhere.example")

    def remote(n: int, **extra) -> int:
        incoming = IncomingStatus(
            uri=f"https://elsewhere.example/notes/{n}",
            content=f'<p>see <a href="{url}" rel="nofollow">{url}</a></p>',
            visibility="public",
            **extra,
        )
        return local_db.run_sync(store_status, author, incoming)

    plain = remote(1)
    warned = remote(2, spoiler_text="sea spoilers")
    registry.drain(local_db)
    assert _card(client, viewer, str(plain))["title"].startswith("The <b>Ocean")
    assert _card(client, viewer, str(warned)) is None
    assert peer.file_requests.count("/articles/ocean") == 1


def test_a_server_error_is_retried_by_the_job_queue(client, make_user, local_db):
    answers = [503]
    with _server(lambda: (answers[0], OG_PAGE.encode() if answers[0] == 200 else b"")) as base:
        alice = make_user("alice")
        url = f"{base}/flaky"
        status = _post(client, alice, f"flaky {url}")
        registry.drain(local_db)
        assert _card(client, alice, status["id"]) is None
        assert _card_row(local_db, url) is None  # nothing recorded: it will be tried again

        def waiting(tx):
            return tx.one_or_none(sa.select(jobs).where(jobs.c.kind == preview_cards.FETCH_JOB))

        job = local_db.run_sync(waiting, write=False)
        assert job.failed_at is None and "HTTP 503" in job.last_error
        answers[0] = 200
        local_db.run_sync(
            lambda tx: tx.execute(jobs.update().where(jobs.c.id == job.id).values(run_at=tx.now))
        )
        registry.drain(local_db)
        assert _card(client, alice, status["id"])["url"] == url


def test_the_cards_image_is_cached_stripped_and_served_from_here(client, make_user, local_db, peer):
    alice = make_user("alice")
    photo = peer.serve_file("/img/sea.jpg", jpeg_with_gps(1600, 900, orientation=1), "image/jpeg")
    url = _page(peer, "/articles/ocean", OG_PAGE)
    status = _post(client, alice, f"Read {url}")
    registry.drain(local_db)

    card = _card(client, alice, status["id"])
    base = local_db.settings.base_url + "/system/media/"
    assert card["image"].startswith(base) and card["blurhash"]
    assert (card["width"], card["height"]) == (640, 360)  # the small rendition's size
    row = _card_row(local_db, url)
    assert row.image_remote_url == photo and row.image_key.startswith("preview_cards/")
    served = client.get("/system/media/" + card["image"].removeprefix(base))
    assert served.status_code == 200 and served.headers["content-type"] == "image/jpeg"
    facts = metadata_of(served.content)
    assert facts["gps"] == {} and facts["exif"] == {} and facts["xmp"] is None
    # Another key under the same prefix is not served.
    other = row.image_key.rsplit("/", 2)[0] + "/0000000000000000/small.jpg"
    assert client.get("/system/media/" + other).status_code == 404

    # A refresh with another image: the origin is shown until cached, the old file goes.
    old_key = row.image_key
    changed = OG_PAGE.replace("/img/sea.jpg", "/img/other.jpg")
    preview_cards.save(local_db, url, card_pages.card_of(card_pages.parse(url, changed)))
    again = _card_row(local_db, url)
    assert again.image_key is None and again.image_url == f"{peer.base}/img/other.jpg"
    registry.drain(local_db)
    assert client.get("/system/media/" + old_key).status_code == 404


def test_an_old_cached_card_image_is_pruned_and_shown_from_its_origin(
    client, make_user, local_db, peer
):
    alice = make_user("alice")
    photo = peer.serve_file("/img/sea.jpg", jpeg_with_gps(800, 600, orientation=1), "image/jpeg")
    url = _page(peer, "/articles/ocean", OG_PAGE)
    status = _post(client, alice, f"Read {url}")
    registry.drain(local_db)
    key = _card_row(local_db, url).image_key
    assert key and media_prune.cached_bytes(local_db) > 0
    assert media_prune.plan(local_db) == []  # fresh: kept

    later = datetime.now(UTC) + timedelta(days=local_db.settings.remote_media_max_age_days + 1)
    removals = media_prune.plan(local_db, later)
    assert [(r.what, r.keys) for r in removals] == [(media_prune.REMOTE_CARD, (key,))]
    assert media_prune.apply(local_db, removals) == 1
    assert _card(client, alice, status["id"])["image"] == photo
    assert client.get("/system/media/" + key).status_code == 404
    assert media_prune.cached_bytes(local_db) == 0


def test_a_kept_card_is_in_the_streamed_post(client, make_user, local_db):
    alice, bob = make_user("alice"), make_user("bob")
    r = client.post(f"/api/v1/accounts/{alice.account_id}/follow", headers=bob.headers)
    assert r.status_code == 200, r.text
    url = "https://news.example/kept"
    preview_cards.save(local_db, url, preview_cards.CardData(title="Kept card"))
    with client.websocket_connect("/api/v1/streaming?stream=user", headers=bob.headers) as ws:
        status = _post(client, alice, f"see {url}")
        message = orjson.loads(ws.receive_text())
        assert message["event"] == "update"
        payload = orjson.loads(message["payload"])
        assert payload["id"] == status["id"] and payload["card"]["title"] == "Kept card"


def test_a_card_is_fetched_again_after_two_weeks(client, make_user, local_db, peer):
    alice = make_user("alice")
    url = _page(peer, "/articles/ocean", OG_PAGE)
    _post(client, alice, f"first {url}")
    registry.drain(local_db)
    peer.files["/articles/ocean"] = (OG_PAGE.replace("Ocean", "Sea").encode(), "text/html")
    past = datetime.now(UTC) - preview_cards.REFRESH - timedelta(minutes=1)
    local_db.run_sync(
        lambda tx: tx.execute(
            cards_table.update().where(cards_table.c.url == url).values(fetched_at=past)
        )
    )
    later = _post(client, alice, f"later {url}")
    assert later["card"]["title"].startswith("The <b>Ocean")  # the kept one, until refreshed
    registry.drain(local_db)
    assert peer.file_requests.count("/articles/ocean") == 2
    assert _card(client, alice, later["id"])["title"].startswith("The <b>Sea")
