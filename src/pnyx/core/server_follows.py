"""When this server follows an account of another server for its people: to receive a
labeler's labels (`core.labels`) and a list keeper's changes (`core.moderation_lists`).

The instance actor follows (nobody's name goes with it: subscriptions are private), from the
first person here who subscribes to the account's labels or lists until the last one leaves.
"""

from __future__ import annotations

import sqlalchemy as sa

from pnyx.core import events
from pnyx.db.engine import Tx
from pnyx.db.tables import (
    accounts,
    labeler_subscriptions,
    moderation_list_subscriptions,
    moderation_lists,
)


def needed(tx: Tx, account_id: int) -> bool:
    """Whether someone here applies the account's labels or one of its lists."""
    labels = sa.exists().where(labeler_subscriptions.c.labeler_account_id == account_id)
    lists = sa.exists().where(
        moderation_list_subscriptions.c.list_id == moderation_lists.c.id,
        moderation_lists.c.account_id == account_id,
    )
    return bool(tx.scalar(sa.select(sa.or_(labels, lists))))


def _remote(tx: Tx, account_id: int) -> bool:
    return tx.scalar(sa.select(accounts.c.domain).where(accounts.c.id == account_id)) is not None


def started(tx: Tx, account_id: int, was_needed: bool) -> None:
    """Call after a subscription was added, with `needed` as it was before it."""
    if not was_needed and _remote(tx, account_id):
        events.record(tx, events.LabelerSubscribed(account_id))


def maybe_ended(tx: Tx, account_id: int) -> None:
    """Call after a subscription was removed."""
    if _remote(tx, account_id) and not needed(tx, account_id):
        events.record(tx, events.LabelerUnsubscribed(account_id))
