"""Accounts as the staff look them up (Mastodon's admin API): every account, local or from
another server, with its user when it has one, filtered as `/api/v1/admin/accounts` and
`/api/v2/admin/accounts` ask.

The state Pnyx does not have (`disabled`) holds for no account, so asking for it finds
nothing; Pnyx records no sign-in addresses, so an `ip` filter finds
nothing either (docs/api.md says so). Who may look is checked by the caller
(`core.moderation.staff_member`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Row

from pnyx.core import reach
from pnyx.core.paging import Page
from pnyx.db.engine import Tx
from pnyx.db.tables import accounts, users

STATUSES = ("active", "pending", "disabled", "silenced", "suspended", "sensitized")
NEVER = ("disabled",)  # a state Pnyx has not got


@dataclass
class AccountQuery:
    origin: str | None = None  # local | remote
    status: str | None = None  # one of STATUSES
    staff: bool = False
    username: str | None = None
    display_name: str | None = None
    domain: str | None = None
    email: str | None = None
    ip: str | None = None


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped.lower()}%"


def _conditions(q: AccountQuery, now: Any) -> list[sa.ColumnElement[bool]]:
    out: list[sa.ColumnElement[bool]] = []
    if q.origin == "local":
        out.append(accounts.c.domain.is_(None))
    elif q.origin == "remote":
        out.append(accounts.c.domain.is_not(None))
    if q.status in NEVER or q.ip:
        out.append(sa.false())
    elif q.status == "suspended":
        out.append(accounts.c.suspended_at.is_not(None))
    elif q.status == "silenced":
        out.append(reach.silenced(accounts, now))
    elif q.status == "sensitized":
        out.append(accounts.c.sensitized_at.is_not(None))
    elif q.status == "pending":
        out += [users.c.approved.is_(False), accounts.c.suspended_at.is_(None)]
    elif q.status == "active":
        out += [
            accounts.c.suspended_at.is_(None),
            sa.or_(users.c.id.is_(None), users.c.approved.is_(True)),
        ]
    if q.staff:
        out.append(users.c.role.in_(("moderator", "admin")))
    if q.username:
        out.append(sa.func.lower(accounts.c.username).like(_like(q.username), escape="\\"))
    if q.display_name:
        out.append(sa.func.lower(accounts.c.display_name).like(_like(q.display_name), escape="\\"))
    if q.domain:
        out.append(sa.func.lower(accounts.c.domain).like(_like(q.domain), escape="\\"))
    if q.email:
        out.append(sa.func.lower(users.c.email).like(_like(q.email), escape="\\"))
    return out


def _base() -> sa.Select:
    return sa.select(
        accounts,
        users.c.id.label("user_id"),
        users.c.email,
        users.c.role,
        users.c.approved,
        users.c.confirmed,
        users.c.locale,
        users.c.registration_reason,
        users.c.invite_id,
        users.c.created_at.label("user_created_at"),
    ).select_from(accounts.outerjoin(users, users.c.account_id == accounts.c.id))


def search(tx: Tx, q: AccountQuery, page: Page) -> list[Row]:
    """Matching accounts newest first (oldest first after `min_id`), the instance actor
    left out (a local account with no user)."""
    query = _base().where(
        *_conditions(q, tx.now), sa.or_(accounts.c.domain.is_not(None), users.c.id.is_not(None))
    )
    if page.max_id is not None:
        query = query.where(accounts.c.id < page.max_id)
    if page.since_id is not None:
        query = query.where(accounts.c.id > page.since_id)
    if page.min_id is not None:
        query = query.where(accounts.c.id > page.min_id).order_by(accounts.c.id)
        return list(reversed(tx.rows(query.limit(page.limit))))
    return tx.rows(query.order_by(accounts.c.id.desc()).limit(page.limit))


def one(tx: Tx, account_id: int) -> Row | None:
    """One account with its user (None: unknown, or the instance actor)."""
    return tx.one_or_none(
        _base().where(
            accounts.c.id == account_id,
            sa.or_(accounts.c.domain.is_not(None), users.c.id.is_not(None)),
        )
    )


def several(tx: Tx, account_ids: list[int]) -> dict[int, Row]:
    ids = list({i for i in account_ids if i is not None})
    if not ids:
        return {}
    return {row.id: row for row in tx.rows(_base().where(accounts.c.id.in_(ids)))}
