"""Link preview cards: which link of a post gets a card, when its page is fetched, and what of
it is kept.

The rules, as Mastodon's (FetchLinkCardService), with the choices this server made:

- **One card per post**: the first link of its text that is not a mention (`u-url`/`mention`
  class, or the address of an account it mentions), not a hashtag (`rel="tag"`, `hashtag`
  class, or a text starting with `#` or `@`), http or https, and not on this server.
- **No card** for a boost (it shows its original's), a post with media attachments (the
  media is the preview), a direct message (fetching would tell the linked site, at the
  moment it is sent, that someone here shared its address privately; Mastodon fetches it,
  we do not), and a post of another server with a content warning (as Mastodon: its text is
  hidden behind the warning, so a card would show what the author hid).
- **Local and remote posts alike**, bounded: the fetch is a durable job (`cards.fetch`), one
  per URL at a time (its unique key), and a page fetched once is kept for every post that
  links it for `REFRESH` (two weeks; a failure too, so a dead link is not fetched again for
  each post); after that the kept card is still shown while the page is fetched again. An
  edit that changes the link drops the card and fetches the new one; one that keeps it keeps
  it.

- **Author attribution** (Mastodon 4.4): a page's `fediverse:creator` names an account, kept
  with the card (`author_account_id`, replaced at each refetch); the card credits it only
  while that account lists the page's domain (`credits`, asked when the card is shown, so
  that listing or unlisting a site takes effect at once; Mastodon decides once, at fetch).

Core decides and keeps; the job that fetches is federation's (it owns the safe HTTP client:
no private address unless PNYX_ALLOW_PRIVATE_ADDRESSES, capped size and time), and hands
what it read to `save`. What a page says is untrusted: text is kept as text (capped), and the
only markup kept is an oEmbed video's `<iframe>` with an https `src`, through `embed_html`.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable
from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import nh3
import sqlalchemy as sa

from pnyx.core import attribution, events, media, search_index
from pnyx.db.engine import Database, Tx
from pnyx.db.id_lists import in_ids
from pnyx.db.ids import new_id
from pnyx.db.insert_ignore import insert_ignore_returning
from pnyx.db.tables import accounts, mentions, preview_card_statuses, preview_cards, statuses
from pnyx.jobs.queue import enqueue

log = logging.getLogger("pnyx.core.preview_cards")

FETCH_JOB = "cards.fetch"
REFRESH = timedelta(days=14)
MAX_URL = 2048
TYPES = frozenset({"link", "photo", "video", "rich"})
# Caps of what a page may make us keep (the columns' sizes, and a description a screen shows).
TEXT_CAPS = {
    "title": 512,
    "description": 1000,
    "author_name": 512,
    "provider_name": 512,
    "image_description": 1500,
}
URL_FIELDS = ("author_url", "provider_url", "image_url", "embed_url")
MAX_SIZE = 10_000  # width and height

# The oEmbed markup a card may carry: an iframe and the attributes players need, no script.
_EMBED_ATTRIBUTES = {
    "src",
    "width",
    "height",
    "allowfullscreen",
    "frameborder",
    "scrolling",
    "allow",
    "title",
}


@dataclass(frozen=True)
class CardData:
    """What a fetched page says about itself, before `save` caps and cleans it."""

    title: str = ""
    description: str = ""
    type: str = "link"
    author_name: str = ""
    author_url: str = ""
    provider_name: str = ""
    provider_url: str = ""
    html: str = ""
    width: int = 0
    height: int = 0
    image_url: str | None = None
    image_description: str = ""
    embed_url: str = ""
    language: str | None = None
    published_at: datetime | None = None
    # The handle the page names as its creator (`fediverse:creator`), not yet checked.
    creator: str = ""


# ---------------------------------------------------------------- which link


class _Anchors(HTMLParser):
    """The links of a post's HTML, with their classes, rel and text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[str, str, str, list[str]]] = []  # href, class, rel, text parts
        self._open: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag != "a":
            return
        values = {name: value or "" for name, value in attrs}
        self._open = []
        self.found.append(
            (values.get("href", ""), values.get("class", ""), values.get("rel", ""), self._open)
        )

    def handle_endtag(self, tag: str) -> None:
        if tag == "a":
            self._open = None

    def handle_data(self, data: str) -> None:
        if self._open is not None:
            self._open.append(data)


