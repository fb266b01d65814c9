"""The feeds a person uses on the web, in-process: the home switcher, a ranked feed's page
with its version, "Why?" under every post (home's parts, a ranked score drawn as SVG with its
numbers as text), composing a feed from the form, its page with the share link, and the pin
and follow buttons (which make it one of their Mastodon lists)."""

from __future__ import annotations

import html
import re

import factories as f
from pnyx.core.algorithms import catalog

PASSWORD = "correct horse battery"


def sign_in(client, username: str) -> str:
    client.cookies.clear()
    token = csrf_of(client.get("/auth/sign_in").text)
    answer = client.post(
        "/auth/sign_in",
        data={"login": username, "password": PASSWORD, "csrf_token": token},
        follow_redirects=False,
    )
    assert answer.status_code in (302, 303), answer.text
    return token


def csrf_of(page: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def _why_of(page: str, status_id: int) -> str:
    """The "Why?" disclosure of one post of the page."""
    start = page.index(f'id="status-{status_id}"')
    end = page.index("</article>", start)
    article = page[start:end]
    return article[article.index('<details class="why">') :]


def test_home_switches_feeds_and_says_why(client, db, make_user):
    me, friend, a = make_user("me"), make_user("friend"), make_user("a")
    f.follow(db, me.account_id, friend.account_id)
    f.follow(db, me.account_id, a.account_id)
    post = f.status(db, friend.account_id, "worth a look")
    f.favourite(db, a.account_id, post)
    f.status(db, a.account_id, reblog_of=post)
    sign_in(client, "me")

    home = client.get("/home").text
    assert '<nav class="feed-switcher"' in home
    assert 'href="/home" aria-current="page">Following</a>' in home
    for algorithm in catalog.ALGORITHMS.values():
        assert algorithm.title in home
    why = html.unescape(_why_of(home, post))
    assert "<summary>Why?</summary>" in why
    assert "In your home" in why and "You follow @friend." in why

    page = client.get("/home?feed=catch-up")
    assert page.status_code == 200
    version = catalog.ALGORITHMS["catch-up"].version
    assert f"<code>catch-up@{version}</code>" in page.text
    assert 'href="/home?feed=catch-up" aria-current="page">Catch-up</a>' in page.text
    why = html.unescape(_why_of(page.text, post))
    assert f"Ranked by “Catch-up” (version {version})" in why
    assert 'role="img"' in why and "<title id=" in why and ">Score 3</title>" in why
    assert "favourites: 1 × 1 = 1; boosts: 2 × 1 = 2; replies: 3 × 0 = 0</desc>" in why
    assert why.count("<rect ") == 3
    originals = html.unescape(_why_of(client.get("/home?feed=originals").text, post))
    assert "Chosen by “Originals”" in originals and "newest first: no score" in originals
    assert "<svg" not in originals
    assert client.get("/home?feed=nothing").status_code == 404
    french = client.get("/home?feed=catch-up", headers={"Accept-Language": "fr"}).text
    assert "<summary>Pourquoi ?</summary>" in french and "Classé par « Catch-up »" in french
    # Other timelines say their own rule.
    local = html.unescape(client.get("/public/local").text)
    assert "In the local timeline: the public posts of this server" in local
    profile = html.unescape(client.get("/@friend").text)
    assert "On the profile of @friend: what they posted and boosted" in profile
    f.status(db, friend.account_id, "#cats", tag_names=["cats"])
    tag = html.unescape(client.get("/tags/cats").text)
    assert "In the timeline of #cats: public posts with this hashtag" in tag


def test_a_feed_is_composed_shared_pinned_and_followed_on_the_web(client, db, make_user):
    make_user("owner"), make_user("reader")
    poster = make_user("poster")
    tagged = f.status(db, poster.account_id, "#cats here", tag_names=["cats"])
    token = sign_in(client, "owner")
    form = client.get("/feeds/compose")
    assert form.status_code == 200 and 'name="hashtags"' in form.text
    bad = client.post("/feeds/compose", data={"csrf_token": token, "title": "", "order": "newest"})
    assert bad.status_code == 422 and "title" in bad.text
    made = client.post(
        "/feeds/compose",
        data={"csrf_token": token, "title": "Cats", "hashtags": "#cats", "order": "newest"},
        follow_redirects=False,
    )
    assert made.status_code == 303, made.text
    location = made.headers["location"]
    feed_id = location.rsplit("/", 1)[1]
    page = client.get(location).text
    assert "<h1>Cats</h1>" in page and f"https://pnyx.test/feeds/{feed_id}" in page
    read = client.get(f"/home?feed={feed_id}").text
    assert f'id="status-{tagged}"' in read and f'href="/home?feed={feed_id}"' in read

    token = sign_in(client, "reader")
    for action in ("follow", "pin"):
        answer = client.post(
            f"/feeds/{feed_id}/{action}",
            data={"csrf_token": token, "return_to": f"/feeds/{feed_id}"},
            follow_redirects=False,
        )
        assert answer.status_code == 303
    page = client.get(f"/feeds/{feed_id}").text
    assert page.count('aria-pressed="true"') == 2
    client.post("/feeds/diverse/pin", data={"csrf_token": token}, follow_redirects=False)
    feeds_page = client.get("/feeds").text
    assert 'formaction="/feeds/diverse/unpin" aria-pressed="true"' in feeds_page
    assert "2 days" in feeds_page
    home = client.get("/home").text
    assert f'href="/home?feed={feed_id}">Cats</a>' in home
    client.post(f"/feeds/{feed_id}/unpin", data={"csrf_token": token}, follow_redirects=False)
    assert 'aria-pressed="true"' in client.get(f"/feeds/{feed_id}").text  # still following
    refused = client.post(f"/feeds/{feed_id}/pin", data={"csrf_token": "forged"})
    assert refused.status_code == 403
