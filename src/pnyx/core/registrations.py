"""Signing up: invites, and registration by the instance's registration mode (open, by
approval, by invite, closed), with every reason a sign-up was refused at once.

Apart from core.accounts because the mode is an instance setting (core.instance_settings),
which itself records staff actions through core.accounts.
"""

from __future__ import annotations

import secrets
from datetime import datetime

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
) -> tuple[int, int]:
    """Sign-up through the API or web, following the instance's registration mode."""
    mode = effective_settings(tx).registrations  # the admin's choice wins over the config
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
