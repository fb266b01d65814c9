"""Labels and labelers: what any account can say about posts and accounts, and what each person
chooses to apply to their own view (issue 12).

- Any account can be a labeler: it publishes label definitions (a value, its names and
  descriptions by language, a severity — inform, warn or hide — and the setting people get by
  default: show, warn or hide) and issues labels `{subject, value, neg, published, expires}`.
  A label of another server arrives signed (`federation.data_integrity`); one that fails its
  proof, names a value its labeler never defined, or has expired is ignored before it gets here.
- The latest word of a labeler on a (subject, value) stands: a negation (`neg`) takes the
  label back, a label may expire. A late copy of an older label changes nothing.
- The instance's staff label through the instance labeler (`instance_labeler`, the local
  account "moderation"), which every person here applies by default and can set like any
  other: a label is instead of a removal, never a removal in disguise (`core.instance_labels`).
- A person subscribes to labelers (here or elsewhere) and sets each label to show, warn or
  hide. Subscriptions and settings are theirs alone; they are part of the rules their pages are
  decided with (`core.viewer_rules`), and a label they set to warn or hide reaches every app as
  a `filtered` result on the post (`core.label_rules`), as a filter of theirs would.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from pnyx.core import events, server_follows, uris
from pnyx.core.errors import Invalid, NotFound
from pnyx.db.engine import Tx
from pnyx.db.ids import new_id
from pnyx.db.insert_ignore import insert_ignore
from pnyx.db.tables import (
    accounts,
    label_definitions,
    label_settings,
    labeler_subscriptions,
    labels,
    statuses,
)

SEVERITIES = ("inform", "warn", "hide")
SETTINGS = ("show", "warn", "hide")
VALUE_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789-")
MAX_VALUE = 64
MAX_DEFINITIONS = 100
MAX_TEXT = 500
INSTANCE_LABELER = "moderation"  # the username of the instance's labeler (reserved)
# Mastodon's filter contexts: a label applies wherever the person reads.
CONTEXTS = ("home", "notifications", "public", "thread", "account")

UNKNOWN_VALUE = "This labeler has no such label: define it first"
BAD_SETTING = "Setting must be one of show, warn, hide"


@dataclass(frozen=True)
class Definition:
    value: str
    severity: str = "warn"
    default_setting: str = "warn"
    # [{"lang": "en", "name": "Disputed", "description": "..."}]
    locales: Sequence[Mapping[str, str]] = field(default_factory=tuple)


# The instance labeler's definitions, published on its actor (the staff's labels).
INSTANCE_DEFINITIONS = (
    Definition(
        "disputed",
        "warn",
        "warn",
        ({"lang": "en", "name": "Disputed", "description": "Its claims are disputed."},),
    ),
    Definition(
        "graphic",
        "warn",
        "warn",
        ({"lang": "en", "name": "Graphic", "description": "Graphic or violent media."},),
    ),
    Definition(
        "satire",
        "inform",
        "show",
        ({"lang": "en", "name": "Satire", "description": "Satire, not a report of fact."},),
    ),
    Definition(
        "spam-suspected",
        "hide",
        "hide",
        ({"lang": "en", "name": "Suspected spam", "description": "Looks like spam."},),
    ),
    # Set by a published rule (`core.amplification`), not by the staff; hides nothing itself.
    Definition(
        "coordinated-amplification",
        "inform",
        "show",
        (
            {
                "lang": "en",
                "name": "Coordinated amplification",
                "description": "Boosted or favourited within 30 minutes of posting by at least"
                " 10 accounts, at least 60% of them created in the 7 days before or from one"
                " server first seen here in those 7 days. Set by a published rule; it says"
                " nothing of the post's content.",
            },
        ),
    ),
)


def check_value(value: str) -> str:
    value = (value or "").strip().lower()
    if not value or len(value) > MAX_VALUE or not set(value) <= VALUE_CHARS:
        raise Invalid("Value must be 1 to 64 lowercase letters, digits or hyphens")
    return value


def check_definition(item: Definition) -> Definition:
    value = check_value(item.value)
    if item.severity not in SEVERITIES:
        raise Invalid("Severity must be one of inform, warn, hide")
    if item.default_setting not in SETTINGS:
        raise Invalid("Default setting must be one of show, warn, hide")
    locales = []
    for entry in item.locales or ():
        lang = str(entry.get("lang") or "")[:16]
        name = str(entry.get("name") or "")[:MAX_TEXT]
        description = str(entry.get("description") or "")[:MAX_TEXT]
        if lang and name:
            locales.append({"lang": lang, "name": name, "description": description})
    return Definition(value, item.severity, item.default_setting, tuple(locales))


# --- Definitions ---------------------------------------------------------------------------


def define(tx: Tx, labeler_id: int, items: Iterable[Definition]) -> None:
    """Set a labeler's definitions to these (values it no longer defines are dropped; their
    labels stay, and apply to no one until defined again)."""
    checked = {d.value: d for d in (check_definition(i) for i in items)}
    if len(checked) > MAX_DEFINITIONS:
        raise Invalid(f"A labeler defines at most {MAX_DEFINITIONS} labels")
    existing = {r.value: r for r in definitions_of(tx, labeler_id)}
    for value, row in existing.items():
        if value not in checked:
            tx.execute(label_definitions.delete().where(label_definitions.c.id == row.id))
    for value, item in checked.items():
        values = {
            "severity": item.severity,
            "default_setting": item.default_setting,
            "locales": [dict(entry) for entry in item.locales],
            "updated_at": tx.now,
        }
        if value in existing:
            tx.execute(
                label_definitions.update()
                .where(label_definitions.c.id == existing[value].id)
                .values(**values)
            )
        else:
            tx.execute(
                label_definitions.insert().values(
                    id=new_id(),
                    labeler_account_id=labeler_id,
                    value=value,
                    created_at=tx.now,
                    **values,
                )
            )


def definitions_of(tx: Tx, labeler_id: int) -> list[Any]:
    return tx.rows(
        sa.select(label_definitions)
        .where(label_definitions.c.labeler_account_id == labeler_id)
        .order_by(label_definitions.c.value)
    )


def is_labeler(tx: Tx, account_id: int) -> bool:
    return bool(
        tx.scalar(
            sa.select(sa.exists().where(label_definitions.c.labeler_account_id == account_id))
        )
    )


def instance_labeler(tx: Tx) -> int:
    """The instance labeler's account, made on first need. Each of `INSTANCE_DEFINITIONS` it
    does not define yet is added (the app calls this at start-up, so a label a new version
    brings reaches an instance made before it); those it defines are left as they stand."""
    found = instance_labeler_id(tx)
    if found is None:
        insert_ignore(
            tx,
            accounts,
            {
                "id": new_id(),
                "username": INSTANCE_LABELER,
                "domain": None,
                "display_name": f"{tx.settings.domain} moderators",
                "note": "<p>The labels of this instance's moderators.</p>",
                "fields": [],
                "also_known_as": [],
                "discoverable": False,
                "created_at": tx.now,
                "updated_at": tx.now,
                **uris.account_actor_urls(tx.settings, INSTANCE_LABELER),
            },
        )
        found = instance_labeler_id(tx)
        assert found is not None  # made above, or by a concurrent first need
    defined = {row.value for row in definitions_of(tx, found)}
    for item in map(check_definition, INSTANCE_DEFINITIONS):
        if item.value not in defined:  # insert_ignore: another process may be adding it too
            locales = [dict(entry) for entry in item.locales]
            stamps = {"id": new_id(), "created_at": tx.now, "updated_at": tx.now}
            row = {**vars(item), "locales": locales, "labeler_account_id": found, **stamps}
            insert_ignore(tx, label_definitions, row)
    return found


# --- Labels --------------------------------------------------------------------------------


@dataclass(frozen=True)
class LabelInput:
    """A label as a labeler says it (`labeled_at`: its `published`)."""

    subject_uri: str
    value: str
    neg: bool = False
    labeled_at: datetime | None = None
    expires_at: datetime | None = None
    reason: str | None = None
    uri: str | None = None  # another server's label: its id
    document: Mapping[str, Any] | None = None  # ... and the signed object


def _subject(tx: Tx, uri: str) -> tuple[int | None, int | None]:
    """(status id, account id) of the post or account a URI names here, if known."""
    status = tx.scalar(sa.select(statuses.c.id).where(statuses.c.uri == uri))
    if status is not None:
        return status, None
    return None, tx.scalar(sa.select(accounts.c.id).where(accounts.c.uri == uri))


def _definition(tx: Tx, labeler_id: int, value: str) -> Any | None:
    return tx.one_or_none(
        sa.select(label_definitions).where(
            label_definitions.c.labeler_account_id == labeler_id,
            label_definitions.c.value == value,
        )
    )


def issue(tx: Tx, labeler_id: int, data: LabelInput) -> int | None:
    """A labeler's label, its own (here) or received (another server's, already verified).
    Returns the label's row id, or None when it changed nothing: an older word than the one
    standing, or one that has expired already."""
    value = check_value(data.value)
    if _definition(tx, labeler_id, value) is None:
        raise Invalid(UNKNOWN_VALUE)
    subject_uri = (data.subject_uri or "").strip()
    if not subject_uri.startswith(("https://", "http://")) or len(subject_uri) > 2048:
        raise Invalid("Subject must be the URI of a post or an account")
    labeled_at = data.labeled_at or tx.now
    if data.expires_at is not None and data.expires_at <= tx.now:
        return None
    standing = tx.one_or_none(
        sa.select(labels.c.id, labels.c.labeled_at).where(
            labels.c.labeler_account_id == labeler_id,
            labels.c.subject_uri == subject_uri,
            labels.c.value == value,
        )
    )
    if standing is not None and data.uri is not None and standing.labeled_at > labeled_at:
        return None  # a late copy of an older word (at the same instant, the later arrival)
    status_id, account_id = _subject(tx, subject_uri)
    label_id = new_id()
    uri = data.uri or uris.label_uri(tx.settings, label_id)
    values = {
        "uri": uri,
        "status_id": status_id,
        "account_id": account_id,
        "neg": data.neg,
        "labeled_at": labeled_at,
        "expires_at": data.expires_at,
        "reason": (data.reason or "")[:MAX_TEXT] or None,
        "document": dict(data.document) if data.document is not None else None,
    }
    if standing is None:
        tx.execute(
            labels.insert().values(
                id=label_id,
                labeler_account_id=labeler_id,
                subject_uri=subject_uri,
                value=value,
                created_at=tx.now,
                **values,
            )
        )
    else:
        label_id = standing.id
        tx.execute(labels.update().where(labels.c.id == label_id).values(**values))
    if data.uri is None:  # our own: other servers are told (a job signs and delivers it)
        events.record(tx, events.LabelIssued(labeler_id, label_id))
    return label_id


def link_subject(
    tx: Tx, uri: str, *, status_id: int | None = None, account_id: int | None = None
) -> None:
    """A post or account now stored here that labels already named by its URI (they arrived
    first): the labels now apply to it (`core.remote_store` calls this for what it stores)."""
    tx.execute(
        labels.update()
        .where(
            labels.c.subject_uri == uri,
            labels.c.status_id.is_(None),
            labels.c.account_id.is_(None),
        )
        .values(status_id=status_id, account_id=account_id)
    )


def get(tx: Tx, label_id: int) -> Any:
    row = tx.one_or_none(sa.select(labels).where(labels.c.id == label_id))
    if row is None:
        raise NotFound()
    return row


def active(now: datetime) -> sa.ColumnElement[bool]:
    return sa.and_(
        labels.c.neg.is_(False), sa.or_(labels.c.expires_at.is_(None), labels.c.expires_at > now)
    )


@dataclass(frozen=True)
class ShownLabel:
    """A label in force on a subject, with who says it and what it means."""

    label: Any
    labeler: Any
    definition: Any


def on_subject(
    tx: Tx, subject_uri: str, labeler_ids: Iterable[int] | None = None
) -> list[ShownLabel]:
    """The labels in force on a post or account (by URI), every labeler's known here, or only
    those of `labeler_ids`."""
    query = (
        sa.select(labels, label_definitions.c.id.label("definition_id"))
        .join(
            label_definitions,
            sa.and_(
                label_definitions.c.labeler_account_id == labels.c.labeler_account_id,
                label_definitions.c.value == labels.c.value,
            ),
        )
        .where(labels.c.subject_uri == subject_uri, active(tx.now))
        .order_by(labels.c.labeled_at.desc(), labels.c.id.desc())
    )
    if labeler_ids is not None:
        query = query.where(labels.c.labeler_account_id.in_(list(labeler_ids)))
    rows = tx.rows(query)
    return _shown(tx, rows)


def _shown(tx: Tx, rows: Sequence[Any]) -> list[ShownLabel]:
    labelers = {
        r.id: r
        for r in tx.rows(
            sa.select(accounts).where(accounts.c.id.in_({r.labeler_account_id for r in rows}))
        )
    }
    definitions = {
        r.id: r
        for r in tx.rows(
            sa.select(label_definitions).where(
                label_definitions.c.id.in_({r.definition_id for r in rows})
            )
        )
    }
    return [
        ShownLabel(r, labelers[r.labeler_account_id], definitions[r.definition_id])
        for r in rows
        if r.labeler_account_id in labelers and r.definition_id in definitions
    ]


def by_labeler(tx: Tx, labeler_id: int, *, before_id: int | None, limit: int) -> list[Any]:
    """A labeler's labels, newest first (negations included: they are its word too)."""
    query = sa.select(labels).where(labels.c.labeler_account_id == labeler_id)
    if before_id is not None:
        query = query.where(labels.c.id < before_id)
    return tx.rows(query.order_by(labels.c.id.desc()).limit(limit))


