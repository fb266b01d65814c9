"""Internal records to Mastodon API entities, field for field as docs.joinmastodon.org has them.

Plain functions building dicts, serialized once with orjson: no per-request model validation
on the hot path (see PERFORMANCE.md).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from pnyx.config import Settings
from pnyx.core import (
    custom_emojis,
    preview_cards,
    quotes,
    status_views,
    visibility,
)
from pnyx.core.account_extras import EMPTY as EMPTY_EXTRAS
from pnyx.core.account_extras import AccountExtras
from pnyx.core.filter_matching import FilterMatch
from pnyx.core.notes import shown as shown_notes
from pnyx.core.status_views import StatusBundle
from pnyx.presenters import notes as note_entities
from pnyx.presenters import render_cache


def iso(dt: datetime | None) -> str | None:
    if dt is None:
        return None
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


def _day(dt: datetime | None) -> str | None:
    return dt.strftime("%Y-%m-%d") if dt else None


def _midnight(dt: datetime) -> str:
    # Mastodon rounds account creation to the day, so sign-up time is not exposed.
    return dt.strftime("%Y-%m-%dT00:00:00.000Z")


def default_avatar(settings: Settings) -> str:
    return f"{settings.base_url}/static/avatar.png"


def default_header(settings: Settings) -> str:
    return f"{settings.base_url}/static/header.png"


def _fields(row, *, source: bool = False) -> list[dict]:
    """Profile fields: the HTML others see, or (`source`) what the owner typed, for editing."""
    return [
        {
            "name": f.get("name", ""),
            "value": f.get("value_source", f.get("value", "")) if source else f.get("value", ""),
            "verified_at": f.get("verified_at"),
        }
        for f in (row.fields or [])
    ]


def account(
    row, settings: Settings, extras: AccountExtras = EMPTY_EXTRAS, *, nested: bool = False
) -> dict:
    """The Account entity. A suspended account shows only who it was, as Mastodon does: no
    name, bio, fields, images or flags, and zero counts. `extras` (`core.account_extras`,
    loaded for the page): its staff role, shown in `roles` (Mastodon shows highlighted roles;
    Pnyx's admin and moderator are), and the Account it moved to in `moved`, whose own move is
    not shown (`nested`), as Mastodon's."""
    acct = row.username if row.domain is None else f"{row.username}@{row.domain}"
    suspended = row.suspended_at is not None
    role = extras.roles.get(row.id)
    avatar = (not suspended and row.avatar_url) or default_avatar(settings)
    header = (not suspended and row.header_url) or default_header(settings)
    # The still first frame of an animated image; a still image is its own.
    avatar_static = (not suspended and row.avatar_url and row.avatar_static_url) or avatar
    header_static = (not suspended and row.header_url and row.header_static_url) or header
    data = {
        "id": str(row.id),
        "username": row.username,
        "acct": acct,
        "display_name": "" if suspended else row.display_name,
        "locked": row.locked and not suspended,
        "bot": row.bot and not suspended,
        "discoverable": row.discoverable and not suspended,
        "indexable": row.indexable,
        "group": row.group,
        "created_at": _midnight(row.created_at),
        "note": "" if suspended else row.note,
        "url": row.url or row.uri,
        "uri": row.uri,
        "avatar": avatar,
        "avatar_static": avatar_static,
        "header": header,
        "header_static": header_static,
        "followers_count": 0 if suspended else row.followers_count,
        "following_count": 0 if suspended else row.following_count,
        "statuses_count": 0 if suspended else row.statuses_count,
        "last_status_at": _day(row.last_status_at),
        "hide_collections": row.hide_collections,
        "emojis": [] if suspended else list(row.emojis or []),
        "roles": [account_role(role)] if role and not suspended else [],
        "fields": [] if suspended else _fields(row),
    }
    moved = None if nested or suspended else extras.moved.get(row.id)
    if moved is not None:
        data["moved"] = account(moved, settings, extras, nested=True)
    if row.domain is None:  # Mastodon tells only of its own users' search-engine wish
        data["noindex"] = not row.indexable
    if suspended:
        data["suspended"] = True
    return data


ROLE_IDS = {"user": "-99", "moderator": "2", "admin": "3"}
ROLE_PERMISSIONS = {"user": "65536", "moderator": "1308", "admin": "1"}


def account_role(role_name: str) -> dict:
    """Mastodon's AccountRole (`Account.roles`): a role others see on the profile."""
    return {"id": ROLE_IDS.get(role_name, "-99"), "name": role_name.capitalize(), "color": ""}


def accounts(rows, settings: Settings, extras: AccountExtras = EMPTY_EXTRAS) -> list[dict]:
    """Account entities of a page, with the extras loaded for it."""
    return [account(row, settings, extras) for row in rows]


def role(role_name: str) -> dict:
    return {
        "id": ROLE_IDS.get(role_name, "-99"),
        "name": "" if role_name == "user" else role_name.capitalize(),
        "permissions": ROLE_PERMISSIONS.get(role_name, "65536"),
        "color": "",
        "highlighted": role_name != "user",
    }


def credential_account(
    row,
    user,
    settings: Settings,
    follow_requests_count: int = 0,
    extras: AccountExtras = EMPTY_EXTRAS,
) -> dict:
    """verify_credentials / update_credentials: the account plus its editable source."""
    data = account(row, settings, extras)
    data["source"] = {
        "privacy": user.default_visibility,
        "sensitive": user.default_sensitive,
        "language": user.default_language or "",
        "quote_policy": user.default_quote_policy,
        "note": row.note_source,
        "fields": _fields(row, source=True),
        "follow_requests_count": follow_requests_count,
        "hide_collections": row.hide_collections,
        "discoverable": row.discoverable,
        "indexable": row.indexable,
        "attribution_domains": list(row.attribution_domains or []),
    }
    data["role"] = role(user.role)
    return data


def poll(
    p,
    own_votes: list[int] | None,
    viewer_id: int | None,
    now: datetime,
    emojis: list[dict] | None = None,
) -> dict:
    expired = p.closed_at is not None or (p.expires_at is not None and p.expires_at <= now)
    # As Mastodon: hidden totals stay hidden from everyone, the author included, until the end.
    show_totals = not p.hide_totals or expired
    data = {
        "id": str(p.id),
        "expires_at": iso(p.expires_at),
        "expired": expired,
        "multiple": p.multiple,
        "votes_count": p.votes_count,
        "voters_count": p.voters_count,
        "options": [
            {"title": title, "votes_count": (p.tallies[i] if show_totals else None)}
            for i, title in enumerate(p.options)
        ],
        "emojis": emojis or [],
    }
    if viewer_id is not None:
        data["voted"] = bool(own_votes) or viewer_id == p.account_id
        data["own_votes"] = sorted(own_votes or [])
    return data


def _pinnable(row, viewer_id: int) -> bool:
    """Mastodon gives `pinned` only where the viewer could pin: their own post, not a boost,
    not a direct message."""
    return visibility.may_pin(viewer_id, row, is_boost=bool(row.reblog_of_id))


def _bundle_account(bundle: StatusBundle, row, settings: Settings) -> dict:
    """An author's entity, rendered once per bundle however many of their posts it holds,
    and reused from the process's cache while its row and extras read the same
    (`presenters.render_cache`). The same dict is shared: orjson serializes it as often as
    it appears, and nobody changes it."""
    cache = bundle.rendered_accounts
    rendered = cache.get(row.id)
    if rendered is None:
        extras = bundle.account_extras
        rendered = cache[row.id] = render_cache.accounts.get(
            row.id,
            _account_fingerprint(row, extras, settings),
            lambda: account(row, settings, extras),
        )
    return rendered


def _account_fingerprint(row, extras: AccountExtras, settings: Settings) -> tuple:
    """Everything an Account entity is made of: its row, its role, the account it moved to
    and that one's role, and the base URL of the default images."""
    moved = extras.moved.get(row.id)
    return (
        settings.base_url,
        tuple(row),
        extras.roles.get(row.id),
        (tuple(moved), extras.roles.get(moved.id)) if moved is not None else None,
    )


def media_attachment(row) -> dict:
    """Mastodon's MediaAttachment. An upload's `url` and `preview_url` are its files in the
    media store (None while it is processed); remote media is shown from its origin. An image
    is its own preview, and so is a remote GIF (a `gifv` from elsewhere is its GIF); a video or
    an audio file has its preview image or none."""
    url = row.url or row.remote_url
    return {
        "id": str(row.id),
        "type": row.type,
        "url": url,
        "preview_url": row.preview_url
        or (url if row.type in ("image", "gifv", "unknown") else None),
        "remote_url": row.remote_url,
        "preview_remote_url": None,
        "text_url": None,
        "meta": row.meta or {},
        "description": row.description or None,
        "blurhash": row.blurhash,
    }


def preview_card(row, author: dict | None = None) -> dict:
    """A PreviewCard entity (Mastodon 4.3's, with `authors`). The image is our cached copy
    (core.card_images), or its origin until then; the markup is core's sanitized iframe.
    `author`: the Account entity of the creator the page names, when that account allows the
    page's domain (core.attribution); its name and profile stand in for what the page lacks."""
    authors = []
    if author is not None:
        name = row.author_name or author["display_name"] or author["username"]
        authors = [{"name": name, "url": row.author_url or author["url"], "account": author}]
    elif row.author_name or row.author_url:
        authors = [{"name": row.author_name, "url": row.author_url, "account": None}]
    return {
        "url": row.url,
        "title": row.title,
        "description": row.description,
        "language": row.language,
        "type": row.type,
        "author_name": row.author_name,
        "author_url": row.author_url,
        "provider_name": row.provider_name,
        "provider_url": row.provider_url,
        "html": row.html,
        "width": row.width,
        "height": row.height,
        "image": row.image_url,
        "image_description": row.image_description,
        "embed_url": row.embed_url,
        "blurhash": row.blurhash,
        "published_at": iso(row.published_at),
        "authors": authors,
    }


def _card(bundle: StatusBundle, status_id: int, settings: Settings) -> dict | None:
    """The post's card: a note rated helpful stands in for its link's (`core.notes.shown`)."""
    context = shown_notes.context_note(bundle.notes.get(status_id, ()))
    if context is not None:
        return note_entities.card(context, settings)
    card = bundle.cards.get(status_id)
    if card is None:
        return None
    author = bundle.card_authors.get(card.author_account_id) if card.author_account_id else None
    if not preview_cards.credits(card.url, author):
        return preview_card(card)
    return preview_card(card, _bundle_account(bundle, author, settings))


def filter_head(
    filter_id: int, title: str, context: Sequence[str], action: str, expires_at: datetime | None
) -> dict:
    """A Filter entity without its keywords and statuses."""
    return {
        "id": str(filter_id),
        "title": title,
        "context": list(context),
        "expires_at": iso(expires_at),
        "filter_action": action,
    }


def filter_result(match: FilterMatch) -> dict:
    """One entry of a Status's `filtered`: the filter (without its rules, as Mastodon shows
    it there) and what matched (null for a kind of rule the filter does not have)."""
    f = match.filter
    return {
        "filter": filter_head(f.id, f.title, f.context, f.action, f.expires_at),
        "keyword_matches": (
            list(match.keyword_matches) if match.keyword_matches is not None else None
        ),
        "status_matches": (
            [str(i) for i in match.status_matches] if match.status_matches is not None else None
        ),
    }


def _poll_emojis(bundle: StatusBundle, author, p) -> list[dict]:
    if not bundle.emojis:
        return []
    return custom_emojis.for_texts(bundle.emojis, author.domain, p.options)


def _quote(bundle: StatusBundle, row, settings: Settings, now: datetime, nested: bool):
    """The Status's `quote`: a Quote entity with the quoted post when the viewer is shown it,
    or, inside a quoted post, a ShallowQuote (its id only), as Mastodon nests them."""
    quote = bundle.quotes.get(row.id)
    if quote is None:
        return None
    state = bundle.quote_states.get(row.id, quote.state)
    quoted = bundle.statuses.get(quote.quoted_status_id) if quote.quoted_status_id else None
    shown = quoted if state == "accepted" else None
    if nested:
        return {"state": state, "quoted_status_id": str(shown.id) if shown else None}
    return {
        "state": state,
        "quoted_status": _status_body(bundle, shown, settings, now, nested=True) if shown else None,
    }


def _quote_approval(bundle: StatusBundle, row) -> dict:
    return quote_approval(row, bundle.viewer_id, row.account_id in bundle.following)


def quote_approval(row, viewer: int | None, follows: bool) -> dict:
    """The `quote_approval` entity, shared by every post and viewer it reads the same for:
    `quotes.approval` depends only on the values of the key below (a test checks it against
    every combination), and a page asks for it once per post."""
    key = (
        row.visibility,
        row.quote_policy,
        row.local,
        viewer is None,
        row.account_id == viewer,
        follows,
    )
    shown = _APPROVALS.get(key)
    if shown is None:
        approval = quotes.approval(row, viewer, follows)
        shown = {
            "automatic": list(approval.automatic),
            "manual": list(approval.manual),
            "current_user": approval.current_user,
        }
        if len(_APPROVALS) < 1024:  # remote servers may send any policy: keep it bounded
            _APPROVALS[key] = shown
    return shown


_APPROVALS: dict[tuple, dict] = {}


def status_fields(
    bundle: StatusBundle, row, settings: Settings, now: datetime, *, nested: bool = False
) -> dict:
    """A Status entity but for `quote_approval` and the viewer's marks: the part that is the
    same for every viewer (`_shared_part`, cached), with the counts, poll and quote laid over
    a copy of it."""
    author = bundle.accounts[row.account_id]
    p = bundle.polls.get(row.id)
    data = _shared_part(bundle, row, settings).copy()
    data["account"] = _bundle_account(bundle, author, settings)
    data["reblogs_count"] = row.reblogs_count
    data["favourites_count"] = row.favourites_count
    data["replies_count"] = row.replies_count
    data["quotes_count"] = bundle.quotes_count.get(row.id, 0)
    if p is not None:
        data["poll"] = poll(
            p, bundle.own_votes.get(p.id), bundle.viewer_id, now, _poll_emojis(bundle, author, p)
        )
    data["quote"] = _quote(bundle, row, settings, now, nested)
    return data


def _status_body(
    bundle: StatusBundle, row, settings: Settings, now: datetime, *, nested: bool = False
) -> dict:
    """A Status entity: `status_fields`, with what depends on the viewer laid over them."""
    viewer = bundle.viewer_id
    data = status_fields(bundle, row, settings, now, nested=nested)
    data["quote_approval"] = _quote_approval(bundle, row)
    if viewer is not None:
        data["favourited"] = row.id in bundle.favourited
        data["reblogged"] = row.id in bundle.reblogged
        data["muted"] = row.conversation_id in bundle.muted_conversations
        data["bookmarked"] = row.id in bundle.bookmarked
        if _pinnable(row, viewer):
            data["pinned"] = row.id in bundle.pinned
        data["filtered"] = [filter_result(m) for m in bundle.filter_matches.get(row.id, ())]
    return data


def _shared_part(bundle: StatusBundle, row, settings: Settings) -> dict:
    """The viewer-independent part of a post's Status entity, from the process's cache while
    what it is made of reads the same (`_status_fingerprint`), else built and stored."""
    return render_cache.statuses.get(
        row.id,
        _status_fingerprint(bundle, row, settings),
        lambda: _build_shared_part(bundle, row, settings),
    )


def _status_fingerprint(bundle: StatusBundle, row, settings: Settings) -> tuple:
    """Every value `_build_shared_part` reads, as read in this request: the post's row, and
    the rows of its media, application, mentions, tags, emojis, card and the account the card
    credits."""
    app = bundle.apps.get(row.application_id) if row.application_id else None
    card = bundle.cards.get(row.id)
    card_author = (
        bundle.card_authors.get(card.author_account_id)
        if card is not None and card.author_account_id
        else None
    )
    return (
        settings.base_url,
        # The whole row: a tuple is made in C, where reading a dozen columns by name is not.
        # So a new count builds the part again too: rare next to reads, and never wrong.
        tuple(row),
        [tuple(m) for m in bundle.media.get(row.id, ())],
        tuple(app) if app is not None else None,
        [tuple(m) for m in bundle.mentions.get(row.id, ())],
        [tuple(t) for t in bundle.tags.get(row.id, ())],
        [tuple(e) for e in status_views.emoji_rows_of(bundle, row)],
        tuple(card) if card is not None else None,
        [tuple(n) for n in bundle.notes.get(row.id, ())],
        tuple(bundle.imported[row.id]) if row.id in bundle.imported else None,
        _account_fingerprint(card_author, bundle.account_extras, settings)
        if card_author is not None
        else None,
    )


def imported_from(origin) -> dict | None:
    """`pnyx.imported_from`: the post's original id and page, and when it was first posted."""
    if origin is None:
        return None
    return {"uri": origin.origin_uri, "url": origin.origin_url, "published": iso(origin.published)}


def _build_shared_part(bundle: StatusBundle, row, settings: Settings) -> dict:
    """The Status entity's fields in Mastodon's order; those `_status_body` lays over it
    per request hold placeholders here (so the order stays)."""
    app = bundle.apps.get(row.application_id) if row.application_id else None
    return {
        "id": str(row.id),
        "uri": row.uri,
        "url": row.url,
        "created_at": iso(row.created_at),
        "edited_at": iso(row.edited_at),
        "account": None,
        "content": row.content,
        "visibility": row.visibility,
        "sensitive": row.sensitive,
        "spoiler_text": row.spoiler_text,
        "media_attachments": [media_attachment(m) for m in bundle.media.get(row.id, ())],
        "application": {"name": app.name, "website": app.website} if app else None,
        "mentions": [
            {
                "id": str(m.id),
                "username": m.username,
                "url": m.url or m.uri,
                "acct": m.username if m.domain is None else f"{m.username}@{m.domain}",
            }
            for m in bundle.mentions.get(row.id, ())
        ],
        "tags": [
            {"name": t.name, "url": f"{settings.base_url}/tags/{t.name}"}
            for t in bundle.tags.get(row.id, ())
        ],
        "emojis": status_views.emojis_of(bundle, row),
        "reblogs_count": 0,
        "favourites_count": 0,
        "replies_count": 0,
        "quotes_count": 0,
        "in_reply_to_id": str(row.in_reply_to_id) if row.in_reply_to_id else None,
        "in_reply_to_account_id": (
            str(row.in_reply_to_account_id) if row.in_reply_to_account_id else None
        ),
        "reblog": None,
        "poll": None,
        "card": _card(bundle, row.id, settings),
        "language": row.language,
        "text": None,
        "quote": None,
        "quote_approval": None,
        # Pnyx's: every note on the post, with its status (`core.notes`).
        # Pnyx's: where a post imported from an archive was first posted (`core.archive_import`).
        "pnyx": {
            "notes": [note_entities.note(n, settings) for n in bundle.notes.get(row.id, ())],
            "imported_from": imported_from(bundle.imported.get(row.id)),
        },
    }


def status(bundle: StatusBundle, status_id: int, settings: Settings, now: datetime) -> dict:
    row = bundle.statuses[status_id]
    data = _status_body(bundle, row, settings, now)
    if row.reblog_of_id:
        original = bundle.statuses[row.reblog_of_id]
        data["reblog"] = _status_body(bundle, original, settings, now)
        data["content"] = ""
        data["poll"] = None
        data["mentions"] = []
        data["tags"] = []
        if bundle.viewer_id is not None:
            data["favourited"] = data["reblog"]["favourited"]
            data["reblogged"] = data["reblog"]["reblogged"]
            data["bookmarked"] = data["reblog"]["bookmarked"]
            # What the boost matched (its original's text, either id), on both, as Mastodon.
            data["reblog"]["filtered"] = data["filtered"]
    return data


def statuses(bundle: StatusBundle, settings: Settings, now: datetime) -> list[dict]:
    """The visible statuses of a bundle, in the order they were asked for."""
    return [status(bundle, sid, settings, now) for sid in bundle.visible]


def relationship(rel) -> dict:
    """`rel` is core.relationships.Relationship."""
    return {
        "id": str(rel.id),
        "following": rel.following,
        "showing_reblogs": rel.showing_reblogs,
        "notifying": rel.notifying,
        "languages": rel.languages,
        "followed_by": rel.followed_by,
        "blocking": rel.blocking,
        "blocked_by": rel.blocked_by,
        "muting": rel.muting,
        "muting_notifications": rel.muting_notifications,
        "requested": rel.requested,
        "requested_by": rel.requested_by,
        "domain_blocking": rel.domain_blocking,
        "endorsed": rel.endorsed,
        "note": rel.note,
    }
