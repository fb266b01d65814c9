"""Mastodon's Notification, NotificationGroup, Report, AccountWarning and
RelationshipSeveranceEvent entities: what a notification shows around its account and
status, which `presenters.entities` renders."""

from __future__ import annotations

from datetime import datetime

from pnyx.config import Settings
from pnyx.core import notification_groups
from pnyx.core.account_extras import EMPTY as EMPTY_EXTRAS
from pnyx.core.account_extras import AccountExtras
from pnyx.core.status_views import StatusBundle
from pnyx.presenters.entities import account, iso, status

# Notifications whose entity carries the status they are about (Mastodon omits the key for the
# others, such as follow).
STATUS_NOTIFICATION_TYPES = frozenset(
    (
        "mention",
        "status",
        "reblog",
        "favourite",
        "poll",
        "update",
        "quote",
        "quoted_update",
        "pnyx.context_added",
    )
)


def notification(
    row, from_account, bundle: StatusBundle, settings: Settings, now: datetime, page=None
):
    """A Notification entity; `bundle` holds the status rendered for the recipient, `page`
    (a NotificationPage) the report and its target account of an admin.report."""
    data = {
        "id": str(row.id),
        "type": row.type,
        "created_at": iso(row.created_at),
        "group_key": notification_groups.group_key(row),
        "account": account(from_account, settings, page.extras if page else bundle.account_extras),
    }
    if row.type in STATUS_NOTIFICATION_TYPES:
        data["status"] = (
            status(bundle, row.status_id, settings, now)
            if row.status_id in bundle.visible
            else None
        )
    if page is not None:
        data.update(_attached(row, page, settings))
    return data


def _attached(row, page, settings: Settings) -> dict:
    """What a notification of the instance's carries besides its account: an admin.report's
    Report, a moderation_warning's AccountWarning, a severed_relationships' event."""
    if row.type == "admin.report" and row.report_id in page.reports:
        reported = page.reports[row.report_id]
        target = page.accounts.get(reported.target_account_id)
        shown = account(target, settings, page.extras) if target else None
        return {"report": report(reported, shown)}
    if row.type == "moderation_warning" and row.account_warning_id in page.warnings:
        warning = page.warnings[row.account_warning_id]
        target = page.accounts.get(warning.target_account_id)
        appealed = page.appeals.get(warning.id)
        return {
            "moderation_warning": account_warning(warning, target, settings, page.extras, appealed)
        }
    if row.type == "severed_relationships" and row.severance_id in page.severances:
        return {"event": severance_event(page.severances[row.severance_id])}
    return {}


def account_warning(
    row, target, settings: Settings, extras: AccountExtras = EMPTY_EXTRAS, appealed=None
) -> dict:
    """Mastodon's AccountWarning, as its owner sees it, with its appeal (`appealed`, a row of
    `core.appeals`; None: not appealed). Pnyx's own `remove_from_trends` is one more action."""
    return {
        "id": str(row.id),
        "action": row.action,
        "text": row.text,
        "status_ids": [str(i) for i in row.status_ids] if row.status_ids else None,
        "target_account": account(target, settings, extras) if target is not None else None,
        "appeal": appeal(appealed) if appealed is not None else None,
        "created_at": iso(row.created_at),
    }


def appeal(row) -> dict:
    """Mastodon's Appeal: what its author wrote, and where the decision stands."""
    return {"text": row.text, "state": row.state}


def severance_event(row) -> dict:
    """Mastodon's RelationshipSeveranceEvent, with what one person lost by it."""
    return {
        "id": str(row.id),
        "type": row.type,
        "purged": row.purged,
        "target_name": row.target_name,
        "followers_count": row.followers_count,
        "following_count": row.following_count,
        "created_at": iso(row.created_at),
    }


def grouped_notifications(page: notification_groups.GroupPage, settings: Settings, now: datetime):
    """Mastodon's GroupedNotificationsResults: the groups, and once each the accounts they
    sample and the statuses they are about (rendered for the recipient)."""
    found = page.found
    groups, account_ids, status_ids = [], {}, {}
    for group in page.groups:
        entity = notification_group(group, found, settings)
        groups.append(entity)
        for account_id in group.sample_account_ids:
            account_ids.setdefault(account_id, None)
        if "status_id" in entity:
            status_ids.setdefault(group.newest.status_id, None)
    return {
        "accounts": [
            account(found.accounts[i], settings, found.extras)
            for i in account_ids
            if i in found.accounts
        ],
        "statuses": [status(found.bundle, i, settings, now) for i in status_ids],
        "notification_groups": groups,
    }


def notification_group(group: notification_groups.Group, found, settings: Settings) -> dict:
    """Mastodon's NotificationGroup (4.3)."""
    newest = group.newest
    ids = [r.id for r in group.rows]
    data = {
        "group_key": group.key,
        "notifications_count": len(group.rows),
        "type": newest.type,
        "most_recent_notification_id": str(newest.id),
        "page_min_id": str(min(ids)),
        "page_max_id": str(max(ids)),
        "latest_page_notification_at": iso(newest.created_at),
        "sample_account_ids": [str(i) for i in group.sample_account_ids if i in found.accounts],
    }
    if newest.type in STATUS_NOTIFICATION_TYPES and newest.status_id in found.bundle.visible:
        data["status_id"] = str(newest.status_id)
    data.update(_attached(newest, found, settings))
    return data


def report(row, target_account: dict) -> dict:
    """Mastodon's Report, as its reporter sees it."""
    return {
        "id": str(row.id),
        "action_taken": row.resolved_at is not None,
        "action_taken_at": iso(row.resolved_at) if row.resolved_at else None,
        "category": row.category,
        "comment": row.comment,
        "forwarded": bool(row.forwarded),
        "created_at": iso(row.created_at),
        "status_ids": [str(i) for i in (row.status_ids or [])] or None,
        "rule_ids": [str(i) for i in (row.rule_ids or [])] or None,
        "target_account": target_account,
    }
