"""Reports: someone here tells the moderators about an account, and maybe some of its posts.

As Mastodon's `POST /api/v1/reports`: a category (spam, legal, violation, other), the
instance rules broken (which makes it a violation), a comment of up to 1,000 characters, and
posts that must be the reported account's and visible to the reporter. Moderators see reports
at /admin/reports (core.staff). Reports are not sent to the account's server yet: `forward`
is accepted and `forwarded` stays false.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa

from pnyx.core import status_views
from pnyx.core.errors import Invalid, NotFound
from pnyx.db.ids import new_id
from pnyx.db.tables import accounts, reports, rules, statuses

CATEGORIES = ("spam", "legal", "violation", "other")
MAX_COMMENT = 1000
MAX_STATUSES = 100


@dataclass
class ReportInput:
    target_account_id: int
    status_ids: list[int] = field(default_factory=list)
    comment: str = ""
    category: str | None = None
    rule_ids: list[int] = field(default_factory=list)
    forward: bool = False


def file_report(tx, reporter_id: int, data: ReportInput) -> int:
    """Store the report; returns its id. NotFound for an unknown account or a post that is
    not the account's or not visible to the reporter; Invalid for the rest."""
    target = tx.one_or_none(sa.select(accounts.c.id).where(accounts.c.id == data.target_account_id))
    if target is None:
        raise NotFound()
    if len(data.comment) > MAX_COMMENT:
        raise Invalid(f"Comment is too long (maximum is {MAX_COMMENT} characters)")
    rule_ids = sorted(set(data.rule_ids))
    category = "violation" if rule_ids else (data.category or "other")
    if category not in CATEGORIES:
        raise Invalid("Category is not included in the list")
    if rule_ids:
        known = set(tx.scalars(sa.select(rules.c.id).where(rules.c.id.in_(rule_ids))))
        if known != set(rule_ids):
            raise Invalid("Rule ids do not match the rules of this server")
    status_ids = list(dict.fromkeys(data.status_ids))[:MAX_STATUSES]
    if status_ids:
        theirs = set(
            tx.scalars(
                sa.select(statuses.c.id).where(
                    statuses.c.id.in_(status_ids),
                    statuses.c.account_id == data.target_account_id,
                )
            )
        )
        visible = set(status_views.visible_ids(tx, list(theirs), reporter_id))
        if visible != set(status_ids):
            raise NotFound()
    report_id = new_id()
    tx.execute(
        reports.insert().values(
            id=report_id,
            account_id=reporter_id,
            target_account_id=data.target_account_id,
            status_ids=status_ids,
            comment=data.comment,
            category=category,
            rule_ids=rule_ids or None,
            forwarded=False,
            created_at=tx.now,
        )
    )
    return report_id


def get_own(tx, reporter_id: int, report_id: int):
    """One of the reporter's own reports (what the API answers with)."""
    row = tx.one_or_none(
        sa.select(reports).where(reports.c.id == report_id, reports.c.account_id == reporter_id)
    )
    if row is None:
        raise NotFound()
    return row
