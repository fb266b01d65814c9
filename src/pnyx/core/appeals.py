"""Appeals: the owner of a strike asks the staff to reverse it, and another staff member decides.

- Anyone the staff acted on here can appeal each strike once, with a text (Mastodon's
  appeal), even while suspended: a suspended person can sign in to the pages of their
  strikes and nothing else (`web.strike_pages`).
- The staff member who took the action may not decide its appeal, nor may anyone decide an
  appeal of their own strike; a moderator decides only appeals of ordinary users (the rules
  of `core.moderation.may_act_on`).
- Approving reverses what the strike did where that can be undone (a suspension, a limit,
  sensitive media, posts marked sensitive, a post out of the trends, a label; removed posts are gone
  and stay so, which the decision's page says); rejecting keeps it.
- Each step is in the public log (the appeal, its outcome, the reversal), naming the action
  and the rule, never the appeal's text; the person is told of the outcome by a
  `moderation_warning` notification of the same strike, whose `appeal.state` now says it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from pnyx.core import (
    account_warnings,
    accounts,
    events,
    instance_labels,
    moderation,
    moderation_log,
    reach,
)
from pnyx.core.errors import Forbidden, Invalid, NotFound
from pnyx.db.engine import Tx
from pnyx.db.ids import new_id
from pnyx.db.tables import account_warnings as strikes_table
from pnyx.db.tables import accounts as accounts_table
from pnyx.db.tables import appeals

MAX_TEXT = 2000
TEXT_REQUIRED = "Text can't be blank (say why the decision should be reversed)"
TEXT_TOO_LONG = f"Text is too long (maximum is {MAX_TEXT} characters)"
ALREADY = "This decision has already been appealed"
NOT_PENDING = "This appeal has already been decided"
SAME_STAFF = "A different staff member than the one who acted must decide this appeal"
STATES = ("pending", "approved", "rejected")


def submit(tx: Tx, account_id: int, strike_id: int, text: str) -> int:
    """Appeal one's own strike; returns the appeal's id. Anyone else's strike is not found."""
    strike = account_warnings.get(tx, strike_id)
    if strike is None or strike.target_account_id != account_id:
        raise NotFound()
    text = (text or "").strip()
    if not text:
        raise Invalid(TEXT_REQUIRED)
    if len(text) > MAX_TEXT:
        raise Invalid(TEXT_TOO_LONG)
    if of_strike(tx, strike_id) is not None:
        raise Invalid(ALREADY)
    appeal_id = new_id()
    tx.execute(
        appeals.insert().values(
            id=appeal_id,
            account_warning_id=strike_id,
            account_id=account_id,
            text=text,
            state="pending",
            created_at=tx.now,
        )
    )
    # Logged as the person's own step, without their words.
    moderation_log.record(
        tx,
        f"appeal:{strike.action}",
        account_id,
        None,
        "",
        rule_id=_still_a_rule(tx, strike),
        by_owner=True,
    )
    return appeal_id


def _still_a_rule(tx: Tx, strike: Any) -> int | None:
    """The strike's rule, when it is still one of the instance's (a log entry cites live rules)."""
    if strike.rule_id is None:
        return None
    return moderation_log.first_rule(tx, [strike.rule_id])


def of_strike(tx: Tx, strike_id: int) -> Any | None:
    return tx.one_or_none(sa.select(appeals).where(appeals.c.account_warning_id == strike_id))


def of_strikes(tx: Tx, strike_ids: list[int]) -> dict[int, Any]:
    """Appeals by strike id (a page of notifications shows each strike's)."""
    if not strike_ids:
        return {}
    rows = tx.rows(sa.select(appeals).where(appeals.c.account_warning_id.in_(set(strike_ids))))
    return {r.account_warning_id: r for r in rows}


@dataclass(frozen=True)
class PendingAppeal:
    """An appeal waiting for a decision, with its strike and who appeals, for the staff."""

    appeal: Any
    strike: Any
    account: Any


def pending(tx: Tx, limit: int = 100) -> list[PendingAppeal]:
    """Appeals waiting for a decision, oldest first."""
    rows = tx.rows(
        sa.select(appeals).where(appeals.c.state == "pending").order_by(appeals.c.id).limit(limit)
    )
    strikes = {
        s.id: s
        for s in tx.rows(
            sa.select(strikes_table).where(
                strikes_table.c.id.in_({r.account_warning_id for r in rows})
            )
        )
    }
    people = {
        a.id: a
        for a in tx.rows(
            sa.select(accounts_table).where(accounts_table.c.id.in_({r.account_id for r in rows}))
        )
    }
    return [PendingAppeal(r, strikes[r.account_warning_id], people[r.account_id]) for r in rows]


def decide(
    tx: Tx, by: moderation.Moderator, appeal_id: int, *, approve: bool, reason: str = ""
) -> None:
    """Approve (reverse the strike's action where it can be) or reject an appeal."""
    appeal = tx.one_or_none(sa.select(appeals).where(appeals.c.id == appeal_id))
    if appeal is None:
        raise NotFound()
    if appeal.state != "pending":
        raise Invalid(NOT_PENDING)
    strike = account_warnings.get(tx, appeal.account_warning_id)
    assert strike is not None  # the appeal goes with its strike (cascade)
    if by.account_id == strike.account_id:
        raise Forbidden(SAME_STAFF)  # the operator, too, may not decide on their own action
    moderation.may_act_on(tx, by, strike.target_account_id)
    state = "approved" if approve else "rejected"
    tx.execute(
        appeals.update()
        .where(appeals.c.id == appeal_id)
        .values(state=state, decided_by_account_id=by.account_id, decided_at=tx.now)
    )
    reason = reason.strip()
    moderation_log.record(
        tx,
        f"appeal_{state}:{strike.action}",
        strike.target_account_id,
        by.account_id,
        reason,
        rule_id=_still_a_rule(tx, strike),
    )
    if approve:
        _reverse(tx, by, strike, reason or "Appeal approved")
    if accounts.is_local(tx, strike.target_account_id):
        events.record(tx, events.AccountWarned(strike.id))


def _reverse(tx: Tx, by: moderation.Moderator, strike: Any, reason: str) -> None:
    """Undo what the strike did, each undo logged as staff would log it by hand."""
    target = strike.target_account_id
    posts = [int(i) for i in strike.status_ids or []]
    if strike.action == "suspend":
        moderation.unsuspend(tx, by, target, reason)
    elif strike.action == "silence":
        moderation.unsilence(tx, by, target, reason)
    elif strike.action == "sensitive":
        reach.unsensitize(tx, target, posts)
        moderation_log.record(tx, "unsensitive", target, by.account_id, reason)
    elif strike.action == "mark_statuses_as_sensitive":
        reach.unmark_sensitive(tx, posts)
        moderation_log.record(tx, "unmark_statuses_as_sensitive", target, by.account_id, reason)
    elif strike.action == "label":
        instance_labels.reverse(tx, by, strike, reason)
    elif strike.action == "remove_from_trends":
        for status_id in posts:
            if reach.restore_to_trends(tx, status_id):
                moderation_log.record(tx, "restore_to_trends", target, by.account_id, reason)
    # `none` changed nothing; `delete_statuses` cannot be undone (the posts are gone).
