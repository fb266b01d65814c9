"""Explore (issue 11, part 5): trending posts, hashtags and links and accounts to follow, each
page with the terms of every item's score and where the numbers come from, read from the
constants `core.trends` and `core.suggestions` run with; the same explanation in
`GET /api/v1/pnyx/trends/about`."""

from __future__ import annotations

import html
import re
from datetime import timedelta
from pathlib import Path

from babel.messages.extract import extract_from_file
from babel.messages.pofile import read_po
from starlette.testclient import TestClient

import factories as f
from pnyx.app import create_app
from pnyx.core import discovery_about, preview_cards, suggestions, trends
from pnyx.core.algorithms import versions
from pnyx.db.tables import accounts, preview_card_statuses, statuses
from pnyx.web import explore as explore_page
from pnyx.web.i18n import translations

TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def sign_in(client, username: str) -> None:
    token = TOKEN.search(client.get("/auth/sign_in").text).group(1)
    answer = client.post(
        "/auth/sign_in",
        data={"login": username, "password": "correct horse battery", "csrf_token": token},
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text


def text_of(page) -> str:
    """The page's text, tags dropped and entities decoded (what a reader sees)."""
    assert page.status_code == 200, page.text
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page.text)))


def fresh(app) -> None:
    """Trends computed at every request (the cache is the same object the API uses)."""
    app.state.trends_cache = trends.Cache(seconds=0)


def assert_explains(page_text: str, kind: str) -> None:
    """The page shows the explanation with every constant's current value, from the module."""
    item = discovery_about.explain(kind)
    for name, value, _unit in item.parameters:
        assert f" {name} {value} " in page_text, name
    described = discovery_about.describe(item, "", "https://pnyx.test")
    assert described["formula"] in page_text and described["excluded"] in page_text


def test_trending_posts_in_order_with_the_terms_of_their_scores(client, make_user, app):
    db = app.state.db
    fresh(app)
    alice, bob, carol = make_user("alice"), make_user("bob"), make_user("carol")
    loved = f.status(db, alice.account_id, "loved post")
    liked = f.status(db, bob.account_id, "liked post")
    f.status(db, bob.account_id, "quiet post")  # no interaction: not trending
    private = f.status(db, alice.account_id, "followers only post", visibility="private")
    counts = {loved: 5, liked: 2, private: 9}
    db.run_sync(
        lambda tx: [
            tx.execute(statuses.update().where(statuses.c.id == sid).values(favourites_count=n))
            for sid, n in counts.items()
        ]
    )
    page = client.get("/explore")
    text = text_of(page)
    assert text.index("loved post") < text.index("liked post")
    assert "quiet post" not in text and "followers only post" not in text
    gravity, offset = trends.GRAVITY, trends.AGE_OFFSET_HOURS
    assert re.search(
        rf"Score [0-9.]+ = 5 interactions / \([0-9.]+ hours \+ {offset}\) \^ {gravity}", text
    )
    assert re.search(
        rf"Score [0-9.]+ = 2 interactions / \([0-9.]+ hours \+ {offset}\) \^ {gravity}", text
    )
    assert_explains(text, "statuses")
    assert 'href="https://pnyx.test/explore/source/trends"' in page.text
    assert '<a href="/explore" aria-current="page">' in page.text
    # Signed out: no tab of suggestions. Each reader's pipeline: alice blocks carol.
    assert 'href="/explore/suggestions"' not in page.text
    client.post(f"/api/v1/accounts/{carol.account_id}/block", headers=alice.headers)
    sign_in(client, "carol")
    mine = text_of(client.get("/explore"))
    assert "loved post" not in mine and "liked post" in mine


