"""Community notes on the wire (issue 13): a note is a `CommunityNote`, a rating a
`NoteRating`, each an object of its server's notes actor (`core.notes.actor`), naming its
author or rater by a pseudonym only, and signed with that actor's Ed25519 key as a Data
Integrity proof (FEP-8b32, `eddsa-jcs-2022`), as labels are (`label_documents`). The notes
actor announces the key in `assertionMethod` (FEP-521a).

Both directions live here:

- to AS2: `note_object`, `rating_object` (signed), `assertion_method` (what the notes actor's
  document adds);
- from AS2: `parse` (a received object, checked for shape: hostile documents are refused),
  `peer_of` and `verify` (the object is its peer's and its proof holds, whoever delivered
  it), `take` (the rules of `core.notes.received`), and `fetch_note` (a note a rating names
  that is not held here yet, read from its id).

Anything refused is logged (`pnyx.federation.notes`) and never stored. docs/federation.md
("Community notes") describes the vocabulary (`https://w3id.org/pnyx/ns#`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pnyx.config import Settings
from pnyx.core import federation_reads as reads
from pnyx.core import integrity_keys
from pnyx.core.notes import actor as notes_actor
from pnyx.core.notes import outgoing, peers, received, writing
from pnyx.db.engine import Database, Tx
from pnyx.federation import data_integrity, resolve
from pnyx.federation.as2_common import as_list, http_url, id_of, parse_datetime, same_origin
from pnyx.federation.label_documents import DATA_INTEGRITY_CONTEXT, MULTIKEY_CONTEXT, precise
from pnyx.federation.vocab import AS_CONTEXT, PUBLIC

log = logging.getLogger("pnyx.federation.notes")

NOTE, RATING = "CommunityNote", "NoteRating"
TYPES = frozenset({NOTE, RATING})
NOTE_TERMS = {
    "pnyx": "https://w3id.org/pnyx/ns#",
    "CommunityNote": "pnyx:CommunityNote",
    "NoteRating": "pnyx:NoteRating",
    "subject": {"@id": "pnyx:subject", "@type": "@id"},
    "participant": "pnyx:participant",
    "classification": "pnyx:classification",
    "reasons": {"@id": "pnyx:reasons", "@container": "@set"},
    "trustworthySources": "pnyx:trustworthySources",
    "note": {"@id": "pnyx:note", "@type": "@id"},
    "helpfulnessLevel": "pnyx:helpfulnessLevel",
    "helpfulTags": {"@id": "pnyx:helpfulTags", "@container": "@set"},
    "notHelpfulTags": {"@id": "pnyx:notHelpfulTags", "@container": "@set"},
}
NOTE_CONTEXT = [AS_CONTEXT, DATA_INTEGRITY_CONTEXT, NOTE_TERMS]
# Caps on what a received object may carry before any rule reads it (the rules then say
# which values are right): more than any honest server sends.
MAX_SUMMARY_CHARS = 4 * writing.MAX_SUMMARY
MAX_LIST = 32
MAX_WORD = 64


class NoteRefused(Exception):  # noqa: N818 - a verdict, logged by the caller
    """Why a received note or rating is ignored (logged, never stored)."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


# --- To AS2 ------------------------------------------------------------------------------------


def assertion_method(actor_uri: str, key: integrity_keys.IntegrityKey) -> list[dict]:
    """What the notes actor's document announces: the key its objects' proofs are made with."""
    return [
        {
            "id": key.key_id,
            "type": "Multikey",
            "controller": actor_uri,
            "publicKeyMultibase": data_integrity.multikey(key.public_key),
        }
    ]


def with_key_context(context: Any) -> list:
    found = list(context) if isinstance(context, list) else [context]
    return [*found, MULTIKEY_CONTEXT]


def _sign(doc: dict, key: integrity_keys.IntegrityKey, created: datetime) -> dict:
    assert key.private_key is not None
    return data_integrity.sign(doc, key.private_key, key.key_id, created)


def note_object(
    note: outgoing.OutgoingNote, actor_uri: str, key: integrity_keys.IntegrityKey
) -> dict:
    """A note written here, as the notes actor signs it."""
    row = note.row
    doc = {
        "@context": NOTE_CONTEXT,
        "id": row.uri,
        "type": NOTE,
        "attributedTo": actor_uri,
        "to": [PUBLIC],
        "participant": note.pseudonym,
        "subject": row.subject_uri,
        "classification": row.classification,
        "reasons": list(row.reasons or ()),
        "summary": row.summary,
        "trustworthySources": bool(row.trustworthy_sources),
        "published": precise(row.created_at),
    }
    return _sign(doc, key, row.created_at)


