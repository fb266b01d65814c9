"""One archived post, stored as a post of the person who imports it: quietly.

The post gets its original date (`created_at`, and an id made from that date, so it sorts
where it belongs in the profile and the outbox), its content as sanitized when it was read
(`federation.archive_objects`, as remote HTML is), its content warning, language, audience,
hashtags, the accounts it mentions that are known here, its poll closed with its final counts,
and its media through the same pipeline as uploads (checked, re-encoded, thumbnail,
blurhash). It is local: served over ActivityPub at its new id, listed in the outbox and on
the profile, and indexed for search (`search_index.refresh`).

It is not news. A post written here records `StatusCreated`, whose subscribers notify the
people it names, fan it out to followers' home feeds, stream it, fetch a link card and
deliver it to other servers (`pnyx.registry`). An imported post records **no event at all**:
nobody is notified, no home feed gets an entry, no stream hears of it, nothing is delivered,
no link is fetched. (Its author's count of posts moves; the date of their last post does
not.) The original document is kept with it (`imported_statuses`), so its original proof can
still be checked, and so the same post imported again (a crash mid-way, the same archive sent
twice) is found by its original id and not made twice.
"""

from __future__ import annotations

import html
import re
import secrets
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

import nh3
import sqlalchemy as sa

from pnyx.config import Settings
from pnyx.core import media, quotes, search_index, uris
from pnyx.core.archive_import.archive_files import ArchiveRefused
from pnyx.core.errors import CoreError
from pnyx.core.media_store import store_for
from pnyx.core.rows import AccountRow
from pnyx.core.statuses import add_mentions, add_tags, adjust_counter, counted
from pnyx.db.engine import Tx
from pnyx.db.ids import new_id
from pnyx.db.insert_ignore import insert_ignore_returning
from pnyx.db.tables import (
    accounts,
    imported_statuses,
    media_attachments,
    polls,
    statuses,
)


@dataclass
class ArchivedMedia:
    """An attachment: the archive member holding its file, and what its author said of it."""

    name: str  # the member's name in the archive
    description: str = ""
    focus: tuple[float, float] | None = None


@dataclass
class ArchivedPoll:
    options: list[str]
    tallies: list[int]
    multiple: bool = False
    voters_count: int | None = None
    closed_at: datetime | None = None


@dataclass
class ArchivedPost:
    """A post as read from an archive, checked and sanitized (HTML) already."""

    origin_uri: str
    origin_actor_uri: str
    published: datetime
    content: str  # sanitized HTML
    visibility: str
    document: dict  # the object as received
    activity: dict | None = None  # the Create that carried it, its object as an id
    origin_url: str | None = None
    spoiler_text: str = ""
    sensitive: bool = False
    language: str | None = None
    in_reply_to_uri: str | None = None
    mentioned_uris: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    poll: ArchivedPoll | None = None
    media: list[ArchivedMedia] = field(default_factory=list)


class MediaUnavailable(Exception):
    """A media file that could not be had (a download that failed), and why."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class MediaSource(Protocol):
    """Where the files of a post's attachments are: an archive's zip parts
    (`ArchiveFiles`), or the old server itself for a live copy (`federation.lola_copy`)."""

    def media_name(self, address: str) -> str | None:
        """The name `read` knows the file an attachment's `url` names by (None: none)."""
        ...

    def read(self, name: str, limit: int) -> bytes:
        """The file's bytes, at most `limit` (KeyError, CoreError or MediaUnavailable)."""
        ...


@dataclass
class StoredMedia:
    """An attachment processed and its files in the media store, its row not yet written."""

    keys: list[str]
    values: dict[str, Any]


# --- Already here -----------------------------------------------------------------------------


def imported_among(tx: Tx, account_id: int, origin_uris: Sequence[str]) -> set[str]:
    """Which of these original ids this account already imported."""
    if not origin_uris:
        return set()
    return set(
        tx.scalars(
            sa.select(imported_statuses.c.origin_uri).where(
                imported_statuses.c.account_id == account_id,
                imported_statuses.c.origin_uri.in_(list(origin_uris)),
            )
        )
    )


# --- Media --------------------------------------------------------------------------------