def test_trending_hashtags_count_accounts_not_posts(client, make_user, app):
    db = app.state.db
    fresh(app)
    people = [make_user(f"u{n}") for n in range(3)]
    for person in people:
        f.status(db, person.account_id, "#rising", tag_names=["rising"])
    # Before the last 24 hours: u0 6 hours before them (span 1), u1 56 hours before (span 3).
    for person, hours in ((people[0], 30), (people[1], 80)):
        sid = f.status(db, person.account_id, "#rising", tag_names=["rising"])
        db.run_sync(
            lambda tx, sid=sid, hours=hours: tx.execute(
                statuses.update()
                .where(statuses.c.id == sid)
                .values(created_at=tx.now - timedelta(hours=hours))
            )
        )
    for _ in range(5):  # one account posting a lot counts once
        f.status(db, people[0].account_id, "#pair", tag_names=["pair"])
    f.status(db, people[1].account_id, "#pair", tag_names=["pair"])
    f.status(db, people[0].account_id, "#alone", tag_names=["alone"])
    f.status(db, people[1].account_id, "#hush", tag_names=["hush"], visibility="unlisted")
    f.status(db, people[2].account_id, "#hush", tag_names=["hush"], visibility="unlisted")
    page = client.get("/explore/tags")
    text = text_of(page)
    assert re.findall(r'href="/tags/([a-z]+)"', page.text) == ["rising", "pair"]
    # usual = (1 + 1) / 6 accounts a day; score = 3 - 0.33.
    assert "Score 2.67 = 3 accounts in the last 24 hours - 0.33 accounts a day before" in text
    assert "the last one first: 3, 1, 0, 1, 0, 0, 0 " in text
    assert "Score 2.00 = 2 accounts in the last 24 hours - 0.00 accounts a day before" in text
    assert "the last one first: 2, 0, 0, 0, 0, 0, 0 " in text
    assert "#alone" not in text and "#hush" not in text
    assert_explains(text, "tags")
    assert "not posts" in text


def test_trending_links_with_their_week(client, make_user, app):
    db = app.state.db
    fresh(app)
    people = [make_user(f"p{n}") for n in range(3)]
    news, lonely = "https://news.example/ocean", "https://news.example/lonely"

    def share(account_id: int, url: str, visibility: str = "public") -> None:
        sid = f.status(db, account_id, f"look {url}", visibility=visibility)
        db.run_sync(
            lambda tx: tx.execute(
                preview_card_statuses.insert().values(status_id=sid, url=url, created_at=tx.now)
            )
        )

    for person in people:
        share(person.account_id, news)
    share(people[0].account_id, lonely)
    share(people[1].account_id, lonely, "unlisted")
    preview_cards.save(db, news, preview_cards.CardData(title="The Ocean"))
    preview_cards.save(db, lonely, preview_cards.CardData(title="Lonely page"))
    page = client.get("/explore/links")
    text = text_of(page)
    assert f'href="{news}"' in page.text and "Lonely page" not in text
    assert "Score 3.00 = 3 accounts in the last 24 hours - 0.00 accounts a day before" in text
    assert "the last one first: 3, 0, 0, 0, 0, 0, 0 " in text
    assert "today first: 3/3 , 0/0 ," in text
    assert_explains(text, "links")


def test_suggestions_for_the_signed_in_with_their_counts(client, make_user, app):
    db = app.state.db
    me, friend, star, other = (make_user(n) for n in ("me", "friend", "star", "other"))
    f.follow(db, me.account_id, friend.account_id)
    f.follow(db, friend.account_id, star.account_id)
    f.follow(db, other.account_id, star.account_id)
    f.follow(db, star.account_id, other.account_id)
    signed_out = client.get("/explore/suggestions", follow_redirects=False)
    assert signed_out.status_code == 303 and signed_out.headers["location"] == "/auth/sign_in"
    sign_in(client, "me")
    page = client.get("/explore/suggestions")
    text = text_of(page)
    assert text.index("@star") < text.index("@other") and "@friend" not in text
    assert "Followed by 1 of the accounts you follow and by 2 accounts of this server" in text
    assert "Followed by 0 of the accounts you follow and by 1 accounts of this server" in text
    assert_explains(text, "suggestions")
    assert 'href="https://pnyx.test/explore/source/suggestions"' in page.text
    assert '<li><a href="/explore">' in client.get("/home").text  # the navigation links Explore


def test_the_api_explains_every_kind_with_the_modules_values(client):
    body = client.get("/api/v1/pnyx/trends/about").json()
    assert list(body) == ["statuses", "tags", "links", "suggestions"]
    values = {kind: {p["name"]: p["value"] for p in body[kind]["parameters"]} for kind in body}
    assert values["statuses"]["GRAVITY"] == trends.GRAVITY
    assert values["statuses"]["AGE_OFFSET_HOURS"] == trends.AGE_OFFSET_HOURS
    assert values["statuses"]["STATUS_WINDOW"] * 3600 == trends.STATUS_WINDOW.total_seconds()
    assert values["tags"]["MIN_RECENT_ACCOUNTS"] == trends.MIN_RECENT_ACCOUNTS
    assert values["tags"]["USUAL_DAYS"] == trends.USUAL_DAYS
    assert values["links"]["RECENT"] * 3600 == trends.RECENT.total_seconds()
    assert values["suggestions"] == {
        "MAX_FOLLOWED": suggestions.MAX_FOLLOWED,
        "MAX_CANDIDATES": suggestions.MAX_CANDIDATES,
    }
    assert f"^ {trends.GRAVITY}" in body["statuses"]["formula"]
    assert body["tags"]["source_url"] == "https://pnyx.test/explore/source/trends"
    assert body["suggestions"]["source_url"] == "https://pnyx.test/explore/source/suggestions"
    source = client.get(body["tags"]["source_url"].removeprefix("https://pnyx.test"))
    assert source.status_code == 200 and source.text == versions.source_of(trends)
    assert client.get("/explore/source/accounts").status_code == 404


