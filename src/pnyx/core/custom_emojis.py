"""Custom emojis: images named `:shortcode:` that posts, names and bios show in place of text.

Staff add this server's (the admin web page and `pnyx emoji add` both call `upload`): the
image is checked and processed like any upload (`image_processing.process_emoji`: magic bytes
say PNG, GIF or WebP, pixel and frame caps before decoding, metadata stripped) under
Mastodon's 256 KB cap, stored in the media store beside a still PNG (`static_url`, what apps
show when animations are off), and named by a shortcode of letters, digits and underscores.
Another server's emojis arrive with its posts and actors (`Emoji` tags): they are kept as rows
with that server's domain and shown from their origin until the remote-media cache has
fetched them (`remote_media`), as Mastodon does.

Text keeps its `:shortcode:`s, as Mastodon's does: apps replace them with the images the
entity's `emojis` lists. A post's list is found when it is shown (`lookup`, one query for a
whole page of posts: the shortcodes in their text, of their authors' servers); an account's
is kept with the account (`accounts.emojis`), since accounts are rendered in many places that
hold no transaction, and renewed when the profile or one of its emojis changes
(`account_emojis` says which accounts show an emoji, so that a change finds them by index).
"""

from __future__ import annotations

import functools
import re
import secrets
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Row

from pnyx.config import Settings
from pnyx.core import image_processing, media, profile_media
from pnyx.core.errors import Invalid, NotFound
from pnyx.core.image_processing import MediaRefused, ProfileImage
from pnyx.core.media_store import store_for
from pnyx.db.engine import Database, Tx
from pnyx.db.ids import new_id
from pnyx.db.insert_ignore import insert_ignore
from pnyx.db.tables import account_emojis, accounts, custom_emojis

# Mastodon's CustomEmoji::SHORTCODE_RE_FRAGMENT (\w{2,}), ASCII, capped by the column.
SHORTCODE = re.compile(r"[A-Za-z0-9_]{2,64}")
# A shortcode in text: not glued to a letter, digit or another colon on either side.
IN_TEXT = re.compile(r"(?<![A-Za-z0-9_:]):([A-Za-z0-9_]{2,64}):(?![A-Za-z0-9_:])")
MAX_BYTES = 256 * 1024  # Mastodon's CustomEmoji::LIMIT, for ours and others' alike
MAX_CATEGORY = 64
MAX_PER_TEXT = 100  # different shortcodes looked up for one post or profile (Emoji tags: 100)
PREFIX = media.EMOJI_PREFIX  # files: custom_emojis/<id>/<token>/original.png, static.png
TOO_BIG = "Validation failed: Image file size must be less than 256 KB"
TAKEN = "Shortcode has already been taken"
BAD_SHORTCODE = (
    "Shortcode must be at least 2 characters and contain only letters, numbers and underscores"
)


def check_shortcode(shortcode: str) -> str:
    """The shortcode as given, without surrounding colons; Invalid when it is not one."""
    code = shortcode.strip().strip(":")
    if not SHORTCODE.fullmatch(code):
        raise Invalid(BAD_SHORTCODE)
    return code


def _check_category(category: str | None) -> str | None:
    category = (category or "").strip()
    if len(category) > MAX_CATEGORY:
        raise Invalid(f"Category is too long (maximum is {MAX_CATEGORY})")
    return category or None


def shortcodes_in(*texts: str | None) -> set[str]:
    """The `:shortcode:`s written in these texts (plain or HTML): the first MAX_PER_TEXT
    different ones, so that a post made of shortcodes cannot make its lookup huge."""
    found: dict[str, None] = {}
    for text in texts:
        if not text or text.count(":") < 2:
            continue
        for code in _codes_in(text):
            found[code] = None
            if len(found) >= MAX_PER_TEXT:
                return set(found)
    return set(found)


@functools.lru_cache(maxsize=4096)
def _codes_in(text: str) -> tuple[str, ...]:
    """The first MAX_PER_TEXT different shortcodes of one text, in order. Remembered for the
    texts seen last: every page of statuses scans its posts' texts again, and the same posts
    are on many pages (`shortcodes_in` takes as many of these as it needs, so its answer is
    the same as scanning all texts at once)."""
    found: dict[str, None] = {}
    for m in IN_TEXT.finditer(text):
        found[m.group(1)] = None
        if len(found) >= MAX_PER_TEXT:
            break
    return tuple(found)


def uri_of(settings: Settings, row: Any) -> str:
    """The emoji's ActivityPub id: a remote one's own, ours served at /emojis/<id>."""
    return row.uri or f"{settings.base_url}/emojis/{row.id}"


