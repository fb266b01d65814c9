"""Accounts and the local users behind them: creation, lookup, roles, suspension, passwords.

An account is a public identity (local or remote); a user is the local login that owns a local
account. Suspension hides an account everywhere and ends its sessions; nothing is deleted, so
it can be undone.
"""

from __future__ import annotations

import functools
import re

import sqlalchemy as sa

from pnyx.core import events, uris, web_push
from pnyx.core.account_visibility import KNOWN, account_visible_condition
from pnyx.core.errors import Invalid, NotFound
from pnyx.core.passwords import MAX_LENGTH, MIN_LENGTH, hash_password, verify_password
from pnyx.core.rows import AccountRow, SignInRow, UserRow
from pnyx.db.engine import Tx
from pnyx.db.ids import new_id
from pnyx.db.tables import (
    accounts,
    oauth_tokens,
    users,
    web_sessions,
)

USERNAME_RE = re.compile(r"^[A-Za-z0-9_]{1,30}$")
EMAIL_RE = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,255}\.[^@\s]{1,63}$")
ROLES = ("user", "moderator", "admin")
RESERVED = {
    "admin",
    "root",
    "www",
    "api",
    "oauth",
    "users",
    "inbox",
    "about",
    "settings",
    "web",
    "static",
    "instance_actor",
    "pnyx",
    "moderation",  # the instance's labeler (core.labels)
    "notes",  # the instance's notes service actor (core.notes.actor)
}


def validate_username(username: str) -> str:
    if not USERNAME_RE.match(username or ""):
        raise Invalid("Username must be 1-30 letters, numbers or underscores")
    if username.lower() in RESERVED:
        raise Invalid("Username is reserved")
    return username


def validate_email(email: str) -> str:
    email = (email or "").strip()
    if not EMAIL_RE.match(email):
        raise Invalid("Email is invalid")
    return email


def validate_password(password: str) -> str:
    if not password or len(password) < MIN_LENGTH:
        raise Invalid(f"Password is too short (minimum is {MIN_LENGTH} characters)")
    if len(password) > MAX_LENGTH:
        raise Invalid(f"Password is too long (maximum is {MAX_LENGTH} characters)")
    return password


@functools.cache
def _dummy_hash() -> str:
    return hash_password("not a real password, only spends time")


def find_local(tx: Tx, username: str) -> AccountRow | None:
    return tx.one_or_none(
        sa.select(accounts).where(
            sa.func.lower(accounts.c.username) == username.lower(), accounts.c.domain.is_(None)
        )
    )


def find_by_acct(tx: Tx, acct: str) -> AccountRow | None:
    """`name`, `name@domain` or `@name@domain`; the local domain counts as local.

    Accounts still waiting for approval or confirmation are not found.
    """
    acct = acct.strip().lstrip("@")
    username, _, domain = acct.partition("@")
    if not username:
        return None
    query = sa.select(accounts).where(
        sa.func.lower(accounts.c.username) == username.lower(), account_visible_condition(KNOWN)
    )
    if not domain or domain.lower() == tx.settings.domain.lower():
        query = query.where(accounts.c.domain.is_(None))
    else:
        query = query.where(sa.func.lower(accounts.c.domain) == domain.lower())
    return tx.one_or_none(query)


def is_local(tx: Tx, account_id: int) -> bool:
    """Whether the account lives on this server (an unknown id is not)."""
    return bool(
        tx.scalar(sa.select(accounts.c.domain.is_(None)).where(accounts.c.id == account_id))
    )


def get(tx: Tx, account_id: int) -> AccountRow:
    row = tx.one_or_none(sa.select(accounts).where(accounts.c.id == account_id))
    if row is None:
        raise NotFound()
    return row


def public_rows(tx: Tx, account_ids: list[int]) -> list[AccountRow]:
    """Several accounts as others may see them (see `get_public`), in the order asked for;
    unknown and pending ones are left out."""
    ids = list(dict.fromkeys(account_ids))
    if not ids:
        return []
    rows = {
        row.id: row
        for row in tx.rows(
            sa.select(accounts).where(accounts.c.id.in_(ids), account_visible_condition(KNOWN))
        )
    }
    return [rows[i] for i in ids if i in rows]


def get_public(tx: Tx, account_id: int) -> AccountRow:
    """An account as others may see it: NotFound if unknown or still pending
    (`account_visibility.KNOWN`).

    Suspended accounts are returned: they are shown, blanked, with `suspended: true`.
    """
    row = tx.one_or_none(
        sa.select(accounts).where(accounts.c.id == account_id, account_visible_condition(KNOWN))
    )
    if row is None:
        raise NotFound()
    return row


