"""The staff label instead of removing (issue 12): a post or an account gets one of the instance
labeler's labels (`core.labels.INSTANCE_DEFINITIONS`: disputed, graphic, satire,
spam-suspected), which everyone here applies by default and may set otherwise — a label is
never a removal in disguise. Removals stay for what the law requires (`core.post_moderation`);
the policy page says which rule leads to which (`rules.consequence`).

Like every action of the staff, a label goes through the rules of `core.moderation` (who may
act on whom, a reason), is in the public log, and leaves a strike its owner is told of and
can appeal; approving the appeal takes the label back.
"""

from __future__ import annotations

import sqlalchemy as sa

from pnyx.core import account_warnings, labels, moderation_log
from pnyx.core.errors import Invalid, NotFound
from pnyx.core.moderation import Moderator, may_act_on, required_reason
from pnyx.db.engine import Tx
from pnyx.db.tables import accounts, statuses
from pnyx.db.tables import moderation_log as log_table

LABEL_PREFIX, UNLABEL_PREFIX = "label:", "unlabel:"
ONE_SUBJECT = "Label either a post (status_id) or an account (account_id)"


def _subject(
    tx: Tx, by: Moderator, status_id: int | None, account_id: int | None
) -> tuple[str, int, int | None]:
    """(subject uri, the account it touches, the post) once `by` may act on it."""
    if (status_id is None) == (account_id is None):
        raise Invalid(ONE_SUBJECT)
    if status_id is not None:
        row = tx.one_or_none(
            sa.select(statuses.c.uri, statuses.c.account_id).where(
                statuses.c.id == status_id, statuses.c.reblog_of_id.is_(None)
            )
        )
        if row is None:
            raise NotFound()
        may_act_on(tx, by, row.account_id)
        return row.uri, row.account_id, status_id
    assert account_id is not None
    uri = tx.scalar(sa.select(accounts.c.uri).where(accounts.c.id == account_id))
    if uri is None:
        raise NotFound()
    may_act_on(tx, by, account_id)
    return uri, account_id, None


def label(
    tx: Tx,
    by: Moderator,
    value: str,
    reason: str,
    *,
    status_id: int | None = None,
    account_id: int | None = None,
    rule_id: int | None = None,
    report_id: int | None = None,
) -> int:
    """Label a post or an account as the instance; returns the strike's id."""
    reason = required_reason(reason)
    subject, target, post = _subject(tx, by, status_id, account_id)
    labeler = labels.instance_labeler(tx)
    value = labels.check_value(value)
    labels.issue(tx, labeler, labels.LabelInput(subject_uri=subject, value=value, reason=reason))
    entry = moderation_log.record(
        tx, LABEL_PREFIX + value, target, by.account_id, reason, rule_id=rule_id
    )
    return account_warnings.record(
        tx,
        target,
        by.account_id,
        "label",
        reason,
        report_id=report_id,
        rule_id=rule_id,
        status_ids=[post] if post is not None else [],
        log_entry_id=entry,
    )


def unlabel(
    tx: Tx,
    by: Moderator,
    value: str,
    reason: str = "",
    *,
    status_id: int | None = None,
    account_id: int | None = None,
) -> None:
    """Take an instance label back (a negation, which reaches the servers that apply it)."""
    subject, target, _post = _subject(tx, by, status_id, account_id)
    labeler = labels.instance_labeler(tx)
    value = labels.check_value(value)
    labels.issue(tx, labeler, labels.LabelInput(subject_uri=subject, value=value, neg=True))
    moderation_log.record(tx, UNLABEL_PREFIX + value, target, by.account_id, reason.strip())


def value_of_strike(tx: Tx, strike_id: int) -> str | None:
    """The label a "label" strike gave (its log entry's action names it)."""
    action = tx.scalar(sa.select(log_table.c.action).where(log_table.c.strike_id == strike_id))
    if action is None or not action.startswith(LABEL_PREFIX):
        return None
    return action.removeprefix(LABEL_PREFIX)


def reverse(tx: Tx, by: Moderator, strike: sa.Row, reason: str) -> None:
    """Take back the label a strike gave (its appeal was approved)."""
    value = value_of_strike(tx, strike.id)
    if value is None:
        return
    posts = [int(i) for i in strike.status_ids or []]
    if posts:
        for status_id in posts:
            try:
                unlabel(tx, by, value, reason, status_id=status_id)
            except NotFound:
                continue  # the post is gone
    else:
        unlabel(tx, by, value, reason, account_id=strike.target_account_id)
