"""Community notes between servers (issue 13), one server at a time: what a note and a rating
look like on the wire (`CommunityNote`, `NoteRating`, signed by the notes actor with an
eddsa-jcs-2022 Data Integrity proof), what is served at their ids, what goes to the peers, and
what a peer's delivery becomes here. A note or rating is kept only when it is attributed to a
peer's notes actor and its proof holds under that actor's key, whoever delivered it; forged,
tampered, unsigned, foreign and hostile documents are logged and dropped."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
import sqlalchemy as sa

import factories
from pnyx.core import accounts, integrity_keys
from pnyx.core import events as ev
from pnyx.core.notes import actor as notes_actor
from pnyx.core.notes import context_replies, peers, pseudonyms, vocabulary, writing
from pnyx.db.tables import accounts as accounts_table
from pnyx.db.tables import community_notes, follow_requests, follows, note_ratings, statuses
from pnyx.federation import as2_to_internal as parse
from pnyx.federation import data_integrity, handlers, note_activities, note_documents
from pnyx.federation.label_documents import precise

PEER = "https://peer.example/users/notes"
PEER_KEY = f"{PEER}#ed25519-key"
OTHER = "https://other.example/users/notes"
OTHER_KEY = f"{OTHER}#ed25519-key"
AP = {"Accept": "application/activity+json"}
SOURCE = "https://example.org/report"
MISLEADING = vocabulary.MISLEADING
PSEUDONYM = "A1" * 32


@pytest.fixture
def scene(db):
    """A peer (its notes actor with a key, followed by ours), a server that is not a peer
    (likewise), a post here and three people here old enough to write and rate."""
    peer = factories.remote_account(db, "notes", "peer.example")
    other = factories.remote_account(db, "notes", "other.example")
    peer_private = data_integrity.new_private_key()
    other_private = data_integrity.new_private_key()
    db.run_sync(
        integrity_keys.remember_remote, peer, PEER_KEY, data_integrity.public_key_of(peer_private)
    )
    db.run_sync(
        integrity_keys.remember_remote,
        other,
        OTHER_KEY,
        data_integrity.public_key_of(other_private),
    )
    db.run_sync(peers.add, peer)

    def people(tx):
        made = [
            accounts.create_local(tx, name, f"{name}@example.com", "correct horse b")[0]
            for name in ("author", "writer", "rater")
        ]
        tx.execute(
            accounts_table.update()
            .where(accounts_table.c.id.in_(made))
            .values(created_at=tx.now - timedelta(days=30))
        )
        return made

    author, writer, rater = db.run_sync(people)
    post = factories.status(db, author, "the moon is cheese")
    uri = db.run_sync(lambda tx: tx.scalar(sa.select(statuses.c.uri).where(statuses.c.id == post)))
    return {
        "peer": peer,
        "other": other,
        "peer_private": peer_private,
        "other_private": other_private,
        "author": author,
        "writer": writer,
        "rater": rater,
        "post": post,
        "post_uri": uri,
    }


def note_doc(about: str, private: bytes, *, actor=PEER, key=PEER_KEY, now, **changes) -> dict:
    origin = actor.rsplit("/users/", 1)[0]
    doc = {
        "@context": note_documents.NOTE_CONTEXT,
        "id": f"{origin}/notes/1",
        "type": "CommunityNote",
        "attributedTo": actor,
        "to": ["https://www.w3.org/ns/activitystreams#Public"],
        "participant": PSEUDONYM,
        "subject": about,
        "classification": MISLEADING,
        "reasons": ["misleadingFactualError"],
        "summary": f"The moon is rock: {SOURCE}",
        "trustworthySources": True,
        "published": precise(now),
        **changes,
    }
    return data_integrity.sign(doc, private, key, now)


def rating_doc(note_uri: str, private: bytes, *, now, updated=None, **changes) -> dict:
    doc = {
        "@context": note_documents.NOTE_CONTEXT,
        "id": "https://peer.example/notes/9/ratings/1",
        "type": "NoteRating",
        "attributedTo": PEER,
        "participant": "B2" * 32,
        "note": note_uri,
        "helpfulnessLevel": "HELPFUL",
        "helpfulTags": ["helpfulClear", "helpfulGoodSources"],
        "notHelpfulTags": [],
        "published": precise(now),
        "updated": precise(updated or now),
        **changes,
    }
    return data_integrity.sign(doc, private, PEER_KEY, updated or now)


def deliver(db, signer: int, obj: dict, *, kind="Create", actor=PEER, fetched=None) -> None:
    """What the inbox job does with an activity, the named uris counting as fetched."""
    activity = parse.parse_activity(
        {
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": f"{actor}#activities/{obj.get('id')}/{kind}",
            "type": kind,
            "actor": actor,
            "object": obj,
        }
    )
    done = {PEER: True, OTHER: True, **(fetched or {})}
    db.run_sync(handlers.apply, activity, signer, done)


def notes_here(db) -> list:
    return db.run_sync(
        lambda tx: tx.rows(
            sa.select(
                community_notes.c.uri,
                community_notes.c.origin,
                community_notes.c.participant,
                community_notes.c.status_id,
                community_notes.c.author_account_id,
                community_notes.c.document,
                community_notes.c.deleted_at,
            ).order_by(community_notes.c.id)
        )
    )


def ratings_here(db) -> list:
    return db.run_sync(
        lambda tx: tx.rows(
            sa.select(
                note_ratings.c.uri,
                note_ratings.c.origin,
                note_ratings.c.participant,
                note_ratings.c.helpfulness_level,
                note_ratings.c.updated_at,
            ).order_by(note_ratings.c.id)
        )
    )


def now_of(db):
    return db.run_sync(lambda tx: tx.now)


def local_note(db, scene) -> int:
    return db.run_sync(
        writing.write,
        scene["writer"],
        writing.NoteInput(
            status_id=scene["post"],
            classification=MISLEADING,
            reasons=["misleadingFactualError"],
            summary=f"The moon is rock, as samples show: {SOURCE}",
        ),
    )


# --- What we send and serve ------------------------------------------------------------------


def test_our_notes_and_ratings_are_signed_by_the_notes_actor_and_served_at_their_ids(
    client, db, scene
):
    note_id = local_note(db, scene)
    rating_id = db.run_sync(
        writing.rate,
        scene["rater"],
        note_id,
        writing.RatingInput("HELPFUL", ["helpfulClear"]),
    )
    actor = client.get("/users/notes", headers=AP).json()
    [method] = actor["assertionMethod"]
    assert method["type"] == "Multikey" and method["controller"] == actor["id"]
    public = data_integrity.public_key_from_multikey(method["publicKeyMultibase"])

    note = client.get(f"/notes/{note_id}", headers=AP)
    assert note.status_code == 200 and "activity+json" in note.headers["content-type"]
    doc = note.json()
    assert doc["type"] == "CommunityNote" and doc["attributedTo"] == actor["id"]
    assert doc["proof"]["verificationMethod"] == method["id"]
    assert data_integrity.verify(doc, public)
    assert doc["subject"] == scene["post_uri"] and "inReplyTo" not in doc
    # Its author travels as this server's pseudonym, never as an account.
    pseudonym = db.run_sync(pseudonyms.pseudonym, scene["writer"])
    assert doc["participant"] == pseudonym
    assert "writer" not in str(doc)
    parsed = note_documents.parse(doc)
    assert parsed.note.classification == MISLEADING and parsed.note.summary == doc["summary"]
    # A browser gets the note's page, not the object.
    page = client.get(f"/notes/{note_id}", headers={"Accept": "text/html"})
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]

    rating = client.get(f"/notes/{note_id}/ratings/{rating_id}", headers=AP).json()
    assert rating["type"] == "NoteRating" and rating["note"] == doc["id"]
    assert data_integrity.verify(rating, public)
    assert rating["helpfulTags"] == ["helpfulClear"]
    assert client.get(f"/notes/{note_id}/ratings/12345", headers=AP).status_code == 404

    db.run_sync(writing.delete, scene["writer"], note_id)
    gone = client.get(f"/notes/{note_id}", headers=AP)
    assert gone.status_code == 410 and gone.json()["type"] == "Tombstone"
    assert client.get(f"/notes/{note_id}/ratings/{rating_id}", headers=AP).status_code == 410


def test_our_notes_go_to_the_servers_that_follow_the_notes_actor(db, scene):
    ours = db.run_sync(notes_actor.notes_actor)
    db.run_sync(
        lambda tx: tx.execute(
            accounts_table.update()
            .where(accounts_table.c.id == scene["peer"])
            .values(inbox_url="https://peer.example/users/notes/inbox")
        )
    )
    factories.follow(db, scene["peer"], ours)  # the peer takes our notes in
    # A person elsewhere who follows the notes actor gets its posts, not notes and ratings.
    fan = factories.remote_account(db, "fan", "mastodon.example")
    db.run_sync(
        lambda tx: tx.execute(
            accounts_table.update()
            .where(accounts_table.c.id == fan)
            .values(inbox_url="https://mastodon.example/users/fan/inbox")
        )
    )
    factories.follow(db, fan, ours)
    note_id = local_note(db, scene)
    [(signer, create, inboxes)] = db.run_sync(note_activities.note_written, ev.NoteWritten(note_id))
    assert signer == ours and inboxes == {"https://peer.example/users/notes/inbox"}
    assert create["type"] == "Create" and create["object"]["type"] == "CommunityNote"
    key = db.run_sync(integrity_keys.local_public, ours)
    assert data_integrity.verify(create["object"], key.public_key)

    rating_id = db.run_sync(
        writing.rate, scene["rater"], note_id, writing.RatingInput("NOT_HELPFUL")
    )
    [(_, first, _)] = db.run_sync(note_activities.note_rated, ev.NoteRated(rating_id))
    assert first["type"] == "Create" and first["object"]["helpfulnessLevel"] == "NOT_HELPFUL"
    db.run_sync(
        lambda tx: tx.execute(
            note_ratings.update()
            .where(note_ratings.c.id == rating_id)
            .values(created_at=tx.now - timedelta(minutes=5))
        )
    )
    db.run_sync(writing.rate, scene["rater"], note_id, writing.RatingInput("HELPFUL"))
    [(_, changed, _)] = db.run_sync(note_activities.note_rated, ev.NoteRated(rating_id))
    assert changed["type"] == "Update" and changed["object"]["id"] == first["object"]["id"]
    assert changed["object"]["updated"] > first["object"]["updated"]

    uri = first["object"]["id"]
    db.run_sync(writing.unrate, scene["rater"], note_id)
    [(_, removed, _)] = db.run_sync(note_activities.rating_removed, ev.NoteRatingRemoved(uri))
    assert removed["type"] == "Delete" and removed["object"]["id"] == uri
    note_uri = create["object"]["id"]
    [(_, deleted, _)] = db.run_sync(note_activities.note_deleted, ev.NoteDeleted(note_id, note_uri))
    assert deleted["type"] == "Delete" and deleted["object"]["formerType"] == "CommunityNote"


# --- What a peer sends -----------------------------------------------------------------------


def test_a_peers_note_is_kept_once_under_its_pseudonym(db, scene):
    now = now_of(db)
    doc = note_doc(scene["post_uri"], scene["peer_private"], now=now)
    deliver(db, scene["peer"], doc)
    deliver(db, scene["peer"], doc, kind="Update")  # the same id again: nothing changes
    [kept] = notes_here(db)
    assert kept.origin == "peer.example" and kept.status_id == scene["post"]
    assert kept.participant == pseudonyms.participant("peer.example", PSEUDONYM)
    assert kept.author_account_id is None and kept.document == doc


def test_forged_tampered_unsigned_and_foreign_notes_are_dropped_and_logged(db, scene, caplog):
    now = now_of(db)
    good = note_doc(scene["post_uri"], scene["peer_private"], now=now)
    forged = note_doc(scene["post_uri"], data_integrity.new_private_key(), now=now)
    tampered = {**good, "summary": f"The moon is cheese after all: {SOURCE}"}
    unsigned = {k: v for k, v in good.items() if k != "proof"}
    # A server we do not take notes from, with a proof that holds under its own key.
    foreign = note_doc(
        scene["post_uri"], scene["other_private"], actor=OTHER, key=OTHER_KEY, now=now
    )
    # The peer's key, used by another: the proof names a key that is not the actor's.
    borrowed = note_doc(scene["post_uri"], scene["other_private"], key=OTHER_KEY, now=now)
    for doc in (forged, tampered, unsigned, borrowed):
        deliver(db, scene["peer"], doc)
    deliver(db, scene["other"], foreign, actor=OTHER)
    assert notes_here(db) == []
    assert caplog.text.count("proof does not hold") == 4
    assert "is not a peer's notes actor" in caplog.text


def test_a_note_forwarded_by_another_server_counts_when_its_proof_holds(db, scene):
    """The proof outranks the transport: a server that is not a peer (and so whose own notes
    are not taken) may relay a peer's signed note; a forgery it relays is still refused."""
    now = now_of(db)
    forged = note_doc(scene["post_uri"], scene["other_private"], key=OTHER_KEY, now=now)
    deliver(db, scene["other"], forged, actor=OTHER)
    assert notes_here(db) == []
    doc = note_doc(scene["post_uri"], scene["peer_private"], now=now)
    deliver(db, scene["other"], doc, actor=OTHER)
    [kept] = notes_here(db)
    assert kept.origin == "peer.example"


