"""Who may moderate what, and the moderation actions themselves.

One place for the rules the admin pages, the `pnyx user` commands and the admin API
share, so that no edge can forget one:

- Staff are admins and moderators. The operator at the command line acts with an admin's
  powers and without an account (the log shows no actor).
- Moderators act on ordinary users (and accounts of other servers) only: roles, and anything
  done to a staff account, are for admins, as are the instance's settings, rules, invites,
  domain blocks and erasing an account's data (Mastodon's moderator role has neither
  `manage_federation` nor `delete_user_data`).
- Nobody acts on their own account, so an admin cannot lock themselves out by mistake.
- A suspension needs a reason: it is kept with the account and shown in the moderation log
  (pillar 3: moderation is public), as does any action the admin API takes (`take_action`).
  Other actions take an optional one.
- Mastodon's `silence` (a limit, which may end at a given time) and `sensitive` states are
  `core.reach`'s; `disable` does not exist here: asking for it is refused (Invalid), never
  accepted and ignored.
- Every action is written to the moderation log with who did it and why.
- A warning, a suspension and every reach limit leave a strike (`core.account_warnings`)
  that the owner of a local account is told of (a `moderation_warning` notification) and can
  appeal (`core.appeals`): always from the admin pages and the command line, through the admin
  API when it asks (`send_email_notification`). Actions on posts are `core.post_moderation`'s.
- Suspending an account of another server ends its follows of people here, who are told
  (`core.severances`).

`core.accounts` holds the state changes themselves (`suspend`, `approve` ...), which tests and
other core code use without these checks; people's actions come through here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from pnyx.core import (
    account_warnings,
    accounts,
    domain_blocks,
    erasure,
    instance_settings,
    moderation_log,
    reach,
    registrations,
    reports,
    severances,
)
from pnyx.core.errors import Forbidden, Invalid, NotFound
from pnyx.core.roles import STAFF_ROLES
from pnyx.core.rows import UserRow
from pnyx.db.engine import Tx
from pnyx.db.tables import accounts as accounts_table

NOT_STAFF = "This action is only for the staff of this instance"
NOT_YOURSELF = "You cannot do this to your own account"
ADMINS_ONLY = "Only an admin can do this"
REASON_REQUIRED = "Reason for a suspension can't be blank"
RULE_REQUIRED = (
    "Cite the instance rule this suspension is taken under (rule_id, or a report naming the"
    " rules broken)"
)
ACTION_REASON_REQUIRED = "Text can't be blank (the moderation log needs a reason)"
NOT_PENDING = "This account is not waiting for approval"
LIMIT_IN_THE_PAST = "A limit's end must be in the future"
ACTIONS = ("none", "sensitive", "disable", "silence", "suspend")
UNSUPPORTED_STATES = ("disable",)


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


def may_act_on(
    tx: Tx, by: Moderator, account_id: int, *, admins_only: bool = False
) -> UserRow | None:
    """The local user `by` acts on (None for an account of another server), once the rules
    allow it."""
    account = accounts.get(tx, account_id)
    target = accounts.user_for_account(tx, account_id)
    if target is None and account.domain is None:
        raise NotFound()  # the instance actor: nobody's to act on
    if by.account_id is not None and account_id == by.account_id:
        raise Forbidden(NOT_YOURSELF)
    role = target.role if target is not None else "user"
    if not by.is_admin and (admins_only or role != "user"):
        raise Forbidden(ADMINS_ONLY)
    return target


def _pending(tx: Tx, by: Moderator, account_id: int) -> UserRow:
    target = may_act_on(tx, by, account_id)
    if target is None:
        raise NotFound("No local user for that account")
    if target.approved:
        raise Forbidden(NOT_PENDING)
    return target


def approve(tx: Tx, by: Moderator, account_id: int, reason: str = "") -> None:
    """Let a sign-up that waits for approval in."""
    _pending(tx, by, account_id)
    accounts.approve(tx, account_id)
    moderation_log.record(tx, "approve", account_id, by.account_id, reason.strip())


def reject(tx: Tx, by: Moderator, account_id: int, reason: str = "") -> None:
    """Turn a sign-up that waits for approval away: the account and its user are deleted (it
    was never shown to anyone, so there is nothing to tell other servers). The log keeps the
    name it asked for, for the staff only (the public log shows a sign-up turned away)."""
    _pending(tx, by, account_id)
    username = accounts.get(tx, account_id).username
    moderation_log.record(tx, "reject", None, by.account_id, reason.strip(), target_name=username)
    tx.execute(accounts_table.delete().where(accounts_table.c.id == account_id))


def suspend(
    tx: Tx,
    by: Moderator,
    account_id: int,
    reason: str,
    rule_id: int | None = None,
    *,
    tell: bool = True,
) -> None:
    """Hide the account everywhere and sign it out (reversible); a reason and the instance
    rule it is taken under are required (the public log shows both). Its owner is told by a
    strike, as Mastodon's suspension form does by default."""
    entry = _suspend(tx, by, account_id, reason, rule_id)
    account_warnings.record(
        tx,
        account_id,
        by.account_id,
        "suspend",
        reason.strip(),
        rule_id=rule_id,
        tell=tell,
        log_entry_id=entry,
    )