def shown(row: Any) -> dict[str, Any]:
    """Mastodon's CustomEmoji entity of a row (what `emojis` lists hold)."""
    return {
        "shortcode": row.shortcode,
        "url": row.url,
        "static_url": row.static_url,
        "visible_in_picker": row.visible_in_picker,
        "category": row.category,
    }


# --- Staff: this server's emojis -------------------------------------------------------------


def process(settings: Settings, data: bytes) -> ProfileImage:
    """The checked image and its still PNG (MediaRefused, 422, for a refused file)."""
    if len(data) > MAX_BYTES:
        raise MediaRefused(TOO_BIG)
    image_processing.probe(settings, data)  # refuse before waiting for a decoding slot
    with media.DECODING:
        return image_processing.process_emoji(settings, data)


def _store(settings: Settings, emoji_id: int, image: ProfileImage) -> profile_media.StoredImage:
    prefix = f"{PREFIX}{emoji_id}/{secrets.token_hex(8)}"
    return profile_media.store_image(settings, prefix, "emoji", image)


def _taken(tx: Tx, shortcode: str, domain: str | None = None) -> Row | None:
    where = custom_emojis.c.domain.is_(None) if domain is None else custom_emojis.c.domain == domain
    return tx.one_or_none(
        sa.select(custom_emojis).where(custom_emojis.c.shortcode == shortcode, where)
    )


def upload(
    db: Database,
    shortcode: str,
    data: bytes,
    *,
    category: str | None = None,
    visible_in_picker: bool = True,
) -> Row:
    """Add a custom emoji of this server; its row. Invalid or MediaRefused (422) for a bad or
    taken shortcode, a category too long, or a file refused. The image is processed and stored
    outside any transaction, and removed again if the row cannot be written."""
    code = check_shortcode(shortcode)
    category = _check_category(category)
    if db.run_sync(_taken, code, write=False) is not None:
        raise Invalid(TAKEN)
    image = process(db.settings, data)
    emoji_id = new_id()
    stored = _store(db.settings, emoji_id, image)

    def save(tx: Tx) -> Row:
        values = {
            "id": emoji_id,
            "shortcode": code,
            "domain": None,
            "url": stored.url,
            "static_url": stored.static_url,
            "file_key": stored.key,
            "static_key": stored.static_key,
            "visible_in_picker": visible_in_picker,
            "category": category,
            "created_at": tx.now,
            "updated_at": tx.now,
        }
        if not insert_ignore(tx, custom_emojis, values):
            raise Invalid(TAKEN)  # added meanwhile
        _refresh_local_naming(tx, code)
        return get_local(tx, code)

    try:
        return db.run_sync(save)
    except BaseException:
        profile_media.discard(db.settings, [stored])
        raise


def local(tx: Tx, *, with_disabled: bool = False) -> list[Row]:
    """This server's emojis by shortcode: those offered to apps, or (staff) all of them."""
    query = sa.select(custom_emojis).where(custom_emojis.c.domain.is_(None))
    if not with_disabled:
        query = query.where(custom_emojis.c.disabled.is_(False))
    return list(tx.execute(query.order_by(custom_emojis.c.shortcode)))


def get_local(tx: Tx, shortcode: str) -> Row:
    """One of this server's emojis by shortcode (colons allowed); NotFound for anything else,
    without a query for what cannot be a shortcode."""
    code = shortcode.strip().strip(":")
    row = _taken(tx, code) if SHORTCODE.fullmatch(code) else None
    if row is None:
        raise NotFound()
    return row


def get_shown(tx: Tx, emoji_id: int) -> Row:
    """A local emoji by id, for its ActivityPub document; NotFound when disabled or remote."""
    row = tx.one_or_none(
        sa.select(custom_emojis).where(
            custom_emojis.c.id == emoji_id,
            custom_emojis.c.domain.is_(None),
            custom_emojis.c.disabled.is_(False),
        )
    )
    if row is None:
        raise NotFound()
    return row


def change(
    tx: Tx,
    shortcode: str,
    *,
    disabled: bool | None = None,
    category: str | None = None,
    visible_in_picker: bool | None = None,
) -> Row:
    """Disable or enable a local emoji, or change its category (empty: none) or whether apps
    offer it; the accounts that use it show the change."""
    row = get_local(tx, shortcode)
    values: dict[str, Any] = {"updated_at": tx.now}
    if disabled is not None:
        values["disabled"] = disabled
    if category is not None:
        values["category"] = _check_category(category)
    if visible_in_picker is not None:
        values["visible_in_picker"] = visible_in_picker
    tx.execute(custom_emojis.update().where(custom_emojis.c.id == row.id).values(**values))
    if disabled is False:
        _refresh_local_naming(tx, row.shortcode)
    else:
        _refresh_showing(tx, [row.id])
    return get_local(tx, row.shortcode)


