"""What other servers tell us about their accounts and posts, stored by the same rules as ours.

The federation layer turns ActivityPub documents into the plain inputs below (already
validated, HTML already sanitized); here they become rows in the tables local accounts and
posts use, with the counters, mentions, notifications and visibility they imply. Nothing here
knows about ActivityPub, HTTP or signatures.

Every function is idempotent by `uri`: the same account or post stored twice is one row, and
a post whose uri has a tombstone (deleted at its origin) is never stored again.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa

from pnyx.core import (
    attribution,
    custom_emojis,
    domain_blocks,
    events,
    labels,
    media,
    quotes,
    remote_media,
    search_index,
    status_edits,
    tombstones,
)
from pnyx.core import polls as core_polls
from pnyx.core.custom_emojis import IncomingEmoji
from pnyx.core.notes import writing as note_writing
from pnyx.core.rows import AccountRow, PollRow, StatusRow
from pnyx.core.status_deletion import delete_with_boosts
from pnyx.core.statuses import add_mentions, insert_status, set_tags
from pnyx.core.visibility import VISIBILITIES
from pnyx.db.engine import Tx
from pnyx.db.ids import new_id
from pnyx.db.insert_ignore import insert_ignore
from pnyx.db.tables import (
    accounts,
    follows,
    media_attachments,
    mentions,
    polls,
    reports,
    status_pins,
    statuses,
)


@dataclass
class IncomingAccount:
    uri: str
    username: str
    domain: str
    inbox_url: str
    display_name: str = ""
    note: str = ""  # sanitized HTML
    url: str | None = None
    shared_inbox_url: str | None = None
    outbox_url: str | None = None
    followers_url: str | None = None
    following_url: str | None = None
    featured_url: str | None = None
    public_key_pem: str | None = None
    public_key_id: str | None = None
    avatar_url: str | None = None
    header_url: str | None = None
    fields: list[dict] = field(default_factory=list)  # [{name, value}] value sanitized HTML
    locked: bool = False
    bot: bool = False
    group: bool = False
    discoverable: bool = True
    indexable: bool = False
    also_known_as: list[str] = field(default_factory=list)
    attribution_domains: list[str] = field(default_factory=list)  # already clean (attribution)
    created_at: datetime | None = None
    emojis: list[IncomingEmoji] = field(default_factory=list)  # its Emoji tags


def store_account(tx: Tx, incoming: IncomingAccount) -> int:
    """Create or refresh a remote account; returns its id."""
    account_id = _store_account(tx, incoming)
    custom_emojis.refresh_account(tx, account_id)
    return account_id


def _store_account(tx: Tx, incoming: IncomingAccount) -> int:
    values = {
        "username": incoming.username,
        "domain": incoming.domain.lower(),
        "display_name": incoming.display_name,
        "note": incoming.note,
        "url": incoming.url,
        "inbox_url": incoming.inbox_url,
        "shared_inbox_url": incoming.shared_inbox_url,
        "outbox_url": incoming.outbox_url,
        "followers_url": incoming.followers_url,
        "following_url": incoming.following_url,
        "featured_url": incoming.featured_url,
        "public_key_pem": incoming.public_key_pem,
        "public_key_id": incoming.public_key_id,
        "fields": [{**f, "verified_at": None} for f in incoming.fields],
        "locked": incoming.locked,
        "bot": incoming.bot,
        "group": incoming.group,
        "discoverable": incoming.discoverable,
        "indexable": incoming.indexable,
        "also_known_as": incoming.also_known_as,
        "attribution_domains": attribution.remote_domains(incoming.attribution_domains) or None,
        "fetched_at": tx.now,
        "updated_at": tx.now,
    }
    existing = tx.one_or_none(sa.select(accounts).where(accounts.c.uri == incoming.uri))
    if existing is not None and existing.domain is None:
        return existing.id  # never let a document overwrite one of our own accounts
    if domain_blocks.rejects_media(tx, incoming.domain):
        # The staff refuse its media: no images at all, neither linked nor cached.
        avatar, header = None, None
    else:
        avatar, header = incoming.avatar_url, incoming.header_url
    values.update(remote_media.account_image_values(tx, existing, avatar, header))
    _store_emojis(tx, incoming.domain, incoming.emojis)
    if existing is not None:
        tx.execute(accounts.update().where(accounts.c.id == existing.id).values(**values))
        remote_media.schedule_account(tx, existing.id)
        return existing.id
    account_id = new_id()
    inserted = insert_ignore(
        tx,
        accounts,
        {
            **values,
            **domain_blocks.suspension_for_new_account(tx, incoming.domain),
            "id": account_id,
            "uri": incoming.uri,
            "created_at": incoming.created_at or tx.now,
        },
    )
    if not inserted:
        # Same uri stored concurrently, or the same (username, domain) under another uri (the
        # account moved its id): refresh whichever row holds the handle.
        row = tx.one_or_none(
            sa.select(accounts.c.id).where(
                sa.or_(
                    accounts.c.uri == incoming.uri,
                    sa.and_(
                        sa.func.lower(accounts.c.username) == incoming.username.lower(),
                        accounts.c.domain == values["domain"],
                    ),
                )
            )
        )
        assert row is not None, "the insert met a row holding this uri or handle"
        tx.execute(
            accounts.update().where(accounts.c.id == row.id).values(**values, uri=incoming.uri)
        )
        remote_media.schedule_account(tx, row.id)
        return row.id
    remote_media.schedule_account(tx, account_id)
    labels.link_subject(tx, incoming.uri, account_id=account_id)  # labels that came first
    return account_id


def _store_emojis(tx: Tx, domain: str, emojis: Sequence[IncomingEmoji]) -> None:
    """Keep a remote server's emojis and have their images cached (none from a server whose
    media the staff refuse)."""
    if emojis and not domain_blocks.rejects_media(tx, domain):
        remote_media.schedule_emojis(tx, custom_emojis.store_remote(tx, domain, emojis))


# Built once: every inbox POST whose key id is not on record looks its signer up by uri.
_ACCOUNT_BY_URI = sa.select(accounts).where(accounts.c.uri == sa.bindparam("uri"))


def account_by_uri(tx: Tx, uri: str) -> AccountRow | None:
    return tx.execute(_ACCOUNT_BY_URI, {"uri": uri}).first()


# Built once: every incoming post is looked up by its uri (and its parent's).
_STATUS_BY_URI = sa.select(statuses).where(statuses.c.uri == sa.bindparam("uri"))


def status_by_uri(tx: Tx, uri: str) -> StatusRow | None:
    return tx.execute(_STATUS_BY_URI, {"uri": uri}).first()


def is_tombstoned(tx: Tx, uri: str) -> bool:
    return tombstones.deleted_at(tx, uri) is not None


@dataclass
class IncomingPoll:
    options: list[str]
    tallies: list[int]
    multiple: bool = False
    expires_at: datetime | None = None
    closed_at: datetime | None = None
    voters_count: int | None = None


MEDIA_KINDS = ("image", "gifv", "video", "audio", "unknown")


@dataclass
class IncomingAttachment:
    kind: str  # one of MEDIA_KINDS
    remote_url: str
    description: str = ""
    blurhash: str | None = None
    width: int | None = None
    height: int | None = None
    focus: tuple[float, float] | None = None


@dataclass
class IncomingStatus:
    uri: str
    content: str  # sanitized HTML
    visibility: str
    url: str | None = None
    spoiler_text: str = ""
    sensitive: bool = False
    language: str | None = None
    created_at: datetime | None = None
    edited_at: datetime | None = None
    in_reply_to_uri: str | None = None
    mentioned_account_ids: list[int] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    poll: IncomingPoll | None = None
    attachments: list[IncomingAttachment] = field(default_factory=list)
    emojis: list[IncomingEmoji] = field(default_factory=list)  # its Emoji tags
    quote_uri: str | None = None  # the post it quotes (core.quotes)
    quote_authorization: str | None = None  # the quoted author's stamp allowing it
    quote_policy: str | None = None  # who may quote it; None: its server does not say


def store_status(tx: Tx, author_id: int, incoming: IncomingStatus) -> int | None:
    """Store a remote post; returns its id (the existing one if already stored), or None when
    its origin already deleted it."""
    existing = status_by_uri(tx, incoming.uri)
    if existing is not None:
        return existing.id
    if is_tombstoned(tx, incoming.uri):
        return None
    assert incoming.visibility in VISIBILITIES, incoming.visibility
    parent = status_by_uri(tx, incoming.in_reply_to_uri) if incoming.in_reply_to_uri else None
    # A date in the future would pin the post above everything in timelines: clamp it.
    created_at = min(incoming.created_at, tx.now) if incoming.created_at else tx.now
    status_id = new_id(created_at)
    conversation_id = (parent.conversation_id or parent.id) if parent is not None else status_id
    values = {
        "id": status_id,
        "uri": incoming.uri,
        "url": incoming.url,
        "account_id": author_id,
        "local": False,
        "text": "",
        "content": incoming.content,
        "spoiler_text": incoming.spoiler_text,
        "visibility": incoming.visibility,
        "sensitive": incoming.sensitive or bool(incoming.spoiler_text),
        "language": incoming.language,
        "in_reply_to_id": parent.id if parent is not None else None,
        "in_reply_to_account_id": parent.account_id if parent is not None else None,
        "in_reply_to_uri": incoming.in_reply_to_uri if parent is None else None,
        "conversation_id": conversation_id,
        "created_at": created_at,
        "edited_at": incoming.edited_at,
        "has_media": bool(incoming.attachments),
        "quote_policy": incoming.quote_policy,
    }
    named = _accounts(tx, incoming.mentioned_account_ids)
    if incoming.emojis:
        _store_emojis(tx, _domain_of(tx, author_id), incoming.emojis)
    status = insert_status(tx, values, named, incoming.tags, parent)
    if status is None:  # stored concurrently by another worker
        stored = status_by_uri(tx, incoming.uri)
        assert stored is not None, "the insert met a row holding this uri"
        return stored.id
    if incoming.poll is not None:
        _store_poll(tx, status_id, author_id, incoming.poll)
    _add_attachments(tx, status_id, author_id, incoming.attachments)  # a new post has none
    if incoming.quote_uri:
        quotes.received(tx, status, incoming.quote_uri, incoming.quote_authorization)
    search_index.refresh(tx, status_id)
    labels.link_subject(tx, incoming.uri, status_id=status_id)  # labels that came first
    note_writing.link_subject(tx, status_id, incoming.uri)  # and community notes
    return status_id


def _store_attachments(
    tx: Tx, status_id: int, author_id: int, items: list[IncomingAttachment]
) -> None:
    media.forget_files_of_status(tx, status_id)  # what we cached of the old ones
    tx.execute(media_attachments.delete().where(media_attachments.c.status_id == status_id))
    _add_attachments(tx, status_id, author_id, items)


def _add_attachments(
    tx: Tx, status_id: int, author_id: int, items: list[IncomingAttachment]
) -> None:
    if not items:
        return
    # A server whose media the staff reject: its attachments stay links to where they are
    # (Mastodon's `unknown`), never shown inline nor cached here.
    author_domain = tx.scalar(sa.select(accounts.c.domain).where(accounts.c.id == author_id))
    links_only = domain_blocks.rejects_media(tx, author_domain)
    stored: list[int] = []
    for position, item in enumerate(items):
        meta: dict = {}
        if item.focus is not None:
            meta["focus"] = {"x": item.focus[0], "y": item.focus[1]}
        if item.width and item.height:
            meta["original"] = {
                "width": item.width,
                "height": item.height,
                "size": f"{item.width}x{item.height}",
                "aspect": round(item.width / item.height, 6),
            }
        stored.append(new_id())
        tx.execute(
            media_attachments.insert().values(
                id=stored[-1],
                status_id=status_id,
                account_id=author_id,
                type=item.kind if item.kind in MEDIA_KINDS and not links_only else "unknown",
                remote_url=item.remote_url,
                description=item.description,
                blurhash=item.blurhash,
                meta=meta,
                position=position,
                created_at=tx.now,
            )
        )
    if not links_only:
        remote_media.schedule_attachments(tx, stored)


def _domain_of(tx: Tx, account_id: int) -> str:
    return tx.scalar(sa.select(accounts.c.domain).where(accounts.c.id == account_id)) or ""


def add_resolved_mentions(tx: Tx, status_id: int, account_ids: list[int]) -> None:
    """Accounts a stored remote post names, found after it was stored (federation fetched
    them). They are elsewhere, so nobody here is notified."""
    status = tx.one_or_none(sa.select(statuses).where(statuses.c.id == status_id))
    if status is not None and status.local is False:
        _set_mentions(tx, status, account_ids)


def _accounts(tx: Tx, account_ids: list[int]) -> Sequence[AccountRow]:
    if not account_ids:
        return []
    return tx.rows(sa.select(accounts).where(accounts.c.id.in_(set(account_ids))))


def _set_mentions(tx: Tx, status: StatusRow, account_ids: list[int]) -> None:
    if account_ids:
        add_mentions(tx, status, _accounts(tx, account_ids))


def _store_poll(tx: Tx, status_id: int, author_id: int, poll: IncomingPoll) -> None:
    tallies = list(poll.tallies) + [0] * (len(poll.options) - len(poll.tallies))
    poll_id = new_id()
    stored = insert_ignore(
        tx,
        polls,
        {
            "id": poll_id,
            "status_id": status_id,
            "account_id": author_id,
            "options": list(poll.options),
            "tallies": tallies[: len(poll.options)],
            "multiple": poll.multiple,
            "votes_count": sum(tallies),
            "voters_count": poll.voters_count if poll.voters_count is not None else sum(tallies),
            "expires_at": poll.expires_at,
            "closed_at": poll.closed_at,
            "created_at": tx.now,
        },
    )
    if stored and poll.expires_at is not None and poll.closed_at is None:
        # Closed here at its end too, so that the people here who voted hear of the result
        # even if its server never says so.
        core_polls.schedule_close(tx, poll_id, poll.expires_at)


def update_status(tx: Tx, status_id: int, incoming: IncomingStatus) -> None:
    """A remote post edited at its origin: new content, mentions, tags and poll counts.

    A change of what the post says (text, warning, sensitivity, media, poll options) is an
    edit, kept in its history by the same code as local edits (status_edits.record_version);
    an Update that only brings new poll counts is not.
    """
    status = tx.one_or_none(sa.select(statuses).where(statuses.c.id == status_id))
    if status is None:
        return
    poll_before = core_polls.for_status(tx, status_id)
    options_before = list(poll_before.options) if poll_before else None
    options_after = list(incoming.poll.options) if incoming.poll else options_before
    edited = (
        incoming.content != status.content
        or incoming.spoiler_text != status.spoiler_text
        or (incoming.sensitive or bool(incoming.spoiler_text)) != status.sensitive
        or bool(incoming.attachments) != status.has_media
        or options_after != options_before
    )
    tx.execute(
        statuses.update()
        .where(statuses.c.id == status_id)
        .values(
            content=incoming.content,
            spoiler_text=incoming.spoiler_text,
            sensitive=incoming.sensitive or bool(incoming.spoiler_text),
            language=incoming.language,
            edited_at=incoming.edited_at or tx.now,
            has_media=bool(incoming.attachments),
            quote_policy=incoming.quote_policy,
        )
    )
    quotes.received(tx, status, incoming.quote_uri, incoming.quote_authorization)
    _store_attachments(tx, status_id, status.account_id, incoming.attachments)
    if incoming.emojis:
        _store_emojis(tx, _domain_of(tx, status.account_id), incoming.emojis)
    tx.execute(
        mentions.update()
        .where(
            mentions.c.status_id == status_id,
            mentions.c.account_id.not_in(incoming.mentioned_account_ids or [0]),
        )
        .values(silent=True)
    )
    # Accounts an Update names anew are mentioned, not notified.
    _set_mentions(tx, status, incoming.mentioned_account_ids)
    set_tags(tx, status_id, incoming.tags)
    if incoming.poll is not None:
        existing = core_polls.for_status(tx, status_id)
        if existing is None:
            _store_poll(tx, status_id, status.account_id, incoming.poll)
        else:
            _update_poll(tx, existing, incoming.poll)
    search_index.refresh(tx, status_id)
    if edited:
        status_edits.record_version(tx, status, options_before, options_after)
        events.record(tx, events.StatusEdited(status_id, tell_other_servers=False))


def _update_poll(tx: Tx, existing: PollRow, incoming: IncomingPoll) -> None:
    """New counts (and options, end) of a remote poll; its server saying it has closed closes
    it here, which tells the people here who voted."""
    tallies = list(incoming.tallies)[: len(incoming.options)]
    values = {
        "options": list(incoming.options),
        "tallies": tallies,
        "votes_count": sum(tallies),
        "voters_count": incoming.voters_count
        if incoming.voters_count is not None
        else sum(tallies),
    }
    if existing.closed_at is not None and incoming.closed_at is not None:
        values["closed_at"] = incoming.closed_at
    moved = incoming.expires_at is not None and incoming.expires_at != existing.expires_at
    if moved:
        values["expires_at"] = incoming.expires_at
    tx.execute(polls.update().where(polls.c.id == existing.id).values(**values))
    if existing.closed_at is None and incoming.closed_at is not None:
        core_polls.close(tx, existing.id, closed_at=incoming.closed_at)
    elif moved and incoming.expires_at is not None and existing.closed_at is None:
        core_polls.schedule_close(tx, existing.id, incoming.expires_at)


def delete_remote_status(tx: Tx, uri: str, author_id: int) -> bool:
    """Its origin deleted a post: remove it (and boosts of it) and keep a tombstone, so a
    Create that arrives late does not bring it back. True if something was removed."""
    tombstones.leave(tx, uri)
    status = status_by_uri(tx, uri)
    if status is None or status.account_id != author_id:
        return False
    deleted = events.StatusDeleted(
        account_id=author_id,
        uri=status.uri,
        visibility=status.visibility,
        reblog=bool(status.reblog_of_id),
        in_reply_to_account_id=status.in_reply_to_account_id,
        status_id=status.id,
        tell_other_servers=False,
    )
    delete_with_boosts(tx, status)
    events.record(tx, deleted)
    return True


def store_report(
    tx: Tx,
    reporter_id: int,
    target_id: int,
    status_ids: list[int],
    comment: str,
    uri: str | None,
) -> int | None:
    """A report from another server about one of our accounts, for our moderators (told by
    `ReportFiled`); None when it was a repeat, or its server's reports are refused."""
    reporter_domain = tx.scalar(sa.select(accounts.c.domain).where(accounts.c.id == reporter_id))
    if domain_blocks.rejects_reports(tx, reporter_domain):
        return None
    report_id = new_id()
    inserted = insert_ignore(
        tx,
        reports,
        {
            "id": report_id,
            "account_id": reporter_id,
            "target_account_id": target_id,
            "status_ids": status_ids,
            "comment": comment[:1000],
            "uri": uri,
            "created_at": tx.now,
        },
    )
    if not inserted:
        return None
    events.record(tx, events.ReportFiled(report_id, tell_other_servers=False))
    return report_id


