"""Who may moderate what, and the moderation actions themselves.

One place for the rules the admin pages, the `pnyx user` commands and (later) the admin API
share, so that no edge can forget one:

- Staff are admins and moderators. The operator at the command line acts with an admin's
  powers and without an account (the log shows no actor).
- Moderators act on ordinary users only: roles, and anything done to a staff account, are
  for admins, as are the instance's settings, rules and invites.
- Nobody acts on their own account, so an admin cannot lock themselves out by mistake.
- A suspension needs a reason: it is kept with the account and shown in the moderation log
  (pillar 3: moderation is public). Other actions take an optional one.
- Every action is written to the moderation log with who did it and why.

`core.accounts` holds the state changes themselves (`suspend`, `approve` ...), which tests and
other core code use without these checks; people's actions come through here.
"""

from __future__ import annotations

from dataclasses import dataclass

from pnyx.core import accounts, instance_settings, registrations, reports
from pnyx.core.errors import Forbidden, Invalid, NotFound
from pnyx.core.rows import UserRow
from pnyx.db.engine import Tx

STAFF_ROLES = ("admin", "moderator")
NOT_STAFF = "This action is only for the staff of this instance"
NOT_YOURSELF = "You cannot do this to your own account"
ADMINS_ONLY = "Only an admin can do this"
REASON_REQUIRED = "Reason for a suspension can't be blank"


@dataclass(frozen=True)
class Moderator:
    """Who acts: a staff member (their account and user ids), or the operator (both None)."""

    account_id: int | None
    user_id: int | None
    role: str

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


OPERATOR = Moderator(account_id=None, user_id=None, role="admin")


def staff_member(user: UserRow | None, *, admin: bool = False) -> Moderator:
    """The Moderator a signed-in user (a `users` row) acts as; Forbidden when they are not
    staff, or, with `admin`, not an admin."""
    if user is None or user.role not in STAFF_ROLES:
        raise Forbidden(NOT_STAFF)
    if admin and user.role != "admin":
        raise Forbidden(ADMINS_ONLY)
    return Moderator(account_id=user.account_id, user_id=user.id, role=user.role)


def _target(tx: Tx, by: Moderator, account_id: int, *, admins_only: bool = False) -> UserRow:
    """The local user `by` acts on, once the rules allow it."""
    target = accounts.user_for_account(tx, account_id)
    if target is None:
        raise NotFound()
    if by.account_id is not None and target.account_id == by.account_id:
        raise Forbidden(NOT_YOURSELF)
    if not by.is_admin and (admins_only or target.role != "user"):
        raise Forbidden(ADMINS_ONLY)
    return target


def approve(tx: Tx, by: Moderator, account_id: int, reason: str = "") -> None:
    """Let a sign-up that waits for approval in."""
    _target(tx, by, account_id)
    accounts.approve(tx, account_id)
    accounts.log_action(tx, "approve", account_id, by.account_id, reason.strip())


def suspend(tx: Tx, by: Moderator, account_id: int, reason: str) -> None:
    """Hide the account everywhere and sign it out (reversible); the reason is required."""
    _target(tx, by, account_id)
    reason = (reason or "").strip()
    if not reason:
        raise Invalid(REASON_REQUIRED)
    accounts.suspend(tx, account_id, reason)
    accounts.log_action(tx, "suspend", account_id, by.account_id, reason)


def unsuspend(tx: Tx, by: Moderator, account_id: int, reason: str = "") -> None:
    _target(tx, by, account_id)
    accounts.unsuspend(tx, account_id)
    accounts.log_action(tx, "unsuspend", account_id, by.account_id, reason.strip())


def set_role(tx: Tx, by: Moderator, account_id: int, role: str, reason: str = "") -> None:
    """Make someone a user, moderator or admin: for admins only."""
    _target(tx, by, account_id, admins_only=True)
    accounts.set_role(tx, account_id, role)
    accounts.log_action(tx, f"set_role:{role}", account_id, by.account_id, reason.strip())


def resolve_report(tx: Tx, by: Moderator, report_id: int, reason: str = "") -> None:
    """Any staff member may mark a report as dealt with; logged with their note."""
    reports.resolve_report(tx, report_id, by_account_id=by.account_id, reason=reason.strip())


def _admin(by: Moderator) -> None:
    if not by.is_admin:
        raise Forbidden(ADMINS_ONLY)


def change_settings(tx: Tx, by: Moderator, values: dict[str, str], reason: str = "") -> None:
    """Store the instance settings that differ from the effective ones (each one logged)."""
    _admin(by)
    current = instance_settings.effective_settings(tx)
    for key in instance_settings.KEYS:
        if key in values and values[key].strip() != str(getattr(current, key)).strip():
            instance_settings.set_override(
                tx, key, values[key], by_account_id=by.account_id, reason=reason.strip()
            )


def add_rule(tx: Tx, by: Moderator, text: str, hint: str = "") -> int:
    _admin(by)
    return instance_settings.add_rule(tx, text, hint, by_account_id=by.account_id)


def remove_rule(tx: Tx, by: Moderator, rule_id: int) -> None:
    _admin(by)
    instance_settings.remove_rule(tx, rule_id, by_account_id=by.account_id)


def create_invite(tx: Tx, by: Moderator, max_uses: int | None = None) -> str:
    """A new invite code (optionally limited in uses), logged."""
    _admin(by)
    code = registrations.create_invite(tx, by.user_id, max_uses=max_uses)
    accounts.log_action(tx, "invite:create", None, by.account_id, "")
    return code
