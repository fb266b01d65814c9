"""Turning what people type into safe HTML, the way Mastodon does it.

Local posts and bios are written as plain text. We keep that source and store the HTML made
from it: everything the author typed is escaped, and only the markup we generate here (links,
mentions, hashtags, paragraphs) is real HTML, so the result is safe by construction. HTML that
arrives from other servers goes through `sanitize_remote_html` instead, an allowlist sanitizer
with Mastodon's rules. Clients rely on the exact markup (h-card, `invisible`/`ellipsis` spans,
`mention hashtag` classes) to shorten links and make mentions tappable, so it is matched here.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import quote

import nh3
import sqlalchemy as sa

from pnyx.config import Settings
from pnyx.core import uris
from pnyx.core.account_visibility import ACTIVE, account_visible_condition
from pnyx.core.rows import AccountRow
from pnyx.db.engine import Tx
from pnyx.db.tables import accounts

# http(s) links; trailing punctuation is trimmed afterwards (see `_trim_url`).
_URL = r"https?://[^\s<>\"'`]+"
# @user or @user@domain, not inside a word or a path ("a@b", "/@x"); Mastodon's MENTION_RE.
_MENTION = (
    r"(?<![\w/@])@(?P<user>[A-Za-z0-9_](?:[A-Za-z0-9_.\-]*[A-Za-z0-9_])?)"
    r"(?:@(?P<domain>[\w.\-]*\w(?::\d+)?))?"
)
# #tag, not inside a word or after '/', '&' or '#' (so "a#b", "&#39;" and "##" are not tags).
_TAG = r"(?<![\w/&#)])#(?P<tag>\w+)"
_TOKENS = re.compile(f"(?P<url>{_URL})|{_MENTION}|{_TAG}", re.UNICODE)
_URL_ONLY = re.compile(_URL)
_REMOTE_MENTION = re.compile(
    r"(?<![\w/@])@([A-Za-z0-9_](?:[A-Za-z0-9_.\-]*[A-Za-z0-9_])?)@[\w.\-]*\w"
)

# How many characters of a link's text are shown before the rest is hidden (Mastodon: 30).
_LINK_VISIBLE_CHARS = 30
# Every link counts as this many characters towards a status's length, whatever its real size.
URL_LENGTH = 23
MAX_TAG_CHARS = 100

LINK_REL = "nofollow noopener noreferrer"


@dataclass
class Rendered:
    """HTML made from a plain-text source, and what it refers to.

    `mentions` are the account rows of the mentions that resolved (in order, no duplicates);
    `tags` are the hashtags as written (first spelling wins, no case-insensitive duplicates);
    `unresolved` are the `user@domain` handles of other servers' accounts we have never seen
    (lower-case, in order, no duplicates), left as plain text for now (core.remote_mentions).
    """

    html: str
    mentions: list[AccountRow] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    unresolved: list[str] = field(default_factory=list)


def _trim_url(url: str) -> str:
    """Drop punctuation that ends a sentence rather than the link, keeping balanced ')'."""
    while url:
        last = url[-1]
        if (
            last in ".,;:!?'\"*"
            or last == ")"
            and url.count("(") < url.count(")")
            or last == "]"
            and url.count("[") < url.count("]")
        ):
            url = url[:-1]
        else:
            break
    return url


def _is_tag_name(name: str) -> bool:
    """Hashtags are letters, digits and underscores, and not only digits ('#1' is not a tag)."""
    return bool(name) and len(name) <= MAX_TAG_CHARS and not name.isdigit()


def is_tag_name(name: str) -> bool:
    """Whether `name` (without its '#') is a hashtag as posts write them: one word."""
    return re.fullmatch(r"\w+", name) is not None and _is_tag_name(name)


def _link_html(url: str) -> str:
    """Mastodon's link markup: the scheme (and 'www.') hidden, long links cut with an ellipsis."""
    match = re.match(r"https?://(?:www\.)?", url)
    prefix = match.group(0) if match else ""
    rest = url[len(prefix) :]
    if len(rest) > _LINK_VISIBLE_CHARS:
        shown = (
            f'<span class="ellipsis">{html.escape(rest[:_LINK_VISIBLE_CHARS])}</span>'
            f'<span class="invisible">{html.escape(rest[_LINK_VISIBLE_CHARS:])}</span>'
        )
    else:
        shown = f'<span class="">{html.escape(rest)}</span><span class="invisible"></span>'
    return (
        f'<a href="{html.escape(url)}" target="_blank" rel="{LINK_REL}" translate="no">'
        f'<span class="invisible">{html.escape(prefix)}</span>{shown}</a>'
    )


def _mention_html(account: AccountRow) -> str:
    href = account.url or account.uri
    return (
        f'<span class="h-card" translate="no"><a href="{html.escape(href)}" '
        f'class="u-url mention">@<span>{html.escape(account.username)}</span></a></span>'
    )


def _tag_html(settings: Settings, name: str) -> str:
    href = uris.tag_url(settings, quote(name.lower(), safe=""))
    return (
        f'<a href="{html.escape(href)}" class="mention hashtag" rel="tag">'
        f"#<span>{html.escape(name)}</span></a>"
    )


def find_mentioned(tx: Tx, username: str, domain: str | None) -> AccountRow | None:
    """The account a mention names, if we know it (local, or remote already stored).

    Suspended accounts, and sign-ups not yet approved, are treated as unknown: a mention must
    not lead to a hidden account.
    """
    query = sa.select(accounts).where(
        sa.func.lower(accounts.c.username) == username.lower(),
        account_visible_condition(ACTIVE),
    )
    if domain is None or domain.lower() == tx.settings.domain.lower():
        query = query.where(accounts.c.domain.is_(None))
    else:
        query = query.where(sa.func.lower(accounts.c.domain) == domain.lower())
    return tx.one_or_none(query)


