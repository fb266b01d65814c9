"""Who is told of what happened: the `notify` subscription to core's events.

`pnyx.registry` subscribes `on_event` *in the transaction* of the change, so a favourite and
its notification exist together or not at all, and an app that reloads its notifications
right after an action sees them. The same rules serve what happens here and what other
servers tell us (a remote Like of a local post is a `StatusFavourited` too): one place says
who hears of what, whoever acted.

Whether one notification may be made at all (blocks, mutes that hide notifications, a muted
conversation) is `core.notifications`' and `notify_about`'s to say. Withdrawing a notification
whose cause is undone (an unfavourite, a deleted boost, a withdrawn request) stays with the
undoing: it is part of removing the cause, as the cascade that takes a deleted post's
notifications with it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa

from pnyx.core import account_warnings, events, notifications, polls, quotes, severances
from pnyx.core import accounts as core_accounts
from pnyx.core.notes import actor as notes_actor
from pnyx.core.notes import shown as shown_notes
from pnyx.core.notes import vocabulary
from pnyx.core.roles import STAFF_ROLES
from pnyx.core.rows import StatusRow
from pnyx.core.statuses import get_row
from pnyx.db.engine import Tx
from pnyx.db.tables import (
    accounts,
    community_notes,
    conversation_mutes,
    favourites,
    follows,
    poll_votes,
    reports,
    statuses,
    users,
)
from pnyx.db.tables import (
    notifications as notifications_table,
)


def on_event(tx: Tx, event: events.Event) -> None:
    rule = RULES.get(type(event))
    if rule is not None:
        rule(tx, event)


def notify_about(
    tx: Tx, recipient_id: int, from_account_id: int, kind: str, status: StatusRow
) -> None:
    """A notification about a status, unless the recipient muted its conversation."""
    conversation = status.conversation_id or status.id
    muted = tx.scalar(
        sa.select(sa.literal(1)).where(
            conversation_mutes.c.account_id == recipient_id,
            conversation_mutes.c.conversation_id == conversation,
        )
    )
    if not muted:
        notifications.notify(tx, recipient_id, from_account_id, kind, status.id)


# --- Posts ---------------------------------------------------------------------------------

# Built once: every stored post runs it.
_BELL_RINGERS = (
    sa.select(follows.c.account_id)
    .join(accounts, accounts.c.id == follows.c.account_id)
    .where(
        follows.c.target_account_id == sa.bindparam("author"),
        follows.c.notify.is_(True),
        accounts.c.domain.is_(None),
    )
)


def _created(tx: Tx, event: events.StatusCreated) -> None:
    """The people here a new post mentions; then the followers who rang the bell for its
    author, for posts that are not DMs nor replies to others (someone mentioned hears of it by
    the mention). The event names both author and mentions: most posts that arrive concern
    nobody here, and cost one query."""
    status = None
    author = event.account_id
    if author is None:
        status = get_row(tx, event.status_id)
        if status is None:
            return
        author = status.account_id
    ringers = tx.scalars_of(_BELL_RINGERS, {"author": author})
    if not event.mentioned and not ringers:
        return
    status = status or get_row(tx, event.status_id)
    if status is None or status.reblog_of_id is not None:
        return
    for account_id in event.mentioned:
        if account_id != status.account_id:
            notify_about(tx, account_id, status.account_id, "mention", status)
    if status.visibility == "direct":
        return
    if status.in_reply_to_id is not None and status.in_reply_to_account_id != status.account_id:
        return
    for follower_id in ringers:
        if follower_id not in event.mentioned:
            notify_about(tx, follower_id, status.account_id, "status", status)


def _named_when_resolved(tx: Tx, event: events.MentionsResolved) -> None:
    """A handle the post named turned out to be an account here (found after posting)."""
    status = get_row(tx, event.status_id) if event.mentioned else None
    if status is None:
        return
    for account_id in event.mentioned:
        if account_id != status.account_id:
            notify_about(tx, account_id, status.account_id, "mention", status)


def _edited(tx: Tx, event: events.StatusEdited) -> None:
    """Those the edit names for the first time, then the people here who boosted the post,
    then those here whose posts quote it (`quoted_update`)."""
    status = get_row(tx, event.status_id)
    if status is None:
        return
    for account_id in event.mentioned:
        if account_id != status.account_id:
            notify_about(tx, account_id, status.account_id, "mention", status)
    for booster in tx.scalars(
        sa.select(statuses.c.account_id)
        .join(accounts, accounts.c.id == statuses.c.account_id)
        .where(statuses.c.reblog_of_id == status.id, accounts.c.domain.is_(None))
        .distinct()
    ):
        notify_about(tx, booster, status.account_id, "update", status)
    for quoting_id, quoter in quotes.quoters_of(tx, status.id):
        quoting = get_row(tx, quoting_id)
        if quoting is not None:  # about their own post, which shows the edited one
            notify_about(tx, quoter, status.account_id, "quoted_update", quoting)


def _quoted(tx: Tx, event: events.QuoteAccepted) -> None:
    """The author here of a quoted post hears of the quote once it is allowed; the
    notification is about the quoting post, as Mastodon's."""
    quote = quotes.get(tx, event.quote_id)
    quoting = get_row(tx, quote.status_id) if quote is not None else None
    if quote is None or quoting is None or quote.quoted_account_id is None:
        return
    recipient = quote.quoted_account_id
    if not core_accounts.is_local(tx, recipient):
        return
    told = tx.scalar(
        sa.select(sa.literal(1)).where(
            notifications_table.c.account_id == recipient,
            notifications_table.c.type == "quote",
            notifications_table.c.status_id == quoting.id,
        )
    )
    if not told:  # a request asked again is answered again, and told once
        notify_about(tx, recipient, quoting.account_id, "quote", quoting)


