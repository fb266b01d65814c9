"""Small readers for untrusted ActivityStreams JSON, shared by the actor and object parsers.

Every value in a remote document may be missing, of the wrong type, absurdly long or hostile.
These helpers turn "whatever arrived" into a plain Python value or None, so the parsers above
them read like a list of fields instead of a thicket of isinstance checks.
"""

from __future__ import annotations

import functools
import html
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlsplit

import nh3

from pnyx.core.text import sanitize_remote_html
from pnyx.federation.vocab import PUBLIC, normalize_audience

MAX_URL = 2048
MAX_HTML = 100_000  # raw content cut before sanitizing: no pathological parser work
MAX_RECIPIENTS = 1_000  # entries kept from each of to / cc / tag / attachment lists

_DEFAULT_PORTS = {"http": 80, "https": 443}
# Host names: letters (any script), digits, '-', '.'; or a bracketed IPv6 literal.
_HOST = re.compile(r"^(?:[\w\-]+(?:\.[\w\-]+)*\.?|\[[0-9a-f:.]+\])$", re.IGNORECASE)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_SPACE = re.compile(r"\s")  # the characters str.isspace() accepts


class InvalidDocument(ValueError):
    """A remote document we cannot use; the message says why (it is logged, never shown)."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class UnsupportedType(InvalidDocument):
    """Well-formed, but of a kind we do not show (ChatMessage, Tombstone, ...): ignore it."""


def as_list(value) -> list:
    """JSON-LD lets any property be one value or an array; always give a list (None -> [])."""
    if value is None:
        return []
    if isinstance(value, list):
        return value
    return [value]


def id_of(value) -> str | None:
    """The id of a reference: the string itself, or an embedded object's "id"."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        inner = value.get("id")
        return inner if isinstance(inner, str) else None
    return None


def type_of(doc) -> str | None:
    """A document's type; JSON-LD allows a list, where the first string wins."""
    if not isinstance(doc, dict):
        return None
    for value in as_list(doc.get("type")):
        if isinstance(value, str) and value:
            return value
    return None


def _split_http(url) -> tuple[str, str, int | None] | None:
    """(scheme, lower-case host, port) of an http(s) URL, or None when it is not one."""
    if not isinstance(url, str) or not url or len(url) > MAX_URL:
        return None
    return _split_http_text(url)


@functools.lru_cache(maxsize=4096)
def _split_http_text(url: str) -> tuple[str, str, int | None] | None:
    """Remembered: the same actors' and servers' URLs come back in every activity."""
    if _CONTROL.search(url) or _SPACE.search(url):
        return None
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    host = parts.hostname
    if scheme not in _DEFAULT_PORTS or not host or parts.username is not None:
        return None
    if ":" in host:
        host = f"[{host}]"
    if not _HOST.match(host):
        return None
    return scheme, host.lower(), port


def http_url(value, *, max_len: int = MAX_URL) -> str | None:
    """The value if it is a usable http(s) URL with a host (and no user:password@), else None."""
    if not isinstance(value, str) or len(value) > max_len:
        return None
    return value if _split_http(value) else None


def origin(url: str) -> str:
    """scheme://host[:port] with the host lower-cased and default ports dropped.

    Returns "" for anything that is not an http(s) URL, so two unusable URLs never compare as
    the same origin.
    """
    split = _split_http(url)
    if split is None:
        return ""
    scheme, host, port = split
    if port is None or port == _DEFAULT_PORTS[scheme]:
        return f"{scheme}://{host}"
    return f"{scheme}://{host}:{port}"


def same_origin(a: str, b: str) -> bool:
    """Whether two URLs share scheme, host and port: the unit of authority in ActivityPub."""
    first = origin(a)
    return bool(first) and first == origin(b)


def matches_fetch_url(doc_id: str, fetched_url: str) -> bool:
    """Whether a fetched document's id names the very URL it came from (final URL after
    redirects), fragments aside and origins normalized.

    Stricter than `same_origin`, and needed: a server that lets users upload files serves
    attacker-written JSON from its own origin (Pleroma's spoofed-object case), so only a
    document found at its own id speaks for that id. When the two differ, fetch the id itself.
    """
    if not (origin(doc_id) and origin(doc_id) == origin(fetched_url)):
        return False

    def rest(url: str) -> str:
        parts = urlsplit(url)
        return (parts.path or "/") + ("?" + parts.query if parts.query else "")

    return rest(doc_id) == rest(fetched_url)


def host_of(url: str) -> str:
    """host[:port] as a handle's domain part (default port dropped)."""
    return origin(url).split("://", 1)[-1]


def clean_text(value, max_len: int) -> str:
    """A string with control characters (NUL above all: PostgreSQL refuses it) removed, capped."""
    if not isinstance(value, str):
        return ""
    return _CONTROL.sub("", value)[:max_len]