def process_media(
    settings: Settings, archive: MediaSource, wanted: Sequence[ArchivedMedia]
) -> tuple[list[StoredMedia], list[str]]:
    """The post's attachments processed and stored (outside any transaction: it takes a
    while), at most four as Mastodon; and why each refused one was (not an image, too large,
    missing). A refused file leaves nothing behind."""
    store = store_for(settings)
    done: list[StoredMedia] = []
    refused: list[str] = []
    limit = max(settings.max_image_bytes, settings.max_video_bytes, settings.max_audio_bytes)
    for item in wanted[: media.MAX_ATTACHMENTS]:
        try:
            data = archive.read(item.name, limit)
            processed = media.process_checked(settings, data)
        except (CoreError, KeyError, zipfile.BadZipFile, MediaUnavailable) as exc:
            reason = (
                exc.message
                if isinstance(exc, CoreError)
                else exc.reason
                if isinstance(exc, MediaUnavailable)
                else "missing from the archive"
                if isinstance(exc, KeyError)
                else "damaged in the archive"
            )
            refused.append(f"{item.name[:200]}: {reason}")
            continue
        media_id = new_id()
        prefix = f"media_attachments/{media_id}/{secrets.token_hex(8)}"
        keys = media.store_renditions(store, prefix, processed)
        meta = {"focus": _focus(item.focus)}
        values = {
            **media.done_values(store, keys, processed, meta),
            "id": media_id,
            "description": item.description.replace("\x00", "").strip()[: media.MAX_DESCRIPTION],
        }
        done.append(StoredMedia(keys, values))
    return done, refused


def _focus(focus: tuple[float, float] | None) -> dict[str, float]:
    x, y = focus or (0.0, 0.0)
    return {"x": round(x, 2), "y": round(y, 2)}


def discard_media(settings: Settings, stored: Sequence[StoredMedia]) -> None:
    """Files of media whose post was not stored after all."""
    store = store_for(settings)
    for item in stored:
        for key in item.keys:
            store.delete(key)


# --- Storing --------------------------------------------------------------------------------


_TAGS = re.compile(r"<br\s*/?>|</p>\s*<p>", re.IGNORECASE)


def source_text(content: str) -> str:
    """A plain text for the post's source (the archive has only its HTML): what an edit
    starts from."""
    spaced = _TAGS.sub("\n", content)
    return html.unescape(nh3.clean(spaced, tags=set())).strip()


def store(
    tx: Tx,
    author: AccountRow,
    import_id: int | None,
    post: ArchivedPost,
    attached: Sequence[StoredMedia] = (),
) -> int | None:
    """Store one archived post as `author`'s; its id, or None when this account already
    imported it (its media is then not attached: the caller discards it)."""
    if imported_among(tx, author.id, [post.origin_uri]):
        return None
    published = min(post.published, tx.now)  # a date to come would pin it above everything
    parent = _parent(tx, author.id, post.in_reply_to_uri)
    for _attempt in range(8):  # an id of the same millisecond taken: another one
        status_id = new_id(published)
        values = _values(tx, author, status_id, post, parent, published, bool(attached))
        row = insert_ignore_returning(tx, statuses, values)
        if row is not None:
            break
    else:
        raise ArchiveRefused(f"no free id for a post of {published.isoformat()}")
    named = tx.rows(sa.select(accounts).where(accounts.c.uri.in_(post.mentioned_uris[:50])))
    add_mentions(tx, row, [a for a in named if a.id != author.id])
    add_tags(tx, status_id, post.tags)
    if counted(post.visibility):
        tx.execute(
            accounts.update()
            .where(accounts.c.id == author.id)
            .values(statuses_count=accounts.c.statuses_count + 1)
        )
    if parent is not None:
        adjust_counter(tx, parent.id, "replies_count", +1)
    if post.poll is not None:
        _store_poll(tx, status_id, author.id, post.poll, published)
    for position, item in enumerate(attached):
        tx.execute(
            media_attachments.insert().values(
                **item.values,
                status_id=status_id,
                account_id=author.id,
                position=position,
                created_at=tx.now,
            )
        )
    tx.execute(
        imported_statuses.insert().values(
            status_id=status_id,
            account_id=author.id,
            import_id=import_id,
            origin_uri=post.origin_uri,
            origin_url=post.origin_url,
            origin_actor_uri=post.origin_actor_uri,
            published=post.published,
            document=post.document,
            activity=post.activity,
            created_at=tx.now,
        )
    )
    search_index.refresh(tx, status_id)  # now that its poll and media are there
    return status_id


