"""Announcements: what the staff tell everyone here, and how people answer (read, reactions).

Staff (moderators and admins, as `core.moderation` names them) write, publish, unpublish and
delete announcements; each change goes to the public moderation log (pillar 3). People see
the published ones that have not ended (`ends_at` in the future, or none), oldest first as
Mastodon lists them, each with whether they dismissed it (`read`) and its reactions: the
count of each, whether they are among them (`me`), and a custom emoji's images.

Every change people could see reaches their live streams through an event
(`AnnouncementPublished` for a publication or an edit of a published one,
`AnnouncementWithdrawn` when it is unpublished or deleted, `AnnouncementReacted`): publication
is the staff's act, never the clock (`starts_at` and `ends_at` say when the thing announced
happens; an ended announcement leaves the list as Mastodon's does, with no message).

Reactions are a unicode emoji or the shortcode of a custom emoji of this server, as Mastodon
accepts them; at most `MAX_REACTIONS` different ones per announcement. A unicode emoji is
recognized by its characters (symbols of Unicode category So/Sk, with the joiners, variation
selectors, keycaps, skin tones, flags and tags emoji sequences use): no emoji list to keep.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from pnyx.core import custom_emojis as emoji_rules
from pnyx.core import events, moderation_log, text
from pnyx.core.errors import Invalid, NotFound
from pnyx.core.moderation import Moderator
from pnyx.core.rows import AccountRow
from pnyx.db.engine import Tx
from pnyx.db.id_lists import in_ids
from pnyx.db.ids import new_id
from pnyx.db.insert_ignore import insert_ignore
from pnyx.db.tables import (
    announcement_reactions,
    announcement_reads,
    announcements,
    custom_emojis,
)

MAX_TEXT = 10_000
MAX_REACTIONS = 8  # different reactions per announcement, as Mastodon's ReactionValidator
UNRECOGNIZED = "Name is not a recognized emoji"
LIMIT_REACHED = "Limit of different reactions reached"
# Characters that join, vary or complete an emoji sequence without being symbols themselves.
_JOINERS = {0x200D, 0xFE0E, 0xFE0F, 0x20E3}


@dataclass
class Reaction:
    name: str
    count: int = 0
    me: bool = False
    url: str | None = None
    static_url: str | None = None


@dataclass
class Shown:
    """One announcement as a viewer sees it."""

    row: Any
    content: str  # HTML
    mentions: list[AccountRow]
    tags: list[str]
    read: bool
    reactions: list[Reaction] = field(default_factory=list)
    emojis: list[dict] = field(default_factory=list)  # the custom emojis its text names


@dataclass(frozen=True)
class Draft:
    text: str
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    all_day: bool = False
    publish: bool = True


# --- Staff ----------------------------------------------------------------------------------


def _check(draft: Draft) -> str:
    body = draft.text.replace("\x00", "").replace("\r\n", "\n").strip()
    if not body:
        raise Invalid("Text can't be blank")
    if len(body) > MAX_TEXT:
        raise Invalid(f"Text is too long (maximum is {MAX_TEXT} characters)")
    if draft.starts_at and draft.ends_at and draft.ends_at <= draft.starts_at:
        raise Invalid("Ends at must be after the start")
    return body


def create(tx: Tx, by: Moderator, draft: Draft) -> int:
    """A new announcement, published at once unless `draft.publish` is False."""
    body = _check(draft)
    announcement_id = new_id()
    tx.execute(
        announcements.insert().values(
            id=announcement_id,
            text=body,
            starts_at=draft.starts_at,
            ends_at=draft.ends_at,
            all_day=draft.all_day,
            published_at=tx.now if draft.publish else None,
            created_at=tx.now,
            updated_at=tx.now,
        )
    )
    moderation_log.record(tx, "announcement:create", None, by.account_id, "")
    if draft.publish:
        events.record(tx, events.AnnouncementPublished(announcement_id))
    return announcement_id


def _get(tx: Tx, announcement_id: int) -> Any:
    row = tx.one_or_none(sa.select(announcements).where(announcements.c.id == announcement_id))
    if row is None:
        raise NotFound()
    return row


def update(tx: Tx, by: Moderator, announcement_id: int, draft: Draft) -> None:
    row = _get(tx, announcement_id)
    body = _check(draft)
    tx.execute(
        announcements.update()
        .where(announcements.c.id == announcement_id)
        .values(
            text=body,
            starts_at=draft.starts_at,
            ends_at=draft.ends_at,
            all_day=draft.all_day,
            updated_at=tx.now,
        )
    )
    moderation_log.record(tx, "announcement:update", None, by.account_id, "")
    if row.published_at is not None:
        events.record(tx, events.AnnouncementPublished(announcement_id))


def set_published(tx: Tx, by: Moderator, announcement_id: int, published: bool) -> None:
    row = _get(tx, announcement_id)
    if (row.published_at is not None) == published:
        return
    tx.execute(
        announcements.update()
        .where(announcements.c.id == announcement_id)
        .values(published_at=tx.now if published else None, updated_at=tx.now)
    )
    action = "announcement:publish" if published else "announcement:unpublish"
    moderation_log.record(tx, action, None, by.account_id, "")
    change = events.AnnouncementPublished if published else events.AnnouncementWithdrawn
    events.record(tx, change(announcement_id))


def delete(tx: Tx, by: Moderator, announcement_id: int) -> None:
    row = _get(tx, announcement_id)
    tx.execute(announcements.delete().where(announcements.c.id == announcement_id))
    moderation_log.record(tx, "announcement:delete", None, by.account_id, "")
    if row.published_at is not None:
        events.record(tx, events.AnnouncementWithdrawn(announcement_id))


def all_for_staff(tx: Tx) -> Sequence[Any]:
    """Every announcement, drafts and ended ones too, newest first (the admin page)."""
    return tx.rows(sa.select(announcements).order_by(announcements.c.id.desc()))


# --- Everyone -------------------------------------------------------------------------------


def _live(tx: Tx) -> sa.ColumnElement[bool]:
    return sa.and_(
        announcements.c.published_at.is_not(None),
        sa.or_(announcements.c.ends_at.is_(None), announcements.c.ends_at > tx.now),
    )


def _live_one(tx: Tx, announcement_id: int) -> Any:
    row = tx.one_or_none(
        sa.select(announcements).where(announcements.c.id == announcement_id, _live(tx))
    )
    if row is None:
        raise NotFound()
    return row


def shown(tx: Tx, viewer_id: int) -> list[Shown]:
    """The live announcements, oldest first, as `viewer_id` sees them (in four queries, a
    fifth for the custom emojis they name, plus what rendering their text looks up)."""
    rows = tx.rows(sa.select(announcements).where(_live(tx)).order_by(announcements.c.id.asc()))
    ids = [row.id for row in rows]
    if not ids:
        return []
    read = set(
        tx.scalars(
            sa.select(announcement_reads.c.announcement_id).where(
                announcement_reads.c.account_id == viewer_id,
                announcement_reads.c.announcement_id.in_(ids),
            )
        )
    )
    reactions = _reactions(tx, viewer_id, ids)
    codes = emoji_rules.shortcodes_in(*(row.text for row in rows))
    emojis = emoji_rules.lookup(tx, {None: codes}) if codes else {}
    out = []
    for row in rows:
        rendered = text.render(tx, row.text)
        out.append(
            Shown(
                row,
                rendered.html,
                rendered.mentions,
                rendered.tags,
                row.id in read,
                reactions.get(row.id, []),
                emoji_rules.for_texts(emojis, None, [row.text]),
            )
        )
    return out


def _reactions(tx: Tx, viewer_id: int | None, ids: list[int]) -> dict[int, list[Reaction]]:
    """Each announcement's reactions, first used first; `me` for `viewer_id` (none: False)."""
    counted = tx.rows(
        sa.select(
            announcement_reactions.c.announcement_id,
            announcement_reactions.c.name,
            sa.func.count().label("uses"),
            sa.func.max(
                sa.case((announcement_reactions.c.account_id == (viewer_id or 0), 1), else_=0)
            ).label("me"),
            sa.func.min(announcement_reactions.c.id).label("first_id"),
            sa.func.max(custom_emojis.c.url).label("url"),
            sa.func.max(custom_emojis.c.static_url).label("static_url"),
        )
        .select_from(
            announcement_reactions.outerjoin(
                custom_emojis, custom_emojis.c.id == announcement_reactions.c.custom_emoji_id
            )
        )
        .where(announcement_reactions.c.announcement_id.in_(ids))
        .group_by(announcement_reactions.c.announcement_id, announcement_reactions.c.name)
        .order_by(sa.func.min(announcement_reactions.c.id))
    )
    out: dict[int, list[Reaction]] = {}
    for r in counted:
        out.setdefault(r.announcement_id, []).append(
            Reaction(r.name, int(r.uses), bool(r.me), r.url, r.static_url)
        )
    return out


