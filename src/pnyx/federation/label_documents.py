"""Labels on the wire (issue 12): a labeler's actor announces its label definitions and its
Ed25519 key (FEP-521a `assertionMethod`), each label is a `Label` object signed with a Data
Integrity proof (FEP-8b32, `eddsa-jcs-2022`), served at its id and in the labeler's `labels`
collection, and delivered in a `Create`.

Both directions live here, as for the moderation log's documents:

- to AS2: `label_object` (signed), `labeler_parts` (what a labeler's actor adds);
- from AS2: `store_labeler` (definitions and key from a fetched actor), `receive_label` (a
  label whose proof holds, from a labeler whose definitions say its value, unexpired; anything
  else is logged and ignored, never stored).

docs/federation.md describes the vocabulary (`https://w3id.org/pnyx/ns#`).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from pnyx.core import integrity_keys, labels
from pnyx.core.errors import CoreError
from pnyx.db.engine import Tx
from pnyx.federation import data_integrity
from pnyx.federation.as2_common import as_list, http_url, id_of, parse_datetime, same_origin
from pnyx.federation.internal_to_as2 import iso
from pnyx.federation.vocab import AS_CONTEXT

log = logging.getLogger("pnyx.federation.labels")

DATA_INTEGRITY_CONTEXT = "https://w3id.org/security/data-integrity/v2"
MULTIKEY_CONTEXT = "https://w3id.org/security/multikey/v1"
LABEL_TERMS = {
    "pnyx": "https://w3id.org/pnyx/ns#",
    "Label": "pnyx:Label",
    "subject": {"@id": "pnyx:subject", "@type": "@id"},
    "labelValue": "pnyx:value",
    "neg": "pnyx:neg",
    "expires": {"@id": "pnyx:expires", "@type": "http://www.w3.org/2001/XMLSchema#dateTime"},
    "labelDefinitions": "pnyx:labelDefinitions",
    "LabelDefinition": "pnyx:LabelDefinition",
    "severity": "pnyx:severity",
    "defaultSetting": "pnyx:defaultSetting",
    "labels": {"@id": "pnyx:labels", "@type": "@id"},
}
LABEL_CONTEXT = [AS_CONTEXT, DATA_INTEGRITY_CONTEXT, LABEL_TERMS]
MAX_DEFINITIONS = labels.MAX_DEFINITIONS


# --- To AS2 ------------------------------------------------------------------------------------


def precise(moment: datetime) -> str:
    """UTC with microseconds and Z (ISO 8601: any fraction is allowed)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def labels_url(actor_uri: str) -> str:
    return f"{actor_uri}/labels"


def label_object(row: Any, labeler: Any, key: integrity_keys.IntegrityKey) -> dict:
    """One of our labels as its labeler signs it: `published` is when it was said; a
    negation says `neg`; `expires` when it ends."""
    doc: dict = {
        "@context": LABEL_CONTEXT,
        "id": row.uri,
        "type": "Label",
        "attributedTo": labeler.uri,
        "subject": row.subject_uri,
        "labelValue": row.value,
        "neg": bool(row.neg),
        # To the microsecond: a negation said within the second of its label must sort after it.
        "published": precise(row.labeled_at),
    }
    if row.expires_at is not None:
        doc["expires"] = iso(row.expires_at)
    if row.reason:
        doc["summary"] = row.reason
    assert key.private_key is not None
    return data_integrity.sign(doc, key.private_key, key.key_id, row.labeled_at)


def labeler_parts(actor_uri: str, definitions: list[Any], key: integrity_keys.IntegrityKey) -> dict:
    """What a labeler's actor document adds: its key for proofs, its definitions, and where
    its labels are."""
    return {
        "assertionMethod": [
            {
                "id": key.key_id,
                "type": "Multikey",
                "controller": actor_uri,
                "publicKeyMultibase": data_integrity.multikey(key.public_key),
            }
        ],
        "labels": labels_url(actor_uri),
        "labelDefinitions": [
            {
                "type": "LabelDefinition",
                "labelValue": d.value,
                "severity": d.severity,
                "defaultSetting": d.default_setting,
                "nameMap": {e["lang"]: e["name"] for e in d.locales or []},
                "summaryMap": {
                    e["lang"]: e.get("description", "")
                    for e in d.locales or []
                    if e.get("description")
                },
            }
            for d in definitions
        ],
    }


def with_labeler_context(context: Any) -> list:
    """An actor's `@context` with the terms a labeler's parts use."""
    found = list(context) if isinstance(context, list) else [context]
    return [*found, MULTIKEY_CONTEXT, LABEL_TERMS]


# --- From AS2 ----------------------------------------------------------------------------------


