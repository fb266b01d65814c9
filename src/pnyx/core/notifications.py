"""Notifications: who gets told what. Creating one is a rule, so it lives here.

Types as Mastodon has them: mention, status, reblog, follow, follow_request, favourite, poll,
update, quote and quoted_update; admin.sign_up and admin.report for moderators;
moderation_warning (a strike on one's own account) and severed_relationships (follows a block
of a server ended), which, having no other account behind them, come "from" their recipient
as in Mastodon. What the recipient's notification policy filters is made but held back
(`filtered`, under a request); what it drops is not made. Nobody is
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
    "admin.sign_up",  # to moderators: a new account here (from it)
    "moderation_warning",  # to the account the staff acted on (`account_warning_id`)
    "severed_relationships",  # to who lost follows to a server's block (`severance_id`)
    # Pnyx's: a post one boosted, favourited or replied to got a note rated helpful (the
    # status: that post; from: the notes actor, `core.notes`).
    "pnyx.context_added",
)

# Work for the instance, or word from it: made whoever blocked or muted whom.
UNSILENCEABLE = frozenset({"admin.report", "moderation_warning"})
# Told by the instance about one's own account: "from" the recipient themselves.
FROM_ONESELF = frozenset({"poll", "moderation_warning", "severed_relationships"})


def notify(
    tx: Tx,
    recipient_id: int,
    from_account_id: int,
    kind: str,
    status_id: int | None = None,
    *,
    report_id: int | None = None,
    account_warning_id: int | None = None,
    severance_id: int | None = None,
) -> int | None:
    """Create a notification unless a rule forbids it; returns its id, or None."""
    assert kind in TYPES, kind
    if recipient_id == from_account_id and kind not in FROM_ONESELF:
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
            account_warning_id=account_warning_id,
            severance_id=severance_id,
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
