"""Direct conversations, as each participant here sees them (Mastodon's Conversations).

A direct message belongs to a conversation (the thread it starts or answers). Each account
here taking part has one row per conversation: the others in it, the newest message, and
whether it is unread (a message from someone else makes it so; one's own does not). The
`conversations` subscription keeps the rows as direct posts are created, here or elsewhere,
in the transaction of the post. Apps list them in their "Direct" tab (Tusky, Ice Cubes).

A deleted newest message leaves `last_status_id` empty (the key's ON DELETE SET NULL); the
list then shows the newest message left, or drops the conversation when none is.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Row

from pnyx.core import events, status_views
from pnyx.core.errors import NotFound
from pnyx.core.statuses import get_row
from pnyx.db.engine import Tx
from pnyx.db.ids import new_id
from pnyx.db.insert_ignore import insert_ignore
from pnyx.db.tables import account_conversations, accounts, mentions, statuses


def wants(event: events.Event) -> bool:
    return isinstance(event, events.StatusCreated) and event.visibility == "direct"


def on_event(tx: Tx, event: events.Event) -> None:
    """A direct post: every account here in it sees the conversation move up."""
    if not isinstance(event, events.StatusCreated):
        return
    status = get_row(tx, event.status_id)
    if status is None or status.visibility != "direct":
        return
    named = list(
        tx.scalars(sa.select(mentions.c.account_id).where(mentions.c.status_id == status.id))
    )
    everyone = sorted({status.account_id, *named})
    here = set(
        tx.scalars(
            sa.select(accounts.c.id).where(accounts.c.id.in_(everyone), accounts.c.domain.is_(None))
        )
    )
    conversation = status.conversation_id or status.id
    for account_id in everyone:
        if account_id in here:
            others = [i for i in everyone if i != account_id]
            _touch(tx, account_id, conversation, others, status.id, account_id != status.account_id)


def _touch(
    tx: Tx, account_id: int, conversation_id: int, others: list[int], status_id: int, unread: bool
) -> None:
    row = tx.one_or_none(
        sa.select(account_conversations.c.id, account_conversations.c.participant_ids).where(
            account_conversations.c.account_id == account_id,
            account_conversations.c.conversation_id == conversation_id,
        )
    )
    if row is None:
        inserted = insert_ignore(
            tx,
            account_conversations,
            {
                "id": new_id(),
                "account_id": account_id,
                "conversation_id": conversation_id,
                "participant_ids": others,
                "last_status_id": status_id,
                "unread": unread,
                "updated_at": tx.now,
            },
        )
        if not inserted:  # made meanwhile by a concurrent message: update it instead
            _touch(tx, account_id, conversation_id, others, status_id, unread)
        return
    participants = sorted(set(row.participant_ids or []) | set(others))
    values: dict[str, object] = {
        "participant_ids": participants,
        "last_status_id": status_id,
        "updated_at": tx.now,
    }
    if unread:
        values["unread"] = True
    tx.execute(
        account_conversations.update().where(account_conversations.c.id == row.id).values(**values)
    )


@dataclass
class ConversationPage:
    rows: list[Row]
    bundle: status_views.StatusBundle  # the last messages, rendered for the viewer
    accounts: dict[int, Row]
    cursor_ids: list[int]  # last status ids, newest first, for the Link header


def list_page(
    tx: Tx,
    account_id: int,
    *,
    max_id: int | None = None,
    since_id: int | None = None,
    min_id: int | None = None,
    limit: int = 20,
) -> ConversationPage:
    """The account's conversations by newest message (Mastodon pages them by its id)."""
    _refill_emptied(tx, account_id)
    column = account_conversations.c.last_status_id
    query = sa.select(account_conversations).where(
        account_conversations.c.account_id == account_id, column.is_not(None)
    )
    if max_id is not None:
        query = query.where(column < max_id)
    if since_id is not None:
        query = query.where(column > since_id)
    if min_id is not None:
        rows = list(reversed(tx.rows(query.where(column > min_id).order_by(column).limit(limit))))
    else:
        rows = tx.rows(query.order_by(column.desc()).limit(limit))
    bundle = status_views.load(tx, [r.last_status_id for r in rows], account_id)
    rows = [r for r in rows if r.last_status_id in bundle.visible]
    people = {i for r in rows for i in (r.participant_ids or [])}
    found = (
        {a.id: a for a in tx.rows(sa.select(accounts).where(accounts.c.id.in_(people)))}
        if people
        else {}
    )
    return ConversationPage(rows, bundle, found, [r.last_status_id for r in rows])


def _refill_emptied(tx: Tx, account_id: int) -> None:
    """Conversations whose newest message was deleted point at the newest one left, or go."""
    for row in tx.rows(
        sa.select(account_conversations.c.id, account_conversations.c.conversation_id).where(
            account_conversations.c.account_id == account_id,
            account_conversations.c.last_status_id.is_(None),
        )
    ):
        newest = tx.scalar(
            sa.select(sa.func.max(statuses.c.id)).where(
                sa.or_(
                    statuses.c.conversation_id == row.conversation_id,
                    statuses.c.id == row.conversation_id,
                ),
                statuses.c.visibility == "direct",
            )
        )
        if newest is None:
            tx.execute(account_conversations.delete().where(account_conversations.c.id == row.id))
        else:
            tx.execute(
                account_conversations.update()
                .where(account_conversations.c.id == row.id)
                .values(last_status_id=newest)
            )


def rows_for(tx: Tx, conversation_id: int, account_ids: list[int]) -> dict[int, Row]:
    """The rows of one conversation for these accounts, by account (a live stream sends
    each participant their own)."""
    if not account_ids:
        return {}
    return {
        row.account_id: row
        for row in tx.rows(
            sa.select(account_conversations).where(
                account_conversations.c.conversation_id == conversation_id,
                account_conversations.c.account_id.in_(account_ids),
            )
        )
    }


def _own(tx: Tx, account_id: int, conversation_row_id: int) -> Row:
    row = tx.one_or_none(
        sa.select(account_conversations).where(
            account_conversations.c.id == conversation_row_id,
            account_conversations.c.account_id == account_id,
        )
    )
    if row is None:
        raise NotFound()
    return row


def mark_read(tx: Tx, account_id: int, conversation_row_id: int) -> ConversationPage:
    row = _own(tx, account_id, conversation_row_id)
    tx.execute(
        account_conversations.update()
        .where(account_conversations.c.id == row.id)
        .values(unread=False)
    )
    page = list_page(tx, account_id, max_id=(row.last_status_id or 0) + 1, limit=1)
    if not page.rows or page.rows[0].id != row.id:
        raise NotFound()
    return page


def remove(tx: Tx, account_id: int, conversation_row_id: int) -> None:
    """Gone from the list (the messages stay); a new message brings it back."""
    row = _own(tx, account_id, conversation_row_id)
    tx.execute(account_conversations.delete().where(account_conversations.c.id == row.id))
