"""OAuth 2 as Mastodon does it: apps, authorization codes (with PKCE), tokens, revocation.

Secrets handed to clients (tokens, codes) are random and stored only as SHA-256 digests.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from datetime import timedelta

import sqlalchemy as sa

from pnyx.core import scopes as scope_rules
from pnyx.core.errors import Invalid
from pnyx.db.ids import new_id
from pnyx.db.tables import oauth_apps, oauth_codes, oauth_tokens

OOB = "urn:ietf:wg:oauth:2.0:oob"
CODE_LIFETIME = timedelta(minutes=10)


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create_app(
    tx,
    name: str,
    redirect_uris: list[str],
    scopes: list[str],
    website: str | None = None,
    owner_user_id: int | None = None,
):
    """Register a client application; returns its row (with client_id and client_secret)."""
    name = (name or "").strip()
    if not name:
        raise Invalid("Name can't be blank")
    if len(name) > 255:
        raise Invalid("Name is too long (maximum is 255 characters)")
    if not redirect_uris:
        raise Invalid("Redirect URI can't be blank")
    for uri in redirect_uris:
        if uri != OOB and ("://" not in uri or len(uri) > 2000 or any(c.isspace() for c in uri)):
            raise Invalid("Redirect URI must be an absolute URI")
    bad = scope_rules.unknown(scopes)
    if bad:
        raise Invalid(f"Scopes {' '.join(bad)} are not valid")
    if website and len(website) > 2000:
        raise Invalid("Website is too long")
    app_id = new_id()
    tx.execute(
        oauth_apps.insert().values(
            id=app_id,
            name=name,
            website=website or None,
            redirect_uris="\n".join(redirect_uris),
            scopes=" ".join(scopes),
            client_id=secrets.token_urlsafe(32),
            client_secret=secrets.token_urlsafe(32),
            owner_user_id=owner_user_id,
            created_at=tx.now,
        )
    )
    return tx.one_or_none(sa.select(oauth_apps).where(oauth_apps.c.id == app_id))


def issue_token(tx, app_id: int | None, user_id: int | None, scopes: list[str]) -> tuple[str, int]:
    """A new access token; returns (token, token_id). The token itself is never stored."""
    token = secrets.token_urlsafe(32)
    token_id = new_id()
    tx.execute(
        oauth_tokens.insert().values(
            id=token_id,
            token_hash=digest(token),
            app_id=app_id,
            user_id=user_id,
            scopes=" ".join(scopes),
            created_at=tx.now,
        )
    )
    return token, token_id


def issue_code(
    tx,
    app_id: int,
    user_id: int,
    redirect_uri: str,
    scopes: list[str],
    code_challenge: str | None = None,
    code_challenge_method: str | None = None,
) -> str:
    code = secrets.token_urlsafe(32)
    tx.execute(
        oauth_codes.insert().values(
            id=new_id(),
            code_hash=digest(code),
            app_id=app_id,
            user_id=user_id,
            redirect_uri=redirect_uri,
            scopes=" ".join(scopes),
            code_challenge=code_challenge,
            code_challenge_method=code_challenge_method,
            expires_at=tx.now + CODE_LIFETIME,
            created_at=tx.now,
        )
    )
    return code


def pkce_matches(verifier: str, challenge: str, method: str | None) -> bool:
    if method in (None, "", "plain"):
        return secrets.compare_digest(verifier, challenge)
    if method != "S256":
        return False
    computed = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=")
    return secrets.compare_digest(computed.decode(), challenge)