def shown_one(tx: Tx, announcement_id: int, viewer_ids: Sequence[int]) -> dict[int, Shown]:
    """One live announcement as each of `viewer_ids` sees it (a live stream's), in four
    queries whatever their number (five when it names custom emojis); empty when it is not live."""
    row = tx.one_or_none(
        sa.select(announcements).where(announcements.c.id == announcement_id, _live(tx))
    )
    if row is None or not viewer_ids:
        return {}
    viewers = list(set(viewer_ids))
    read = set(
        tx.scalars_of(
            sa.select(announcement_reads.c.account_id).where(
                announcement_reads.c.announcement_id == announcement_id,
                in_ids(announcement_reads.c.account_id, "viewers"),
            ),
            {"viewers": viewers},
        )
    )
    mine = {
        (r.account_id, r.name)
        for r in tx.execute(
            sa.select(announcement_reactions.c.account_id, announcement_reactions.c.name).where(
                announcement_reactions.c.announcement_id == announcement_id,
                in_ids(announcement_reactions.c.account_id, "viewers"),
            ),
            {"viewers": viewers},
        )
    }
    counted = _reactions(tx, None, [announcement_id]).get(announcement_id, [])
    rendered = text.render(tx, row.text)
    emojis = emoji_rules.in_texts(tx, None, [row.text])
    return {
        viewer: Shown(
            row,
            rendered.html,
            rendered.mentions,
            rendered.tags,
            viewer in read,
            [replace(r, me=(viewer, r.name) in mine) for r in counted],
            emojis,
        )
        for viewer in viewers
    }


