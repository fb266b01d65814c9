"""Which accounts are one person: the keys an account is known by, and the keys it proves.

FEP-7628 calls two actors *linked* when they are the same person; FEP-c390 links them by
identity statements: an actor that attaches a valid statement for a key holds that key, and
two actors holding the same key are one person. That is what lets a Move sent by a new actor
be accepted when the old actor's server is gone: nothing needs to be asked of the old server,
only what this server knew of the old actor before it died.

So the two sides are read differently, on purpose:

- what the **old** account is *known by* here: every key it announced when its actor was
  read (`assertionMethod`, kept in `integrity_keys`; its posts' proofs are made with it), and
  the subjects of the statements it attached (`identity_subjects`). Its server vouched for
  them, back when it was alive;
- what the **new** account *proves*: for an actor elsewhere, only the subjects of the
  statements its document carried when it was last fetched (the caller fetches it fresh),
  each signed by the key itself; never the keys it merely announces (a public key is public:
  anyone can copy one into their `assertionMethod`). For an account here: its own key and the
  keys it carried from its old server (an export's identity.json), whose private halves are
  kept here.

Keys are compared as their 32 raw bytes: core knows nothing of `did:key` (federation writes and
reads them).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa

from pnyx.core.integrity_keys import IntegrityKey, ensure_local, local_public
from pnyx.db.engine import Tx
from pnyx.db.insert_ignore import insert_ignore
from pnyx.db.tables import accounts, identity_subjects, integrity_keys

MAX_SUBJECTS = 20  # an actor attaching more is not a person's few keys

CARRIED_PREFIX = "did:key:"  # the ids of the keys carried from another server


def remember_subjects(tx: Tx, account_id: int, subjects: Sequence[tuple[str, bytes]]) -> None:
    """Keep the (subject, key) pairs of the statements an actor elsewhere attached, as its
    document says now: the ones it no longer attaches are forgotten."""
    wanted = dict(list(subjects)[:MAX_SUBJECTS])
    kept = {
        r.subject: bytes(r.public_key)
        for r in tx.rows(
            sa.select(identity_subjects.c.subject, identity_subjects.c.public_key).where(
                identity_subjects.c.account_id == account_id
            )
        )
    }
    gone = [s for s, key in kept.items() if wanted.get(s) != key]
    if gone:
        tx.execute(
            identity_subjects.delete().where(
                identity_subjects.c.account_id == account_id,
                identity_subjects.c.subject.in_(gone),
            )
        )
    for subject, public in wanted.items():
        if kept.get(subject) != public:  # (a fetch of the same actor at once may add it too)
            row = {"account_id": account_id, "subject": subject, "public_key": public}
            insert_ignore(tx, identity_subjects, {**row, "created_at": tx.now})


def subjects(tx: Tx, account_id: int) -> list[str]:
    """The subjects kept for an actor elsewhere, in order."""
    return tx.scalars(
        sa.select(identity_subjects.c.subject)
        .where(identity_subjects.c.account_id == account_id)
        .order_by(identity_subjects.c.subject)
    )


def _subject_keys(tx: Tx, account_id: int) -> set[bytes]:
    rows = tx.scalars(
        sa.select(identity_subjects.c.public_key).where(
            identity_subjects.c.account_id == account_id
        )
    )
    return {bytes(k) for k in rows}


def _integrity_keys(tx: Tx, account_id: int) -> set[bytes]:
    rows = tx.scalars(
        sa.select(integrity_keys.c.public_key).where(integrity_keys.c.account_id == account_id)
    )
    return {bytes(k) for k in rows}


def _is_local(tx: Tx, account_id: int) -> bool:
    domain = tx.one_or_none(sa.select(accounts.c.domain).where(accounts.c.id == account_id))
    return domain is not None and domain.domain is None


def known_keys(tx: Tx, account_id: int) -> set[bytes]:
    """The keys the account is known by here (the old side of a link): every key kept for it
    (announced, or its own and carried ones for an account here) and its statements' keys."""
    return _integrity_keys(tx, account_id) | _subject_keys(tx, account_id)


def proven_keys(tx: Tx, account_id: int) -> set[bytes]:
    """The keys the account proves it holds (the new side of a link): its statements' keys
    for an actor elsewhere; its own key and the carried ones for an account here."""
    if _is_local(tx, account_id):
        own = local_public(tx, account_id)
        carried = {key.public_key for key in carried_keys(tx, account_id)}
        return carried | ({own.public_key} if own is not None else set())
    return _subject_keys(tx, account_id)


def linked(tx: Tx, old_id: int, new_id: int) -> bool:
    """Whether the account `new_id` proves a key the account `old_id` is known by."""
    if old_id == new_id:
        return False
    return bool(known_keys(tx, old_id) & proven_keys(tx, new_id))


def carried_keys(tx: Tx, account_id: int) -> list[IntegrityKey]:
    """The keys a local account carried from old servers, oldest first, with when they were
    kept (the time of the statement published for each: the actor document stays stable)."""
    rows = tx.rows(
        sa.select(integrity_keys)
        .where(
            integrity_keys.c.account_id == account_id,
            integrity_keys.c.key_id.startswith(CARRIED_PREFIX),
            integrity_keys.c.private_key.is_not(None),
        )
        .order_by(integrity_keys.c.created_at, integrity_keys.c.key_id)
    )
    return [
        IntegrityKey(
            r.key_id, r.account_id, bytes(r.public_key), bytes(r.private_key), r.created_at
        )
        for r in rows
    ]


def statement_keys(tx: Tx, account_id: int) -> list[IntegrityKey]:
    """The keys a local account publishes an identity statement for: its own (made on first
    need), then the ones it carried."""
    return [ensure_local(tx, account_id), *carried_keys(tx, account_id)]


def holds_carried(tx: Tx, account_id: int, key_id: str) -> bool:
    """Whether the local account carried the key `key_id` (a did:key) from its old server."""
    return any(key.key_id == key_id for key in carried_keys(tx, account_id))