def count_by_labeler(tx: Tx, labeler_id: int) -> int:
    return (
        tx.scalar(sa.select(sa.func.count()).where(labels.c.labeler_account_id == labeler_id)) or 0
    )


# --- Subscriptions and settings --------------------------------------------------------------


def subscribe(tx: Tx, account_id: int, labeler_id: int) -> None:
    if account_id == labeler_id:
        raise Invalid("You cannot subscribe to your own labels")
    if not is_labeler(tx, labeler_id):
        raise Invalid("This account publishes no labels")
    was_needed = server_follows.needed(tx, labeler_id)
    insert_ignore(
        tx,
        labeler_subscriptions,
        {"account_id": account_id, "labeler_account_id": labeler_id, "created_at": tx.now},
    )
    server_follows.started(tx, labeler_id, was_needed)


def unsubscribe(tx: Tx, account_id: int, labeler_id: int) -> None:
    done = tx.execute(
        labeler_subscriptions.delete().where(
            labeler_subscriptions.c.account_id == account_id,
            labeler_subscriptions.c.labeler_account_id == labeler_id,
        )
    )
    if done.rowcount:
        server_follows.maybe_ended(tx, labeler_id)


def has_subscribers(tx: Tx, labeler_id: int) -> bool:
    return bool(
        tx.scalar(
            sa.select(sa.exists().where(labeler_subscriptions.c.labeler_account_id == labeler_id))
        )
    )


