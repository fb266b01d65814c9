"""A label another server delivers (`Create` of a `Label`) is kept only when its Data Integrity
proof holds under the key its labeler announced, its value is one the labeler defines, it has
not expired, and someone here applies that labeler; anything else is logged and dropped."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

import factories
from pnyx.core import accounts, integrity_keys, labels
from pnyx.db.tables import labels as labels_table
from pnyx.db.tables import statuses
from pnyx.federation import as2_to_internal as parse
from pnyx.federation import data_integrity, handlers
from pnyx.federation.label_documents import LABEL_CONTEXT

LABELER = "https://labels.example/users/checkers"
KEY_ID = f"{LABELER}#ed25519-key"


@pytest.fixture
def scene(db):
    """A labeler elsewhere with its key and definitions, a post here, and a subscriber."""
    labeler = factories.remote_account(db, "checkers", "labels.example")
    private = data_integrity.new_private_key()
    db.run_sync(
        integrity_keys.remember_remote, labeler, KEY_ID, data_integrity.public_key_of(private)
    )
    db.run_sync(labels.define, labeler, [labels.Definition("disputed", "warn", "warn")])

    def people(tx):
        reader, _ = accounts.create_local(tx, "reader", "reader@example.com", "correct horse b")
        author, _ = accounts.create_local(tx, "author", "author@example.com", "correct horse b")
        return reader, author

    reader, author = db.run_sync(people)
    post = factories.status(db, author, "the moon is cheese")
    uri = db.run_sync(lambda tx: tx.scalar(sa.text(f"SELECT uri FROM statuses WHERE id = {post}")))
    return labeler, private, reader, post, uri


def label_doc(subject: str, private: bytes, *, value="disputed", expires=None, now=None) -> dict:
    doc = {
        "@context": LABEL_CONTEXT,
        "id": "https://labels.example/labels/1",
        "type": "Label",
        "attributedTo": LABELER,
        "subject": subject,
        "labelValue": value,
        "neg": False,
        "published": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    if expires is not None:
        doc["expires"] = expires.strftime("%Y-%m-%dT%H:%M:%SZ")
    return data_integrity.sign(doc, private, KEY_ID, now)


def deliver(db, labeler: int, label: dict) -> None:
    activity = parse.parse_activity(
        {
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": "https://labels.example/labels/1#create",
            "type": "Create",
            "actor": LABELER,
            "object": label,
        }
    )
    # The labeler's actor counts as fetched: a key it does not announce stays unknown.
    db.run_sync(handlers.apply, activity, labeler, {LABELER: True})


def kept(db) -> list:
    return db.run_sync(
        lambda tx: tx.rows(sa.select(labels_table.c.value, labels_table.c.status_id))
    )


def test_a_label_is_kept_only_when_its_proof_holds(db, scene, caplog):
    labeler, private, reader, post, uri = scene
    now = db.run_sync(lambda tx: tx.now)
    good = label_doc(uri, private, now=now)

    deliver(db, labeler, good)  # nobody here applies this labeler yet
    assert kept(db) == []
    db.run_sync(labels.subscribe, reader, labeler)

    tampered = {**good, "labelValue": "satire"}
    deliver(db, labeler, tampered)
    forged = label_doc(uri, data_integrity.new_private_key(), now=now)  # another key
    deliver(db, labeler, forged)
    unsigned = {k: v for k, v in good.items() if k != "proof"}
    deliver(db, labeler, unsigned)
    undefined = label_doc(uri, private, value="satire", now=now)
    deliver(db, labeler, undefined)
    expired = label_doc(uri, private, now=now - timedelta(days=2), expires=now - timedelta(days=1))
    deliver(db, labeler, expired)
    assert kept(db) == []
    assert "proof does not hold" in caplog.text and "expired" in caplog.text

    deliver(db, labeler, good)
    assert [tuple(r) for r in kept(db)] == [("disputed", post)]


def test_a_negation_said_in_the_same_instant_takes_the_label_back(db, scene):
    """Labels sort by their `published`; at the same instant the later arrival stands, so a
    label taken back within the second it was said does not stay."""
    labeler, private, reader, post, uri = scene
    db.run_sync(labels.subscribe, reader, labeler)
    now = db.run_sync(lambda tx: tx.now).replace(microsecond=0)
    deliver(db, labeler, label_doc(uri, private, now=now))
    negation = {k: v for k, v in label_doc(uri, private, now=now).items() if k != "proof"}
    negation.update(id="https://labels.example/labels/2", neg=True)
    deliver(db, labeler, data_integrity.sign(negation, private, KEY_ID, now))
    neg = db.run_sync(lambda tx: tx.scalar(sa.select(labels_table.c.neg)))
    assert neg is True


def test_a_label_that_arrives_before_its_post_applies_once_the_post_arrives(db, scene):
    labeler, private, reader, _post, _uri = scene
    db.run_sync(labels.subscribe, reader, labeler)
    factories.follow(db, reader, labeler)  # so the labeler's own post is kept here
    note_uri = "https://labels.example/notes/1"
    now = db.run_sync(lambda tx: tx.now)
    deliver(db, labeler, label_doc(note_uri, private, now=now))
    assert [tuple(r) for r in kept(db)] == [("disputed", None)]
    create = parse.parse_activity(
        {
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": f"{note_uri}#create",
            "type": "Create",
            "actor": LABELER,
            "to": ["https://www.w3.org/ns/activitystreams#Public"],
            "object": {
                "id": note_uri,
                "type": "Note",
                "attributedTo": LABELER,
                "content": "<p>a later post</p>",
                "published": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "to": ["https://www.w3.org/ns/activitystreams#Public"],
            },
        }
    )
    db.run_sync(handlers.apply, create, labeler, {LABELER: True})
    stored = db.run_sync(
        lambda tx: tx.rows(sa.select(statuses.c.id).where(statuses.c.uri == note_uri))
    )
    assert len(stored) == 1
    assert [tuple(r) for r in kept(db)] == [("disputed", stored[0].id)]
