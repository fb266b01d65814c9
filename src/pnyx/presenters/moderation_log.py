"""The public moderation log's entries as JSON (`GET /api/v1/pnyx/moderation_log`).

What an entry shows is decided in `core.moderation_log` (never a rejected sign-up's name, a
block's private comment, or who acted: only their role); this turns it into the API's shape.
"""

from __future__ import annotations

from pnyx.core.moderation_log import PublicEntry
from pnyx.presenters.entities import iso


def entry(item: PublicEntry) -> dict:
    target: dict | None = None
    if item.target_kind == "account":
        row = item.target_account
        target = {"type": "account", "account": None}
        if row is not None:  # None: the account is gone since
            target["account"] = {
                "id": str(row.id),
                "acct": row.username if row.domain is None else f"{row.username}@{row.domain}",
                "url": row.url or row.uri,
            }
    elif item.target_kind == "domain":
        target = {"type": "domain", "domain": item.target_domain}
    elif item.target_kind == "sign_up":
        target = {"type": "sign_up"}
    return {
        "id": str(item.id),
        "action": item.action,
        "created_at": iso(item.created_at),
        "ends_at": iso(item.ends_at),
        "actor_role": item.actor_role,
        "target": target,
        "rule": (
            {"id": str(item.rule_id) if item.rule_id is not None else None, "text": item.rule_text}
            if item.rule_text is not None
            else None
        ),
        "reason": item.reason,
        "appeal": {"state": item.appeal_state} if item.appeal_state else None,
    }