@pytest.mark.parametrize(
    "changes, why",
    [
        ({"summary": "x" * 281 + f" {SOURCE}"}, "too long"),
        ({"summary": "y" * 5000}, "missing or too long"),
        ({"classification": "OBVIOUSLY_FALSE"}, "Classification must be"),
        ({"reasons": ["notMisleadingClearlySatire"]}, "do not fit"),
        ({"reasons": ["misleadingOther"] * 40}, "short list"),
        ({"summary": "no source given"}, "link at least one source"),
        ({"summary": f"ask @someone about it {SOURCE}"}, "must not mention"),
        ({"subject": "ftp://b.example/1"}, "subject"),
        ({"id": "javascript:alert(1)"}, "http(s) id"),
        ({"id": "https://elsewhere.example/notes/1"}, "not on its notes actor's server"),
        ({"participant": "<script>"}, "not a pseudonym"),
        ({"participant": {"id": "x"}}, "participant is not a name"),
        ({"trustworthySources": "yes"}, "trustworthySources"),
        ({"published": "yesterday"}, "published"),
    ],
)
def test_hostile_notes_are_refused_with_their_reason(db, scene, caplog, changes, why):
    doc = note_doc(scene["post_uri"], scene["peer_private"], now=now_of(db), **changes)
    deliver(db, scene["peer"], doc)
    assert notes_here(db) == []
    assert why in caplog.text


