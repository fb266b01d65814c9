"""What an Account entity shows beyond its own row: the staff role of a local account
(Mastodon's highlighted roles, `Account.roles`) and the account a moved one moved to
(`Account.moved`), loaded for a whole page of accounts at once.

Every surface that shows accounts (statuses, notifications, lists, search, streams) loads
these once per page with `load`: a query for the roles when the page has local accounts, and
one for the move targets when some moved, never one per account.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.sql.base import Executable

from pnyx.core import row_cache
from pnyx.core.accounts import public_rows
from pnyx.core.roles import STAFF_ROLES
from pnyx.core.rows import AccountRow
from pnyx.db.engine import Tx
from pnyx.db.id_lists import in_ids
from pnyx.db.tables import users


@dataclass(frozen=True)
class AccountExtras:
    """Roles and move targets for the accounts whose ids are in `ids`."""

    # The accounts these were loaded for (not their move targets, whose own moves are not).
    ids: frozenset[int] = frozenset()
    roles: dict[int, str] = field(default_factory=dict)  # account id -> staff role (only staff)
    # account id -> the account it moved to (if others may still see it); its own move is
    # not followed further, as Mastodon shows `moved` one level deep.
    moved: dict[int, AccountRow] = field(default_factory=dict)


EMPTY = AccountExtras()


@functools.cache
def _roles_statement() -> Executable:
    """Built once: on every page of statuses, building it would cost more than running it
    (see `core.status_views`)."""
    # The roles as plain comparisons, not `IN (...)`: SQLAlchemy renders an IN list again at
    # every run, and the statement could not be run lean (`pnyx.db.plain_rows`).
    return sa.select(users.c.account_id, users.c.role).where(
        in_ids(users.c.account_id, "ids"), sa.or_(*(users.c.role == r for r in STAFF_ROLES))
    )


def load(tx: Tx, rows: Iterable[AccountRow], already: AccountExtras = EMPTY) -> AccountExtras:
    """The extras of `rows`, plus those `already` loaded (which are not asked again).
    Suspended accounts show neither role nor move, so nothing is loaded for them."""
    wanted = [r for r in rows if r.id not in already.ids]
    if not wanted:
        return already
    shown = [r for r in wanted if r.suspended_at is None]
    targets = {r.id: r.moved_to_account_id for r in shown if r.moved_to_account_id is not None}
    found = {t.id: t for t in public_rows(tx, list(dict.fromkeys(targets.values())))}
    moved = {i: found[t] for i, t in targets.items() if t in found}
    # The targets are shown as Account entities too: their roles are wanted with the rest.
    local = {r.id for r in shown if r.domain is None}
    local |= {t.id for t in found.values() if t.domain is None and t.id not in already.ids}
    roles: dict[int, str] = {}
    if local:
        roles = _roles(tx, local, {r.id: r for r in [*shown, *found.values()]})
    return AccountExtras(
        ids=already.ids | {r.id for r in wanted},
        roles={**already.roles, **roles},
        moved={**already.moved, **moved},
    )


def _roles(tx: Tx, local: set[int], rows: dict[int, AccountRow]) -> dict[int, str]:
    """The staff roles among these local accounts: kept ones at their account's render
    version (`core.row_cache`; a change of role moves it), the others read."""
    versions = {
        i: rows[i].render_version
        for i in local
        if i in rows and getattr(rows[i], "render_version", None) is not None
    }
    kept, missing = row_cache.roles.take(versions)
    roles = {i: role for i, role in kept.items() if role is not None}
    asked = set(missing) | (local - versions.keys())
    if asked:
        found = dict(tx.plain(_roles_statement(), {"ids": list(asked)}))
        roles.update(found)
        if row_cache.may_keep(tx):
            row_cache.roles.keep((i, versions[i], found.get(i)) for i in missing)
    return roles
