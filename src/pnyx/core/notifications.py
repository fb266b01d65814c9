"""Notifications: who gets told what. Creating one is a rule, so it lives here.

Types as Mastodon has them: mention, status, reblog, follow, follow_request, favourite, poll,
update, quote, quoted_update, and admin.report for moderators. What the recipient's
notification policy filters is made but held back (`filtered`, under a request); what it drops is not made. Nobody is
notified by themselves, by an account they block or that blocks them, or by
an account they mute with hide_notifications.
"""

from __future__ import annotations

import sqlalchemy as sa

from pnyx.core import account_visibility, events, notification_policy
from pnyx.db.engine import Tx
from pnyx.db.ids import new_id
from pnyx.db.tables import notifications

TYPES = (
    "mention",
    "status",
    "reblog",
    "follow",
    "follow_request",
    "favourite",
    "poll",
    "update",
    "quote",  # a post of the recipient's was quoted (the status: the quoting post)
    "quoted_update",  # a post the recipient quoted was edited (the status: their quote)
    "admin.report",  # to moderators: a new report (`report_id`)
)


UNSILENCEABLE = frozenset({"admin.report"})


def notify(
    tx: Tx,
    recipient_id: int,
    from_account_id: int,
    kind: str,
    status_id: int | None = None,
    *,
    report_id: int | None = None,
) -> int | None:
    """Create a notification unless a rule forbids it; returns its id, or None."""
    assert kind in TYPES, kind
    if recipient_id == from_account_id and kind != "poll":
        return None
    # A report reaches the moderators whoever its author blocked or they muted: it is work
    # for the instance, not a message between two people.
    silenced = kind not in UNSILENCEABLE and not tx.scalar(
        sa.select(
            account_visibility.account_visible_condition(
                account_visibility.MAY_NOTIFY, sa.literal(from_account_id), recipient_id, tx.now
            )
        )
    )
    if silenced and recipient_id != from_account_id:
        return None
    held = notification_policy.verdict(tx, recipient_id, from_account_id, kind, status_id)
    if held == "drop":
        return None
    if held == "filter":
        notification_policy.hold(tx, recipient_id, from_account_id, status_id)
    notification_id = new_id()
    tx.execute(
        notifications.insert().values(
            id=notification_id,
            account_id=recipient_id,
            from_account_id=from_account_id,
            type=kind,
            status_id=status_id,
            report_id=report_id,
            filtered=held == "filter",
            created_at=tx.now,
        )
    )
    events.record(tx, events.NotificationCreated(notification_id, recipient_id))
    return notification_id


def withdraw(
    tx: Tx, recipient_id: int, from_account_id: int, kind: str, status_id: int | None = None
) -> None:
    """Remove a notification whose cause was undone (an unfavourite, a withdrawn request)."""
    q = notifications.delete().where(
        notifications.c.account_id == recipient_id,
        notifications.c.from_account_id == from_account_id,
        notifications.c.type == kind,
    )
    if status_id is not None:
        q = q.where(notifications.c.status_id == status_id)
    tx.execute(q)