def test_a_note_on_a_post_not_held_here_fetches_the_post_first(db, scene):
    subject = "https://b.example/users/bob/statuses/1"
    doc = note_doc(subject, scene["peer_private"], now=now_of(db))
    with pytest.raises(handlers.NeedsFetch) as need:
        deliver(db, scene["peer"], doc)
    assert (need.value.uri, need.value.what) == (subject, handlers.STATUS)
    deliver(db, scene["peer"], doc, fetched={subject: False})  # not found: kept unlinked
    [kept] = notes_here(db)
    assert kept.status_id is None
    # The post arrives later: the note points at it.
    bob = factories.remote_account(db, "bob", "b.example")
    factories.follow(db, scene["author"], bob)
    post = parse.parse_activity(
        {
            "id": f"{subject}#create",
            "type": "Create",
            "actor": "https://b.example/users/bob",
            "object": {
                "id": subject,
                "type": "Note",
                "attributedTo": "https://b.example/users/bob",
                "content": "<p>cheese</p>",
                "to": ["https://www.w3.org/ns/activitystreams#Public"],
                "published": precise(now_of(db)),
            },
        }
    )
    db.run_sync(handlers.apply, post, bob, {})
    [linked] = notes_here(db)
    assert linked.status_id is not None


def test_a_peers_ratings_replace_older_ones_and_forged_ones_are_ignored(db, scene, caplog):
    note_id = local_note(db, scene)
    note_uri = db.run_sync(lambda tx: writing.note_uri(tx, note_id))
    now = now_of(db) - timedelta(minutes=5)  # times to come are taken as now
    first = rating_doc(note_uri, scene["peer_private"], now=now)
    deliver(db, scene["peer"], first)
    deliver(db, scene["peer"], first)  # again: nothing changes
    [kept] = ratings_here(db)
    assert kept.origin == "peer.example" and kept.helpfulness_level == "HELPFUL"
    assert kept.participant == pseudonyms.participant("peer.example", "B2" * 32)

    later = now + timedelta(minutes=1)
    changed = rating_doc(
        note_uri,
        scene["peer_private"],
        now=now,
        updated=later,
        helpfulnessLevel="NOT_HELPFUL",
        helpfulTags=[],
        notHelpfulTags=["notHelpfulIncorrect"],
    )
    deliver(db, scene["peer"], changed, kind="Update")
    deliver(db, scene["peer"], first)  # an older word, arriving late
    [kept] = ratings_here(db)
    assert kept.helpfulness_level == "NOT_HELPFUL" and kept.updated_at == later

    # Forged (another key, a server that is not a peer) and hostile ratings change nothing.
    forged = rating_doc(
        note_uri, data_integrity.new_private_key(), now=now, updated=later + timedelta(1)
    )
    deliver(db, scene["peer"], forged)
    foreign = {
        k: v
        for k, v in rating_doc(note_uri, scene["other_private"], now=now).items()
        if k != "proof"
    }
    foreign.update(id="https://other.example/notes/9/ratings/1", attributedTo=OTHER)
    deliver(
        db,
        scene["other"],
        data_integrity.sign(foreign, scene["other_private"], OTHER_KEY, now),
        actor=OTHER,
    )
    for hostile in (
        {"helpfulnessLevel": "VERY_HELPFUL"},
        {"helpfulTags": ["helpfulClear"], "helpfulnessLevel": "NOT_HELPFUL"},
        {"notHelpfulTags": ["notHelpfulBecauseISaySo"]},
        {"note": "gopher://x.example/1"},
    ):
        doc = rating_doc(
            note_uri, scene["peer_private"], now=now, updated=later + timedelta(1), **hostile
        )
        deliver(db, scene["peer"], doc)
    [kept] = ratings_here(db)
    assert kept.helpfulness_level == "NOT_HELPFUL"
    assert "proof does not hold" in caplog.text and "is not a peer's notes actor" in caplog.text
    assert "Helpfulness level must be" in caplog.text and "Unknown tags" in caplog.text


