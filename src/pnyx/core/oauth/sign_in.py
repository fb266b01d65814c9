"""Signing in with a login and password, and whether a user may act at all (approved, not
suspended): shared by the web sign-in, the password grant and code exchange."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Row

from pnyx.core import accounts as accounts_core
from pnyx.core.rows import SignInRow
from pnyx.db.engine import Tx
from pnyx.db.tables import accounts, users

BAD_LOGIN = "Invalid email/username or password."
SUSPENDED = "Your account is suspended. You cannot sign in."
PENDING = "Your account is waiting for approval by the staff of this instance."


def sign_in_user(
    tx: Tx, login: str, password: str, *, suspended_ok: bool = False
) -> SignInRow | str:
    """The user row for good credentials of a user who may sign in, or a message saying why not.

    The suspended / pending messages are only given after the password matched, so they
    reveal nothing to someone guessing. With `suspended_ok` (the site's own sign-in) a
    suspended user is let in, to the pages of their strikes only, where they can appeal
    (`web.strike_pages`; every other page and the API treat their session as none).
    """
    user = accounts_core.authenticate(tx, login, password)
    if user is None:
        return BAD_LOGIN
    if user.suspended_at is not None and not (suspended_ok and user.approved):
        return SUSPENDED
    if not user.approved:
        return PENDING
    tx.execute(users.update().where(users.c.id == user.id).values(last_sign_in_at=tx.now))
    return user


def usable_user(tx: Tx, user_id: int) -> Row | None:
    """The user row if it may act now (approved, account not suspended), else None."""
    row = tx.one_or_none(
        sa.select(users.c.id, users.c.approved, accounts.c.suspended_at)
        .join(accounts, accounts.c.id == users.c.account_id)
        .where(users.c.id == user_id)
    )
    if row is None or not row.approved or row.suspended_at is not None:
        return None
    return row
