"""Reading what a web page says about itself, for a link preview card: OpenGraph, Twitter's
card tags, plain `<meta>`, `<title>`, the page's language, and where its oEmbed document is
(`<link rel="alternate" type="application/json+oembed">`).

Pages are hostile input like any remote document: this only reads attribute values and the
title's text with the standard library's lenient parser (no markup is kept; core sanitizes
and caps what is stored, `core.preview_cards.save`), and the fetch already capped the bytes.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urljoin

import orjson

from pnyx.core.preview_cards import CardData, clean_url

OEMBED_TYPES = frozenset({"application/json+oembed", "text/json+oembed"})
_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([a-zA-Z0-9_\-]+)""", re.IGNORECASE)


@dataclass
class Page:
    """The parts of a page a card is made of; `meta` maps a lower-cased `property` or `name`
    to the first `content` given for it."""

    url: str
    meta: dict[str, str] = field(default_factory=dict)
    title: str = ""
    language: str | None = None
    oembed_url: str | None = None


class _HeadReader(HTMLParser):
    def __init__(self, page: Page) -> None:
        super().__init__(convert_charrefs=True)
        self.page = page
        self._in_title = False
        self._title: list[str] = []
        self._seen_title = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name.lower(): (value or "") for name, value in attrs}
        if tag == "meta":
            content = values.get("content")
            if content is None:
                return
            for key in (values.get("property", ""), values.get("name", "")):
                for name in key.lower().split():
                    self.page.meta.setdefault(name, content.strip())
        elif tag == "link":
            rel = values.get("rel", "").lower().split()
            kind = values.get("type", "").lower().strip()
            href = values.get("href", "")
            if "alternate" in rel and kind in OEMBED_TYPES and href and not self.page.oembed_url:
                self.page.oembed_url = clean_url(urljoin(self.page.url, href))
        elif tag == "title" and not self._seen_title:
            self._in_title = True
        elif tag == "html" and values.get("lang"):
            self.page.language = values["lang"].strip() or None

    def handle_endtag(self, tag: str) -> None:
        if tag == "title" and self._in_title:
            self._in_title, self._seen_title = False, True
            self.page.title = " ".join("".join(self._title).split())

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self._title.append(data)


def decode(body: bytes, content_type: str) -> str:
    """A page's text: the charset its Content-Type names, else the one its `<meta>` names in
    its first kilobytes, else UTF-8; bytes that do not decode are replaced."""
    charset = None
    for param in content_type.split(";")[1:]:
        name, _, value = param.partition("=")
        if name.strip().lower() == "charset":
            charset = value.strip().strip('"')
    if charset is None:
        found = _CHARSET.search(body[:4096])
        charset = found.group(1).decode("ascii") if found else "utf-8"
    try:
        return body.decode(charset, errors="replace")
    except LookupError:
        return body.decode("utf-8", errors="replace")


def parse(url: str, text: str) -> Page:
    """What the page at `url` says about itself."""
    page = Page(url)
    reader = _HeadReader(page)
    try:
        reader.feed(text)
        reader.close()
    except Exception:  # the parser is lenient; what was read before a failure stands
        pass
    return page


def _absolute(page: Page, value: str | None) -> str | None:
    return clean_url(urljoin(page.url, value)) if value else None


def _published(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)


def _player_html(src: str, width: int, height: int) -> str:
    """A Twitter player as the iframe Mastodon makes of it (core keeps it only if https)."""
    return (
        f'<iframe src="{html.escape(src)}" width="{width}" height="{height}" '
        'allowfullscreen="true" frameborder="0" scrolling="no"></iframe>'
    )


def _int(value: Any) -> int:
    try:
        return max(0, int(float(value)))
    except (TypeError, ValueError, OverflowError):
        return 0


def creator_of(page: Page) -> str:
    """The first `<meta name="fediverse:creator">` of the page (as Mastodon reads it): a
    handle not checked yet; who it names may credit the page only if it allows its domain."""
    return page.meta.get("fediverse:creator", "")[:512]


def card_of(page: Page) -> CardData | None:
    """The card OpenGraph and its kin make of a page (Mastodon's order of preference), or None
    when the page has neither a title nor a player."""
    meta = page.meta

    def first(*names: str) -> str:
        return next((meta[n] for n in names if meta.get(n)), "")

    player = _absolute(page, first("twitter:player"))
    width = _int(first("twitter:player:width", "og:image:width"))
    height = _int(first("twitter:player:height", "og:image:height"))
    title = first("og:title", "twitter:title") or page.title
    if not title and not player:
        return None
    return CardData(
        title=title,
        description=first("og:description", "twitter:description", "description"),
        type="video" if player else "link",
        html=_player_html(player, width, height) if player else "",
        width=width if player else 0,
        height=height if player else 0,
        author_name=first("author", "article:author"),
        provider_name=first("og:site_name", "application-name"),
        image_url=_absolute(
            page, first("og:image", "og:image:url", "og:image:secure_url", "twitter:image")
        ),
        image_description=first("og:image:alt", "twitter:image:alt"),
        language=page.language or first("og:locale") or None,
        published_at=_published(first("article:published_time", "og:published_time")),
        creator=creator_of(page),
    )


def parse_oembed(body: bytes) -> dict[str, Any] | None:
    """An oEmbed JSON document, if it is a flat enough JSON object."""
    try:
        document = orjson.loads(body)
    except orjson.JSONDecodeError:
        return None
    if not isinstance(document, dict):
        return None
    if any(isinstance(v, (dict, list)) for v in document.values()):
        document = {k: v for k, v in document.items() if not isinstance(v, (dict, list))}
    return document


def merge_oembed(
    page: Page, base: CardData | None, oembed: dict[str, Any], oembed_url: str
) -> CardData | None:
    """The page's card with what its oEmbed document adds: the type, the player's markup
    (kept by core only as an https iframe), sizes, author and provider. A `photo` is its
    image; a `rich` or `video` whose markup is not an iframe falls back to a link card."""

    def text(name: str) -> str:
        value = oembed.get(name)
        return str(value) if isinstance(value, (str, int, float)) and value != "" else ""

    def url(name: str) -> str:
        return _absolute(Page(oembed_url), text(name)) or ""

    kind = text("type") if text("type") in ("link", "photo", "video", "rich") else "link"
    seed = base or CardData()
    title = text("title") or seed.title
    if not title and kind == "link":
        return base
    values: dict[str, Any] = {
        "title": title,
        "type": kind,
        "author_name": text("author_name") or seed.author_name,
        "author_url": url("author_url"),
        "provider_name": text("provider_name") or seed.provider_name,
        "provider_url": url("provider_url"),
        "image_url": url("thumbnail_url") or seed.image_url,
        "width": _int(oembed.get("width")),
        "height": _int(oembed.get("height")),
        "html": "",
        "creator": seed.creator or creator_of(page),
    }
    if kind == "photo":
        photo = url("url")
        if not photo:
            return base
        values.update(image_url=photo, embed_url=photo)
    elif kind in ("video", "rich"):
        values["html"] = text("html")
    else:
        values.update(width=0, height=0)
    return CardData(
        **{
            **{name: getattr(seed, name) for name in CardData.__dataclass_fields__},
            **values,
        }
    )