def subscribed_ids(tx: Tx, account_id: int) -> list[int]:
    return list(
        tx.scalars(
            sa.select(labeler_subscriptions.c.labeler_account_id)
            .where(labeler_subscriptions.c.account_id == account_id)
            .order_by(labeler_subscriptions.c.created_at)
        )
    )


def set_setting(tx: Tx, account_id: int, labeler_id: int, value: str, setting: str) -> None:
    """What one of a labeler's labels does to this person's view."""
    if setting not in SETTINGS:
        raise Invalid(BAD_SETTING)
    value = check_value(value)
    if _definition(tx, labeler_id, value) is None:
        raise Invalid(UNKNOWN_VALUE)
    key = {"account_id": account_id, "labeler_account_id": labeler_id, "value": value}
    tx.execute(label_settings.delete().where(*(label_settings.c[k] == v for k, v in key.items())))
    tx.execute(label_settings.insert().values(setting=setting, **key))


def settings_of(tx: Tx, account_id: int) -> dict[tuple[int, str], str]:
    return {
        (r.labeler_account_id, r.value): r.setting
        for r in tx.rows(sa.select(label_settings).where(label_settings.c.account_id == account_id))
    }


def instance_labeler_id(tx: Tx) -> int | None:
    """The instance labeler's id, None until it is made (the query uses the usernames' index)."""
    return tx.scalar(
        sa.select(accounts.c.id).where(
            sa.func.lower(accounts.c.username) == INSTANCE_LABELER,
            sa.func.coalesce(sa.func.lower(accounts.c.domain), "") == "",
        )
    )
