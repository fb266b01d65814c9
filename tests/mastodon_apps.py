"""Mastodon.py against a test server as an app uses it: an app registered, people created
with the CLI and logged in by password. One place for what every end-to-end module needs."""

from __future__ import annotations

from collections.abc import Iterable

from mastodon import Mastodon

from server import PnyxServer

PASSWORD = "correct horse battery staple"
SCOPES = ["read", "write", "follow", "push"]


def app_client(server: PnyxServer, scopes: list[str] = SCOPES, **options) -> Mastodon:
    """A registered app without a user (`options`: Mastodon.py's, such as version_check_mode)."""
    client_id, client_secret = Mastodon.create_app(
        "Pnyx e2e",
        scopes=scopes,
        redirect_uris="urn:ietf:wg:oauth:2.0:oob",
        api_base_url=server.base_url,
    )
    return Mastodon(
        client_id=client_id,
        client_secret=client_secret,
        api_base_url=server.base_url,
        request_timeout=60,
        **{"version_check_mode": "created", **options},
    )


def log_in(server: PnyxServer, name: str, scopes: list[str] = SCOPES, **options) -> Mastodon:
    """`name` (already a user) logged in through a fresh app."""
    api = app_client(server, scopes, **options)
    api.log_in(username=f"{name}@example.com", password=PASSWORD, scopes=scopes, allow_http=True)
    return api


def people(
    server: PnyxServer,
    names: Iterable[str],
    scopes: list[str] = SCOPES,
    *,
    admin: bool = False,
    **options,
) -> dict[str, Mastodon]:
    """New users `names` (admins with `admin`), each logged in."""
    out = {}
    for name in names:
        server.create_user(name, f"{name}@example.com", PASSWORD, admin=admin)
        out[name] = log_in(server, name, scopes, **options)
    return out


def instance_rule(server: PnyxServer, text: str) -> str:
    """One of the server's rules (its id, as `instance_rules()` lists it): written straight
    into its database, as no Mastodon API writes rules. A suspension cites one."""
    from pnyx.config import Settings
    from pnyx.core import instance_settings
    from pnyx.db.engine import Database

    db = Database(Settings(domain=server.domain, database_url=server.database_url))
    try:
        return str(db.run_sync(instance_settings.add_rule, text))
    finally:
        db.dispose()
