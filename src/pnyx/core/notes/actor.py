"""The notes actor: the account that speaks for this server's community notes.

Notes and ratings written here travel as objects of this actor (their authors and raters go
by pseudonyms, never by name), signed with its key; servers peer by following each other's
notes actor. To people on servers that do not speak notes, a note rated helpful appears as a
public reply by it. It is a bot account made on first need, under the reserved name `notes`.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from pnyx.core import uris
from pnyx.db.engine import Tx
from pnyx.db.ids import new_id
from pnyx.db.insert_ignore import insert_ignore
from pnyx.db.tables import accounts

USERNAME = "notes"


def actor_id(tx: Tx) -> int | None:
    """The notes actor's id, None until it is made."""
    return tx.scalar(
        sa.select(accounts.c.id).where(
            sa.func.lower(accounts.c.username) == USERNAME, accounts.c.domain.is_(None)
        )
    )


def notes_actor(tx: Tx) -> int:
    """The notes actor's id, made on first need."""
    found = actor_id(tx)
    if found is None:
        insert_ignore(
            tx,
            accounts,
            {
                "id": new_id(),
                "username": USERNAME,
                "domain": None,
                "display_name": f"{tx.settings.domain} community notes",
                "note": (
                    "<p>Context that people who usually disagree both found helpful: the "
                    f'community notes of {tx.settings.domain}. <a href="'
                    f'{tx.settings.base_url}/notes/about">How notes are rated</a>.</p>'
                ),
                "fields": [],
                "also_known_as": [],
                "discoverable": False,
                "bot": True,
                "created_at": tx.now,
                "updated_at": tx.now,
                **uris.account_actor_urls(tx.settings, USERNAME),
            },
        )
        found = actor_id(tx)
        assert found is not None  # made above, or by a concurrent first need
    return found


def is_notes_actor(row: Any) -> bool:
    """Whether an account row is a notes actor (ours or another server's), by its name:
    every Pnyx server names it `notes`, and only its peers' are trusted (`core.notes.peers`)."""
    return row.username.lower() == USERNAME