def remove(tx: Tx, shortcode: str) -> None:
    """Delete a local emoji; its files are removed after commit. Posts keep their text."""
    row = get_local(tx, shortcode)
    showing = _showing(tx, [row.id])
    tx.execute(account_emojis.delete().where(account_emojis.c.custom_emoji_id == row.id))
    tx.execute(custom_emojis.delete().where(custom_emojis.c.id == row.id))
    media.forget_keys(tx, [k for k in (row.file_key, row.static_key) if k])
    for account_id in showing:
        refresh_account(tx, account_id)


# --- Finding the emojis a text uses -----------------------------------------------------------


def lookup(tx: Tx, wanted: dict[str | None, set[str]]) -> dict[tuple[str | None, str], Row]:
    """The enabled emojis named, by (domain, shortcode), from shortcodes by server (None:
    this one), in one query."""
    arms = [
        sa.and_(
            custom_emojis.c.domain.is_(None)
            if domain is None
            else custom_emojis.c.domain == domain,
            custom_emojis.c.shortcode.in_(sorted(codes)),
        )
        for domain, codes in wanted.items()
        if codes
    ]
    if not arms:
        return {}
    rows = tx.execute(
        sa.select(custom_emojis).where(sa.or_(*arms), custom_emojis.c.disabled.is_(False))
    )
    return {(r.domain, r.shortcode): r for r in rows}


def rows_for_texts(
    found: Mapping[tuple[str | None, str], Row], domain: str | None, texts: Iterable[str | None]
) -> list[Row]:
    """The emojis of `found` (from `lookup`) that texts of `domain` use, in the order they
    first appear."""
    seen: dict[str, Row] = {}
    for text in texts:
        for m in IN_TEXT.finditer(text or ""):
            code = m.group(1)
            if code not in seen and (domain, code) in found:
                seen[code] = found[(domain, code)]
    return list(seen.values())


def for_texts(
    found: Mapping[tuple[str | None, str], Row], domain: str | None, texts: Iterable[str | None]
) -> list[dict[str, Any]]:
    """The `emojis` entities of a post or account of `domain` (see `rows_for_texts`)."""
    return [shown(r) for r in rows_for_texts(found, domain, texts)]


def in_texts(tx: Tx, domain: str | None, texts: Sequence[str | None]) -> list[dict[str, Any]]:
    """The `emojis` of texts of `domain` looked up alone (one query; lists batch `lookup`)."""
    codes = shortcodes_in(*texts)
    return for_texts(lookup(tx, {domain: codes}), domain, texts) if codes else []


def used_by_account(tx: Tx, row: Any) -> list[Row]:
    """The enabled emojis an account's name, bio and fields use (its actor's Emoji tags)."""
    texts = account_texts(row)
    codes = shortcodes_in(*texts)
    return rows_for_texts(lookup(tx, {row.domain: codes}), row.domain, texts) if codes else []


def account_texts(row: Any) -> list[str]:
    """What of an account may hold shortcodes: its name, bio and fields."""
    texts = [row.display_name or "", row.note or ""]
    for f in row.fields or []:
        texts += [str(f.get("name", "")), str(f.get("value", ""))]
    return texts


def refresh_account(tx: Tx, account_id: int) -> None:
    """Renew the emojis kept with an account (`accounts.emojis`, and which ones it shows in
    `account_emojis`) after its profile or one of its emojis changed."""
    row = tx.one_or_none(sa.select(accounts).where(accounts.c.id == account_id))
    if row is None:
        return
    texts = account_texts(row)
    codes = shortcodes_in(*texts)
    if not codes and row.emojis is None:
        return  # nothing named, nothing kept: no query
    used = rows_for_texts(lookup(tx, {row.domain: codes}), row.domain, texts) if codes else []
    emojis = [shown(r) for r in used] or None
    if emojis == row.emojis:
        return
    tx.execute(accounts.update().where(accounts.c.id == row.id).values(emojis=emojis))
    tx.execute(account_emojis.delete().where(account_emojis.c.account_id == row.id))
    if used:
        tx.execute(
            account_emojis.insert(),
            [{"account_id": row.id, "custom_emoji_id": r.id} for r in used],
        )


def _showing(tx: Tx, emoji_ids: Sequence[int]) -> list[int]:
    """The accounts that show one of these emojis now (by index)."""
    if not emoji_ids:
        return []
    return tx.scalars(
        sa.select(account_emojis.c.account_id)
        .where(account_emojis.c.custom_emoji_id.in_(list(emoji_ids)))
        .distinct()
    )


