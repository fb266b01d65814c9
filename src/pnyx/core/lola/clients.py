"""This server as an OAuth client of the servers people copy their accounts from.

LOLA leaves client identification to the source (`client_id`, or a DPoP proof). Mastodon and
Pnyx let anyone register an app (`app_registration_endpoint`, `/api/v1/apps`), so the first
copy from a server registers this one there with our callback as its redirect URI, and every
later copy from that server reuses the registration. It is kept per origin and redirect URI:
a server whose address changed registers again.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from pnyx.db.engine import Tx
from pnyx.db.ids import new_id
from pnyx.db.insert_ignore import insert_ignore
from pnyx.db.tables import lola_clients


def find(tx: Tx, origin: str, redirect_uri: str) -> Any:
    """Our registration at `origin` for this redirect URI, or None."""
    return tx.one_or_none(
        sa.select(lola_clients).where(
            lola_clients.c.origin == origin, lola_clients.c.redirect_uri == redirect_uri
        )
    )


def get(tx: Tx, client_row_id: int | None) -> Any:
    if client_row_id is None:
        return None
    return tx.one_or_none(sa.select(lola_clients).where(lola_clients.c.id == client_row_id))


def keep(tx: Tx, origin: str, redirect_uri: str, client_id: str, client_secret: str | None) -> Any:
    """Record a registration; when two copies registered at once, the first one kept wins
    (both are valid at the source; one is enough here)."""
    insert_ignore(
        tx,
        lola_clients,
        {
            "id": new_id(),
            "origin": origin[:512],
            "redirect_uri": redirect_uri[:2048],
            "client_id": client_id[:512],
            "client_secret": client_secret[:512] if client_secret else None,
            "created_at": tx.now,
        },
    )
    return find(tx, origin[:512], redirect_uri[:2048])


def forget(tx: Tx, client_row_id: int) -> None:
    """A registration the source no longer knows (it answered `invalid_client`): the next
    copy registers again."""
    tx.execute(lola_clients.delete().where(lola_clients.c.id == client_row_id))
