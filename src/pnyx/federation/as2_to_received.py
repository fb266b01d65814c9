"""Parsed ActivityPub documents -> the plain inputs core stores (`core.received`): the step
after `as2_to_internal`.

`as2_to_internal` has already validated and sanitized the document; what is left is what needs
the database: which of the mentioned actors we know, where a reply's parent is, and which
visibility the addressing means for this author.
"""

from __future__ import annotations

from pnyx.core import federation_reads as reads
from pnyx.core.custom_emojis import IncomingEmoji
from pnyx.core.remote_store import (
    IncomingAccount,
    IncomingAttachment,
    IncomingPoll,
    IncomingStatus,
)
from pnyx.federation import as2_to_internal as parse
from pnyx.federation.as2_common import RemoteEmoji

MAX_MENTIONS = 50
MAX_TAGS = 50


def incoming_account(actor: parse.RemoteActor) -> IncomingAccount:
    return IncomingAccount(
        uri=actor.uri,
        username=actor.username,
        domain=actor.domain,
        inbox_url=actor.inbox_url,
        display_name=actor.display_name or "",
        note=actor.note_html or "",
        url=actor.url,
        shared_inbox_url=actor.shared_inbox_url,
        outbox_url=actor.outbox_url,
        followers_url=actor.followers_url,
        following_url=actor.following_url,
        featured_url=actor.featured_url,
        public_key_pem=actor.public_key_pem,
        public_key_id=actor.public_key_id,
        avatar_url=actor.avatar_url,
        header_url=actor.header_url,
        fields=[{"name": name, "value": value} for name, value in actor.fields],
        locked=bool(actor.locked),
        bot=bool(actor.bot),
        group=bool(actor.group),
        discoverable=bool(actor.discoverable),
        indexable=bool(actor.indexable),
        also_known_as=list(actor.also_known_as or []),
        attribution_domains=list(actor.attribution_domains or []),
        created_at=actor.published,
        emojis=incoming_emojis(actor.emojis),
    )


def incoming_emojis(emojis: list[RemoteEmoji]) -> list[IncomingEmoji]:
    return [IncomingEmoji(e.shortcode, e.url, e.uri, e.updated) for e in emojis]


def known_account_ids(tx, uris: list[str]) -> list[int]:
    """Ids of the accounts (local or remote) we know under these actor uris."""
    wanted = list(dict.fromkeys(u for u in uris if u))[:MAX_MENTIONS]
    if not wanted:
        return []
    return reads.ids_by_uri(tx, wanted)


def incoming_status(tx, obj: parse.RemoteObject, author) -> IncomingStatus:
    """`author` is the stored account row of obj.attributed_to."""
    visibility = parse.visibility_of(obj.to, obj.cc, followers_url=author.followers_url)
    poll = None
    if obj.poll is not None:
        poll = IncomingPoll(
            options=[title for title, _ in obj.poll.options],
            tallies=[int(votes or 0) for _, votes in obj.poll.options],
            multiple=bool(obj.poll.multiple),
            expires_at=obj.poll.expires_at,
            closed_at=obj.poll.closed_at,
            voters_count=obj.poll.voters_count,
        )
    return IncomingStatus(
        uri=obj.uri,
        url=obj.url,
        content=obj.content_html or "",
        visibility=visibility,
        spoiler_text=obj.spoiler_text or "",
        sensitive=bool(obj.sensitive),
        language=obj.language,
        created_at=obj.published,
        edited_at=obj.updated
        if obj.updated and obj.published and obj.updated > obj.published
        else None,
        in_reply_to_uri=obj.in_reply_to_uri,
        mentioned_account_ids=known_account_ids(tx, [href for href, _ in obj.mentions]),
        tags=list(dict.fromkeys(obj.hashtags))[:MAX_TAGS],
        poll=poll,
        attachments=[incoming_attachment(a) for a in obj.attachments],
        emojis=incoming_emojis(obj.emojis),
        quote_uri=obj.quote_uri,
        quote_authorization=obj.quote_authorization,
        quote_policy=parse.quote_policy(
            obj.quote_approvers, obj.attributed_to, author.followers_url
        ),
    )


def media_kind(attachment: parse.RemoteAttachment) -> str:
    """Mastodon's attachment types, from the media type (or the AS type when there is none)."""
    major = (attachment.media_type or "").split("/", 1)[0].lower()
    if attachment.media_type == "image/gif":
        return "gifv"
    if major in ("image", "video", "audio"):
        return major
    return {"Image": "image", "Video": "video", "Audio": "audio"}.get(attachment.type, "unknown")


def incoming_attachment(attachment: parse.RemoteAttachment) -> IncomingAttachment:
    return IncomingAttachment(
        kind=media_kind(attachment),
        remote_url=attachment.url,
        description=attachment.description or "",
        blurhash=attachment.blurhash,
        width=attachment.width,
        height=attachment.height,
        focus=attachment.focus,
    )
