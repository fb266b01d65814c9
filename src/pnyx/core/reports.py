"""Reports: someone here tells the moderators about an account, and maybe some of its posts.

As Mastodon's `POST /api/v1/reports`: a category (spam, legal, violation, other), the
instance rules broken (which makes it a violation), a comment of up to 1,000 characters, and
posts that must be the reported account's and visible to the reporter. Moderators list and
resolve reports at /admin/reports (`report_list`, `resolve_report`) and are notified of each
new one (`ReportFiled`, told by `core.notify`). With `forward`, a report about an account of
another server also goes to that server's moderators, from this server and not the reporter
(a Flag from the instance actor), and says `forwarded`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.engine import Row

from pnyx.core import events, moderation_log, status_views
from pnyx.core.errors import Invalid, NotFound
from pnyx.db.engine import Tx
from pnyx.db.ids import new_id
from pnyx.db.tables import accounts, reports, rules, statuses

CATEGORIES = ("spam", "legal", "violation", "other")
MAX_COMMENT = 1000
MAX_STATUSES = 100
FILTERS = ("open", "resolved")  # what the moderators' page lists


@dataclass
class ReportInput:
    target_account_id: int
    status_ids: list[int] = field(default_factory=list)
    comment: str = ""
    category: str | None = None
    rule_ids: list[int] = field(default_factory=list)
    forward: bool = False


def file_report(tx: Tx, reporter_id: int, data: ReportInput) -> int:
    """Store the report; returns its id. NotFound for an unknown account or a post that is
    not the account's or not visible to the reporter; Invalid for the rest."""
    target = tx.one_or_none(
        sa.select(
            accounts.c.id, accounts.c.domain, accounts.c.inbox_url, accounts.c.shared_inbox_url
        ).where(accounts.c.id == data.target_account_id)
    )
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
    # Forwarded when asked, about an account elsewhere whose server we can reach.
    reachable = bool(target.inbox_url or target.shared_inbox_url)
    forwarded = data.forward and target.domain is not None and reachable
    tx.execute(
        reports.insert().values(
            id=report_id,
            account_id=reporter_id,
            target_account_id=data.target_account_id,
            status_ids=status_ids,
            comment=data.comment,
            category=category,
            rule_ids=rule_ids or None,
            forwarded=forwarded,
            created_at=tx.now,
        )
    )
    events.record(tx, events.ReportFiled(report_id, tell_other_servers=forwarded))
    return report_id


def get_own(tx: Tx, reporter_id: int, report_id: int) -> Row:
    """One of the reporter's own reports (what the API answers with)."""
    row = tx.one_or_none(
        sa.select(reports).where(reports.c.id == report_id, reports.c.account_id == reporter_id)
    )
    if row is None:
        raise NotFound()
    return row


def report_list(
    tx: Tx, status: str = "open", *, before_id: int | None = None, limit: int = 50
) -> list[Row]:
    """Reports, newest first: open ones (waiting for a moderator) or resolved ones, each with
    who reported (an account here, or elsewhere for a Flag) and whom."""
    reporter = accounts.alias("reporter")
    target = accounts.alias("target")
    query = (
        sa.select(
            reports.c.id,
            reports.c.comment,
            reports.c.category,
            reports.c.status_ids,
            reports.c.created_at,
            reports.c.resolved_at,
            reports.c.target_account_id,
            reporter.c.username.label("reporter_username"),
            reporter.c.domain.label("reporter_domain"),
            target.c.username.label("target_username"),
            target.c.domain.label("target_domain"),
        )
        .join(reporter, reporter.c.id == reports.c.account_id)
        .join(target, target.c.id == reports.c.target_account_id)
    )
    if status == "resolved":
        query = query.where(reports.c.resolved_at.is_not(None))
    else:
        query = query.where(reports.c.resolved_at.is_(None))
    if before_id is not None:
        query = query.where(reports.c.id < before_id)
    return tx.rows(query.order_by(reports.c.id.desc()).limit(limit))


def get(tx: Tx, report_id: int) -> Row:
    """Any report (for the staff)."""
    row = tx.one_or_none(sa.select(reports).where(reports.c.id == report_id))
    if row is None:
        raise NotFound()
    return row