def test_a_rating_of_a_note_not_held_fetches_the_note_from_its_peer_or_is_dropped(
    db, scene, caplog
):
    now = now_of(db)
    unknown = "https://peer.example/notes/77"
    doc = rating_doc(unknown, scene["peer_private"], now=now)
    with pytest.raises(handlers.NeedsFetch) as need:
        deliver(db, scene["peer"], doc)
    assert (need.value.uri, need.value.what) == (unknown, handlers.NOTE)
    deliver(db, scene["peer"], doc, fetched={unknown: False})
    assert ratings_here(db) == [] and "not held here" in caplog.text
    # A note on a server that is not a peer is not fetched at all.
    elsewhere = rating_doc("https://nowhere.example/notes/1", scene["peer_private"], now=now)
    deliver(db, scene["peer"], elsewhere)
    assert ratings_here(db) == []


def test_only_the_notes_actor_of_its_server_deletes_a_note_or_rating(db, scene, caplog):
    now = now_of(db)
    deliver(db, scene["peer"], note_doc(scene["post_uri"], scene["peer_private"], now=now))
    note_uri = "https://peer.example/notes/1"
    rating = rating_doc(note_uri, scene["peer_private"], now=now)
    deliver(db, scene["peer"], rating)
    someone = factories.remote_account(db, "mallory", "peer.example")

    def delete(signer, actor, uri):
        activity = parse.parse_activity(
            {
                "id": f"{actor}#delete-{uri}",
                "type": "Delete",
                "actor": actor,
                "object": {"id": uri, "type": "Tombstone"},
            }
        )
        db.run_sync(handlers.apply, activity, signer, {})

    delete(someone, "https://peer.example/users/mallory", rating["id"])
    delete(scene["other"], OTHER, rating["id"])  # another origin: not even looked at
    assert len(ratings_here(db)) == 1
    assert "only its server's notes actor" in caplog.text
    delete(scene["peer"], PEER, rating["id"])
    assert ratings_here(db) == []
    delete(scene["peer"], PEER, note_uri)
    [kept] = notes_here(db)
    assert kept.deleted_at is not None


