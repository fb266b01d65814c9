"""What a Data Integrity proof (FEP-8b32, eddsa-jcs-2022) costs per document, against
serializing the same document with orjson (what every served or delivered document costs
anyway), measured in the same run.

    .venv/bin/python bench/proofs.py                 # 2,000 rounds per document
    .venv/bin/python bench/proofs.py --rounds 500 --json

Documents, shaped as Pnyx serves them: a short post (Note, one mention, two hashtags), a long
post (a 5,000-character Note with four attachments and ten mentions), its Create (the Note
embedded, signed first), and an actor (Person with fields and its key). For each, the median
over the rounds of:

- baseline: `orjson.dumps` of the document;
- JCS: `rfc8785.dumps` of the document (the canonical form the proof hashes; pure Python);
- sign, cold: `data_integrity.sign` (JCS of the document and of the proof options, SHA-256,
  Ed25519), what the first fetch of a version of a post costs;
- sign, kept: `object_proofs.sign_with` once the proof is kept (the fingerprint is an orjson
  dump with sorted keys and a SHA-256), what every later fetch of the same version costs;
- verify: `data_integrity.verify`, what the inbox adds for an activity that carries a proof.

Times are CPU time of this thread (`time.thread_time_ns`), so that other work on a shared
machine weighs less. Ratios are to the baseline of the same document.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import orjson
import rfc8785
from tqdm import tqdm

from pnyx.core.integrity_keys import IntegrityKey
from pnyx.federation import data_integrity, object_proofs
from pnyx.federation import internal_to_as2 as as2

sys.path.insert(0, str(Path(__file__).resolve().parent))

BASE = "https://pnyx.example"
ACTOR = f"{BASE}/users/alice"
WHEN = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)
CLOCK = time.thread_time_ns


def _note(number: int, words: int, mentions: int, attachments: int) -> dict:
    text = " ".join(f"word{i % 97}" for i in range(words))
    return {
        "@context": as2.OBJECT_CONTEXT,
        "id": f"{ACTOR}/statuses/{number}",
        "type": "Note",
        "summary": None,
        "inReplyTo": None,
        "published": "2026-12-06T12:00:00Z",
        "url": f"{BASE}/@alice/{number}",
        "attributedTo": ACTOR,
        "to": ["https://www.w3.org/ns/activitystreams#Public"],
        "cc": [f"{ACTOR}/followers"]
        + [f"https://x{i}.example/users/u{i}" for i in range(mentions)],
        "sensitive": False,
        "content": f"<p>{text}</p>",
        "contentMap": {"en": f"<p>{text}</p>"},
        "attachment": [
            {
                "type": "Document",
                "mediaType": "image/jpeg",
                "url": f"{BASE}/media/{number}/{i}.jpg",
                "name": f"a picture, described at some length for those who cannot see it {i}",
                "blurhash": "LEHV6nWB2yk8pyo0adR*.7kCMdnj",
                "width": 1600,
                "height": 1200,
            }
            for i in range(attachments)
        ],
        "tag": [
            {"type": "Mention", "href": f"https://x{i}.example/users/u{i}", "name": f"@u{i}@x{i}"}
            for i in range(mentions)
        ]
        + [
            {"type": "Hashtag", "href": f"{BASE}/tags/{name}", "name": f"#{name}"}
            for name in ("pnyx", "proofs")
        ],
        "replies": {"id": f"{ACTOR}/statuses/{number}/replies", "type": "Collection"},
        "interactionPolicy": {
            "canQuote": {"automaticApproval": ["https://www.w3.org/ns/activitystreams#Public"]}
        },
    }


def _actor(key: IntegrityKey) -> dict:
    doc = {
        "@context": as2.ACTOR_CONTEXT,
        "id": ACTOR,
        "type": "Person",
        "following": f"{ACTOR}/following",
        "followers": f"{ACTOR}/followers",
        "inbox": f"{ACTOR}/inbox",
        "outbox": f"{ACTOR}/outbox",
        "preferredUsername": "alice",
        "name": "Alice",
        "summary": "<p>Writes about federated things, at some length.</p>",
        "url": f"{BASE}/@alice",
        "manuallyApprovesFollowers": False,
        "discoverable": True,
        "published": "2026-01-01T00:00:00Z",
        "endpoints": {"sharedInbox": f"{BASE}/inbox"},
        "attachment": [
            {"type": "PropertyValue", "name": f"field {i}", "value": f"value {i}"} for i in range(4)
        ],
        "publicKey": {
            "id": f"{ACTOR}#main-key",
            "owner": ACTOR,
            "publicKeyPem": "-----BEGIN PUBLIC KEY-----\n"
            + "A" * 392
            + "\n-----END PUBLIC KEY-----\n",
        },
    }
    return object_proofs.announcing_key(doc, key)


def _median_ns(fn: Callable[[], object], rounds: int) -> float:
    samples = []
    for _ in range(rounds):
        start = CLOCK()
        fn()
        samples.append(CLOCK() - start)
    return statistics.median(samples)


def measure(name: str, doc: dict, key: IntegrityKey, rounds: int) -> dict:
    assert key.private_key is not None
    private = key.private_key
    signed = data_integrity.sign(doc, private, key.key_id, WHEN)
    assert data_integrity.verify(signed, key.public_key)
    object_proofs.sign_with(key, doc, WHEN)  # kept from now on
    figures = {
        "baseline (orjson.dumps)": _median_ns(lambda: orjson.dumps(doc), rounds),
        "JCS (rfc8785.dumps)": _median_ns(lambda: rfc8785.dumps(doc), rounds),
        "sign, cold": _median_ns(
            lambda: data_integrity.sign(doc, private, key.key_id, WHEN), rounds
        ),
        "sign, kept": _median_ns(lambda: object_proofs.sign_with(key, doc, WHEN), rounds),
        "verify": _median_ns(lambda: data_integrity.verify(signed, key.public_key), rounds),
    }
    return {"document": name, "bytes": len(orjson.dumps(signed)), "ns": figures}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=2000, help="timed calls per figure")
    parser.add_argument("--json", action="store_true", help="print raw figures as JSON")
    args = parser.parse_args(argv)

    private = data_integrity.new_private_key()
    key = IntegrityKey(
        f"{ACTOR}#ed25519-key", 1, data_integrity.public_key_of(private), private, WHEN
    )
    short = _note(1, 40, 1, 0)
    long = _note(2, 800, 10, 4)
    create = as2.create(long, actor_uri=ACTOR)
    documents = {
        "short post (Note)": short,
        "long post (Note, 4 media, 10 mentions)": long,
        "its Create (Note signed first)": object_proofs.sign_activity_with(key, create, WHEN),
        "actor (Person, with its key)": _actor(key),
    }
    results = []
    for name, doc in tqdm(documents.items(), desc="documents", unit="doc"):
        results.append(measure(name, doc, key, args.rounds))
    if args.json:
        print(json.dumps(results, indent=2))
        return 0
    for result in results:
        figures = result["ns"]
        base = figures["baseline (orjson.dumps)"]
        print(f"\n{result['document']}: {result['bytes']:,} bytes signed")
        for label, value in figures.items():
            print(f"  {label:<26} {value / 1000:9.1f} µs  {value / base:8.1f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