def _suspend(tx: Tx, by: Moderator, account_id: int, reason: str, rule_id: int | None) -> int:
    may_act_on(tx, by, account_id)
    reason = (reason or "").strip()
    if not reason:
        raise Invalid(REASON_REQUIRED)
    if rule_id is None:
        raise Invalid(RULE_REQUIRED)
    moderation_log.check_rule(tx, rule_id)
    accounts.suspend(tx, account_id, reason)
    entry = moderation_log.record(tx, "suspend", account_id, by.account_id, reason, rule_id=rule_id)
    severances.suspend_remote_account(tx, account_id)  # an account elsewhere: its follows end
    return entry


def unsuspend(tx: Tx, by: Moderator, account_id: int, reason: str = "") -> None:
    may_act_on(tx, by, account_id)
    accounts.unsuspend(tx, account_id)
    moderation_log.record(tx, "unsuspend", account_id, by.account_id, reason.strip())


def silence(
    tx: Tx,
    by: Moderator,
    account_id: int,
    reason: str,
    rule_id: int | None = None,
    *,
    until: datetime | None = None,
    report_id: int | None = None,
    tell: bool = True,
) -> None:
    """Limit an account (Mastodon's "silence"): its posts stay off the public timelines and
    the trends, until `until` when given. A reason is required; its owner is told."""
    reason = required_reason(reason)
    may_act_on(tx, by, account_id)
    if until is not None and until <= tx.now:
        raise Invalid(LIMIT_IN_THE_PAST)
    reach.silence(tx, account_id, until)
    entry = moderation_log.record(
        tx, "silence", account_id, by.account_id, reason, rule_id=rule_id, ends_at=until
    )
    account_warnings.record(
        tx,
        account_id,
        by.account_id,
        "silence",
        reason,
        report_id=report_id,
        rule_id=rule_id,
        ends_at=until,
        tell=tell,
        log_entry_id=entry,
    )


def unsilence(tx: Tx, by: Moderator, account_id: int, reason: str = "") -> None:
    may_act_on(tx, by, account_id)
    reach.unsilence(tx, account_id)
    moderation_log.record(tx, "unsilence", account_id, by.account_id, reason.strip())