def _boosted(tx: Tx, event: events.StatusBoosted) -> None:
    boost = get_row(tx, event.boost_id)
    original = get_row(tx, boost.reblog_of_id) if boost and boost.reblog_of_id else None
    if boost is not None and original is not None:
        notify_about(tx, original.account_id, boost.account_id, "reblog", original)


def _favourited(tx: Tx, event: events.StatusFavourited) -> None:
    status = get_row(tx, event.status_id)
    if status is not None:
        notify_about(tx, status.account_id, event.account_id, "favourite", status)


# --- Polls ---------------------------------------------------------------------------------


def _poll_closed(tx: Tx, event: events.PollClosed) -> None:
    """The people here who voted hear the result, and so does its author if here."""
    poll = polls.for_status(tx, event.status_id)
    if poll is None:
        return
    voters = tx.scalars(
        sa.select(poll_votes.c.account_id)
        .join(accounts, accounts.c.id == poll_votes.c.account_id)
        .where(poll_votes.c.poll_id == poll.id, accounts.c.domain.is_(None))
        .distinct()
    )
    for voter in sorted(set(voters) - {poll.account_id}):
        notifications.notify(tx, voter, poll.account_id, "poll", poll.status_id)
    if core_accounts.is_local(tx, poll.account_id):
        notifications.notify(tx, poll.account_id, poll.account_id, "poll", poll.status_id)


# --- Relationships -------------------------------------------------------------------------


def _follow_requested(tx: Tx, event: events.FollowRequested) -> None:
    if core_accounts.is_local(tx, event.target_id):  # elsewhere, its own server tells them
        notifications.notify(tx, event.target_id, event.follower_id, "follow_request")


def _followed(tx: Tx, event: events.FollowAccepted) -> None:
    """A new follower of an open account; accepting a request tells nobody (as Mastodon)."""
    if event.at_once and core_accounts.is_local(tx, event.target_id):
        notifications.notify(tx, event.target_id, event.follower_id, "follow")


# --- Moderation ----------------------------------------------------------------------------


def _staff(tx: Tx) -> list[int]:
    """The moderators and admins here now (not suspended): who hears of the instance's work."""
    return tx.scalars(
        sa.select(users.c.account_id)
        .join(accounts, accounts.c.id == users.c.account_id)
        .where(users.c.role.in_(STAFF_ROLES), accounts.c.suspended_at.is_(None))
        .order_by(users.c.account_id)
    )