def _host(url: str) -> str:
    try:
        return (urlsplit(url).netloc or "").lower()
    except ValueError:
        return ""


def clean_url(url: str) -> str | None:
    """`url` without its fragment if it is an http(s) URL with a host, else None."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    cleaned = urlunsplit((parts.scheme.lower(), parts.netloc, parts.path, parts.query, ""))
    return cleaned if len(cleaned) <= MAX_URL else None


def first_link(content: str, mentioned_urls: Iterable[str], local_host: str) -> str | None:
    """The link of a post's HTML that gets a card (module docstring), or None."""
    parser = _Anchors()
    try:
        parser.feed(content)
        parser.close()
    except Exception:  # html.parser is lenient; a pathological input just has no link
        return None
    skip = set(mentioned_urls)
    for href, classes, rel, text in parser.found:
        class_names = set(classes.split())
        if "tag" in rel.split() or class_names & {"mention", "hashtag", "u-url", "h-card"}:
            continue
        if "".join(text).strip().startswith(("#", "@")) or href in skip:
            continue
        url = clean_url(href)
        if url is None or _host(url) == local_host.lower():
            continue
        return url
    return None


# ---------------------------------------------------------------- when a post changes


def _mentioned_urls(tx: Tx, status_id: int) -> list[str]:
    rows = tx.execute(
        sa.select(accounts.c.url, accounts.c.uri)
        .join(mentions, mentions.c.account_id == accounts.c.id)
        .where(mentions.c.status_id == status_id)
    )
    return [u for row in rows for u in (row.url, row.uri) if u]


def wants_card(row: Any) -> bool:
    """Whether a post may have a card at all (module docstring)."""
    if row.reblog_of_id is not None or row.has_media or row.visibility == "direct":
        return False
    return bool(row.local or not row.spoiler_text)


def link_of(tx: Tx, row: Any) -> str | None:
    """The URL whose card `row` (a status) shows, or None."""
    if not wants_card(row) or "<a" not in row.content:
        return None
    return first_link(row.content, _mentioned_urls(tx, row.id), tx.settings.domain)


def _fresh_card(tx: Tx, url: str) -> Any:
    """The card of `url` fetched less than REFRESH ago (a failure too), or None."""
    return tx.one_or_none(
        sa.select(preview_cards).where(
            preview_cards.c.url == url, preview_cards.c.fetched_at > tx.now - REFRESH
        )
    )


def _job_key(url: str) -> str:
    return f"{FETCH_JOB}:{hashlib.sha256(url.encode()).hexdigest()}"


def on_event(tx: Tx, event: events.Event) -> None:
    """A post was made or edited (here or elsewhere): point it at its link's card, and have
    the page fetched after commit when no fresh card of it is kept. No network here."""
    status_id = getattr(event, "status_id", None)
    if status_id is None:
        return
    row = tx.one_or_none(sa.select(statuses).where(statuses.c.id == status_id))
    if row is None:
        return
    url = link_of(tx, row)
    current = None
    if not isinstance(event, events.StatusCreated):  # a new post has no card yet
        current = tx.one_or_none(
            sa.select(preview_card_statuses).where(preview_card_statuses.c.status_id == status_id)
        )
    if current is not None and current.url == url:
        return  # an edit that kept the link keeps its card
    if current is not None:
        tx.execute(
            preview_card_statuses.delete().where(preview_card_statuses.c.status_id == status_id)
        )
    if url is None:
        return
    # A card kept of this URL is shown at once, even one due for a refresh (until it is done).
    card = tx.one_or_none(sa.select(preview_cards).where(preview_cards.c.url == url))
    card_id = card.id if card is not None and card.error is None else None
    tx.execute(
        preview_card_statuses.insert().values(
            status_id=status_id, preview_card_id=card_id, url=url, created_at=tx.now
        )
    )
    if card is not None and card_id is not None and card.html:  # `has:embed` finds it now
        search_index.refresh(tx, status_id)
    if card is None or card.fetched_at <= tx.now - REFRESH:
        enqueue(tx, FETCH_JOB, {"url": url}, unique_key=_job_key(url))


