"""What the staff do to posts: remove them, mark them sensitive, take one out of the trends.

The same rules as `core.moderation`'s actions on accounts (who may act on whose posts, a
reason, the log), and each leaves a strike on the author's account that they are told of and
can appeal. A removal cites the instance rule it is taken under, as a suspension does
(issue 12: "required for any removal or suspension"); its strike keeps what the posts said,
for their author's eyes only (the public log names the action and the rule, never the text).

All the posts of one action are one author's: a strike is about one account.
"""

from __future__ import annotations

import sqlalchemy as sa

from pnyx.core import account_warnings, moderation_log, reach, reports, status_deletion, statuses
from pnyx.core.errors import Invalid, NotFound
from pnyx.core.moderation import (
    Moderator,
    may_act_on,
    required_reason,
)
from pnyx.db.engine import Tx
from pnyx.db.tables import statuses as statuses_table

RULE_REQUIRED = "Cite the instance rule this removal is taken under (rule_id)"
ONE_AUTHOR = "The posts of one action must all be by one account"
NO_POSTS = "Name at least one post (status_ids)"
MAX_POSTS = 100


def _posts(tx: Tx, by: Moderator, status_ids: list[int]) -> tuple[int, list]:
    """(author, rows) of the posts named, once `by` may act on their author."""
    wanted = list(dict.fromkeys(status_ids))[:MAX_POSTS]
    if not wanted:
        raise Invalid(NO_POSTS)
    rows = tx.rows(
        sa.select(statuses_table)
        .where(statuses_table.c.id.in_(wanted), statuses_table.c.reblog_of_id.is_(None))
        .order_by(statuses_table.c.id)
    )
    if len(rows) != len(wanted):
        raise NotFound()
    authors = {r.account_id for r in rows}
    if len(authors) != 1:
        raise Invalid(ONE_AUTHOR)
    author = authors.pop()
    may_act_on(tx, by, author)
    return author, rows


def _resolve(tx: Tx, by: Moderator, report_id: int | None, author: int, reason: str) -> None:
    if report_id is None:
        return
    report = reports.get(tx, report_id)
    if report.target_account_id != author:
        raise NotFound()
    if report.resolved_at is None:
        reports.resolve_report(tx, report_id, by_account_id=by.account_id, reason=reason)


def remove(
    tx: Tx,
    by: Moderator,
    status_ids: list[int],
    reason: str,
    rule_id: int | None,
    *,
    report_id: int | None = None,
) -> int:
    """Remove posts (Mastodon's `delete_statuses` strike): a local post is deleted as its
    author would (other servers are told), one from elsewhere is taken off this server.
    Returns the strike's id."""
    reason = required_reason(reason)
    if rule_id is None:
        raise Invalid(RULE_REQUIRED)
    moderation_log.check_rule(tx, rule_id)
    author, rows = _posts(tx, by, status_ids)
    _resolve(tx, by, report_id, author, reason)
    kept = [
        {
            "id": str(r.id),
            "created_at": r.created_at.isoformat(),
            "spoiler_text": r.spoiler_text,
            "content": r.content,
            "visibility": r.visibility,
        }
        for r in rows
    ]
    for row in rows:
        if row.local:
            status_deletion.delete(tx, author, row.id)
        else:
            stored = statuses.get_row(tx, row.id)
            if stored is not None:  # gone already (a boost of it deleted before)
                status_deletion.delete_with_boosts(tx, stored)
    entry = moderation_log.record(
        tx, "delete_statuses", author, by.account_id, reason, rule_id=rule_id
    )
    return account_warnings.record(
        tx,
        author,
        by.account_id,
        "delete_statuses",
        reason,
        report_id=report_id,
        rule_id=rule_id,
        status_ids=[r.id for r in rows],
        removed_posts=kept,
        log_entry_id=entry,
    )


def mark_sensitive(
    tx: Tx,
    by: Moderator,
    status_ids: list[int],
    reason: str,
    rule_id: int | None = None,
    *,
    report_id: int | None = None,
) -> int:
    """Mark posts sensitive (their media hidden behind a warning); the strike keeps the
    posts this changed, which an approved appeal unmarks. Returns the strike's id."""
    reason = required_reason(reason)
    author, rows = _posts(tx, by, status_ids)
    _resolve(tx, by, report_id, author, reason)
    changed = reach.mark_sensitive(tx, [r.id for r in rows])
    entry = moderation_log.record(
        tx, "mark_statuses_as_sensitive", author, by.account_id, reason, rule_id=rule_id
    )
    return account_warnings.record(
        tx,
        author,
        by.account_id,
        "mark_statuses_as_sensitive",
        reason,
        report_id=report_id,
        rule_id=rule_id,
        status_ids=changed,
        log_entry_id=entry,
    )


def remove_from_trends(
    tx: Tx, by: Moderator, status_id: int, reason: str = "", rule_id: int | None = None
) -> int | None:
    """Take a post out of the trends (the admin API's "reject" of a trending post, which
    takes no reason: the log then says none was given). Its author is told. Returns the
    strike's id, None when the post already was out."""
    author, _rows = _posts(tx, by, [status_id])
    if not reach.remove_from_trends(tx, status_id, by.account_id):
        return None
    reason = (reason or "").strip()
    entry = moderation_log.record(
        tx, "remove_from_trends", author, by.account_id, reason, rule_id=rule_id
    )
    return account_warnings.record(
        tx,
        author,
        by.account_id,
        "remove_from_trends",
        reason,
        rule_id=rule_id,
        status_ids=[status_id],
        log_entry_id=entry,
    )


def restore_to_trends(tx: Tx, by: Moderator, status_id: int, reason: str = "") -> None:
    """Let a post trend again (the admin API's "approve"); logged when it was out."""
    author, _rows = _posts(tx, by, [status_id])
    if reach.restore_to_trends(tx, status_id):
        moderation_log.record(tx, "restore_to_trends", author, by.account_id, reason.strip())