def test_a_published_source_url_is_linked_instead(settings):
    app = create_app(
        settings.with_overrides(source_url="https://git.example/pnyx/src/branch/main"),
        run_workers=False,
        migrate=False,
    )
    with TestClient(app, base_url="https://pnyx.test") as client:
        body = client.get("/api/v1/pnyx/trends/about").json()
        link = "https://git.example/pnyx/src/branch/main/src/pnyx/core/trends.py"
        assert body["statuses"]["source_url"] == link
        assert f'href="{link}"' in client.get("/explore/tags").text
        feeds = client.get("/api/v1/pnyx/feeds/diverse").json()
        assert feeds["source_url"].endswith("/src/pnyx/core/algorithms/diverse.py")


def test_explore_in_french(client):
    page = text_of(client.get("/explore", headers={"Accept-Language": "fr"}))
    assert "Explorer" in page and "D’où viennent ces chiffres" in page
    assert f"^ {trends.GRAVITY}, où interactions" in page
    french = translations("fr").gettext
    for kind in discovery_about.KINDS:
        item = discovery_about.explain(kind)
        for text in (item.formula, item.window, item.counts, item.excluded):
            assert french(text) != text, text
        for _name, _value, unit in item.parameters:
            assert french(unit) != unit, unit
    template = Path(explore_page.__file__).parent / "templates" / "site" / "explore.html"
    found = [
        message
        for _line, message, _comments, _context in extract_from_file(
            "jinja2.ext.babel_extract",
            str(template),
            keywords={"_": None},
            options={"extensions": "jinja2.ext.i18n", "trim_blocks": "true"},
        )
        if isinstance(message, str)
    ]
    assert len(found) > 20
    catalogs = []
    for po in sorted((template.parents[2] / "locale" / "fr" / "LC_MESSAGES").glob("*.po")):
        with po.open("rb") as fh:
            catalogs.append(read_po(fh, locale="fr"))
    untranslated = [m for m in found if not any(c.get(m) and c.get(m).string for c in catalogs)]
    assert untranslated == []


def test_suspended_authors_leave_explore(client, make_user, app):
    db = app.state.db
    fresh(app)
    alice = make_user("alice")
    loved = f.status(db, alice.account_id, "loved post")
    db.run_sync(
        lambda tx: tx.execute(
            statuses.update().where(statuses.c.id == loved).values(favourites_count=3)
        )
    )
    assert "loved post" in text_of(client.get("/explore"))
    db.run_sync(
        lambda tx: tx.execute(
            accounts.update().where(accounts.c.id == alice.account_id).values(indexable=False)
        )
    )
    assert "loved post" not in text_of(client.get("/explore"))


def test_explore_pages_by_offset_as_the_api(client, make_user, app):
    db = app.state.db
    fresh(app)
    alice = make_user("alice")
    made = [f.status(db, alice.account_id, f"post number {n}") for n in range(21)]
    db.run_sync(
        lambda tx: [
            tx.execute(statuses.update().where(statuses.c.id == sid).values(favourites_count=n + 1))
            for n, sid in enumerate(made)
        ]
    )
    first = client.get("/explore")
    text = text_of(first)
    assert "post number 20 " in text and "post number 1 " in text and "post number 0 " not in text
    assert "No. 1 · Score" in text and "No. 20 · Score" in text
    assert '<a href="/explore?offset=20" rel="next">' in first.text
    second = text_of(client.get("/explore?offset=20"))
    assert "post number 0 " in second and "No. 21 · Score" in second
    assert "post number 1 " not in second and 'rel="next"' not in second
    assert client.get("/explore?offset=nonsense").status_code == 200
    assert client.get("/explore/tags?offset=-5").status_code == 200
