"""What an admin may change about the instance while it runs: name, description, registration
mode, minimum age to sign up, privacy policy and terms of service, and its rules.

The operator's configuration (env / pnyx.toml, `Settings`) gives the starting values; an admin
can override the first six from the web UI without a restart. Overrides live as rows of
`instance_state` (key `setting:<name>`), so every process of a multi-process instance sees the
same values, and removing an override falls back to the configuration. Every change is written
to the public moderation log (pillar 3: transparent).
"""

from __future__ import annotations

import dataclasses
import functools

import sqlalchemy as sa

from pnyx.config import MAX_MIN_AGE, REGISTRATION_MODES, Settings
from pnyx.core import moderation_log
from pnyx.core.errors import Invalid, NotFound
from pnyx.db.engine import Tx
from pnyx.db.ids import new_id
from pnyx.db.insert_ignore import insert_ignore
from pnyx.db.tables import instance_state, rules

PREFIX = "setting:"
TITLE_MAX = 100
DESCRIPTION_MAX = 2000
RULE_MAX = 1000
CONSEQUENCES = ("removal", "label")
HINT_MAX = 1000
# The Settings fields an admin may override, and the rule each value must follow.
KEYS = (
    "instance_title",
    "instance_description",
    "registrations",
    "min_age",
    "privacy_policy",
    "terms_of_service",
)
POLICY_MAX = 100_000  # a privacy policy or terms of service


def _problem(key: str, value: str) -> str | None:
    """Why `value` cannot be stored for `key`, or None if it can."""
    if key == "instance_title":
        if not value.strip():
            return "Instance name can't be blank"
        if len(value) > TITLE_MAX:
            return f"Instance name is too long (maximum is {TITLE_MAX} characters)"
    elif key == "instance_description":
        if len(value) > DESCRIPTION_MAX:
            return f"Description is too long (maximum is {DESCRIPTION_MAX} characters)"
    elif key in ("privacy_policy", "terms_of_service"):
        if len(value) > POLICY_MAX:
            return f"Text is too long (maximum is {POLICY_MAX} characters)"
    elif key == "registrations":
        if value not in REGISTRATION_MODES:
            return f"Registration mode must be one of {', '.join(REGISTRATION_MODES)}"
    elif key == "min_age":
        if not value.isdigit() or int(value) > MAX_MIN_AGE:
            return f"Minimum age must be a whole number from 0 to {MAX_MIN_AGE}"
    else:
        return f"Unknown instance setting {key!r}"
    return None


@functools.cache
def _overrides_statement() -> sa.Select:
    # Built once: every web page reads the overrides (the instance's name is on each).
    return sa.select(instance_state.c.key, instance_state.c.value).where(
        instance_state.c.key.like(PREFIX + "%")
    )


def get_overrides(tx: Tx) -> dict[str, str]:
    """The overrides an admin stored: {settings field name: value}."""
    found = tx.rows(_overrides_statement())
    return {row.key.removeprefix(PREFIX): row.value for row in found}


def effective(settings: Settings, overrides: dict[str, str]) -> Settings:
    """The configuration with the admin's overrides applied.

    A stored value that no longer passes its rule (e.g. a mode a later version dropped) is
    ignored rather than trusted, so a bad row can never take the instance down.
    """
    changes: dict[str, object] = {
        key: int(value) if key == "min_age" else value
        for key, value in overrides.items()
        if key in KEYS and isinstance(value, str) and _problem(key, value) is None
    }
    return settings.with_overrides(**changes) if changes else settings


def effective_settings(tx: Tx) -> Settings:
    return effective(tx.settings, get_overrides(tx))


def under_overrides(tx: Tx) -> Tx:
    """The same transaction, seen with the effective settings: core functions that read
    `tx.settings` (e.g. `accounts.register` and the registration mode) then follow the admin's
    choice."""
    return dataclasses.replace(tx, settings=effective_settings(tx))


def set_override(
    tx: Tx, key: str, value: str | None, *, by_account_id: int | None = None, reason: str = ""
) -> None:
    """Store (or with None, remove) an override; logged in the moderation log."""
    if value is not None:
        keep_lines = key in ("instance_description", "privacy_policy", "terms_of_service")
        value = value.strip("\n") if keep_lines else value.strip()
        problem = _problem(key, value)
        if problem:
            raise Invalid(problem)
    elif key not in KEYS:
        raise Invalid(f"Unknown instance setting {key!r}")
    row_key = PREFIX + key
    if value is None:
        tx.execute(instance_state.delete().where(instance_state.c.key == row_key))
    elif not insert_ignore(tx, instance_state, {"key": row_key, "value": value}):
        tx.execute(
            instance_state.update().where(instance_state.c.key == row_key).values(value=value)
        )
    moderation_log.record(tx, f"instance:{key}", None, by_account_id, reason)


def add_rule(
    tx: Tx,
    text: str,
    hint: str = "",
    *,
    by_account_id: int | None = None,
    consequence: str | None = None,
) -> int:
    """A new rule, placed after the others; the log's reason records its text. Its
    `consequence` says what breaking it leads to (the policy page shows it): a removal (what
    the law requires) or a label (`core.instance_labels`)."""
    text, hint = (text or "").strip(), (hint or "").strip()
    if consequence not in (None, *CONSEQUENCES):
        raise Invalid("Consequence must be removal or label")
    if not text:
        raise Invalid("Rule can't be blank")
    if len(text) > RULE_MAX:
        raise Invalid(f"Rule is too long (maximum is {RULE_MAX} characters)")
    if len(hint) > HINT_MAX:
        raise Invalid(f"Rule hint is too long (maximum is {HINT_MAX} characters)")
    last = tx.scalar(sa.select(sa.func.max(rules.c.position)))
    rule_id = new_id()
    tx.execute(
        rules.insert().values(
            id=rule_id,
            text=text,
            hint=hint,
            position=(last or 0) + 1,
            consequence=consequence,
            created_at=tx.now,
        )
    )
    moderation_log.record(tx, "rule:add", None, by_account_id, text)
    return rule_id


def remove_rule(tx: Tx, rule_id: int, *, by_account_id: int | None = None) -> None:
    row = tx.one_or_none(sa.select(rules).where(rules.c.id == rule_id))
    if row is None:
        raise NotFound("Rule not found")
    tx.execute(rules.delete().where(rules.c.id == rule_id))
    moderation_log.record(tx, "rule:remove", None, by_account_id, row.text)
