"""Whose notifications someone wants: Mastodon 4.3's notification policy, and its requests.

Each person says, per kind of sender, whether notifications are accepted, filtered (kept
aside: not in the notifications, but listed as a *request* per sender, which they accept or
dismiss) or dropped (never made). The kinds, as Mastodon has them: people you do not follow,
people who do not follow you, accounts younger than 30 days, private mentions from people you
do not follow that do not answer you, and accounts limited by moderators (Pnyx has no
limiting yet, so none is).

With no policy saved, everything is accepted. Mastodon filters private mentions from people
you do not follow by default; Pnyx hides nothing from you that you did not choose to hide,
and apps without a screen for requests (toot, older Tusky) would show such messages nowhere.

`verdict` is asked by `core.notifications.notify` for every notification it is about to make.
Accepting a request lets its sender through from then on (a permission), and brings its
notifications back into the list; dismissing it removes them. Moderators' notifications
(reports, sign-ups), poll results and edits are never filtered, nor is anything from the
staff of this server.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Literal

import sqlalchemy as sa
from sqlalchemy.engine import Row

from pnyx.core import follows as follows_core
from pnyx.core.errors import Invalid, NotFound
from pnyx.core.roles import is_staff
from pnyx.db.engine import Tx
from pnyx.db.ids import new_id
from pnyx.db.insert_ignore import insert_ignore
from pnyx.db.tables import (
    accounts,
    notification_permissions,
    notification_policies,
    notification_requests,
    notifications,
    statuses,
)

Verdict = Literal["accept", "filter", "drop"]
VALUES: tuple[Verdict, ...] = ("accept", "filter", "drop")
FIELDS = (
    "for_not_following",
    "for_not_followers",
    "for_new_accounts",
    "for_private_mentions",
    "for_limited_accounts",
)
DEFAULTS: dict[str, Verdict] = {
    "for_not_following": "accept",
    "for_not_followers": "accept",
    "for_new_accounts": "accept",
    "for_private_mentions": "accept",
    "for_limited_accounts": "accept",
}
NEW_ACCOUNT = timedelta(days=30)
NEVER_FILTERED = frozenset(
    {
        "admin.sign_up",
        "admin.report",
        "poll",
        "update",
        "quoted_update",
        "moderation_warning",
        "severed_relationships",
        "follow_request",
        "pnyx.context_added",
    }
)


@dataclass(frozen=True)
class Policy:
    for_not_following: Verdict
    for_not_followers: Verdict
    for_new_accounts: Verdict
    for_private_mentions: Verdict
    for_limited_accounts: Verdict
    pending_requests_count: int = 0
    pending_notifications_count: int = 0


def _values(tx: Tx, account_id: int) -> dict[str, Verdict]:
    row = tx.one_or_none(
        sa.select(*(notification_policies.c[f] for f in FIELDS)).where(
            notification_policies.c.account_id == account_id
        )
    )
    return dict(row._mapping) if row is not None else dict(DEFAULTS)


def get_policy(tx: Tx, account_id: int) -> Policy:
    """The policy with its summary: requests waiting, and the notifications they hold."""
    count, held = tx.execute(
        sa.select(
            sa.func.count(),
            sa.func.coalesce(sa.func.sum(notification_requests.c.notifications_count), 0),
        ).where(notification_requests.c.account_id == account_id)
    ).one()
    return Policy(
        **_values(tx, account_id),
        pending_requests_count=int(count),
        pending_notifications_count=int(held),
    )


def update_policy(tx: Tx, account_id: int, changes: dict[str, Any]) -> Policy:
    """Set some of the five; the others keep their value. Invalid for a value that is not
    accept, filter or drop."""
    values = _values(tx, account_id)
    for name, value in changes.items():
        if name not in FIELDS or value is None:
            continue
        if value not in VALUES:
            raise Invalid(f"{name.replace('_', ' ').capitalize()} is not included in the list")
        values[name] = value
    exists = tx.scalar(
        sa.select(notification_policies.c.account_id).where(
            notification_policies.c.account_id == account_id
        )
    )
    if exists is None:
        tx.execute(notification_policies.insert().values(account_id=account_id, **values))
    else:
        tx.execute(
            notification_policies.update()
            .where(notification_policies.c.account_id == account_id)
            .values(**values)
        )
    return get_policy(tx, account_id)


# --- Deciding one notification ------------------------------------------------------------


def verdict(tx: Tx, recipient_id: int, sender_id: int, kind: str, status_id: int | None) -> Verdict:
    """What the recipient's policy says of a notification from `sender_id`: the strictest
    answer of the kinds the sender falls in, unless the recipient accepted them before."""
    if kind in NEVER_FILTERED or recipient_id == sender_id:
        return "accept"
    policy = _values(tx, recipient_id)
    wanted = {name for name, value in policy.items() if value != "accept"}
    if not wanted:
        return "accept"
    answers: list[Verdict] = []
    checks = {
        "for_not_following": lambda: not follows_core.is_following(tx, recipient_id, sender_id),
        "for_not_followers": lambda: not follows_core.is_following(tx, sender_id, recipient_id),
        "for_new_accounts": lambda: _is_new(tx, sender_id),
        "for_private_mentions": lambda: (
            kind == "mention"
            and not follows_core.is_following(tx, recipient_id, sender_id)
            and _private_not_answering(tx, recipient_id, status_id)
        ),
        "for_limited_accounts": lambda: False,  # nobody is limited here yet
    }
    for name in FIELDS:
        if name in wanted and checks[name]():
            answers.append(policy[name])
    if not answers:
        return "accept"
    if _permitted(tx, recipient_id, sender_id) or is_staff(tx, sender_id):
        return "accept"
    return "drop" if "drop" in answers else "filter"


def _is_new(tx: Tx, account_id: int) -> bool:
    created = tx.scalar(sa.select(accounts.c.created_at).where(accounts.c.id == account_id))
    return created is not None and created > tx.now - NEW_ACCOUNT


def _private_not_answering(tx: Tx, recipient_id: int, status_id: int | None) -> bool:
    """A direct message that is not a reply to one of the recipient's posts."""
    if status_id is None:
        return False
    row = tx.one_or_none(
        sa.select(statuses.c.visibility, statuses.c.in_reply_to_account_id).where(
            statuses.c.id == status_id
        )
    )
    return (
        row is not None
        and row.visibility == "direct"
        and row.in_reply_to_account_id != (recipient_id)
    )