def plain_text(value, max_len: int) -> str:
    """Text meant to be plain (names, content warnings): markup some senders add is stripped."""
    text = clean_text(value, MAX_HTML)
    if "<" in text:
        text = html.unescape(nh3.clean(text, tags=set()))
    return text.strip()[:max_len]


def safe_html(value, max_len: int = MAX_HTML) -> str:
    """Remote HTML through the allowlist sanitizer; the raw input is cut first (see MAX_HTML)."""
    return sanitize_remote_html(clean_text(value, max_len))


def text_to_html(text: str) -> str:
    """Plain text (or Markdown we do not render) as escaped paragraphs with line breaks."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").strip()
    paragraphs = [p for p in re.split(r"\n{2,}", text) if p.strip()]
    return "".join(
        "<p>" + "<br />".join(html.escape(line) for line in p.split("\n")) + "</p>"
        for p in paragraphs
    )


def as_bool(value, default: bool = False) -> bool:
    """A boolean as senders spell it: true, "true", or JSON-LD's {"@value": "False"}."""
    if isinstance(value, dict):
        value = value.get("@value")
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        lowered = value.strip().lower()
        if lowered in ("true", "1"):
            return True
        if lowered in ("false", "0"):
            return False
    return default


def as_count(value) -> int:
    """A non-negative integer count (vote tallies); anything else is 0."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return 0
    return max(0, min(int(value), 2**31 - 1))


def parse_datetime(value) -> datetime | None:
    """ISO 8601 as senders write it (Z or offset, any fraction, sometimes no zone: UTC)."""
    if not isinstance(value, str) or not (10 <= len(value) <= 40):
        return None
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def uri_list(value, *, limit: int = MAX_RECIPIENTS) -> list[str]:
    """Ids of a to/cc-like property: http(s) URIs plus Public in its one canonical spelling."""
    out: list[str] = []
    for item in as_list(value)[:limit]:
        ref = id_of(item)
        if ref is None:
            continue
        ref = normalize_audience(ref)
        if (ref == PUBLIC or http_url(ref)) and ref not in out:
            out.append(ref)
    return out


def link_href(value, *, prefer_html: bool = True) -> str | None:
    """The first http(s) address in a url-like property: a string, a Link, or a list of them.

    With `prefer_html`, a Link marked text/html wins over the others (PeerTube lists its video
    files beside the watch page).
    """
    candidates: list[tuple[str, str | None]] = []
    for item in as_list(value)[:MAX_RECIPIENTS]:
        if isinstance(item, str):
            candidates.append((item, None))
        elif isinstance(item, dict):
            href = item.get("href", item.get("url"))
            if isinstance(href, dict | list):
                href = link_href(href, prefer_html=prefer_html)
            media_type = item.get("mediaType")
            candidates.append((href, media_type if isinstance(media_type, str) else None))
    valid = [(u, t) for u, t in candidates if http_url(u)]
    if prefer_html:
        for url, media_type in valid:
            if media_type and media_type.split(";")[0].strip() == "text/html":
                return url
    return valid[0][0] if valid else None


def first_text(doc: dict, key: str) -> str | None:
    """A natural-language property: `key`, or else the first value of its `keyMap`."""
    value = doc.get(key)
    if isinstance(value, str) and value:
        return value
    mapped = doc.get(key + "Map")
    if isinstance(mapped, dict):
        for item in mapped.values():
            if isinstance(item, str) and item:
                return item
    return None


MAX_EMOJIS = 100  # Emoji tags kept from one document
_SHORTCODE = re.compile(r"^[A-Za-z0-9_]{2,64}$")  # as core.custom_emojis.SHORTCODE


@dataclass(frozen=True)
class RemoteEmoji:
    """An `Emoji` tag: `:shortcode:` in the document's text shows the image at `url`."""

    shortcode: str
    url: str  # http(s)
    uri: str | None = None
    updated: datetime | None = None


def emoji_tags(doc: dict) -> list[RemoteEmoji]:
    """The Emoji tags of a post or actor, each shortcode once; malformed ones are skipped (a
    shortcode of other characters, an image that is not an http(s) URL)."""
    found: dict[str, RemoteEmoji] = {}
    for tag in as_list(doc.get("tag"))[:MAX_RECIPIENTS]:
        if not isinstance(tag, dict) or type_of(tag) != "Emoji":
            continue
        name, icon = tag.get("name"), tag.get("icon")
        if not isinstance(name, str) or not isinstance(icon, dict):
            continue
        shortcode = name.strip().strip(":")
        image = link_href(icon.get("url"), prefer_html=False)
        if _SHORTCODE.match(shortcode) and image and shortcode not in found:
            found[shortcode] = RemoteEmoji(
                shortcode, image, http_url(id_of(tag)), parse_datetime(tag.get("updated"))
            )
        if len(found) >= MAX_EMOJIS:
            break
    return list(found.values())