def record_move(tx: Tx, account_id: int, target_id: int) -> None:
    """The account says it moved to `target_id` (which the caller checked lists it in
    alsoKnownAs): its profile says so, and its followers here move over (`core.moves`)."""
    previous = tx.scalar(
        sa.select(accounts.c.moved_to_account_id).where(accounts.c.id == account_id)
    )
    tx.execute(
        accounts.update().where(accounts.c.id == account_id).values(moved_to_account_id=target_id)
    )
    if previous != target_id:
        events.record(tx, events.AccountMoved(account_id, target_id, tell_other_servers=False))


def set_featured(tx: Tx, account_id: int, status_id: int, featured: bool) -> None:
    """A remote account pinned (or unpinned) one of its own posts to its profile."""
    if featured:
        insert_ignore(
            tx,
            status_pins,
            {
                "id": new_id(),
                "account_id": account_id,
                "status_id": status_id,
                "created_at": tx.now,
            },
        )
    else:
        tx.execute(
            status_pins.delete().where(
                status_pins.c.account_id == account_id, status_pins.c.status_id == status_id
            )
        )


# Built once: every incoming post asks it.
_FOLLOWED_HERE = (
    sa.select(follows.c.id)
    .join(accounts, accounts.c.id == follows.c.account_id)
    .where(follows.c.target_account_id == sa.bindparam("author"), accounts.c.domain.is_(None))
    .limit(1)
)


def relevant_here(
    tx: Tx, author_id: int, mentioned_ids: list[int], in_reply_to_uri: str | None
) -> bool:
    """Whether a post from another server concerns anyone here: a local account follows its
    author, it names a local account, or it answers a post we hold. Others are dropped, as
    Mastodon does, so that a server cannot fill our database with posts nobody asked for."""
    followed = tx.execute(_FOLLOWED_HERE, {"author": author_id}).first()
    if followed is not None:
        return True
    if mentioned_ids and tx.scalar(
        sa.select(accounts.c.id)
        .where(accounts.c.id.in_(mentioned_ids), accounts.c.domain.is_(None))
        .limit(1)
    ):
        return True
    if not in_reply_to_uri:
        return False
    return status_by_uri(tx, in_reply_to_uri) is not None