def _normalize(text: str) -> str:
    text = (text or "").replace("\r\n", "\n").replace("\r", "\n")
    return unicodedata.normalize("NFC", text).strip()


def _render_inline(
    tx: Tx, text: str, found: Rendered, cache: dict[tuple[str, ...], AccountRow | None]
) -> str:
    """One paragraph's worth of text: escape it, turning links, mentions and tags into HTML."""
    out: list[str] = []
    pos = 0
    for match in _TOKENS.finditer(text):
        start = match.start()
        if start < pos:
            continue
        if match.group("url"):
            url = _trim_url(match.group("url"))
            if len(url) <= len("https://"):
                continue
            out.append(html.escape(text[pos:start]))
            out.append(_link_html(url))
            pos = start + len(url)
        elif match.group("user"):
            username, domain = match.group("user"), match.group("domain")
            key = (username.lower(), (domain or "").lower())
            if key not in cache:
                cache[key] = find_mentioned(tx, username, domain)
            account = cache[key]
            if account is None:
                handle = f"{key[0]}@{key[1]}"
                elsewhere = domain and key[1] != tx.settings.domain.lower()
                if elsewhere and handle not in found.unresolved:
                    found.unresolved.append(handle)
                continue  # unknown: stays plain text
            out.append(html.escape(text[pos:start]))
            out.append(_mention_html(account))
            if all(a.id != account.id for a in found.mentions):
                found.mentions.append(account)
            pos = match.end()
        else:
            name = match.group("tag")
            if not _is_tag_name(name):
                continue
            out.append(html.escape(text[pos:start]))
            out.append(_tag_html(tx.settings, name))
            if all(t.lower() != name.lower() for t in found.tags):
                found.tags.append(name)
            pos = match.end()
    out.append(html.escape(text[pos:]))
    return "".join(out)


def render(tx: Tx, text: str, *, known: Mapping[str, AccountRow] | None = None) -> Rendered:
    """Plain text -> Mastodon-style HTML, with the accounts mentioned and the tags used.

    Paragraphs are split on blank lines and single newlines become <br />. Nothing the author
    typed can become markup: every piece of text is escaped before it is joined with ours.
    `known` maps `user@domain` handles (lower-case) to the account rows they were found to
    name elsewhere (WebFinger may answer for an account whose actor lives on another host).
    """
    source = _normalize(text)
    found = Rendered(html="")
    if not source:
        return found
    cache: dict[tuple[str, ...], AccountRow | None] = {
        tuple(handle.split("@", 1)): row for handle, row in (known or {}).items()
    }
    paragraphs = [p for p in re.split(r"\n{2,}", source) if p.strip()]
    parts = []
    for paragraph in paragraphs:
        lines = [_render_inline(tx, line, found, cache) for line in paragraph.split("\n")]
        parts.append("<p>" + "<br />".join(lines) + "</p>")
    found.html = "".join(parts)
    return found


def render_bio(tx: Tx, text: str) -> str:
    """A profile bio: the same markup as a post; the caller records no tags or mentions."""
    return render(tx, text).html


def status_length(text: str) -> int:
    """Length as Mastodon counts it: each URL is 23 characters, '@user@domain' counts as '@user'.

    Counted in code points after NFC normalization (Mastodon counts grapheme clusters; the two
    agree for composed text, which is what keyboards produce).
    """
    source = unicodedata.normalize("NFC", (text or "").replace("\r\n", "\n"))

    def url_placeholder(match: re.Match) -> str:
        url = match.group(0)
        trimmed = _trim_url(url)
        return "x" * URL_LENGTH + url[len(trimmed) :]

    source = _URL_ONLY.sub(url_placeholder, source)
    source = _REMOTE_MENTION.sub(lambda m: "@" + m.group(1), source)
    return len(source)


# --- Remote HTML ----------------------------------------------------------------------------

_ALLOWED_TAGS = {
    "p",
    "br",
    "span",
    "a",
    "del",
    "pre",
    "code",
    "em",
    "strong",
    "b",
    "i",
    "u",
    "ul",
    "ol",
    "li",
    "blockquote",
}
_ALLOWED_ATTRIBUTES = {
    "a": {"href", "translate"},
    "span": {"translate"},
    "ol": {"start", "reversed"},
    "li": {"value"},
}
_ALLOWED_CLASSES = {"h-card", "u-url", "mention", "hashtag", "invisible", "ellipsis"}


def sanitize_remote_html(fragment: str) -> str:
    """HTML from another server, cut down to Mastodon's allowlist.

    Scripts, styles and event handlers go; links keep only http(s) targets and always get
    rel="nofollow noopener noreferrer"; only the microformat/ellipsis classes survive, and
    `quote-inline` on a paragraph (the "RE: <link>" a quote post carries for readers without
    quotes, which apps that show the quote hide).
    """
    return nh3.clean(
        fragment or "",
        tags=_ALLOWED_TAGS,
        clean_content_tags={"script", "style"},
        attributes=_ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https"},
        link_rel=LINK_REL,
        allowed_classes={"a": _ALLOWED_CLASSES, "span": _ALLOWED_CLASSES, "p": {"quote-inline"}},
        strip_comments=True,
    )
