"""Editing a post and reading its history.

Mastodon keeps every version of an edited post: the first edit also records the original, so
the history always starts with what was first published, and the people who boosted the post
are told it changed. Mentions dropped by an edit go silent rather than away (see
statuses.add_mentions); a changed poll starts its voting over (see polls.update).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

import sqlalchemy as sa

from pnyx.core import accounts, events, media, polls, quotes, reach, search_index, text
from pnyx.core.errors import Invalid, NotFound
from pnyx.core.rows import PollRow, StatusRow
from pnyx.core.statuses import (
    StatusContent,
    ValidPoll,
    add_mentions,
    here_of,
    look_up_first,
    normalize_language,
    own_row,
    set_tags,
    stored_row,
    validate_content,
    visible_row,
)
from pnyx.db.engine import Tx
from pnyx.db.ids import new_id
from pnyx.db.tables import mentions, status_edits, statuses

EditInput = StatusContent  # an edit changes what a post says, never where it went


def _snapshot(tx: Tx, status: StatusRow, poll_options: list[str] | None, at: datetime) -> None:
    tx.execute(
        status_edits.insert().values(
            id=new_id(at) if at != tx.now else new_id(),
            status_id=status.id,
            account_id=status.account_id,
            text=status.text,
            content=status.content,
            spoiler_text=status.spoiler_text,
            sensitive=status.sensitive,
            poll_options=poll_options,
            created_at=at,
        )
    )


def edit(tx: Tx, account_id: int, status_id: int, data: EditInput) -> int:
    """Change a post's text, warning, sensitivity, language, poll or who may quote it,
    keeping its history.

    The first edit also records the original version, so the history always starts with what
    was first published. Changing a poll's options (or its kind) starts the voting over.
    """
    status = own_row(tx, account_id, status_id)
    if status.reblog_of_id:
        raise NotFound()
    carried = _media_of_edit(tx, status, data)
    has_media = status.has_media if carried is None else bool(carried)
    body, spoiler, new_poll = validate_content(tx, data, has_media=has_media)
    old_poll = polls.for_status(tx, status_id)

    rendered = text.render(tx, body)
    sensitive = status.sensitive if data.sensitive is None else data.sensitive
    if spoiler or (has_media and reach.media_forced_sensitive(accounts.get(tx, account_id))):
        sensitive = True
    language = normalize_language(data.language) or status.language
    quote_policy = status.quote_policy
    if data.quote_policy is not None:  # quotes already made stay, as in Mastodon
        quote_policy = quotes.policy_for_new(status.visibility, data.quote_policy)
    tx.execute(
        statuses.update()
        .where(statuses.c.id == status_id)
        .values(
            text=body.strip(),
            content=rendered.html,
            spoiler_text=spoiler,
            sensitive=sensitive,
            language=language,
            edited_at=tx.now,
            quote_policy=quote_policy,
        )
    )
    updated = stored_row(tx, status_id)

    previous = set(
        tx.scalars(sa.select(mentions.c.account_id).where(mentions.c.status_id == status_id))
    )
    current = {a.id for a in rendered.mentions}
    named_anew = add_mentions(tx, updated, rendered.mentions)  # only they are notified
    dropped = previous - current
    if dropped:
        # As Mastodon: mentions no longer in the text become silent. They are not shown any
        # more, but whoever was told of a private post keeps seeing it (taking access away from
        # someone already notified would only confuse them).
        tx.execute(
            mentions.update()
            .where(mentions.c.status_id == status_id, mentions.c.account_id.in_(dropped))
            .values(silent=True)
        )
    set_tags(tx, status_id, rendered.tags)
    media.set_for_status(tx, status_id, carried, data.media_attributes)

    _apply_poll(tx, status, old_poll, new_poll)
    search_index.refresh(tx, status_id)
    record_version(
        tx,
        status,
        list(old_poll.options) if old_poll else None,
        new_poll.options if new_poll else None,
    )
    ready = not look_up_first(tx, "update", status_id, rendered.unresolved)
    edit_event = events.StatusEdited(
        status_id,
        mentioned=here_of(rendered.mentions, set(named_anew)),
        tell_other_servers=ready,
    )
    events.record(tx, edit_event)
    return status_id


def _apply_poll(
    tx: Tx, status: StatusRow, old_poll: PollRow | None, new_poll: ValidPoll | None
) -> None:
    """The edited post's poll: removed, made, or changed (a change of options starts the
    voting over, `polls.update`)."""
    if new_poll is None:
        if old_poll is not None:
            polls.remove(tx, old_poll.id)
    elif old_poll is None:
        if new_poll.expires_in is None:  # no end to keep: a new poll needs a duration
            raise Invalid("Poll expires at can't be blank")
        polls.create(
            tx,
            status.id,
            status.account_id,
            new_poll.options,
            expires_in=new_poll.expires_in,
            multiple=new_poll.multiple,
            hide_totals=new_poll.hide_totals,
        )
    else:
        polls.update(
            tx,
            old_poll,
            new_poll.options,
            expires_in=new_poll.expires_in,
            multiple=new_poll.multiple,
            hide_totals=new_poll.hide_totals,
        )


def _media_of_edit(tx: Tx, status: StatusRow, data: EditInput) -> list[Any] | None:
    """The uploads an edited post is to carry (checked as a new post's), or None when the
    edit does not say (`media_ids` not given): it keeps those it has."""
    if data.media_ids is None:
        return None
    return media.for_post(tx, status.account_id, data.media_ids, status_id=status.id)


def record_version(
    tx: Tx, before: StatusRow, poll_before: list[str] | None, poll_after: list[str] | None
) -> None:
    """Keep the version a post has just become (`StatusEdited`, recorded by the caller, tells
    the people here who boosted it).

    The one write path of edit history, for local edits and for Updates from other servers
    (core.remote_store): `before` is the post's row before the change, already written over.
    The first edit also records `before` as the original, dated when it was published.
    """
    if not tx.scalar(sa.select(sa.func.count()).where(status_edits.c.status_id == before.id)):
        _snapshot(tx, before, poll_before, before.created_at)
    updated = stored_row(tx, before.id)
    _snapshot(tx, updated, poll_after, updated.edited_at or tx.now)


def history(tx: Tx, viewer_id: int | None, status_id: int) -> Sequence[Version]:
    """Versions of a post, oldest first; an unedited post has one: itself."""
    status = visible_row(tx, viewer_id, status_id)
    rows = tx.rows(
        sa.select(status_edits)
        .where(status_edits.c.status_id == status.id)
        .order_by(status_edits.c.created_at, status_edits.c.id)
    )
    if rows:
        return rows
    poll = polls.for_status(tx, status.id)
    return [
        _Version(
            status.text,
            status.content,
            status.spoiler_text,
            status.sensitive,
            list(poll.options) if poll else None,
            status.created_at,
            status.account_id,
        )
    ]


class Version(Protocol):
    """One version of a post, as `history` gives it: a `status_edits` row, or the post itself
    when it was never edited."""

    text: str
    content: str
    spoiler_text: str
    sensitive: bool
    poll_options: list[str] | None
    created_at: datetime
    account_id: int


@dataclass
class _Version:
    text: str
    content: str
    spoiler_text: str
    sensitive: bool
    poll_options: list[str] | None
    created_at: datetime
    account_id: int