def _refresh_local_naming(tx: Tx, shortcode: str) -> None:
    """Renew the local accounts whose texts name `shortcode` (an emoji of ours added or
    enabled, which none of them showed). A scan of our own profiles: staff actions only."""
    texts = (accounts.c.display_name, accounts.c.note, sa.cast(accounts.c.fields, sa.Text))
    named = sa.or_(*(t.contains(f":{shortcode}:", autoescape=True) for t in texts))
    for account_id in tx.scalars(
        sa.select(accounts.c.id).where(accounts.c.domain.is_(None), named)
    ):
        refresh_account(tx, account_id)


def _refresh_showing(tx: Tx, emoji_ids: Sequence[int]) -> None:
    for account_id in _showing(tx, emoji_ids):
        refresh_account(tx, account_id)


# --- Other servers' emojis ---------------------------------------------------------------------


@dataclass(frozen=True)
class IncomingEmoji:
    """An `Emoji` tag of another server's post or actor, already validated: a shortcode of
    SHORTCODE's characters and an http(s) image URL."""

    shortcode: str
    url: str
    uri: str | None = None
    updated: datetime | None = None


def store_remote(tx: Tx, domain: str, emojis: Sequence[IncomingEmoji]) -> list[int]:
    """Keep the emojis a remote server declared (by shortcode, for that server); a changed image
    replaces the one known. Returns the ids whose image should now be fetched."""
    domain = domain.lower()
    to_fetch: list[int] = []
    changed: list[int] = []
    for emoji in {e.shortcode: e for e in emojis}.values():
        if not SHORTCODE.fullmatch(emoji.shortcode) or not emoji.url.startswith(
            ("https://", "http://")
        ):
            continue
        existing = _taken(tx, emoji.shortcode, domain)
        image = {
            "url": emoji.url,
            "static_url": emoji.url,
            "image_remote_url": emoji.url,
            "file_key": None,
            "static_key": None,
            "uri": emoji.uri,
            "updated_at": emoji.updated or tx.now,
        }
        if existing is None:
            emoji_id = new_id()
            values = {**image, "id": emoji_id, "shortcode": emoji.shortcode, "domain": domain}
            if insert_ignore(tx, custom_emojis, {**values, "created_at": tx.now}):
                to_fetch.append(emoji_id)  # new: no account shows it yet
            continue
        if existing.image_remote_url == emoji.url:
            continue
        tx.execute(custom_emojis.update().where(custom_emojis.c.id == existing.id).values(**image))
        media.forget_keys(tx, [k for k in (existing.file_key, existing.static_key) if k])
        to_fetch.append(existing.id)
        changed.append(existing.id)
    _refresh_showing(tx, changed)
    return to_fetch


def cache_pending(tx: Tx, emoji_id: int) -> Row | None:
    """A remote emoji whose image is still to be fetched, or None."""
    row = tx.one_or_none(sa.select(custom_emojis).where(custom_emojis.c.id == emoji_id))
    if row is None or row.domain is None or not row.image_remote_url or row.file_key:
        return None
    return row


def save_cached(tx: Tx, emoji_id: int, url: str, stored: profile_media.StoredImage) -> bool:
    """Point a remote emoji at the files fetched from `url`; False when it no longer wants
    them (its image changed or it is gone meanwhile)."""
    row = cache_pending(tx, emoji_id)
    if row is None or row.image_remote_url != url:
        return False
    tx.execute(
        custom_emojis.update()
        .where(custom_emojis.c.id == emoji_id)
        .values(
            url=stored.url,
            static_url=stored.static_url,
            file_key=stored.key,
            static_key=stored.static_key,
        )
    )
    _refresh_showing(tx, [emoji_id])
    return True


def store_cached(settings: Settings, emoji_id: int, data: bytes) -> profile_media.StoredImage:
    """Process a fetched remote emoji like ours and write its files (outside a transaction)."""
    return _store(settings, emoji_id, process(settings, data))


def by_domain(texts_by_domain: Iterable[tuple[str | None, Iterable[str | None]]]) -> dict:
    """Shortcodes wanted by server, from (domain, texts) pairs: `lookup`'s argument."""
    wanted: dict[str | None, set[str]] = defaultdict(set)
    for domain, texts in texts_by_domain:
        wanted[domain] |= shortcodes_in(*texts)
    return wanted


def discard(settings: Settings, stored: profile_media.StoredImage) -> None:
    """Files of an emoji written for nothing."""
    store = store_for(settings)
    for key in (stored.key, stored.static_key):
        if key:
            store.delete(key)