def staff_list(
    tx: Tx,
    *,
    resolved: bool = False,
    account_id: int | None = None,
    target_account_id: int | None = None,
    max_id: int | None = None,
    since_id: int | None = None,
    min_id: int | None = None,
    limit: int = 100,
) -> list[Row]:
    """Reports as the admin API lists them: open (or resolved) ones, by reporter or target,
    newest first (oldest first after `min_id`)."""
    query = sa.select(reports).where(
        reports.c.resolved_at.is_not(None) if resolved else reports.c.resolved_at.is_(None)
    )
    if account_id is not None:
        query = query.where(reports.c.account_id == account_id)
    if target_account_id is not None:
        query = query.where(reports.c.target_account_id == target_account_id)
    if max_id is not None:
        query = query.where(reports.c.id < max_id)
    if since_id is not None:
        query = query.where(reports.c.id > since_id)
    if min_id is not None:
        return list(
            reversed(
                tx.rows(query.where(reports.c.id > min_id).order_by(reports.c.id).limit(limit))
            )
        )
    return tx.rows(query.order_by(reports.c.id.desc()).limit(limit))


def resolve_report(tx: Tx, report_id: int, *, by_account_id: int | None, reason: str = "") -> None:
    """A moderator dealt with a report (acting on the account is a separate, logged action);
    recorded in the moderation log with what they said (None: the operator, from the CLI)."""
    row = get(tx, report_id)
    if row.resolved_at is not None:
        raise Invalid("This report was already resolved")
    tx.execute(
        reports.update()
        .where(reports.c.id == report_id)
        .values(resolved_at=tx.now, action_taken_by_account_id=by_account_id, updated_at=tx.now)
    )
    moderation_log.record(tx, "resolve_report", row.target_account_id, by_account_id, reason)


def reopen_report(tx: Tx, report_id: int, *, by_account_id: int | None) -> None:
    """A resolved report is open again (reopening an open one changes nothing)."""
    row = get(tx, report_id)
    if row.resolved_at is None:
        return
    tx.execute(
        reports.update()
        .where(reports.c.id == report_id)
        .values(resolved_at=None, action_taken_by_account_id=None, updated_at=tx.now)
    )
    moderation_log.record(tx, "reopen_report", row.target_account_id, by_account_id, "")


def assign_report(
    tx: Tx, report_id: int, assignee_id: int | None, *, by_account_id: int | None
) -> None:
    """Who is handling a report (None: nobody); logged."""
    row = get(tx, report_id)
    tx.execute(
        reports.update()
        .where(reports.c.id == report_id)
        .values(assigned_account_id=assignee_id, updated_at=tx.now)
    )
    action = "assign_report" if assignee_id is not None else "unassign_report"
    moderation_log.record(tx, action, row.target_account_id, by_account_id, "")


def recategorize(
    tx: Tx,
    report_id: int,
    category: str | None,
    rule_ids: list[int] | None,
    *,
    by_account_id: int | None,
) -> None:
    """Change a report's category and the rules it names, with the rules `file_report`
    applies (rules make it a violation; a violation needs rules)."""
    row = get(tx, report_id)
    new_category = category or row.category
    new_rules = sorted(set(rule_ids)) if rule_ids is not None else list(row.rule_ids or [])
    if category is not None and category != "violation" and rule_ids is None:
        new_rules = []
    if new_category not in CATEGORIES:
        raise Invalid("Validation failed: Category is not included in the list")
    if new_rules:
        known = set(tx.scalars(sa.select(rules.c.id).where(rules.c.id.in_(new_rules))))
        if known != set(new_rules):
            raise Invalid("Validation failed: Rule ids do not match the rules of this server")
        new_category = "violation"
    elif new_category == "violation":
        raise Invalid("Validation failed: A violation must name the rules broken")
    tx.execute(
        reports.update()
        .where(reports.c.id == report_id)
        .values(category=new_category, rule_ids=new_rules or None, updated_at=tx.now)
    )
    moderation_log.record(
        tx, f"update_report:{new_category}", row.target_account_id, by_account_id, ""
    )
