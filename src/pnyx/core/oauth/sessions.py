"""Browser sessions of the web pages: starting one at sign-in, finding who a session cookie
belongs to (with the preferences every page needs), ending it."""

from __future__ import annotations

import functools
import secrets
from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa

from pnyx.core.oauth.digests import digest
from pnyx.db.engine import Tx
from pnyx.db.ids import new_id
from pnyx.db.tables import accounts, users, web_sessions

SESSION_LIFETIME = timedelta(days=30)


def start_session(tx: Tx, user_id: int, user_agent: str | None) -> str:
    """A new browser session; returns the cookie value (only its digest is stored)."""
    secret = secrets.token_urlsafe(32)
    tx.execute(
        web_sessions.insert().values(
            id=new_id(),
            session_hash=digest(secret),
            user_id=user_id,
            user_agent=(user_agent or "")[:512] or None,
            created_at=tx.now,
        )
    )
    return secret


@dataclass(frozen=True)
class SessionUser:
    """Who is signed in to the web pages, with the preferences every page needs (read in the
    same query as the session, so a page costs no extra lookups for them)."""

    session_id: int
    user_id: int
    account_id: int
    username: str
    locale: str | None = None  # interface language; None follows the browser
    default_visibility: str = "public"
    default_language: str = ""
    suspended: bool = False  # only ever so where a suspended user is let in (session_user)


@functools.cache
def _session_statement() -> sa.Select:
    # Built once, like tokens._viewer_statement: every signed-in page runs it.
    return (
        sa.select(
            web_sessions.c.id,
            web_sessions.c.user_id,
            web_sessions.c.revoked_at,
            web_sessions.c.created_at,
            users.c.account_id,
            users.c.approved,
            users.c.locale,
            users.c.default_visibility,
            users.c.default_language,
            accounts.c.username,
            accounts.c.suspended_at,
        )
        .join(users, users.c.id == web_sessions.c.user_id)
        .join(accounts, accounts.c.id == users.c.account_id)
        .where(web_sessions.c.session_hash == sa.bindparam("digest"))
    )


def session_user(tx: Tx, secret: str | None, *, suspended_ok: bool = False) -> SessionUser | None:
    """Who a session cookie belongs to, if the session is live and the user may still act.

    A suspended user's session counts only where `suspended_ok` (the pages of their strikes,
    where they can appeal); `suspended` then says so."""
    if not secret or len(secret) > 256:
        return None
    row = tx.execute(_session_statement(), {"digest": digest(secret)}).first()
    if (
        row is None
        or row.revoked_at is not None
        or row.created_at + SESSION_LIFETIME <= tx.now
        or (row.suspended_at is not None and not suspended_ok)
        or not row.approved
    ):
        return None
    return SessionUser(
        row.id,
        row.user_id,
        row.account_id,
        row.username,
        locale=row.locale,
        default_visibility=row.default_visibility or "public",
        default_language=row.default_language or "",
        suspended=row.suspended_at is not None,
    )


def end_session(tx: Tx, secret: str | None) -> None:
    if not secret or len(secret) > 256:
        return
    tx.execute(
        web_sessions.update()
        .where(web_sessions.c.session_hash == digest(secret), web_sessions.c.revoked_at.is_(None))
        .values(revoked_at=tx.now)
    )