def create_local(
    tx: Tx,
    username: str,
    email: str,
    password: str,
    *,
    role: str = "user",
    approved: bool = True,
    reason: str | None = None,
    invite_id: int | None = None,
    display_name: str = "",
) -> tuple[int, int]:
    """Create a local account and its user; returns (account_id, user_id). The staff hear of
    it once it may be used (now, or when approved: Mastodon's admin.sign_up)."""
    validate_username(username)
    validate_email(email)
    validate_password(password)
    if role not in ROLES:
        raise Invalid(f"Role must be one of {', '.join(ROLES)}")
    if find_local(tx, username) is not None:
        raise Invalid("Username has already been taken")
    taken = tx.scalar(sa.select(users.c.id).where(sa.func.lower(users.c.email) == email.lower()))
    if taken:
        raise Invalid("Email has already been taken")
    account_id = new_id()
    user_id = new_id()
    tx.execute(
        accounts.insert().values(
            id=account_id,
            username=username,
            domain=None,
            display_name=display_name[: tx.settings.max_display_name_chars],
            fields=[],
            also_known_as=[],
            created_at=tx.now,
            updated_at=tx.now,
            **uris.account_actor_urls(tx.settings, username),
        )
    )
    tx.execute(
        users.insert().values(
            id=user_id,
            account_id=account_id,
            email=email,
            password_hash=hash_password(password, tx.settings.password_hashing),
            role=role,
            approved=approved,
            registration_reason=reason,
            invite_id=invite_id,
            created_at=tx.now,
        )
    )
    if approved:
        events.record(tx, events.AccountRegistered(account_id))
    return account_id, user_id


def authenticate(tx: Tx, login: str, password: str) -> SignInRow | None:
    """The user row for an email (or local username) and password, or None."""
    login = (login or "").strip()
    if not login or len(login) > 320:
        return None
    query = sa.select(users, accounts.c.username, accounts.c.suspended_at).join(
        accounts, accounts.c.id == users.c.account_id
    )
    if "@" in login:
        query = query.where(sa.func.lower(users.c.email) == login.lower())
    else:
        query = query.where(
            sa.func.lower(accounts.c.username) == login.lower(), accounts.c.domain.is_(None)
        )
    row = tx.one_or_none(query)
    if row is None:
        # Spend the same time as a real check, so timing does not reveal who has an account.
        if tx.settings.password_hashing == "standard":
            verify_password(_dummy_hash(), password)
        return None
    if not verify_password(row.password_hash, password):
        return None
    return row


def user_for_account(tx: Tx, account_id: int) -> UserRow | None:
    return tx.one_or_none(sa.select(users).where(users.c.account_id == account_id))


def set_user_locale(tx: Tx, user_id: int, language: str | None) -> None:
    """Kept in `users.locale`, the column sign-up through the API fills too."""
    tx.execute(users.update().where(users.c.id == user_id).values(locale=language))


def revoke_credentials(
    tx: Tx, user_id: int, *, keep_token_id: int | None = None, keep_session_id: int | None = None
) -> None:
    """End every token and browser session of a user, except the one making the change."""
    q = oauth_tokens.update().where(
        oauth_tokens.c.user_id == user_id, oauth_tokens.c.revoked_at.is_(None)
    )
    if keep_token_id is not None:
        q = q.where(oauth_tokens.c.id != keep_token_id)
    tx.execute(q.values(revoked_at=tx.now))
    web_push.forget_revoked(
        tx, sa.select(oauth_tokens.c.id).where(oauth_tokens.c.user_id == user_id)
    )
    s = web_sessions.update().where(
        web_sessions.c.user_id == user_id, web_sessions.c.revoked_at.is_(None)
    )
    if keep_session_id is not None:
        s = s.where(web_sessions.c.id != keep_session_id)
    tx.execute(s.values(revoked_at=tx.now))


def change_password(
    tx: Tx,
    user_id: int,
    new_password: str,
    *,
    keep_token_id: int | None = None,
    keep_session_id: int | None = None,
) -> None:
    validate_password(new_password)
    tx.execute(
        users.update()
        .where(users.c.id == user_id)
        .values(password_hash=hash_password(new_password, tx.settings.password_hashing))
    )
    revoke_credentials(tx, user_id, keep_token_id=keep_token_id, keep_session_id=keep_session_id)


# The state changes of moderation. People's actions go through `core.moderation`, which checks
# who may act, requires a reason where one is needed, and writes the moderation log.


def set_role(tx: Tx, account_id: int, role: str) -> None:
    if role not in ROLES:
        raise Invalid(f"Role must be one of {', '.join(ROLES)}")
    user = user_for_account(tx, account_id)
    if user is None:
        raise NotFound("No local user for that account")
    tx.execute(users.update().where(users.c.id == user.id).values(role=role))


def suspend(tx: Tx, account_id: int, reason: str) -> None:
    get(tx, account_id)
    tx.execute(
        accounts.update()
        .where(accounts.c.id == account_id)
        .values(suspended_at=tx.now, suspension_reason=reason)
    )
    user = user_for_account(tx, account_id)
    if user is not None:
        revoke_credentials(tx, user.id)


def unsuspend(tx: Tx, account_id: int) -> None:
    get(tx, account_id)
    tx.execute(
        accounts.update()
        .where(accounts.c.id == account_id)
        .values(suspended_at=None, suspension_reason=None)
    )


def approve(tx: Tx, account_id: int) -> None:
    user = user_for_account(tx, account_id)
    if user is None:
        raise NotFound("No local user for that account")
    tx.execute(users.update().where(users.c.id == user.id).values(approved=True))
    if not user.approved:
        events.record(tx, events.AccountRegistered(account_id))
