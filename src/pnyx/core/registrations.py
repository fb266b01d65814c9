"""Signing up: invites, and registration by the instance's registration mode (open, by
approval, by invite, closed), with every reason a sign-up was refused at once.

As Mastodon 4.4: the rules must be agreed to (`agreement`); in approval mode without an invite
a reason is required; a `locale` must look like a language tag; and when the instance sets a
minimum age (`min_age`, `registrations.min_age` in /api/v2/instance), a date of birth is
required and someone younger is refused. The date of birth is only checked, never stored.

Apart from core.accounts because the mode is an instance setting (core.instance_settings),
which itself records staff actions through core.accounts.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import replace
from datetime import date, datetime

import sqlalchemy as sa

from pnyx.core import accounts
from pnyx.core.errors import Forbidden, Invalid
from pnyx.core.instance_settings import effective_settings
from pnyx.db.engine import Tx
from pnyx.db.ids import new_id
from pnyx.db.tables import invites, users


def create_invite(
    tx: Tx,
    user_id: int | None,
    *,
    max_uses: int | None = None,
    expires_at: datetime | None = None,
) -> str:
    code = secrets.token_urlsafe(9)
    tx.execute(
        invites.insert().values(
            id=new_id(),
            code=code,
            user_id=user_id,
            max_uses=max_uses,
            expires_at=expires_at,
            created_at=tx.now,
        )
    )
    return code


def use_invite(tx: Tx, code: str) -> int:
    """Consume one use of an invite; returns its id or raises Invalid."""
    row = tx.one_or_none(sa.select(invites).where(invites.c.code == (code or "")))
    if row is None:
        raise Invalid("Invite code is invalid")
    if row.expires_at is not None and row.expires_at < tx.now:
        raise Invalid("Invite code has expired")
    if row.max_uses is not None and row.uses >= row.max_uses:
        raise Invalid("Invite code has been used up")
    tx.execute(invites.update().where(invites.c.id == row.id).values(uses=invites.c.uses + 1))
    return row.id


LOCALE_RE = re.compile(r"^[a-zA-Z]{2,3}([-_][a-zA-Z0-9]{2,8})*$")
DOB_BLANK = "Date of birth can't be blank"
DOB_INVALID = "Date of birth is invalid"
DOB_TOO_YOUNG = "Date of birth is below the age limit"


def age_problem(raw: str | None, min_age: int, today: date) -> str | None:
    """Why a date of birth (YYYY-MM-DD) does not let someone sign up where `min_age` years
    are needed; None when it does, or when there is no minimum."""
    if min_age <= 0:
        return None
    text = (raw or "").strip()
    if not text:
        return DOB_BLANK
    try:
        born = date.fromisoformat(text)
    except ValueError:
        return DOB_INVALID
    if born > today:
        return DOB_INVALID
    try:
        cutoff = today.replace(year=today.year - min_age)
    except ValueError:  # 29 February, and that year has none
        cutoff = today.replace(year=today.year - min_age, day=28)
    return DOB_TOO_YOUNG if born > cutoff else None


class RegistrationInvalid(Invalid):
    """Every reason a sign-up was refused, not just the first: clients show them all at once."""

    def __init__(self, problems: list[str]):
        super().__init__(", ".join(problems))
        self.problems = problems


def _registration_problems(
    tx: Tx,
    username: str,
    email: str,
    password: str,
    *,
    agreement: bool,
    reason_required: bool,
    reason: str | None,
    locale: str | None = None,
    date_of_birth: str | None = None,
) -> list[str]:
    problems: list[str] = []
    for check, value in (
        (accounts.validate_username, username),
        (accounts.validate_email, email),
        (accounts.validate_password, password),
    ):
        try:
            check(value)
        except Invalid as exc:
            problems.append(exc.message.removeprefix("Validation failed: "))
    if accounts.USERNAME_RE.match(username or "") and accounts.find_local(tx, username) is not None:
        problems.append("Username has already been taken")
    if accounts.EMAIL_RE.match((email or "").strip()) and tx.scalar(
        sa.select(users.c.id).where(sa.func.lower(users.c.email) == email.strip().lower())
    ):
        problems.append("Email has already been taken")
    if not agreement:
        problems.append("Agreement must be accepted")
    if reason_required and not (reason or "").strip():
        problems.append("Reason can't be blank")
    if locale and not LOCALE_RE.match(locale):
        problems.append("Locale is not included in the list")
    too_young = age_problem(date_of_birth, tx.settings.min_age, tx.now.date())
    if too_young:
        problems.append(too_young)
    return problems


def register(
    tx: Tx,
    username: str,
    email: str,
    password: str,
    *,
    reason: str | None = None,
    invite_code: str | None = None,
    agreement: bool = True,
    locale: str | None = None,
    date_of_birth: str | None = None,
) -> tuple[int, int]:
    """Sign-up through the API or web, following the instance's registration mode."""
    settings = effective_settings(tx)  # the admin's choices win over the config
    tx = replace(tx, settings=settings)
    mode = settings.registrations
    if not invite_code and mode == "closed":
        raise Forbidden("Registrations are closed on this instance")
    if not invite_code and mode == "invite":
        raise Forbidden("Registrations on this instance need an invite")
    problems = _registration_problems(
        tx,
        username,
        email,
        password,
        agreement=agreement,
        reason_required=mode == "approval" and not invite_code,
        reason=reason,
        locale=locale,
        date_of_birth=date_of_birth,
    )
    if problems:
        raise RegistrationInvalid(problems)
    invite_id = use_invite(tx, invite_code) if invite_code else None
    approved = mode != "approval" or invite_id is not None
    account_id, user_id = accounts.create_local(
        tx, username, email, password, approved=approved, reason=reason, invite_id=invite_id
    )
    if locale:
        tx.execute(users.update().where(users.c.id == user_id).values(locale=locale[:16]))
    return account_id, user_id