def _permitted(tx: Tx, recipient_id: int, sender_id: int) -> bool:
    return bool(
        tx.scalar(
            sa.select(notification_permissions.c.id).where(
                notification_permissions.c.account_id == recipient_id,
                notification_permissions.c.from_account_id == sender_id,
            )
        )
    )


def hold(tx: Tx, recipient_id: int, sender_id: int, status_id: int | None) -> None:
    """A notification was filtered: its sender's request counts it (and is made if new)."""
    values = {
        "notifications_count": notification_requests.c.notifications_count + 1,
        "updated_at": tx.now,
    }
    if status_id is not None:
        values["last_status_id"] = status_id
    updated = tx.execute(
        notification_requests.update()
        .where(
            notification_requests.c.account_id == recipient_id,
            notification_requests.c.from_account_id == sender_id,
        )
        .values(**values)
    ).rowcount
    if updated:
        return
    insert_ignore(
        tx,
        notification_requests,
        {
            "id": new_id(),
            "account_id": recipient_id,
            "from_account_id": sender_id,
            "last_status_id": status_id,
            "notifications_count": 1,
            "created_at": tx.now,
            "updated_at": tx.now,
        },
    )


# --- Requests -----------------------------------------------------------------------------


def requests_page(
    tx: Tx,
    account_id: int,
    *,
    max_id: int | None = None,
    since_id: int | None = None,
    min_id: int | None = None,
    limit: int = 40,
) -> list[Row]:
    """The recipient's requests, newest first (by id)."""
    query = sa.select(notification_requests).where(notification_requests.c.account_id == account_id)
    column = notification_requests.c.id
    if max_id is not None:
        query = query.where(column < max_id)
    if since_id is not None:
        query = query.where(column > since_id)
    if min_id is not None:
        query = query.where(column > min_id)
        rows = tx.rows(query.order_by(column.asc()).limit(limit))
        return list(reversed(rows))
    return tx.rows(query.order_by(column.desc()).limit(limit))


def get_request(tx: Tx, account_id: int, request_id: int) -> Row:
    row = tx.one_or_none(
        sa.select(notification_requests).where(
            notification_requests.c.id == request_id,
            notification_requests.c.account_id == account_id,
        )
    )
    if row is None:
        raise NotFound()
    return row


def accept(tx: Tx, account_id: int, request_id: int) -> None:
    """Let the sender through from now on, and bring their held notifications back."""
    request = get_request(tx, account_id, request_id)
    insert_ignore(
        tx,
        notification_permissions,
        {
            "id": new_id(),
            "account_id": account_id,
            "from_account_id": request.from_account_id,
            "created_at": tx.now,
        },
    )
    tx.execute(
        notifications.update()
        .where(
            notifications.c.account_id == account_id,
            notifications.c.from_account_id == request.from_account_id,
            notifications.c.filtered.is_(True),
        )
        .values(filtered=False)
    )
    tx.execute(notification_requests.delete().where(notification_requests.c.id == request.id))


def dismiss(tx: Tx, account_id: int, request_id: int) -> None:
    """Drop the request and the notifications it held."""
    request = get_request(tx, account_id, request_id)
    tx.execute(
        notifications.delete().where(
            notifications.c.account_id == account_id,
            notifications.c.from_account_id == request.from_account_id,
            notifications.c.filtered.is_(True),
        )
    )
    tx.execute(notification_requests.delete().where(notification_requests.c.id == request.id))


def accept_many(tx: Tx, account_id: int, request_ids: list[int]) -> None:
    for request_id in request_ids:
        try:
            accept(tx, account_id, request_id)
        except NotFound:
            continue  # as Mastodon: ids that are not the caller's are skipped


def dismiss_many(tx: Tx, account_id: int, request_ids: list[int]) -> None:
    for request_id in request_ids:
        try:
            dismiss(tx, account_id, request_id)
        except NotFound:
            continue
