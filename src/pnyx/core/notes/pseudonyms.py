"""Participant ids: how a note's author or a rater is named outside this server.

Ratings are anonymous to other users, and a person's notes are not signed with their name:
what leaves the database (the open data, other servers) is a pseudonym, stable so that the
model can learn each rater's factor. Here it is an HMAC of the account id under a secret
kept in the database, so nobody without the secret can tell whose it is.

Another server names its people with its own pseudonyms; a pseudonym is made unique across
servers by hashing it with the server that vouches for it (`participant`), so that a hostile
server cannot speak as another server's raters by copying their pseudonyms.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

import sqlalchemy as sa

from pnyx.db.engine import Tx
from pnyx.db.insert_ignore import insert_ignore
from pnyx.db.tables import instance_state

_KEY = "notes_pseudonym_secret"


def _secret(tx: Tx) -> bytes:
    found = tx.scalar(sa.select(instance_state.c.value).where(instance_state.c.key == _KEY))
    if found is None:
        insert_ignore(tx, instance_state, {"key": _KEY, "value": secrets.token_hex(32)})
        found = tx.scalar(sa.select(instance_state.c.value).where(instance_state.c.key == _KEY))
    return bytes.fromhex(found)


def pseudonym(tx: Tx, account_id: int) -> str:
    """What this server calls a local account in notes it sends (64 hex digits)."""
    return hmac.new(_secret(tx), str(account_id).encode(), hashlib.sha256).hexdigest().upper()


def participant(origin: str, pseudonym_sent: str) -> str:
    """The participant id every server stores and the open data shows, for a pseudonym as
    the server `origin` sent it."""
    return hashlib.sha256(f"{origin}\n{pseudonym_sent}".encode()).hexdigest().upper()


def local_participant(tx: Tx, account_id: int) -> str:
    return participant(tx.settings.domain, pseudonym(tx, account_id))
