"""What moderators and admins look at: the local users with their standing, the reports
about accounts, and the latest entries of the moderation log. Shared by the admin pages and
`pnyx user list`."""

from __future__ import annotations

import sqlalchemy as sa

from pnyx.core.accounts import log_action
from pnyx.core.errors import Invalid, NotFound
from pnyx.db.tables import accounts, moderation_log, reports, users

USER_FILTERS = ("pending", "active", "suspended", "all")
REPORT_FILTERS = ("open", "resolved")


def local_users(tx, status: str = "all", *, before_user_id: int | None = None, limit=None):
    """Local accounts with their user, newest sign-ups first; `status` narrows to those
    waiting for approval, active, or suspended."""
    query = sa.select(
        accounts.c.id,
        accounts.c.username,
        accounts.c.display_name,
        accounts.c.suspended_at,
        accounts.c.suspension_reason,
        users.c.id.label("user_id"),
        users.c.email,
        users.c.role,
        users.c.approved,
        users.c.registration_reason,
        users.c.created_at,
        users.c.last_sign_in_at,
    ).join(users, users.c.account_id == accounts.c.id)
    if status == "pending":
        query = query.where(users.c.approved.is_(False), accounts.c.suspended_at.is_(None))
    elif status == "active":
        query = query.where(users.c.approved.is_(True), accounts.c.suspended_at.is_(None))
    elif status == "suspended":
        query = query.where(accounts.c.suspended_at.is_not(None))
    if before_user_id is not None:
        query = query.where(users.c.id < before_user_id)
    query = query.order_by(users.c.id.desc())
    if limit is not None:
        query = query.limit(limit)
    return tx.rows(query)


def recent_actions(tx, limit: int = 15) -> list:
    """The newest moderation log entries, with who acted and on whom."""
    actor = accounts.alias("actor")
    target = accounts.alias("target")
    return tx.rows(
        sa.select(
            moderation_log.c.action,
            moderation_log.c.reason,
            moderation_log.c.created_at,
            actor.c.username.label("actor"),
            target.c.username.label("target"),
        )
        .select_from(
            moderation_log.outerjoin(
                actor, actor.c.id == moderation_log.c.actor_account_id
            ).outerjoin(target, target.c.id == moderation_log.c.target_account_id)
        )
        .order_by(moderation_log.c.id.desc())
        .limit(limit)
    )


def report_list(tx, status: str = "open", *, before_id: int | None = None, limit: int = 50):
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


def resolve_report(tx, report_id: int, *, by_account_id: int, reason: str = "") -> None:
    """A moderator dealt with a report (acting on the account is a separate, logged action);
    recorded in the moderation log with what they said."""
    row = tx.one_or_none(sa.select(reports).where(reports.c.id == report_id))
    if row is None:
        raise NotFound()
    if row.resolved_at is not None:
        raise Invalid("This report was already resolved")
    tx.execute(reports.update().where(reports.c.id == report_id).values(resolved_at=tx.now))
    log_action(tx, "resolve_report", row.target_account_id, by_account_id, reason)
