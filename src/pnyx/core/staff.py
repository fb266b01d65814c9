"""What moderators and admins look at: the local users with their standing, and the latest
entries of the moderation log. Shared by the admin pages and `pnyx user list`. (Reports are
in core.reports.)"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Row

from pnyx.db.engine import Tx
from pnyx.db.tables import accounts, moderation_log, users

USER_FILTERS = ("pending", "active", "suspended", "all")


def local_users(
    tx: Tx,
    status: str = "all",
    *,
    before_user_id: int | None = None,
    limit: int | None = None,
) -> list[Row]:
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


def recent_actions(tx: Tx, limit: int = 15) -> list[Row]:
    """The newest moderation log entries, with who acted and on whom (an account, or a
    server's domain), and what only staff see (a rejected sign-up's name, a block's private
    comment)."""
    actor = accounts.alias("actor")
    target = accounts.alias("target")
    return tx.rows(
        sa.select(
            moderation_log.c.action,
            moderation_log.c.reason,
            moderation_log.c.created_at,
            actor.c.username.label("actor"),
            target.c.username.label("target"),
            moderation_log.c.target_domain,
            moderation_log.c.target_name,
            moderation_log.c.private_note,
        )
        .select_from(
            moderation_log.outerjoin(
                actor, actor.c.id == moderation_log.c.actor_account_id
            ).outerjoin(target, target.c.id == moderation_log.c.target_account_id)
        )
        .order_by(moderation_log.c.id.desc())
        .limit(limit)
    )
