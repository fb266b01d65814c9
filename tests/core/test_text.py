"""Plain text to Mastodon-style HTML, remote HTML sanitizing, and Mastodon's length count."""

from __future__ import annotations

import pytest

from pnyx.core import accounts, text

LINK_ATTRS = 'target="_blank" rel="nofollow noopener noreferrer" translate="no"'


@pytest.fixture
def bob(db):
    def work(tx):
        account_id, _ = accounts.create_local(tx, "bob", "bob@example.com", "correct horse battery")
        return account_id

    return db.run_sync(work)


def render(db, source: str) -> text.Rendered:
    return db.run_sync(lambda tx: text.render(tx, source))


def test_paragraphs_and_line_breaks(db):
    out = render(db, "one\ntwo\n\n\nthree")
    assert out.html == "<p>one<br />two</p><p>three</p>"
    assert out.mentions == [] and out.tags == []


def test_empty_text_renders_nothing(db):
    assert render(db, "  \n ").html == ""


def test_short_link(db):
    out = render(db, "see https://example.com/a.")
    assert out.html == (
        f'<p>see <a href="https://example.com/a" {LINK_ATTRS}>'
        '<span class="invisible">https://</span><span class="">example.com/a</span>'
        '<span class="invisible"></span></a>.</p>'
    )


def test_long_link_gets_ellipsis_and_www_hidden(db):
    url = "https://www.example.com/" + "x" * 40
    out = render(db, url)
    rest = url[len("https://www.") :]
    assert (
        f'<span class="invisible">https://www.</span><span class="ellipsis">{rest[:30]}</span>'
        f'<span class="invisible">{rest[30:]}</span>'
    ) in out.html


def test_link_in_parentheses_keeps_balanced_parens(db):
    out = render(db, "(https://en.wikipedia.org/wiki/Foo_(bar))")
    assert 'href="https://en.wikipedia.org/wiki/Foo_(bar)"' in out.html
    assert out.html.endswith("</a>)</p>")


def test_known_mention_links_unknown_stays_text(db, bob):
    out = render(db, "hi @bob and @Bob@pnyx.test and @nobody and @bob@elsewhere.example")
    card = (
        '<span class="h-card" translate="no"><a href="https://pnyx.test/@bob" '
        'class="u-url mention">@<span>bob</span></a></span>'
    )
    assert out.html.count(card) == 2
    assert "@nobody" in out.html
    assert "@bob@elsewhere.example" in out.html
    assert [m.id for m in out.mentions] == [bob]


def test_email_address_is_not_a_mention(db, bob):
    out = render(db, "write to me@bob.com")
    assert out.mentions == []
    assert "mention" not in out.html


def test_hashtags(db):
    out = render(db, "#Café and #café and #123 and a#b and #under_score #日本語")
    assert (
        '<a href="https://pnyx.test/tags/caf%C3%A9" class="mention hashtag" rel="tag">'
        "#<span>Café</span></a>"
    ) in out.html
    assert "#123" in out.html and 'tags/123"' not in out.html
    assert "a#b" in out.html
    assert out.tags == ["Café", "under_score", "日本語"]


def test_html_is_escaped(db):
    out = render(db, '<script>alert("x")</script> <b>bold</b> & <img src=x onerror=alert(1)>')
    assert "<script" not in out.html
    assert "<b>" not in out.html and "<img" not in out.html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in out.html
    assert "&amp;" in out.html


def test_javascript_links_are_not_linked(db):
    out = render(db, "javascript:alert(1) and data:text/html,<script>x</script>")
    assert "<a " not in out.html
    assert "<script" not in out.html


def test_attribute_injection_through_a_link_is_escaped(db):
    out = render(db, 'https://example.com/"onmouseover="alert(1) and https://e.com/x\'y')
    # The quote ends the link: nothing after it can get into the href attribute.
    assert 'href="https://example.com/"' in out.html
    assert "onmouseover=&quot;" in out.html
    assert '" onmouseover' not in out.html and '"onmouseover="' not in out.html
    assert 'href="https://e.com/x"' in out.html


def test_render_bio_links_mentions(db, bob):
    html = db.run_sync(lambda tx: text.render_bio(tx, "I am @bob, see https://bob.example <x>"))
    assert 'class="u-url mention"' in html
    assert 'href="https://bob.example"' in html
    assert "&lt;x&gt;" in html


def test_status_length_counts_urls_as_23_and_remote_mentions_by_username():
    assert text.status_length("abc") == 3
    assert text.status_length("https://example.com/" + "a" * 100) == 23
    assert text.status_length("see https://a.example.") == 4 + 23 + 1
    assert text.status_length("@alice@far.away.example hi") == len("@alice hi")
    assert text.status_length("@alice hi") == len("@alice hi")


@pytest.mark.parametrize(
    "dirty, forbidden",
    [
        ("<script>alert(1)</script>ok", "alert"),
        ('<a href="javascript:alert(1)">x</a>', "javascript"),
        ('<a href="https://e.com" onclick="alert(1)">x</a>', "onclick"),
        ('<img src="x" onerror="alert(1)">', "<img"),
        ('<p style="background:url(x)">x</p>', "style"),
        ('<iframe src="https://e.com"></iframe>', "iframe"),
        ('<span class="evil h-card">x</span>', "evil"),
        ("<svg><script>alert(1)</script></svg>", "script"),
        ('<a href="data:text/html;base64,PHNjcmlwdD4=">x</a>', "data:"),
    ],
)
def test_sanitize_remote_html_removes_dangerous_markup(dirty, forbidden):
    assert forbidden not in text.sanitize_remote_html(dirty)


def test_sanitize_remote_html_keeps_mastodon_markup():
    html = (
        '<p>Hi <span class="h-card"><a href="https://x.example/@a" class="u-url mention">'
        '@<span>a</span></a></span> <a href="https://x.example/tags/t" class="mention hashtag" '
        'rel="tag">#<span>t</span></a><br><strong>b</strong> <em>e</em></p><ul><li>one</li></ul>'
    )
    out = text.sanitize_remote_html(html)
    assert '<span class="h-card">' in out
    assert 'class="u-url mention"' in out
    assert 'class="mention hashtag"' in out
    assert 'rel="nofollow noopener noreferrer"' in out
    assert "<strong>b</strong>" in out and "<em>e</em>" in out and "<li>one</li>" in out
    assert "<br>" in out