# ---------------------------------------------------------------- the fetch job's side


def wanted(db: Database, payload: dict[str, Any]) -> str | None:
    """The URL a `cards.fetch` job should fetch: None when no post wants it any more or a
    fresh card of it is kept (then its posts are pointed at it: idempotent)."""
    url = payload.get("url")
    if not isinstance(url, str) or clean_url(url) != url:
        return None

    def check(tx: Tx) -> str | None:
        card = _fresh_card(tx, url)
        if card is not None:
            if card.error is None:
                _attach(tx, url, card.id)
            return None
        waiting = tx.scalar(
            sa.select(preview_card_statuses.c.status_id)
            .join(statuses, statuses.c.id == preview_card_statuses.c.status_id)
            .where(preview_card_statuses.c.url == url, statuses.c.has_media.is_(False))
            .limit(1)
        )
        return url if waiting is not None else None

    return db.run_sync(check)


def embed_html(html: str) -> str:
    """An oEmbed or player snippet reduced to its https iframes (as Mastodon's oEmbed
    sanitizer): no script, no event handler, no style; "" when no iframe is left."""
    if not html:
        return ""
    cleaned = nh3.clean(
        html,
        tags={"iframe"},
        attributes={"iframe": _EMBED_ATTRIBUTES},
        url_schemes={"https"},
        link_rel=None,
        strip_comments=True,
    )
    if "<iframe" not in cleaned or 'src="https://' not in cleaned:
        return ""
    return cleaned.strip()


def _size(value: Any) -> int:
    try:
        number = int(float(value))
    except (TypeError, ValueError, OverflowError):
        return 0
    return max(0, min(number, MAX_SIZE))


def _cleaned(data: CardData) -> dict[str, Any]:
    """The columns of a card from what a page said: capped text, checked URLs, sizes in
    bounds, markup only through `embed_html`, a type Mastodon knows."""
    values: dict[str, Any] = {f.name: getattr(data, f.name) for f in fields(data)}
    del values["creator"]  # not a column: `save` keeps the account it names, if it may
    for name, cap in TEXT_CAPS.items():
        values[name] = " ".join(str(values[name] or "").split())[:cap]
    for name in URL_FIELDS:
        cleaned = clean_url(values[name]) if values[name] else None
        values[name] = cleaned if cleaned or name == "image_url" else ""
    values["html"] = embed_html(values["html"])
    values["type"] = values["type"] if values["type"] in TYPES else "link"
    if values["type"] in ("video", "rich") and not values["html"]:
        values["type"] = "link"  # its player did not survive: a plain link card
    values["width"], values["height"] = _size(values["width"]), _size(values["height"])
    language = values["language"]
    values["language"] = (
        str(language).split("-")[0].split("_")[0].lower()[:16] if language else None
    )
    return values


def _attach(tx: Tx, url: str, card_id: int) -> None:
    """Point the posts that link `url` and may show a card at it."""
    without_media = sa.exists().where(
        statuses.c.id == preview_card_statuses.c.status_id, statuses.c.has_media.is_(False)
    )
    attached = tx.scalars(
        preview_card_statuses.update()
        .where(preview_card_statuses.c.url == url, without_media)
        .values(preview_card_id=card_id)
        .returning(preview_card_statuses.c.status_id)
    )
    if tx.scalar(sa.select(preview_cards.c.html).where(preview_cards.c.id == card_id)):
        for status_id in attached:  # their card plays something: `has:embed` finds them
            search_index.refresh(tx, status_id)