def test_posts_by_a_peers_notes_actor_are_not_kept(db, scene, caplog):
    """The reply that carries a helpful note to servers without notes is not stored by a
    peer, which holds the note itself."""
    caplog.set_level(logging.INFO, logger="pnyx.federation.handlers")
    factories.follow(db, scene["author"], scene["peer"])  # would otherwise keep its posts
    reply = parse.parse_activity(
        {
            "id": "https://peer.example/users/notes/statuses/5#create",
            "type": "Create",
            "actor": PEER,
            "object": {
                "id": "https://peer.example/users/notes/statuses/5",
                "type": "Note",
                "attributedTo": PEER,
                "inReplyTo": scene["post_uri"],
                "content": "<p>Readers added context: ...</p>",
                "to": ["https://www.w3.org/ns/activitystreams#Public"],
                "published": precise(now_of(db)),
            },
        }
    )
    db.run_sync(handlers.apply, reply, scene["peer"], {})
    count = db.run_sync(
        lambda tx: tx.scalar(
            sa.select(sa.func.count()).where(statuses.c.account_id == scene["peer"])
        )
    )
    assert count == 0 and "the notes of a peer arrive as notes" in caplog.text


# --- Peers -------------------------------------------------------------------------------------


def test_a_peer_is_another_servers_notes_actor_with_a_key_and_is_followed(db, scene):
    ours = db.run_sync(notes_actor.notes_actor)
    pending = db.run_sync(
        lambda tx: tx.scalar(
            sa.select(sa.func.count()).where(
                follow_requests.c.account_id == ours,
                follow_requests.c.target_account_id == scene["peer"],
            )
        )
    )
    assert pending == 1  # the Follow went out (the scene added the peer)
    [listed] = db.run_sync(peers.listing)
    assert listed.domain == "peer.example" and listed.requested and not listed.following

    keyless = factories.remote_account(db, "notes", "keyless.example")
    somebody = factories.remote_account(db, "somebody", "peer.example")
    for candidate in (keyless, somebody, ours):
        with pytest.raises(Exception, match="notes actor"):
            db.run_sync(peers.add, candidate)

    db.run_sync(peers.remove, scene["peer"])
    assert db.run_sync(peers.listing) == []
    left = db.run_sync(
        lambda tx: (
            tx.scalar(
                sa.select(sa.func.count())
                .select_from(follow_requests)
                .where(follow_requests.c.account_id == ours)
            )
            + tx.scalar(
                sa.select(sa.func.count()).select_from(follows).where(follows.c.account_id == ours)
            )
        )
    )
    assert left == 0


