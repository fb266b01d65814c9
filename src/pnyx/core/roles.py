"""Who is staff: the roles that moderate (Mastodon's Moderator and Admin). A module of its own
so that what only needs the names (notifications, their policy) does not import moderation."""

from __future__ import annotations

import sqlalchemy as sa

from pnyx.db.engine import Tx
from pnyx.db.tables import users

STAFF_ROLES = ("admin", "moderator")


def is_staff(tx: Tx, account_id: int) -> bool:
    """Whether `account_id` is a local user with a staff role now."""
    role = tx.scalar(sa.select(users.c.role).where(users.c.account_id == account_id))
    return role in STAFF_ROLES