def _image_columns(tx: Tx, existing: Any, values: dict[str, Any]) -> dict[str, Any]:
    """The image columns of a card (re)fetched with `values` (its image's origin in
    `image_url`): a cached copy of the same image is kept (with the sizes taken from it);
    otherwise the origin is shown until `card_images` caches it, and our copy of a former
    image is removed after commit."""
    origin = values.pop("image_url")
    if existing is not None and existing.image_remote_url == origin and existing.image_key:
        if values["type"] == "link":
            return {"width": existing.width, "height": existing.height}
        return {}
    if existing is not None and existing.image_key:
        media.forget_keys(tx, [existing.image_key])
    return {
        "image_url": origin,
        "image_remote_url": origin,
        "image_key": None,
        "image_size": None,
        "blurhash": None,
    }


def credits(url: str, account: Any) -> bool:
    """Whether the card of `url` may show `account` (a row with `attribution_domains` and
    `suspended_at`, or None) as its page's author: it lists the page's host or a domain above
    it, and is not suspended (core.attribution). Asked each time the card is shown: an account
    that starts or stops listing a site is credited, or not, at once, without a refetch."""
    if account is None or account.suspended_at is not None:
        return False
    return attribution.may_credit(account.attribution_domains, urlsplit(url).hostname or "")


def _existing(tx: Tx, account_id: int | None) -> int | None:
    """`account_id` if that account is (still) here: the job resolved it outside this
    transaction."""
    if account_id is None:
        return None
    return tx.scalar(sa.select(accounts.c.id).where(accounts.c.id == account_id))


def save(
    db: Database,
    url: str,
    data: CardData | None,
    error: str | None = None,
    *,
    creator_id: int | None = None,
) -> int | None:
    """Keep what the page of `url` said (`data`), or that it gave no card (`error`), and point
    its posts at the card. A failed refresh keeps the card fetched before. `creator_id`: the
    account the page names as its creator (found or resolved by the job); kept as the page's
    claim, shown only while that account allows the page's domain (`credits`). Returns the card id when
    there is a card."""

    def write(tx: Tx) -> int | None:
        existing = tx.one_or_none(sa.select(preview_cards).where(preview_cards.c.url == url))
        if data is None:
            values: dict[str, Any] = {"fetched_at": tx.now}
            if existing is None or existing.error is not None:
                values["error"] = (error or "no card")[:512]
        else:
            values = {**_cleaned(data), "fetched_at": tx.now, "error": None}
            values["author_account_id"] = _existing(tx, creator_id)
            values.update(_image_columns(tx, existing, values))
        if existing is None:
            row = insert_ignore_returning(
                tx, preview_cards, {"id": new_id(), "url": url, "created_at": tx.now, **values}
            )
            if row is None:  # fetched at the same time by another worker: theirs stands
                return None
            card_id, card_error = row.id, row.error
        else:
            tx.execute(
                preview_cards.update().where(preview_cards.c.id == existing.id).values(**values)
            )
            card_id = existing.id
            card_error = values.get("error", existing.error)
        if card_error is not None:
            return None
        _attach(tx, url, card_id)
        return card_id

    return db.run_sync(write)


# ---------------------------------------------------------------- reading


def card_query() -> sa.Select:
    """The card of each status among `:ids` (bind `ids`), for status_views."""
    return (
        sa.select(preview_card_statuses.c.status_id, preview_cards)
        .join(preview_cards, preview_cards.c.id == preview_card_statuses.c.preview_card_id)
        .where(in_ids(preview_card_statuses.c.status_id, "ids"), preview_cards.c.error.is_(None))
    )
