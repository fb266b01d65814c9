"""The servers this one exchanges community notes with, chosen by the staff.

A peer is another Pnyx server's notes actor (`notes@domain`, `core.notes.actor`). Adding one
makes our notes actor follow it, through the ordinary follow machinery (`core.follows`: a
Follow goes out; the peer's notes actor is an open bot account and accepts at once), so that
its notes and ratings reach us; ours reach whoever follows our notes actor. Peering is one
way: each server's staff choose whose notes they take in.

What a peer sends is taken in by `core.notes.received`, and only from a peer: the proof of
every note and rating must hold under the key the peer's notes actor announces. Finding
`notes@domain` on the network is the edges' work (the admin API, the CLI); here the account
is already stored.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from pnyx.core import follows
from pnyx.core.errors import Invalid, NotFound
from pnyx.core.notes import actor
from pnyx.db.engine import Tx
from pnyx.db.tables import accounts, follow_requests, integrity_keys, note_peers
from pnyx.db.tables import follows as follows_table

NOT_A_PEER = "{domain} has no Pnyx notes actor (notes@{domain} announcing a key for its proofs)"


def _notes_actor_row(tx: Tx, account_id: int) -> Any:
    row = tx.one_or_none(sa.select(accounts).where(accounts.c.id == account_id))
    if row is None:
        raise NotFound()
    return row


def check_candidate(tx: Tx, account_id: int) -> Any:
    """The account row of another server's notes actor that may become a peer, or Invalid
    saying why not: it is `notes` of another server, not suspended, and its actor announces
    an Ed25519 key (FEP-521a `assertionMethod`) its proofs are checked with."""
    row = _notes_actor_row(tx, account_id)
    domain = row.domain or tx.settings.domain
    if row.domain is None:
        raise Invalid("This server's own notes actor cannot be its peer")
    if not actor.is_notes_actor(row):
        raise Invalid(NOT_A_PEER.format(domain=domain))
    if row.suspended_at is not None:
        raise Invalid(f"{domain} is suspended here")
    has_key = tx.scalar(sa.select(sa.exists().where(integrity_keys.c.account_id == row.id)))
    if not has_key:
        raise Invalid(NOT_A_PEER.format(domain=domain))
    return row


def add(tx: Tx, account_id: int) -> Any:
    """Make another server's notes actor a peer: kept in `note_peers`, and followed by our
    notes actor. Adding a peer again changes nothing. Returns the peer as `listing` shows
    it."""
    row = check_candidate(tx, account_id)
    ours = actor.notes_actor(tx)
    known = tx.scalar(sa.select(note_peers.c.account_id).where(note_peers.c.account_id == row.id))
    if known is None:
        tx.execute(
            note_peers.insert().values(account_id=row.id, domain=row.domain, created_at=tx.now)
        )
    follows.follow(tx, ours, row.id)
    return get(tx, row.id)


def remove(tx: Tx, account_id: int) -> None:
    """Stop taking in a peer's notes: our notes actor unfollows it. The notes and ratings it
    sent stay (they are part of the data every run scores)."""
    known = tx.scalar(
        sa.select(note_peers.c.account_id).where(note_peers.c.account_id == account_id)
    )
    if known is None:
        raise NotFound()
    tx.execute(note_peers.delete().where(note_peers.c.account_id == account_id))
    follows.unfollow(tx, actor.notes_actor(tx), account_id)


def _listing_query(ours: int) -> sa.Select:
    following = sa.exists().where(
        follows_table.c.account_id == ours,
        follows_table.c.target_account_id == note_peers.c.account_id,
    )
    requested = sa.exists().where(
        follow_requests.c.account_id == ours,
        follow_requests.c.target_account_id == note_peers.c.account_id,
    )
    followed_by = sa.exists().where(
        follows_table.c.account_id == note_peers.c.account_id,
        follows_table.c.target_account_id == ours,
    )
    return (
        sa.select(
            note_peers.c.account_id,
            note_peers.c.domain,
            note_peers.c.created_at,
            accounts.c.uri,
            following.label("following"),
            requested.label("requested"),
            followed_by.label("followed_by"),
        )
        .join(accounts, accounts.c.id == note_peers.c.account_id)
        .order_by(note_peers.c.domain)
    )


def listing(tx: Tx) -> list[Any]:
    """Every peer: its notes actor (id, uri), domain, since when, and whether the follows
    both ways are in place (`following`: we receive its notes; `requested`: still waiting
    for its answer; `followed_by`: it receives ours)."""
    return tx.rows(_listing_query(actor.notes_actor(tx)))


def get(tx: Tx, account_id: int) -> Any:
    found = tx.one_or_none(
        _listing_query(actor.notes_actor(tx)).where(note_peers.c.account_id == account_id)
    )
    if found is None:
        raise NotFound()
    return found


def by_domain(tx: Tx, domain: str) -> int | None:
    """The notes actor of the peer on `domain`, if it is one."""
    return tx.scalar(
        sa.select(note_peers.c.account_id).where(note_peers.c.domain == domain.lower())
    )


def is_peer(tx: Tx, account_id: int) -> bool:
    return (
        tx.scalar(sa.select(note_peers.c.account_id).where(note_peers.c.account_id == account_id))
        is not None
    )


def receivers(tx: Tx) -> list[int]:
    """The other servers' notes actors that follow ours: where our notes and ratings go (a
    person who follows the notes actor gets its posts, the replies of `context_replies`, but
    not the notes and ratings themselves, which only a Pnyx server reads)."""
    return tx.scalars(
        sa.select(accounts.c.id)
        .join(follows_table, follows_table.c.account_id == accounts.c.id)
        .where(
            follows_table.c.target_account_id == actor.notes_actor(tx),
            accounts.c.domain.isnot(None),
            sa.func.lower(accounts.c.username) == actor.USERNAME,
        )
    )


def peer_accounts(tx: Tx) -> list[Any]:
    """The account rows of every peer's notes actor."""
    return tx.rows(sa.select(accounts).join(note_peers, note_peers.c.account_id == accounts.c.id))


def peer_by_uri(tx: Tx, actor_uri: str) -> Any | None:
    """The account row of the peer whose notes actor has this uri, or None."""
    return tx.one_or_none(
        sa.select(accounts)
        .join(note_peers, note_peers.c.account_id == accounts.c.id)
        .where(accounts.c.uri == actor_uri)
    )
