"""The `cards.fetch` job: the page a post links to, fetched to make its preview card.

Core decided which link and whether it is still wanted (`core.preview_cards.wanted`); this
module only fetches, with the safe client (no private, loopback or link-local address unless
PNYX_ALLOW_PRIVATE_ADDRESSES, a deadline, a redirect cap), reads at most `MAX_HTML_BYTES` of
the page (a longer one is cut: its head is what counts), only from an HTML answer, follows
its oEmbed link if it has one, finds the account the page's `fediverse:creator` names (ours,
known, or resolved through WebFinger: `federation.resolve`), and hands the result to
`core.preview_cards.save` (cards credit that account only while it allows the page's
domain); then it fetches the card's image for `core.card_images` (the remote image size cap,
30 s).

Failures: a page that answers but gives no card (not HTML, 4xx, refused address, no title)
is recorded on the card's row, so it is not fetched again before the refresh period; a
transient one (network error, timeout, 5xx, 429) raises, and the job queue retries it with
backoff, keeping its last error when it gives up. Nothing here answers a client: no 5xx.
"""

from __future__ import annotations

import logging
from typing import Any

from pnyx.core import attribution, card_images, preview_cards
from pnyx.db.engine import Database
from pnyx.federation import card_pages, resolve
from pnyx.federation.fetch import FetchError, RemoteClient
from pnyx.federation.media_cache import IMAGE_ACCEPT

log = logging.getLogger("pnyx.federation.link_cards")

MAX_HTML_BYTES = 1_000_000
MAX_OEMBED_BYTES = 100_000
TIMEOUT = 10.0
HTML_ACCEPT = "text/html, application/xhtml+xml;q=0.9"
OEMBED_ACCEPT = "application/json, text/json;q=0.9"
HTML_TYPES = ("text/html", "application/xhtml+xml")


class TransientCardError(Exception):
    """A fetch worth trying again later (the job queue does)."""


def _transient(exc: FetchError) -> bool:
    if exc.status is not None:
        return exc.status >= 500 or exc.status == 429
    return exc.reason.startswith(("network error", "total deadline"))


def _oembed(client: RemoteClient, page: card_pages.Page) -> dict[str, Any] | None:
    if not page.oembed_url:
        return None
    try:
        response = client.get(page.oembed_url, accept=OEMBED_ACCEPT)
    except FetchError as exc:
        log.info("no oEmbed at %s: %s", page.oembed_url, exc.reason)
        return None
    if len(response.body) > MAX_OEMBED_BYTES:
        return None
    return card_pages.parse_oembed(response.body)


def read_card(db: Database, url: str) -> preview_cards.CardData | None:
    """Fetch `url` and make its card: None when the page gives none (FetchError with what
    went wrong when it could not be read)."""
    settings = db.settings
    with RemoteClient(settings, timeout=TIMEOUT, max_bytes=MAX_HTML_BYTES) as client:
        # Anything but a web page is refused before its body is downloaded.
        response = client.get(url, accept=HTML_ACCEPT, cut_at_cap=True, only_types=HTML_TYPES)
        content_type = response.headers.get("content-type", "")
        page = card_pages.parse(response.url, card_pages.decode(response.body, content_type))
        card = card_pages.card_of(page)
        oembed = _oembed(client, page)
        if oembed is not None and page.oembed_url:
            card = card_pages.merge_oembed(page, card, oembed, page.oembed_url)
        return card


def fetch_card(db: Database, payload: dict[str, Any]) -> None:
    url = preview_cards.wanted(db, payload)
    if url is None:
        return
    try:
        card = read_card(db, url)
    except FetchError as exc:
        if _transient(exc):
            raise TransientCardError(f"{url}: {exc.reason}") from exc
        log.info("no card for %s: %s", url, exc.reason)
        preview_cards.save(db, url, None, exc.reason)
        return
    creator_id = _creator(db, card.creator) if card is not None and card.creator else None
    card_id = preview_cards.save(
        db, url, card, None if card else "the page has no title", creator_id=creator_id
    )
    if card_id is not None:
        _cache_image(db, card_id)


def _creator(db: Database, handle: str) -> int | None:
    """The account a page's `fediverse:creator` names: ours, one known, or one its server's
    WebFinger finds (the safe client, here in the job, as Mastodon resolves it); None when it
    cannot be found (the card then credits nobody). Whether it may be credited is core's."""
    if attribution.parse_handle(handle) is None:
        return None
    try:
        return resolve.resolve_handle(db, db.settings, handle.strip())
    except resolve.ResolveError as exc:
        log.info("fediverse:creator %r not resolved: %s", handle, exc.reason)
        return None


def _cache_image(db: Database, card_id: int) -> None:
    """The card's image into our media store (core.card_images); a failure leaves it shown
    from its origin, and is not retried (the card is there; the next refresh tries again)."""
    item = card_images.pending(db, card_id)
    if item is None:
        return
    settings = db.settings
    with RemoteClient(settings, timeout=30.0, max_bytes=settings.max_image_bytes) as client:
        try:
            response = client.get(item.url, accept=IMAGE_ACCEPT)
        except FetchError as exc:
            log.info("card image not cached: %s (%s)", item.url, exc.reason)
            return
    card_images.store_fetched(db, item, response.body)
