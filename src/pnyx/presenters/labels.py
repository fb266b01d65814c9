"""Labels and labelers as the Pnyx API shows them (`api.labels`)."""

from __future__ import annotations

from typing import Any

from pnyx.config import Settings
from pnyx.core.labels import ShownLabel
from pnyx.presenters.entities import iso


def _acct(account: Any) -> str:
    return account.username if account.domain is None else f"{account.username}@{account.domain}"


def labeler_head(account: Any) -> dict:
    return {
        "id": str(account.id),
        "acct": _acct(account),
        "url": account.url or account.uri,
        "uri": account.uri,
    }


def definition(row: Any) -> dict:
    return {
        "value": row.value,
        "severity": row.severity,
        "default_setting": row.default_setting,
        "locales": list(row.locales or []),
    }


def labeler(account: Any, definitions: list[Any]) -> dict:
    """A labeler: who, and the labels it defines."""
    return {**labeler_head(account), "definitions": [definition(d) for d in definitions]}


def _label(row: Any, who: Any) -> dict:
    return {
        "id": str(row.id),
        "uri": row.uri,
        "labeler": labeler_head(who),
        "subject": row.subject_uri,
        "value": row.value,
        "neg": bool(row.neg),
        "created_at": iso(row.labeled_at),
        "expires_at": iso(row.expires_at),
        "reason": row.reason,
    }


def label(shown: ShownLabel, settings: Settings) -> dict:
    """A label in force, with what its labeler says it means."""
    return {**_label(shown.label, shown.labeler), "definition": definition(shown.definition)}


def own_label(row: Any, who: Any, settings: Settings) -> dict:
    """A label just issued (or taken back)."""
    return _label(row, who)
