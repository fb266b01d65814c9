"""Every real-world fixture goes through the code that receives it, and ends as Pnyx records
or is cleanly ignored.

`test_as2_to_internal.py` checks what the parsers read from each document; here each one is
handed to what the inbox worker runs (`handlers.process`, with its sender stored as a remote
account that a local user follows, as after a signature check), or for a bare actor or object
to what a fetch runs (`resolve.store_actor_document` / `resolve.store_object`). Nothing may
raise; what gets stored is compared with what each document should give. No network is
reached: the hosts in these documents do not resolve here, so any fetch fails and is logged.
"""

from __future__ import annotations

import contextlib
import json
from pathlib import Path

import pytest
import sqlalchemy as sa

from pnyx.core import follows
from pnyx.core.remote_store import IncomingAccount, store_account
from pnyx.db.tables import accounts, favourites, reports, statuses
from pnyx.federation import as2_to_internal as parse
from pnyx.federation import handlers, resolve
from pnyx.federation.as2_common import host_of

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "activitypub"
# Covered where they bite: the signature samples in test_signatures.py and test_forged_input.py;
# the spoofed object (a document claiming an id other than the URL it is served from) in
# test_fetch.py, test_as2_to_internal.py and test_forged_input.py, since only a fetch knows
# where a document came from.
ELSEWHERE = {"peertube-tests/mastodon_bad_body_http_signature.json",
             "peertube-tests/mastodon_public_key.json",
             "negative/spoofed_object.json"}  # fmt: skip

# What each document becomes: "status" (a post is stored), "account" (an account is stored),
# or "nothing" (accepted and ignored: an activity about things we do not hold, a type we do not
# show, or a reference we could not fetch here).
EXPECTED = {
    "friendica/create_note.json": "status",
    "friendica/delete.json": "nothing",
    "gnusocial/create_note.json": "status",
    "gotosocial-testrig/mastodon_create_note_followers_only_image.json": "status",
    "guppe/group_actor.json": "account",
    "kroeg/announce_inline_actor.json": "nothing",
    "lemmy/accept_follow.json": "nothing",
    "lemmy/announce_create_page.json": "nothing",
    "lemmy/create_note_comment.json": "status",
    "lemmy/follow_group.json": "nothing",
    "lemmy/group.json": "account",
    "lemmy/like_note.json": "nothing",
    "lemmy/note_comment.json": "status",
    "lemmy/page.json": "status",
    "lemmy/update_page.json": "status",
    "lotide/tombstone.json": "nothing",
    "mastodon/accept_follow.json": "nothing",
    "mastodon/announce.json": "nothing",
    "mastodon/announce_private_embedded.json": "nothing",
    "mastodon/block.json": "nothing",
    "mastodon/create_note_attachment.json": "status",
    "mastodon/create_note_hashtag.json": "status",
    "mastodon/create_note_ld_signed.json": "status",
    "mastodon/create_note_poll_vote.json": "nothing",
    "mastodon/create_note_sensitive_cw.json": "status",
    "mastodon/create_question_poll.json": "status",
    "mastodon/delete_actor.json": "nothing",
    "mastodon/delete_note_tombstone.json": "nothing",
    "mastodon/featured_collection.json": "nothing",
    "mastodon/flag_report.json": "nothing",
    "mastodon/follow.json": "nothing",
    "mastodon/followers_collection_page.json": "nothing",
    "mastodon/instance_actor_application.json": "nothing",
    "mastodon/like.json": "nothing",
    "mastodon/note.json": "status",
    "mastodon/person_publickey.json": "account",
    "mastodon/person_recent.json": "account",
    "mastodon/reject_follow.json": "nothing",
    "mastodon/undo_announce.json": "nothing",
    "mastodon/undo_block.json": "nothing",
    "mastodon/undo_follow.json": "nothing",
    "mastodon/undo_like.json": "nothing",
    "mastodon/undo_like_object_by_reference.json": "nothing",
    "mastodon/update_person.json": "account",
    "misskey/like_with_reaction.json": "nothing",
    "misskey/note.json": "status",
    "misskey/question_no_end_date.json": "status",
    "mitra/create_post.json": "status",
    "mobilizon/event.json": "status",
    "peertube/announce_video.json": "nothing",
    "peertube/create_video.json": "status",
    "pleroma/create_chat_message.json": "nothing",
    "pleroma/create_note.json": "status",
    "pleroma/emoji_react.json": "nothing",
    "pleroma/person.json": "account",
    "pleroma/question_modified.json": "status",
    "pleroma/question_original.json": "status",
    "wordpress/announce.json": "nothing",
    "wordpress/create_article.json": "status",
}
ALL = sorted(
    str(p.relative_to(FIXTURES))
    for p in FIXTURES.rglob("*.json")
    if str(p.relative_to(FIXTURES)) not in ELSEWHERE
)
ACTOR_TYPES = resolve.ACTOR_TYPES