def rating_object(
    rating: outgoing.OutgoingRating, actor_uri: str, key: integrity_keys.IntegrityKey
) -> dict:
    """A rating given here, as the notes actor signs it: `updated` is when it was last
    changed (a receiver keeps the latest of a rater's ratings of a note)."""
    row = rating.row
    doc = {
        "@context": NOTE_CONTEXT,
        "id": row.uri,
        "type": RATING,
        "attributedTo": actor_uri,
        "to": [PUBLIC],
        "participant": rating.pseudonym,
        "note": rating.note_uri,
        "helpfulnessLevel": row.helpfulness_level,
        "helpfulTags": list(row.helpful_tags or ()),
        "notHelpfulTags": list(row.not_helpful_tags or ()),
        "published": precise(row.created_at),
        "updated": precise(row.updated_at),
    }
    return _sign(doc, key, row.updated_at)


# --- From AS2 ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Parsed:
    kind: str  # NOTE or RATING
    actor_uri: str
    note: received.ReceivedNote | None = None
    rating: received.ReceivedRating | None = None


def _words(value: Any, what: str) -> list[str]:
    items = as_list(value)
    if len(items) > MAX_LIST or not all(isinstance(i, str) and len(i) <= MAX_WORD for i in items):
        raise NoteRefused(f"its {what} are not a short list of names")
    return items


def _word(value: Any, what: str) -> str:
    if not isinstance(value, str) or not value or len(value) > MAX_WORD:
        raise NoteRefused(f"its {what} is not a name")
    return value


def parse(doc: Any) -> Parsed:
    """A received CommunityNote or NoteRating, checked for shape (ids are http(s) URLs on
    the server of the notes actor it is attributed to; values are short strings), before its
    proof and the rules are."""
    if not isinstance(doc, dict) or doc.get("type") not in TYPES:
        raise NoteRefused("not a CommunityNote or NoteRating")
    kind = doc["type"]
    uri = http_url(doc.get("id"))
    actor_uri = http_url(id_of(doc.get("attributedTo")))
    if uri is None or actor_uri is None:
        raise NoteRefused(f"a {kind} needs an http(s) id and attributedTo")
    if not same_origin(uri, actor_uri):
        raise NoteRefused(f"the {kind}'s id is not on its notes actor's server")
    pseudonym = _word(doc.get("participant"), "participant")
    published = parse_datetime(doc.get("published"))
    if published is None:
        raise NoteRefused(f"a {kind} needs its published time")
    if kind == NOTE:
        subject = http_url(id_of(doc.get("subject")))
        summary = doc.get("summary")
        trusted = doc.get("trustworthySources", True)
        if subject is None:
            raise NoteRefused("a CommunityNote needs the http(s) URI of its post as subject")
        if not isinstance(summary, str) or len(summary) > MAX_SUMMARY_CHARS:
            raise NoteRefused("its summary is missing or too long")
        if not isinstance(trusted, bool):
            raise NoteRefused("trustworthySources is not true or false")
        note = received.ReceivedNote(
            uri=uri,
            subject_uri=subject,
            pseudonym=pseudonym,
            classification=_word(doc.get("classification"), "classification"),
            reasons=_words(doc.get("reasons"), "reasons"),
            summary=summary,
            trustworthy_sources=trusted,
            published=published,
            document=doc,
        )
        return Parsed(NOTE, actor_uri, note=note)
    note_uri = http_url(id_of(doc.get("note")))
    if note_uri is None:
        raise NoteRefused("a NoteRating needs the http(s) id of its note")
    updated = parse_datetime(doc.get("updated")) if doc.get("updated") is not None else published
    if updated is None:
        raise NoteRefused("its updated time is not a time")
    rating = received.ReceivedRating(
        uri=uri,
        note_uri=note_uri,
        pseudonym=pseudonym,
        helpfulness_level=_word(doc.get("helpfulnessLevel"), "helpfulnessLevel"),
        helpful_tags=_words(doc.get("helpfulTags"), "helpfulTags"),
        not_helpful_tags=_words(doc.get("notHelpfulTags"), "notHelpfulTags"),
        updated=max(updated, published),
        document=doc,
    )
    return Parsed(RATING, actor_uri, rating=rating)


def peer_of(tx: Tx, actor_uri: str) -> Any | None:
    """The account row of the peer whose notes actor this is, or None (not a peer)."""
    return peers.peer_by_uri(tx, actor_uri)