# --- What servers without notes see ------------------------------------------------------------


def test_a_helpful_note_written_here_is_a_reply_by_the_notes_actor_while_it_is_shown(db, scene):
    note_id = local_note(db, scene)
    ours = db.run_sync(notes_actor.notes_actor)

    def set_status(status: str, previous: str) -> None:
        def work(tx):
            tx.execute(
                community_notes.update()
                .where(community_notes.c.id == note_id)
                .values(status=status)
            )
            context_replies.on_event(tx, ev.NoteStatusChanged(note_id, status, previous))

        db.run_sync(work)

    def replies() -> list:
        return db.run_sync(
            lambda tx: tx.rows(
                sa.select(statuses.c.id, statuses.c.text, statuses.c.visibility).where(
                    statuses.c.account_id == ours, statuses.c.in_reply_to_id == scene["post"]
                )
            )
        )

    helpful, nmr = vocabulary.CURRENTLY_RATED_HELPFUL, vocabulary.NEEDS_MORE_RATINGS
    assert context_replies.wants(ev.NoteStatusChanged(note_id, helpful, nmr))
    assert not context_replies.wants(
        ev.NoteStatusChanged(note_id, vocabulary.CURRENTLY_RATED_NOT_HELPFUL, nmr)
    )
    set_status(helpful, nmr)
    set_status(helpful, nmr)  # the same change twice: one reply
    [reply] = replies()
    assert reply.visibility == "public"
    assert reply.text.startswith("Readers added context: The moon is rock")
    assert reply.text.endswith(f"/notes/{note_id}")
    kept = db.run_sync(
        lambda tx: tx.scalar(
            sa.select(community_notes.c.context_reply_status_id).where(
                community_notes.c.id == note_id
            )
        )
    )
    assert kept == reply.id

    set_status(nmr, helpful)
    assert replies() == []
    set_status(helpful, nmr)
    assert len(replies()) == 1
    db.run_sync(writing.delete, scene["writer"], note_id)
    db.run_sync(
        lambda tx: context_replies.on_event(
            tx, ev.NoteDeleted(note_id, writing.note_uri(tx, note_id))
        )
    )
    assert replies() == []