def sensitize(
    tx: Tx,
    by: Moderator,
    account_id: int,
    reason: str,
    rule_id: int | None = None,
    *,
    report_id: int | None = None,
    tell: bool = True,
) -> None:
    """Make an account's media sensitive: the posts with media it has are marked (the strike
    keeps which), and so is each new one. A reason is required; its owner is told."""
    reason = required_reason(reason)
    may_act_on(tx, by, account_id)
    marked = reach.sensitize(tx, account_id)
    entry = moderation_log.record(
        tx, "sensitive", account_id, by.account_id, reason, rule_id=rule_id
    )
    account_warnings.record(
        tx,
        account_id,
        by.account_id,
        "sensitive",
        reason,
        report_id=report_id,
        rule_id=rule_id,
        status_ids=marked,
        tell=tell,
        log_entry_id=entry,
    )


def unsensitize(tx: Tx, by: Moderator, account_id: int, reason: str = "") -> None:
    """Lift the state; the posts it marked are unmarked (those the last such strike kept)."""
    may_act_on(tx, by, account_id)
    strikes = [s for s in account_warnings.of_account(tx, account_id) if s.action == "sensitive"]
    marked = [int(i) for i in (strikes[0].status_ids or [])] if strikes else []
    reach.unsensitize(tx, account_id, marked)
    moderation_log.record(tx, "unsensitive", account_id, by.account_id, reason.strip())


def required_reason(reason: str | None) -> str:
    """The reason an action gives, stripped; Invalid when there is none (the log needs one)."""
    reason = (reason or "").strip()
    if not reason:
        raise Invalid(ACTION_REASON_REQUIRED)
    return reason


def take_action(
    tx: Tx,
    by: Moderator,
    account_id: int,
    kind: str,
    text: str,
    report_id: int | None = None,
    *,
    rule_id: int | None = None,
    tell: bool = True,
) -> None:
    """The admin API's `action`: `none` (a logged warning) or `suspend`, always with a reason;
    with `report_id`, that report (about this account) is resolved too. A suspension cites a
    rule: `rule_id`, or else the first of the rules the report says were broken. The states
    Pnyx does not have are refused before anything changes. Either leaves a strike, told to
    the owner of a local account unless `tell` is False (Mastodon's
    `send_email_notification`)."""
    if kind not in ACTIONS:
        raise Invalid("Validation failed: Type is not included in the list")
    if kind in UNSUPPORTED_STATES:
        raise Invalid(f"Validation failed: Pnyx has no {kind} state for accounts (see docs/api.md)")
    text = required_reason(text)
    may_act_on(tx, by, account_id)
    if report_id is not None:
        report = reports.get(tx, report_id)
        if report.target_account_id != account_id:
            raise NotFound()
        if rule_id is None and report.rule_ids:
            rule_id = moderation_log.first_rule(tx, [int(r) for r in report.rule_ids])
    if kind == "silence":
        silence(tx, by, account_id, text, rule_id, report_id=report_id, tell=tell)
    elif kind == "sensitive":
        sensitize(tx, by, account_id, text, rule_id, report_id=report_id, tell=tell)
    else:
        if kind == "suspend":
            entry = _suspend(tx, by, account_id, text, rule_id)
        else:
            entry = moderation_log.record(
                tx, "warn", account_id, by.account_id, text, rule_id=rule_id
            )
        account_warnings.record(
            tx,
            account_id,
            by.account_id,
            kind,
            text,
            report_id=report_id,
            rule_id=rule_id,
            tell=tell,
            log_entry_id=entry,
        )
    if report_id is not None and reports.get(tx, report_id).resolved_at is None:
        reports.resolve_report(tx, report_id, by_account_id=by.account_id, reason=text)


def refuse_missing_state(kind: str) -> None:
    """`enable` undoes a state Pnyx has not got (`disable`): refused."""
    raise Invalid(f"Validation failed: Pnyx has no {kind} state for accounts (see docs/api.md)")


