"""Mastodon's admin entities, field for field: Admin::Account, Admin::Report,
Admin::DomainBlock, and the public DomainBlock of `/api/v1/instance/domain_blocks`.

Pnyx has no `disabled` account state, so that is always false (`silenced` and `sensitized`
are `core.reach`'s states); it records no sign-in addresses (`ip` null, `ips` empty) and no invite requests beyond the
reason given at sign-up.
"""

from __future__ import annotations

from datetime import UTC, datetime

from pnyx.config import Settings
from pnyx.core import domain_blocks, reach
from pnyx.core.account_extras import EMPTY, AccountExtras
from pnyx.presenters import entities


def account(row, settings: Settings, extras: AccountExtras = EMPTY) -> dict:
    """Admin::Account from a row of `core.admin_accounts` (an account with its user's
    columns, None for an account of another server); `extras` for its Account entity."""
    local = row.domain is None
    return {
        "id": str(row.id),
        "username": row.username,
        "domain": row.domain,
        "created_at": entities.iso(row.user_created_at if local else row.created_at),
        "email": row.email if local else None,
        "ip": None,
        "ips": [],
        "locale": (row.locale or "") if local else None,
        "invite_request": row.registration_reason if local else None,
        "role": entities.role(row.role if local and row.role else "user"),
        "confirmed": bool(row.confirmed) if local else False,
        "approved": bool(row.approved) if local else True,
        "disabled": False,
        "silenced": reach.is_silenced(row, datetime.now(UTC)),
        "sensitized": reach.media_forced_sensitive(row),
        "suspended": row.suspended_at is not None,
        "account": entities.account(row, settings, extras),
        "created_by_application_id": None,
        "invited_by_account_id": None,
    }


def _rule(row) -> dict:
    return {"id": str(row.id), "text": row.text, "hint": row.hint}


def report(
    row,
    people: dict,
    statuses: list[dict],
    rules: dict,
    settings: Settings,
    extras: AccountExtras = EMPTY,
) -> dict:
    """Admin::Report: `people` maps account ids to rows of `core.admin_accounts`, `statuses`
    are the reported posts as entities, `rules` maps rule ids to rule rows, `extras` the
    people's roles and moves."""

    def person(account_id):
        found = people.get(account_id) if account_id is not None else None
        return account(found, settings, extras) if found is not None else None

    return {
        "id": str(row.id),
        "action_taken": row.resolved_at is not None,
        "action_taken_at": entities.iso(row.resolved_at) if row.resolved_at else None,
        "category": row.category,
        "comment": row.comment,
        "forwarded": bool(row.forwarded),
        "created_at": entities.iso(row.created_at),
        "updated_at": entities.iso(row.updated_at or row.created_at),
        "account": person(row.account_id),
        "target_account": person(row.target_account_id),
        "assigned_account": person(row.assigned_account_id),
        "action_taken_by_account": person(row.action_taken_by_account_id),
        "statuses": statuses,
        "rules": [_rule(rules[i]) for i in (row.rule_ids or []) if i in rules],
    }


def domain_block(row) -> dict:
    """Admin::DomainBlock."""
    return {
        "id": str(row.id),
        "domain": row.domain,
        "digest": domain_blocks.digest(row),
        "created_at": entities.iso(row.created_at),
        "severity": row.severity,
        "reject_media": row.reject_media,
        "reject_reports": row.reject_reports,
        "private_comment": row.private_comment,
        "public_comment": row.public_comment,
        "obfuscate": row.obfuscate,
    }


def public_domain_block(row) -> dict:
    """DomainBlock as anyone sees it: the domain (starred when obfuscated), its digest, the
    severity and the public comment."""
    return {
        "domain": domain_blocks.shown_domain(row),
        "digest": domain_blocks.digest(row),
        "severity": row.severity,
        "comment": row.public_comment or "",
    }
