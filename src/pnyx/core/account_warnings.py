"""Strikes: what the staff did to an account, kept and told to its owner (Mastodon's
AccountWarning, shown in a `moderation_warning` notification).

As Mastodon's admin account action does, every action the staff take on an account or its
posts through `core.moderation` (a warning, `none`, a suspension, a limit, sensitive media,
posts removed, marked sensitive or taken out of the trends) leaves a strike with its text and,
when it came from a report, the report and the posts it named; the owner is told when the
account is one of ours (through the admin API only when it asks, `send_email_notification`,
as in Mastodon; the web admin and the command line always tell). A suspended owner cannot
use the API while suspended, but can sign in to the web pages of their strikes, read them and
appeal (`core.appeals`).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Row

from pnyx.core import accounts, events, moderation_log
from pnyx.db.engine import Tx
from pnyx.db.ids import new_id
from pnyx.db.tables import account_warnings, reports

# Mastodon's AccountWarning actions Pnyx has (not `disable`), and taking posts out of the
# trends, which Mastodon does without telling anyone.
ACTIONS = (
    "none",
    "suspend",
    "silence",
    "sensitive",
    "delete_statuses",
    "mark_statuses_as_sensitive",
    "remove_from_trends",
    "label",  # one of the instance labeler's labels (core.instance_labels)
)


def record(
    tx: Tx,
    target_account_id: int,
    by_account_id: int | None,
    action: str,
    text: str,
    *,
    report_id: int | None = None,
    rule_id: int | None = None,
    tell: bool = True,
    status_ids: list[int] | None = None,
    ends_at: datetime | None = None,
    removed_posts: list[dict] | None = None,
    log_entry_id: int | None = None,
) -> int:
    """Keep a strike, with the rule it cites (its text as it reads now), the posts it is about
    (`status_ids`, else the report's) and, for a removal, what they said; the log entry of
    the action (`log_entry_id`) points at it. Tell its owner (when here and `tell`). Returns
    its id."""
    assert action in ACTIONS, action
    rule_text = moderation_log.check_rule(tx, rule_id) if rule_id is not None else None
    if status_ids is None and report_id is not None:
        named = tx.scalar(sa.select(reports.c.status_ids).where(reports.c.id == report_id))
        status_ids = [int(i) for i in named or []] or None
    warning_id = new_id()
    tx.execute(
        account_warnings.insert().values(
            id=warning_id,
            account_id=by_account_id,
            target_account_id=target_account_id,
            action=action,
            text=text,
            status_ids=status_ids,
            report_id=report_id,
            rule_id=rule_id,
            rule_text=rule_text,
            ends_at=ends_at,
            removed_posts=removed_posts,
            created_at=tx.now,
        )
    )
    if log_entry_id is not None:
        moderation_log.link_strike(tx, log_entry_id, warning_id)
    if tell and accounts.is_local(tx, target_account_id):
        events.record(tx, events.AccountWarned(warning_id))
    return warning_id


def get(tx: Tx, warning_id: int) -> Row | None:
    return tx.one_or_none(sa.select(account_warnings).where(account_warnings.c.id == warning_id))


def by_ids(tx: Tx, ids: Iterable[int]) -> dict[int, Row]:
    """Strikes by id (the notifications of a page point at them)."""
    wanted = list(set(ids))
    if not wanted:
        return {}
    rows = tx.rows(sa.select(account_warnings).where(account_warnings.c.id.in_(wanted)))
    return {r.id: r for r in rows}


def of_account(tx: Tx, account_id: int) -> list[Row]:
    """An account's strikes, newest first (for the staff and the account's owner)."""
    return tx.rows(
        sa.select(account_warnings)
        .where(account_warnings.c.target_account_id == account_id)
        .order_by(account_warnings.c.id.desc())
    )