def _values(
    tx: Tx,
    author: AccountRow,
    status_id: int,
    post: ArchivedPost,
    parent: Any,
    published: datetime,
    has_media: bool,
) -> dict[str, Any]:
    return {
        "id": status_id,
        "uri": uris.status_uri(tx.settings, author.username, status_id),
        "url": uris.status_url(tx.settings, author.username, status_id),
        "account_id": author.id,
        "local": True,
        "text": source_text(post.content),
        "content": post.content,
        "spoiler_text": post.spoiler_text,
        "visibility": post.visibility,
        "sensitive": post.sensitive or bool(post.spoiler_text),
        "language": post.language,
        "in_reply_to_id": parent.id if parent is not None else None,
        "in_reply_to_account_id": parent.account_id if parent is not None else None,
        "in_reply_to_uri": post.in_reply_to_uri if parent is None else None,
        "conversation_id": (parent.conversation_id or parent.id)
        if parent is not None
        else status_id,
        "has_media": has_media,
        "created_at": published,
        "quote_policy": quotes.policy_for_new(post.visibility, None),
    }


def _parent(tx: Tx, account_id: int, uri: str | None) -> Any:
    """The post a reply answers, when it is here: one this account imported (by its original
    id) or any post known by that id."""
    if not uri:
        return None
    found = tx.scalar(
        sa.select(imported_statuses.c.status_id).where(
            imported_statuses.c.account_id == account_id, imported_statuses.c.origin_uri == uri
        )
    )
    where = statuses.c.id == found if found is not None else statuses.c.uri == uri
    return tx.one_or_none(
        sa.select(statuses.c.id, statuses.c.account_id, statuses.c.conversation_id).where(where)
    )


def _store_poll(
    tx: Tx, status_id: int, account_id: int, poll: ArchivedPoll, published: datetime
) -> None:
    """The poll as it ended: closed, with its final counts (nobody votes on it again)."""
    tallies = (list(poll.tallies) + [0] * len(poll.options))[: len(poll.options)]
    closed_at = min(poll.closed_at or published, tx.now)
    tx.execute(
        polls.insert().values(
            id=new_id(),
            status_id=status_id,
            account_id=account_id,
            options=list(poll.options),
            tallies=tallies,
            multiple=poll.multiple,
            votes_count=sum(tallies),
            voters_count=poll.voters_count if poll.voters_count is not None else sum(tallies),
            expires_at=closed_at,
            closed_at=closed_at,
            created_at=tx.now,
        )
    )


def link_replies(tx: Tx, import_id: int, account_id: int) -> int:
    """Replies stored before the post they answer (an archive in another order): pointed at
    it now that it is here. Returns how many were linked."""
    return _link_waiting(tx, account_id, imported_statuses.c.import_id == import_id)


def link_replies_from(tx: Tx, account_id: int, origin_actor_uri: str) -> int:
    """`link_replies` for the posts of `origin_actor_uri` this account imported, however
    they came (a live copy reads the newest posts first, so replies before their parents)."""
    return _link_waiting(
        tx,
        account_id,
        sa.and_(
            imported_statuses.c.account_id == account_id,
            imported_statuses.c.origin_actor_uri == origin_actor_uri,
        ),
    )


def _link_waiting(tx: Tx, account_id: int, imported: sa.ColumnElement[bool]) -> int:
    waiting = tx.rows(
        sa.select(statuses.c.id, statuses.c.in_reply_to_uri)
        .join(imported_statuses, imported_statuses.c.status_id == statuses.c.id)
        .where(
            imported,
            statuses.c.in_reply_to_id.is_(None),
            statuses.c.in_reply_to_uri.is_not(None),
        )
    )
    linked = 0
    for status_id, uri in waiting:
        parent = _parent(tx, account_id, uri)
        if parent is None or parent.id == status_id:
            continue
        tx.execute(
            statuses.update()
            .where(statuses.c.id == status_id)
            .values(
                in_reply_to_id=parent.id,
                in_reply_to_account_id=parent.account_id,
                in_reply_to_uri=None,
                conversation_id=parent.conversation_id or parent.id,
            )
        )
        adjust_counter(tx, parent.id, "replies_count", +1)
        linked += 1
    return linked