def peer_for_uri(tx: Tx, uri: str) -> Any | None:
    """The peer on whose server `uri` is, or None."""
    return next((p for p in peers.peer_accounts(tx) if same_origin(uri, p.uri)), None)


def verify(tx: Tx, doc: dict, peer_id: int) -> bool:
    """Whether the object's proof holds under a key the peer's notes actor announced."""
    key_id = data_integrity.proof_key_id(doc)
    key = integrity_keys.find(tx, key_id) if key_id else None
    if key is None or key.account_id != peer_id:
        return False
    return data_integrity.verify(doc, key.public_key)


def take(tx: Tx, peer: Any, parsed: Parsed) -> int | None:
    """Keep a checked object by the rules of `core.notes.received` (Refused says why not);
    its row id, or None when it changed nothing."""
    if parsed.note is not None:
        return received.receive_note(tx, peer, parsed.note)
    assert parsed.rating is not None
    return received.receive_rating(tx, peer, parsed.rating)


def checked(tx: Tx, doc: Any) -> tuple[Parsed, Any]:
    """A received object and its peer, once its shape, its peer and its proof are checked;
    NoteRefused otherwise (the caller may read the peer's actor again when the key is not
    known: `KeyUnknown`)."""
    parsed = parse(doc)
    peer = peer_of(tx, parsed.actor_uri)
    if peer is None:
        raise NoteRefused(f"{parsed.actor_uri} is not a peer's notes actor")
    if not verify(tx, doc, peer.id):
        key_id = data_integrity.proof_key_id(doc)
        if key_id is None or not same_origin(key_id, parsed.actor_uri):
            raise NoteRefused("its proof does not hold (unsigned, or not by its notes actor)")
        raise KeyUnknown(parsed.actor_uri)
    return parsed, peer


class KeyUnknown(NoteRefused):
    """The proof does not hold under any key held for the peer: read its actor again once (a
    new key), then it is forged or tampered."""

    def __init__(self, actor_uri: str):
        super().__init__("its proof does not hold (forged or tampered)")
        self.actor_uri = actor_uri


def is_notes_actor(row: Any) -> bool:
    return notes_actor.is_notes_actor(row)


# --- Finding a peer, fetching a note a rating names -----------------------------------------


def find_notes_actor(db: Database, settings: Settings, domain: str) -> int:
    """The account of `notes@domain`, read fresh from its server (with the key its proofs
    are checked with), for the staff to make it a peer; ResolveError when it cannot be
    found. Network: outside any transaction."""
    handle = f"{notes_actor.USERNAME}@{domain}"
    account_id = resolve.resolve_handle(db, settings, handle)
    found = db.run_sync(reads.account, account_id, write=False)
    if found is None or found.domain is None:
        raise resolve.ResolveError(f"{handle} is not an account of another server")
    return resolve.fetch_actor(db, settings, found.uri)  # refreshed: its current key


def fetch_note(db: Database, settings: Settings, uri: str) -> bool:
    """Read a note of a peer from its id, check it as a delivered one (its proof, by the
    peer's key, read again once if need be) and keep it, its post first when we can read it;
    whether it is held now. Runs outside any transaction (network)."""
    if db.run_sync(received.note_by_uri, uri, write=False) is not None:
        return True
    peer = db.run_sync(peer_for_uri, uri, write=False)
    if peer is None:
        log.info("note %s not fetched: not on a peer's server", uri)
        return False
    doc = resolve.fetch_document(db, settings, uri)
    try:
        try:
            parsed, peer = db.run_sync(checked, doc, write=False)
        except KeyUnknown as exc:  # a key the peer announced since: its actor, read again
            resolve.fetch_actor(db, settings, exc.actor_uri)
            parsed, peer = db.run_sync(checked, doc, write=False)
    except NoteRefused as exc:
        log.warning("fetched note %s refused: %s", uri, exc.reason)
        return False
    if parsed.note is None or parsed.note.uri != uri:
        log.warning("fetched %s is not the note it names", uri)
        return False
    subject = parsed.note.subject_uri
    if db.run_sync(received.subject_status_id, subject, write=False) is None:
        try:
            resolve.fetch_status(db, settings, subject)
        except resolve.ResolveError as exc:
            log.info("post %s of note %s not fetched: %s", subject, uri, exc.reason)
    try:
        db.run_sync(take, peer, parsed)
    except received.Refused as exc:
        log.warning("fetched note %s from %s refused: %s", uri, peer.uri, exc.reason)
        return False
    return True
