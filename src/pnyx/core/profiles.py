"""Profile changes a user makes to their own local account (update_credentials).

The bio and field values are typed as plain text and kept as such (`note_source`,
`value_source`); what other people see is HTML made from them by `pnyx.core.text`, so nothing
typed can become markup. Field names stay plain text, as on Mastodon.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pnyx.core import attribution, custom_emojis, events, follows, profile_media, quotes, text
from pnyx.core.errors import Invalid, NotFound
from pnyx.db.engine import Tx
from pnyx.db.tables import accounts, users

FIELD_NAME_MAX = 255
FIELD_VALUE_MAX = 255
DEFAULT_VISIBILITIES = ("public", "unlisted", "private")
LANGUAGE_RE = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$")


@dataclass(frozen=True)
class ProfileUpdate:
    """Only the attributes that are not None change."""

    display_name: str | None = None
    note: str | None = None
    locked: bool | None = None
    bot: bool | None = None
    discoverable: bool | None = None
    indexable: bool | None = None
    hide_collections: bool | None = None
    fields: list[tuple[str, str]] | None = None
    privacy: str | None = None
    sensitive: bool | None = None
    language: str | None = None  # "" clears it
    quote_policy: str | None = None  # default of new posts: public, followers or nobody
    # The websites that may credit the account (core.attribution); [] clears them.
    attribution_domains: list[str] | None = None
    # New avatar and header, already processed and stored (`profile_media.prepare`).
    avatar: profile_media.StoredImage | None = None
    header: profile_media.StoredImage | None = None
    remove_images: tuple[str, ...] = ()  # kinds back to the default image (a new one wins)


def field_value_html(tx: Tx, value: str) -> str:
    """A field value as HTML: escaped, links made clickable, on one line (no paragraphs)."""
    rendered = text.render(tx, " ".join(value.split())).html
    if rendered.startswith("<p>") and rendered.endswith("</p>"):
        rendered = rendered[3:-4]
    return rendered


def _clean_line(value: str) -> str:
    """Control characters other than newlines have no place in a profile."""
    return "".join(ch for ch in value if ch in "\n\t" or ch.isprintable())


def _check(tx: Tx, change: ProfileUpdate) -> None:
    settings = tx.settings
    if change.display_name is not None and len(change.display_name) > (
        settings.max_display_name_chars
    ):
        raise Invalid(
            f"Display name is too long (maximum is {settings.max_display_name_chars} characters)"
        )
    if change.note is not None and len(change.note) > settings.max_bio_chars:
        raise Invalid(f"Note is too long (maximum is {settings.max_bio_chars} characters)")
    if change.fields is not None:
        if len(change.fields) > settings.max_profile_fields:
            raise Invalid(f"Fields are too many (maximum is {settings.max_profile_fields} fields)")
        for name, value in change.fields:
            if len(name) > FIELD_NAME_MAX:
                raise Invalid(f"Field name is too long (maximum is {FIELD_NAME_MAX} characters)")
            if len(value) > FIELD_VALUE_MAX:
                raise Invalid(f"Field value is too long (maximum is {FIELD_VALUE_MAX} characters)")
    if change.privacy is not None and change.privacy not in DEFAULT_VISIBILITIES:
        raise Invalid("Default privacy must be public, unlisted or private")
    if change.quote_policy is not None and change.quote_policy not in quotes.POLICIES:
        raise Invalid(quotes.BAD_POLICY)
    if change.language and not LANGUAGE_RE.match(change.language):
        raise Invalid("Default language is not a valid language code")


def update_profile(tx: Tx, account_id: int, change: ProfileUpdate) -> None:
    """Apply a user's own profile change to their local account, all or nothing."""
    account = tx.one_or_none(
        accounts.select().where(accounts.c.id == account_id, accounts.c.domain.is_(None))
    )
    if account is None:
        raise NotFound()
    change = ProfileUpdate(
        **{
            **change.__dict__,
            "display_name": _clean_line(change.display_name).replace("\n", " ").strip()
            if change.display_name is not None
            else None,
            "note": _clean_line(change.note).strip() if change.note is not None else None,
            "fields": [
                (_clean_line(n).strip(), _clean_line(v).strip())
                for n, v in change.fields
                if n.strip() or v.strip()  # blank rows are how clients remove a field
            ]
            if change.fields is not None
            else None,
        }
    )
    _check(tx, change)
    values: dict = {}
    if change.display_name is not None:
        values["display_name"] = change.display_name
    if change.note is not None:
        values["note_source"] = change.note
        values["note"] = text.render_bio(tx, change.note)
    for flag in ("locked", "bot", "discoverable", "indexable", "hide_collections"):
        if getattr(change, flag) is not None:
            values[flag] = getattr(change, flag)
    if change.attribution_domains is not None:
        domains = attribution.local_domains(change.attribution_domains)
        if domains != (account.attribution_domains or []):
            values["attribution_domains"] = domains or None
    if change.fields is not None:
        values["fields"] = [
            {
                "name": name,
                "value": field_value_html(tx, value),
                "value_source": value,
                "verified_at": None,
            }
            for name, value in change.fields
        ]
    images = {kind: getattr(change, kind) for kind in profile_media.KINDS}
    images = {
        kind: image
        for kind, image in images.items()
        if image is not None
        or (kind in change.remove_images and getattr(account, f"{kind}_url") is not None)
    }
    if images:
        values.update(profile_media.set_images(tx, account, images))
    if values:
        values["updated_at"] = tx.now
        tx.execute(accounts.update().where(accounts.c.id == account_id).values(**values))
        custom_emojis.refresh_account(tx, account_id)
        events.record(tx, events.AccountUpdated(account_id))
    if account.locked and change.locked is False:
        # As Mastodon: an account that stops approving followers accepts those still waiting.
        follows.authorize_all_requests(tx, account_id)
    user_values: dict = {}
    if change.privacy is not None:
        user_values["default_visibility"] = change.privacy
    if change.sensitive is not None:
        user_values["default_sensitive"] = change.sensitive
    if change.language is not None:
        user_values["default_language"] = change.language or None
    if change.quote_policy is not None:
        user_values["default_quote_policy"] = change.quote_policy
    if user_values:
        tx.execute(users.update().where(users.c.account_id == account_id).values(**user_values))