def test_every_fixture_has_an_expectation():
    assert sorted(EXPECTED) == ALL


def _sender(doc: dict) -> str | None:
    """The actor a document comes from: an activity's actor, an object's author."""
    if doc.get("type") in ACTOR_TYPES:
        return None
    if "actor" in doc and doc.get("type") not in handlers.POST_TYPES:
        return parse.id_of(doc["actor"])
    try:
        return parse.parse_object(doc).attributed_to
    except parse.InvalidDocument:
        return parse.id_of(doc.get("attributedTo")) or parse.id_of(doc.get("actor"))


def _remote_sender(db, uri: str) -> int:
    host = host_of(uri)
    return db.run_sync(
        store_account,
        IncomingAccount(
            uri=uri,
            username=uri.rstrip("/").rsplit("/", 1)[-1][:30] or "someone",
            domain=host,
            inbox_url=uri + "/inbox",
            followers_url=uri + "/followers",
        ),
    )


def _counts(db) -> dict[str, int]:
    def work(tx):
        return {
            "status": tx.scalar(sa.select(sa.func.count()).where(statuses.c.local.is_(False))),
            "account": tx.scalar(sa.select(sa.func.count()).select_from(accounts)),
            "favourite": tx.scalar(sa.select(sa.func.count()).select_from(favourites)),
            "report": tx.scalar(sa.select(sa.func.count()).select_from(reports)),
        }

    return db.run_sync(work)


@pytest.mark.parametrize("name", ALL)
def test_fixture_is_stored_or_ignored(name, app, make_user, client):
    db = app.state.db
    settings = app.state.settings
    doc = json.loads((FIXTURES / name).read_text())
    reader = make_user("reader")
    sender_uri = _sender(doc)
    sender_id = None
    if sender_uri:
        sender_id = _remote_sender(db, sender_uri)
        db.run_sync(follows.follow, reader.account_id, sender_id)
        db.run_sync(follows.authorize_request, sender_id, reader.account_id)
    before = _counts(db)

    kind = doc.get("type")
    if kind in ACTOR_TYPES:
        with contextlib.suppress(resolve.ResolveError):  # refused as unusable: nothing stored
            resolve.store_actor_document(db, doc)
    elif kind in handlers.POST_TYPES or kind in ("Tombstone", "OrderedCollection",
                                                 "OrderedCollectionPage"):  # fmt: skip
        # Not a post we show, or not on its author's origin: nothing stored.
        with contextlib.suppress(resolve.ResolveError, parse.InvalidDocument):
            resolve.store_object(db, settings, doc)
    else:
        handlers.process(db, settings, doc, sender_id)

    after = _counts(db)
    outcome = "nothing"
    if after["status"] > before["status"]:
        outcome = "status"
    elif after["account"] > before["account"] and kind in ACTOR_TYPES:
        outcome = "account"
    elif kind == "Update" and sender_id is not None:
        outcome = "account" if _refreshed(db, sender_id) else outcome
        if isinstance(doc.get("object"), dict) and doc["object"].get("type") in handlers.POST_TYPES:
            outcome = "status" if after["status"] > before["status"] else outcome
    assert outcome == EXPECTED[name]

    if outcome == "status":
        new_id = db.run_sync(
            lambda tx: tx.scalar(
                sa.select(statuses.c.id)
                .where(statuses.c.local.is_(False))
                .order_by(statuses.c.id.desc())
            )
        )
        answer = client.get(f"/api/v1/statuses/{new_id}", headers=reader.headers)
        assert answer.status_code == 200, answer.text
        entity = answer.json()
        # Media arrives as Mastodon's attachments, shown from the origin.
        obj = doc["object"] if isinstance(doc.get("object"), dict) else doc
        sent = parse.parse_object(obj).attachments
        assert [m["remote_url"] for m in entity["media_attachments"]] == [a.url for a in sent]
        assert all(
            m["type"] in ("image", "gifv", "video", "audio", "unknown")
            for m in entity["media_attachments"]
        )
        assert entity["account"]["acct"].endswith("@" + entity["account"]["acct"].split("@")[-1])
        assert "<script" not in entity["content"]


def _refreshed(db, account_id: int) -> bool:
    """Whether an Update(Person) filled in the sender's profile (display name or note)."""
    row = db.run_sync(
        lambda tx: tx.one_or_none(
            sa.select(accounts.c.display_name, accounts.c.note).where(accounts.c.id == account_id)
        )
    )
    return bool(row.display_name or row.note)
