"""Client applications: registering one, finding it by client_id, checking its secret,
and the redirect URIs and scopes it registered."""

from __future__ import annotations

import secrets
from urllib.parse import urlsplit

import sqlalchemy as sa

from pnyx.core import scopes as scope_rules
from pnyx.core.errors import Invalid
from pnyx.core.oauth.errors import INVALID_CLIENT, OAuthError
from pnyx.core.rows import AppRow
from pnyx.db.engine import Tx
from pnyx.db.ids import new_id
from pnyx.db.tables import oauth_apps

OOB = "urn:ietf:wg:oauth:2.0:oob"


# Schemes a browser would run rather than follow (as Mastodon's Doorkeeper setup forbids).
FORBIDDEN_REDIRECT_SCHEMES = ("javascript", "data", "vbscript")


def _is_web_url(value: str) -> bool:
    try:
        parsed = urlsplit(value)
        return parsed.scheme.lower() in ("http", "https") and bool(parsed.hostname)
    except ValueError:  # e.g. an unclosed IPv6 bracket
        return False


def create_app(
    tx: Tx,
    name: str,
    redirect_uris: list[str],
    scopes: list[str],
    website: str | None = None,
    owner_user_id: int | None = None,
) -> AppRow:
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
        if uri.split(":", 1)[0].strip().lower() in FORBIDDEN_REDIRECT_SCHEMES:
            raise Invalid("Redirect URI is forbidden by the server")
        if "#" in uri:
            raise Invalid("Redirect URI cannot contain a fragment")
    bad = scope_rules.unknown(scopes)
    if bad:
        raise Invalid(f"Scopes {' '.join(bad)} are not valid")
    if website and len(website) > 2000:
        raise Invalid("Website is too long")
    if website and not _is_web_url(website):
        # Clients show it as a link next to every post made with the app.
        raise Invalid("Website is invalid")
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
    return tx.execute(sa.select(oauth_apps).where(oauth_apps.c.id == app_id)).one()


def redirect_uris_of(app: AppRow) -> list[str]:
    return [u for u in (app.redirect_uris or "").split("\n") if u]


def scopes_of(row: AppRow) -> list[str]:
    return scope_rules.parse(row.scopes)


def split_redirect_uris(value: str | list[str] | None) -> list[str]:
    """Clients send one string (space/newline separated) or an array; keep order, drop repeats."""
    items = value if isinstance(value, list) else [value or ""]
    out: list[str] = []
    for item in items:
        for uri in str(item).split():
            if uri not in out:
                out.append(uri)
    return out


def find_app(tx: Tx, client_id: str | None) -> AppRow | None:
    if not client_id or len(client_id) > 64:
        return None
    return tx.one_or_none(sa.select(oauth_apps).where(oauth_apps.c.client_id == client_id))


def authenticate_client(tx: Tx, client_id: str | None, client_secret: str | None) -> AppRow:
    """The app whose id and secret these are; OAuthError invalid_client otherwise."""
    app = find_app(tx, client_id)
    if (
        app is None
        or not client_secret
        or not secrets.compare_digest(app.client_secret.encode(), client_secret.encode())
    ):
        raise OAuthError("invalid_client", INVALID_CLIENT, 401)
    return app


def requested_scopes(app: AppRow, scope: str | None) -> list[str]:
    """Requested scopes (default `read`, as Mastodon), which the app must have registered."""
    requested = list(dict.fromkeys(scope_rules.parse(scope)))
    if scope_rules.unknown(requested) or not scope_rules.subset(requested, scopes_of(app)):
        raise OAuthError(
            "invalid_scope",
            "The requested scope is invalid, unknown, or malformed.",
        )
    return requested


def get_app(tx: Tx, app_id: int) -> AppRow | None:
    """The application row, or None."""
    return tx.one_or_none(sa.select(oauth_apps).where(oauth_apps.c.id == app_id))