def _definitions(doc: dict) -> list[labels.Definition]:
    found = []
    for item in as_list(doc.get("labelDefinitions"))[:MAX_DEFINITIONS]:
        if not isinstance(item, dict):
            continue
        value = item.get("labelValue")
        severity = item.get("severity")
        default = item.get("defaultSetting")
        if not isinstance(value, str) or severity not in labels.SEVERITIES:
            continue
        if default not in labels.SETTINGS:
            default = {"hide": "hide", "warn": "warn"}.get(severity, "show")
        names = item.get("nameMap") if isinstance(item.get("nameMap"), dict) else {}
        summaries = item.get("summaryMap") if isinstance(item.get("summaryMap"), dict) else {}
        locales = tuple(
            {"lang": str(lang), "name": str(name), "description": str(summaries.get(lang, ""))}
            for lang, name in names.items()
            if isinstance(name, str)
        )
        try:
            found.append(
                labels.check_definition(labels.Definition(value, severity, default, locales))
            )
        except CoreError:
            continue
    return found


def _keys(doc: dict, actor_uri: str) -> list[tuple[str, bytes]]:
    """The Ed25519 Multikeys an actor announces for assertions, controlled by itself."""
    found = []
    for item in as_list(doc.get("assertionMethod")):
        if not isinstance(item, dict) or item.get("type") != "Multikey":
            continue
        key_id = http_url(id_of(item))
        if key_id is None or not same_origin(key_id, actor_uri):
            continue
        if id_of(item.get("controller")) != actor_uri:
            continue
        try:
            public = data_integrity.public_key_from_multikey(str(item.get("publicKeyMultibase")))
        except ValueError:
            continue
        found.append((key_id, public))
    return found


def store_labeler(tx: Tx, account_id: int, doc: dict, actor_uri: str) -> None:
    """Keep what a fetched actor says as a labeler: its definitions (replacing the ones kept)
    and its keys for proofs. An actor that says nothing of labels changes nothing."""
    for key_id, public in _keys(doc, actor_uri):
        integrity_keys.remember_remote(tx, account_id, key_id, public)
    if "labelDefinitions" in doc:
        labels.define(tx, account_id, _definitions(doc))


def applied_here(tx: Tx, labeler_id: int) -> bool:
    """Whether someone here subscribes to this labeler (else its labels are not kept)."""
    return labels.has_subscribers(tx, labeler_id)


class LabelRefused(Exception):
    """Why a received label is ignored (logged, never stored)."""


def parse_received(doc: Any) -> tuple[str, labels.LabelInput]:
    """(labeler uri, label) of a received Label object, before its proof is checked."""
    if not isinstance(doc, dict) or doc.get("type") != "Label":
        raise LabelRefused("not a Label")
    uri = http_url(doc.get("id"))
    labeler = http_url(id_of(doc.get("attributedTo")))
    subject = http_url(id_of(doc.get("subject")))
    value = doc.get("labelValue")
    if uri is None or labeler is None or subject is None or not isinstance(value, str):
        raise LabelRefused("a Label needs an id, attributedTo, subject and labelValue")
    if not same_origin(uri, labeler):
        raise LabelRefused("the label's id is not on its labeler's server")
    published = parse_datetime(doc.get("published"))
    if published is None:
        raise LabelRefused("a Label needs its published time")
    expires = parse_datetime(doc.get("expires")) if doc.get("expires") is not None else None
    reason = doc.get("summary") if isinstance(doc.get("summary"), str) else None
    neg = doc.get("neg") is True
    return labeler, labels.LabelInput(
        subject_uri=subject,
        value=value,
        neg=neg,
        labeled_at=published,
        expires_at=expires,
        reason=reason,
        uri=uri,
        document=doc,
    )


def verify(tx: Tx, doc: dict, labeler_id: int) -> bool:
    """Whether the label's proof holds under a key its labeler announced."""
    key_id = data_integrity.proof_key_id(doc)
    key = integrity_keys.find(tx, key_id) if key_id else None
    if key is None or key.account_id != labeler_id:
        return False
    return data_integrity.verify(doc, key.public_key)


def receive_label(tx: Tx, doc: dict, labeler_id: int, now: datetime) -> int | None:
    """Store a received label whose proof holds (the caller found its labeler); refused
    labels raise LabelRefused with why."""
    _uri, data = parse_received(doc)
    if not verify(tx, doc, labeler_id):
        raise LabelRefused("its proof does not hold (forged or tampered)")
    if data.expires_at is not None and data.expires_at <= now:
        raise LabelRefused("it has expired")
    try:
        return labels.issue(tx, labeler_id, data)
    except CoreError as exc:
        raise LabelRefused(exc.message) from None