def erase(tx: Tx, by: Moderator, account_id: int, reason: str = "") -> None:
    """Delete a suspended account's data, as Mastodon's admin API does: admins only, and only
    once it is suspended. Accounts of other servers are erased by the erasure job; erasing a
    local account (which must tell other servers) is not built yet and is refused."""
    _admin(by)
    may_act_on(tx, by, account_id)
    account = accounts.get(tx, account_id)
    if account.suspended_at is None:
        raise Forbidden("Only a suspended account's data can be deleted")
    if account.domain is None:
        raise Invalid("Validation failed: deleting a local account's data is not served yet")
    moderation_log.record(tx, "erase", account_id, by.account_id, reason.strip())
    erasure.erase_suspended_remote_account(tx, account_id)


def set_role(tx: Tx, by: Moderator, account_id: int, role: str, reason: str = "") -> None:
    """Make someone a user, moderator or admin: for admins only."""
    may_act_on(tx, by, account_id, admins_only=True)
    accounts.set_role(tx, account_id, role)
    moderation_log.record(tx, f"set_role:{role}", account_id, by.account_id, reason.strip())


def resolve_report(tx: Tx, by: Moderator, report_id: int, reason: str = "") -> None:
    """Any staff member may mark a report as dealt with; logged with their note."""
    reports.resolve_report(tx, report_id, by_account_id=by.account_id, reason=reason.strip())


def reopen_report(tx: Tx, by: Moderator, report_id: int) -> None:
    reports.reopen_report(tx, report_id, by_account_id=by.account_id)


def assign_report(tx: Tx, by: Moderator, report_id: int, *, to_self: bool) -> None:
    """Take a report on (`to_self`) or leave it to anyone; the operator has no account to
    take it with."""
    if to_self and by.account_id is None:
        raise Invalid("The operator has no account to assign a report to")
    assignee = by.account_id if to_self else None
    reports.assign_report(tx, report_id, assignee, by_account_id=by.account_id)


def recategorize_report(
    tx: Tx, by: Moderator, report_id: int, category: str | None, rule_ids: list[int] | None
) -> None:
    reports.recategorize(tx, report_id, category, rule_ids, by_account_id=by.account_id)


def block_domain(tx: Tx, by: Moderator, domain: str, data: domain_blocks.BlockInput) -> int:
    """Block (or limit) a server: admins only, logged with the private comment."""
    _admin(by)
    row = domain_blocks.create(tx, domain, data)
    _log_block(tx, by, f"domain_block:{row.severity}", row)
    return int(row.id)


def change_domain_block(
    tx: Tx, by: Moderator, block_id: int, data: domain_blocks.BlockInput
) -> None:
    _admin(by)
    row = domain_blocks.update(tx, block_id, data)
    _log_block(tx, by, f"domain_block_update:{row.severity}", row)


def unblock_domain(tx: Tx, by: Moderator, block_id: int) -> None:
    _admin(by)
    row = domain_blocks.remove(tx, block_id)
    _log_block(tx, by, "domain_unblock", row)


def _log_block(tx: Tx, by: Moderator, action: str, row: sa.Row) -> None:
    """The public log shows the block's public comment; its private one stays with staff."""
    moderation_log.record(
        tx,
        action,
        None,
        by.account_id,
        row.public_comment or "",
        target_domain=row.domain,
        private_note=row.private_comment,
    )


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


def add_rule(
    tx: Tx, by: Moderator, text: str, hint: str = "", consequence: str | None = None
) -> int:
    _admin(by)
    return instance_settings.add_rule(
        tx, text, hint, by_account_id=by.account_id, consequence=consequence
    )


def remove_rule(tx: Tx, by: Moderator, rule_id: int) -> None:
    _admin(by)
    instance_settings.remove_rule(tx, rule_id, by_account_id=by.account_id)


def create_invite(tx: Tx, by: Moderator, max_uses: int | None = None) -> str:
    """A new invite code (optionally limited in uses), logged."""
    _admin(by)
    code = registrations.create_invite(tx, by.user_id, max_uses=max_uses)
    moderation_log.record(tx, "invite:create", None, by.account_id, "")
    return code