def _report_filed(tx: Tx, event: events.ReportFiled) -> None:
    """Every moderator and admin here hears of a new report (Mastodon's admin.report)."""
    report = tx.one_or_none(
        sa.select(reports.c.id, reports.c.account_id).where(reports.c.id == event.report_id)
    )
    if report is None:
        return
    for moderator in _staff(tx):
        notifications.notify(tx, moderator, report.account_id, "admin.report", report_id=report.id)


def _registered(tx: Tx, event: events.AccountRegistered) -> None:
    """Every moderator and admin here hears of a new account that may be used (Mastodon's
    admin.sign_up, which it sends to those who manage users); not of their own."""
    for moderator in _staff(tx):
        notifications.notify(tx, moderator, event.account_id, "admin.sign_up")


def _warned(tx: Tx, event: events.AccountWarned) -> None:
    """The owner of the account the staff acted on reads the strike."""
    warning = account_warnings.get(tx, event.warning_id)
    if warning is not None and core_accounts.is_local(tx, warning.target_account_id):
        target = warning.target_account_id
        notifications.notify(
            tx, target, target, "moderation_warning", account_warning_id=warning.id
        )


def _severed(tx: Tx, event: events.RelationshipsSevered) -> None:
    """Everyone here who lost follows to a block of a server is told, once per block."""
    for share in severances.of_event(tx, event.severance_event_id):
        notifications.notify(
            tx, share.account_id, share.account_id, "severed_relationships", severance_id=share.id
        )


def _context_added(tx: Tx, event: events.NoteStatusChanged) -> None:
    """A note shown under a post (rated helpful, saying it misleads): the people here who
    boosted, favourited or replied to the post are told, once per post."""
    note = tx.one_or_none(sa.select(community_notes).where(community_notes.c.id == event.note_id))
    if note is None or note.status_id is None or not shown_notes.is_shown(note):
        return
    if note.deleted_at is not None:
        return
    status = get_row(tx, note.status_id)
    if status is None:
        return
    other_shown = tx.scalar(
        sa.select(sa.func.count())
        .select_from(community_notes)
        .where(
            community_notes.c.status_id == status.id,
            community_notes.c.id != note.id,
            community_notes.c.status == vocabulary.CURRENTLY_RATED_HELPFUL,
            community_notes.c.classification == vocabulary.MISLEADING,
            community_notes.c.deleted_at.is_(None),
        )
    )
    if other_shown:  # told when the first note was shown
        return
    boosters = sa.select(statuses.c.account_id).where(statuses.c.reblog_of_id == status.id)
    repliers = sa.select(statuses.c.account_id).where(statuses.c.in_reply_to_id == status.id)
    fans = sa.select(favourites.c.account_id).where(favourites.c.status_id == status.id)
    people = sa.union(boosters, repliers, fans).subquery()
    local = tx.scalars(
        sa.select(accounts.c.id)
        .where(accounts.c.id.in_(sa.select(people.c.account_id)), accounts.c.domain.is_(None))
        .order_by(accounts.c.id)
    )
    actor = notes_actor.notes_actor(tx)
    for account_id in local:
        if account_id != actor:
            notify_about(tx, account_id, actor, "pnyx.context_added", status)


RULES: dict[type[events.Event], Callable[[Tx, Any], None]] = {
    events.StatusCreated: _created,
    events.StatusEdited: _edited,
    events.MentionsResolved: _named_when_resolved,
    events.StatusBoosted: _boosted,
    events.StatusFavourited: _favourited,
    events.QuoteAccepted: _quoted,
    events.PollClosed: _poll_closed,
    events.FollowRequested: _follow_requested,
    events.FollowAccepted: _followed,
    events.ReportFiled: _report_filed,
    events.AccountRegistered: _registered,
    events.AccountWarned: _warned,
    events.RelationshipsSevered: _severed,
    events.NoteStatusChanged: _context_added,
}