def reaction_count(tx: Tx, announcement_id: int, name: str) -> Reaction | None:
    """How many reacted `name` to a live announcement now (0 when nobody does any more),
    with a custom emoji's images; None when the announcement is not live."""
    if (
        tx.one_or_none(
            sa.select(announcements.c.id).where(announcements.c.id == announcement_id, _live(tx))
        )
        is None
    ):
        return None
    for r in _reactions(tx, None, [announcement_id]).get(announcement_id, []):
        if r.name == name:
            return r
    emoji = tx.one_or_none(
        sa.select(custom_emojis.c.url, custom_emojis.c.static_url).where(
            custom_emojis.c.shortcode == name, custom_emojis.c.domain.is_(None)
        )
    )
    return Reaction(
        name, 0, False, emoji.url if emoji else None, emoji.static_url if emoji else None
    )


def dismiss(tx: Tx, account_id: int, announcement_id: int) -> None:
    _live_one(tx, announcement_id)
    insert_ignore(
        tx,
        announcement_reads,
        {"announcement_id": announcement_id, "account_id": account_id},
    )


def is_unicode_emoji(name: str) -> bool:
    """One emoji, as its characters show: symbols and the marks that build sequences (see the
    module docstring); a keycap is a digit, # or * followed by U+20E3."""
    if not name or len(name) > 16:
        return False
    symbols = 0
    for i, char in enumerate(name):
        code = ord(char)
        if code in _JOINERS or 0xE0020 <= code <= 0xE007F:
            continue
        if char in "0123456789#*" and name[i + 1 : i + 2] in ("\u20e3", "\ufe0f"):
            symbols += 1
            continue
        if unicodedata.category(char) not in ("So", "Sk"):
            return False
        symbols += 1
    return symbols > 0


def _local_emoji(tx: Tx, name: str) -> int | None:
    return tx.scalar(
        sa.select(custom_emojis.c.id).where(
            custom_emojis.c.shortcode == name, custom_emojis.c.domain.is_(None)
        )
    )


def react(tx: Tx, account_id: int, announcement_id: int, name: str) -> None:
    """PUT /api/v1/announcements/:id/reactions/:name. Reacting twice is one reaction."""
    _live_one(tx, announcement_id)
    name = unicodedata.normalize("NFC", name.strip())
    emoji_id = None
    if not is_unicode_emoji(name):
        emoji_id = _local_emoji(tx, name.strip(":"))
        if emoji_id is None:
            raise Invalid(UNRECOGNIZED)
        name = name.strip(":")
    names = set(
        tx.scalars(
            sa.select(announcement_reactions.c.name)
            .where(announcement_reactions.c.announcement_id == announcement_id)
            .distinct()
        )
    )
    if name not in names and len(names) >= MAX_REACTIONS:
        raise Invalid(LIMIT_REACHED)
    insert_ignore(
        tx,
        announcement_reactions,
        {
            "id": new_id(),
            "announcement_id": announcement_id,
            "account_id": account_id,
            "name": name,
            "custom_emoji_id": emoji_id,
            "created_at": tx.now,
        },
    )
    events.record(tx, events.AnnouncementReacted(announcement_id, name))


def unreact(tx: Tx, account_id: int, announcement_id: int, name: str) -> None:
    _live_one(tx, announcement_id)
    name = unicodedata.normalize("NFC", name.strip()).strip(":")
    tx.execute(
        announcement_reactions.delete().where(
            announcement_reactions.c.announcement_id == announcement_id,
            announcement_reactions.c.account_id == account_id,
            announcement_reactions.c.name == name,
        )
    )
    events.record(tx, events.AnnouncementReacted(announcement_id, name))