def test_the_staff_list_add_and_remove_peers_with_the_cli(db, scene, database_url, tmp_path):
    from click.testing import CliRunner

    from pnyx.cli import main

    env = {
        "PNYX_DATABASE_URL": database_url,
        "PNYX_DOMAIN": "pnyx.test",
        "PNYX_CONFIG": str(tmp_path / "absent.toml"),
    }

    def run(*args: str):
        return CliRunner().invoke(main, ["notes", "peers", *args], env=env)

    listed = run("list")
    assert listed.exit_code == 0 and "peer.example" in listed.output, listed.output
    assert "asked, no answer yet" in listed.output
    unreachable = run("add", "127.0.0.1:9")  # a private address: never fetched here
    assert unreachable.exit_code == 1 and "has no Pnyx notes actor" in unreachable.output
    assert "Traceback" not in unreachable.output
    assert run("remove", "nowhere.example").exit_code == 1
    removed = run("remove", "peer.example")
    assert removed.exit_code == 0, removed.output
    assert db.run_sync(peers.listing) == []


def test_a_rating_of_an_unknown_note_brings_the_note_from_its_peer(local_db, app, caplog):
    """The rating's note is read from its id on the peer's server (a stand-in here), checked
    like a delivered one, kept, and the rating with it; a note served with a forged proof is
    not kept, nor the rating."""
    from pnyx.db.tables import accounts as table

    from .peer import Peer

    stand_in = Peer("notes")
    try:
        db = local_db
        peer = factories.remote_account(db, "notes", stand_in.domain)
        db.run_sync(
            lambda tx: tx.execute(
                table.update()
                .where(table.c.id == peer)
                .values(uri=stand_in.actor, inbox_url=f"{stand_in.actor}/inbox")
            )
        )
        private = data_integrity.new_private_key()
        key_id = f"{stand_in.actor}#ed25519-key"
        db.run_sync(
            integrity_keys.remember_remote, peer, key_id, data_integrity.public_key_of(private)
        )
        db.run_sync(peers.add, peer)
        author = factories.remote_account(db, "someone", "elsewhere.example")
        post = factories.status(db, author, "the moon is cheese", local=False)
        subject = db.run_sync(
            lambda tx: tx.scalar(sa.select(statuses.c.uri).where(statuses.c.id == post))
        )
        now = now_of(db) - timedelta(minutes=1)

        def served(path: str, signer: bytes) -> str:
            doc = {
                k: v
                for k, v in note_doc(
                    subject, private, actor=stand_in.actor, key=key_id, now=now
                ).items()
                if k != "proof"
            }
            doc["id"] = stand_in.base + path
            stand_in.docs[path] = data_integrity.sign(doc, signer, key_id, now)
            return doc["id"]

        def rating_of(note_uri: str, number: int) -> dict:
            doc = {k: v for k, v in rating_doc(note_uri, private, now=now).items() if k != "proof"}
            doc.update(
                id=f"{stand_in.base}/notes/9/ratings/{number}",
                attributedTo=stand_in.actor,
                participant=f"{number:02d}" * 32,
            )
            return {
                "@context": "https://www.w3.org/ns/activitystreams",
                "id": f"{doc['id']}#create",
                "type": "Create",
                "actor": stand_in.actor,
                "object": data_integrity.sign(doc, private, key_id, now),
            }

        good = served("/notes/5", private)
        handlers.process(db, db.settings, rating_of(good, 1), peer)
        [note] = notes_here(db)
        assert note.uri == good and note.status_id == post
        [rating] = ratings_here(db)
        assert rating.origin == stand_in.domain

        forged = served("/notes/6", data_integrity.new_private_key())
        handlers.process(db, db.settings, rating_of(forged, 2), peer)
        assert len(notes_here(db)) == 1 and len(ratings_here(db)) == 1
        assert f"fetched note {forged} refused" in caplog.text
    finally:
        stand_in.close()
