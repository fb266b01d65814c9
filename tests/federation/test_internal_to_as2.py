"""Writing ActivityStreams: documents shaped as Mastodon's, and read back to the same facts.

Rows are stood in for by SimpleNamespace objects with the table's column names; the functions
under test only read attributes, as they do from SQLAlchemy rows in production.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from types import SimpleNamespace

import pytest

from pnyx.config import Settings
from pnyx.core import uris
from pnyx.federation import internal_to_as2 as out
from pnyx.federation.as2_to_internal import parse_activity, parse_actor, parse_object
from pnyx.federation.vocab import AS_CONTEXT, EXTENSIONS, PUBLIC, SECURITY_CONTEXT

SETTINGS = Settings(domain="pnyx.test", scheme="https")
BASE = "https://pnyx.test"
PEM = "-----BEGIN PUBLIC KEY-----\nMIIBIjAN\n-----END PUBLIC KEY-----\n"
WHEN = datetime(2026, 11, 24, 6, 30, 0, 123456, tzinfo=UTC)


def account(username="alice", **changes):
    row = dict(
        id=1,
        username=username,
        domain=None,
        display_name="Alice A.",
        note="<p>Hello, I am Alice</p>",
        fields=[{"name": "Site", "value": '<a href="https://alice.example">alice.example</a>'}],
        locked=False,
        bot=False,
        group=False,
        discoverable=True,
        indexable=False,
        public_key_pem=PEM,
        avatar_url=None,
        header_url=None,
        also_known_as=[],
        attribution_domains=None,
        created_at=WHEN,
        **uris.account_actor_urls(SETTINGS, username),
    )
    row.update(changes)
    return SimpleNamespace(**row)


def status(**changes):
    row = dict(
        id=42,
        uri=uris.status_uri(SETTINGS, "alice", 42),
        url=uris.status_url(SETTINGS, "alice", 42),
        content="<p>hi @bob #Fedi</p>",
        spoiler_text="",
        visibility="public",
        sensitive=False,
        language="en",
        in_reply_to_uri=None,
        created_at=WHEN,
        edited_at=None,
    )
    row.update(changes)
    return SimpleNamespace(**row)


BOB = SimpleNamespace(
    uri="https://remote.example/users/bob", username="bob", domain="remote.example"
)
CAROL = SimpleNamespace(uri=f"{BASE}/users/carol", username="carol", domain=None)


# --- Actors ---------------------------------------------------------------------------------


def test_actor_document_shape():
    doc = out.actor(account(), SETTINGS)
    assert doc["@context"] == [AS_CONTEXT, SECURITY_CONTEXT, EXTENSIONS]
    assert doc["id"] == f"{BASE}/users/alice" and doc["type"] == "Person"
    assert doc["preferredUsername"] == "alice"
    assert doc["name"] == "Alice A." and doc["summary"] == "<p>Hello, I am Alice</p>"
    assert doc["url"] == f"{BASE}/@alice"
    assert doc["inbox"] == f"{BASE}/users/alice/inbox"
    assert doc["outbox"] == f"{BASE}/users/alice/outbox"
    assert doc["followers"] == f"{BASE}/users/alice/followers"
    assert doc["following"] == f"{BASE}/users/alice/following"
    assert doc["featured"] == f"{BASE}/users/alice/collections/featured"
    assert doc["endpoints"] == {"sharedInbox": f"{BASE}/inbox"}
    assert doc["publicKey"] == {
        "id": f"{BASE}/users/alice#main-key",
        "owner": f"{BASE}/users/alice",
        "publicKeyPem": PEM,
    }
    assert doc["manuallyApprovesFollowers"] is False
    assert doc["discoverable"] is True and doc["indexable"] is False
    assert doc["published"] == "2026-11-24T06:30:00Z"
    assert doc["attachment"] == [
        {
            "type": "PropertyValue",
            "name": "Site",
            "value": '<a href="https://alice.example">alice.example</a>',
        }
    ]
    assert doc["tag"] == []
    assert doc["attributionDomains"] == []  # Mastodon 4.4 sends the term, empty or not
    assert EXTENSIONS["attributionDomains"] == {"@id": "toot:attributionDomains", "@type": "@id"}
    for absent in ("icon", "image", "alsoKnownAs", "movedTo"):
        assert absent not in doc
    json.dumps(doc)  # plain JSON all the way down


def test_actor_optional_parts_and_types():
    doc = out.actor(
        account(
            avatar_url=f"{BASE}/media/a.png",
            header_url=f"{BASE}/media/h.jpg?v=2",
            also_known_as=["https://old.example/users/alice"],
            locked=True,
            bot=True,
        ),
        SETTINGS,
        moved_to_uri="https://new.example/users/alice",
    )
    assert doc["type"] == "Service"
    assert doc["icon"] == {"type": "Image", "url": f"{BASE}/media/a.png", "mediaType": "image/png"}
    assert doc["image"] == {
        "type": "Image",
        "url": f"{BASE}/media/h.jpg?v=2",
        "mediaType": "image/jpeg",
    }
    assert doc["alsoKnownAs"] == ["https://old.example/users/alice"]
    assert doc["movedTo"] == "https://new.example/users/alice"
    assert doc["manuallyApprovesFollowers"] is True
    assert out.actor(account(group=True, bot=True), SETTINGS)["type"] == "Group"
    assert "publicKey" not in out.actor(account(public_key_pem=None), SETTINGS)


def test_actor_round_trip():
    row = account(
        avatar_url=f"{BASE}/media/a.png",
        also_known_as=["https://old.example/users/alice"],
        attribution_domains=["alice.example", "xn--bcher-kva.de"],
        locked=True,
    )
    back = parse_actor(out.actor(row, SETTINGS, moved_to_uri="https://new.example/users/alice"))
    assert back.uri == row.uri and back.username == "alice" and back.domain == "pnyx.test"
    assert back.inbox_url == row.inbox_url and back.shared_inbox_url == row.shared_inbox_url
    assert (back.outbox_url, back.followers_url, back.following_url, back.featured_url) == (
        row.outbox_url,
        row.followers_url,
        row.following_url,
        row.featured_url,
    )
    assert back.public_key_pem == PEM and back.public_key_id == row.uri + "#main-key"
    assert back.display_name == "Alice A." and back.note_html == row.note
    assert back.fields == [
        (
            "Site",
            '<a href="https://alice.example" rel="nofollow noopener noreferrer">alice.example</a>',
        )
    ]
    assert (back.locked, back.bot, back.group, back.discoverable, back.indexable) == (
        True,
        False,
        False,
        True,
        False,
    )
    assert back.avatar_url == row.avatar_url and back.url == row.url
    assert back.also_known_as == row.also_known_as
    assert back.attribution_domains == ["alice.example", "xn--bcher-kva.de"]
    assert back.moved_to_uri == "https://new.example/users/alice"
    assert back.published == WHEN.replace(microsecond=0)


def test_instance_actor():
    doc = out.instance_actor(SETTINGS, PEM)
    assert doc["id"] == f"{BASE}/actor" and doc["type"] == "Application"
    assert doc["preferredUsername"] == "pnyx.test"
    assert doc["inbox"] == f"{BASE}/actor/inbox" and doc["outbox"] == f"{BASE}/actor/outbox"
    assert doc["endpoints"] == {"sharedInbox": f"{BASE}/inbox"}
    assert doc["publicKey"] == {
        "id": f"{BASE}/actor#main-key",
        "owner": f"{BASE}/actor",
        "publicKeyPem": PEM,
    }
    assert doc["manuallyApprovesFollowers"] is True
    assert doc["url"] == f"{BASE}/about/more?instance_actor=true"
    back = parse_actor(doc)
    assert back.bot and back.locked and back.public_key_id == f"{BASE}/actor#main-key"
    # A port in the domain (local test setups) stays part of the name and the ids.
    local = Settings(domain="127.0.0.1:8001", scheme="http")
    assert parse_actor(out.instance_actor(local, PEM)).domain == "127.0.0.1:8001"


# --- Addressing and statuses ----------------------------------------------------------------

FOLLOWERS = f"{BASE}/users/alice/followers"
M1, M2 = "https://remote.example/users/bob", f"{BASE}/users/carol"


@pytest.mark.parametrize(
    ("visibility", "to", "cc"),
    [
        ("public", [PUBLIC], [FOLLOWERS, M1, M2]),
        ("unlisted", [FOLLOWERS], [PUBLIC, M1, M2]),
        ("private", [FOLLOWERS], [M1, M2]),
        ("direct", [M1, M2], []),
    ],
)
def test_addressing(visibility, to, cc):
    got = out.addressing(visibility, followers_url=FOLLOWERS, mentioned_uris=[M1, M2, M1])
    assert got == (to, cc)


def test_addressing_refuses_unknown_visibility():
    with pytest.raises(ValueError):
        out.addressing("limited", followers_url=FOLLOWERS, mentioned_uris=[])


def test_note_shape():
    row = status(spoiler_text="cw", sensitive=True, edited_at=WHEN + timedelta(minutes=5))
    doc = out.note(
        row,
        account(),
        SETTINGS,
        mentions=[BOB, CAROL],
        tags=["Fedi", "café"],
        in_reply_to_uri="https://remote.example/notes/1",
    )
    assert doc["@context"] == [AS_CONTEXT, EXTENSIONS]
    assert doc["id"] == row.uri and doc["type"] == "Note" and doc["url"] == row.url
    assert doc["attributedTo"] == f"{BASE}/users/alice"
    assert doc["summary"] == "cw" and doc["sensitive"] is True
    assert doc["inReplyTo"] == "https://remote.example/notes/1"
    assert doc["published"] == "2026-11-24T06:30:00Z"
    assert doc["updated"] == "2026-11-24T06:35:00Z"
    assert doc["to"] == [PUBLIC] and doc["cc"] == [FOLLOWERS, BOB.uri, CAROL.uri]
    assert doc["content"] == row.content and doc["contentMap"] == {"en": row.content}
    assert doc["attachment"] == []
    assert doc["tag"] == [
        {"type": "Mention", "href": BOB.uri, "name": "@bob@remote.example"},
        {"type": "Mention", "href": CAROL.uri, "name": "@carol@pnyx.test"},
        {"type": "Hashtag", "href": f"{BASE}/tags/fedi", "name": "#Fedi"},
        {"type": "Hashtag", "href": f"{BASE}/tags/caf%C3%A9", "name": "#café"},
    ]


def test_note_defaults():
    doc = out.note(
        status(language=None, in_reply_to_uri="https://x.example/n/1"), account(), SETTINGS
    )
    assert doc["summary"] is None and "updated" not in doc and "contentMap" not in doc
    assert doc["inReplyTo"] == "https://x.example/n/1"  # from the row when not given
    assert doc["tag"] == [] and "quote" not in doc
    quoted = out.note(status(), account(), SETTINGS, quote="https://x.example/n/2")
    assert (
        quoted["quote"] == quoted["quoteUrl"] == quoted["_misskey_quote"] == "https://x.example/n/2"
    )
    assert quoted["quoteUri"] == "https://x.example/n/2"
    # Readers without quotes get a link to the quoted post before the text.
    inline = (
        '<p class="quote-inline">RE: <a href="https://x.example/n/2">https://x.example/n/2</a></p>'
    )
    assert quoted["content"].startswith(inline) and quoted["content"].endswith(status().content)


def test_datetimes_are_utc_with_z():
    paris = timezone(timedelta(hours=1))
    assert out.iso(datetime(2026, 11, 24, 7, 30, 0, 999999, tzinfo=paris)) == "2026-11-24T06:30:00Z"
    assert out.iso(datetime(2026, 11, 24, 6, 30)) == "2026-11-24T06:30:00Z"  # naive: UTC
    assert out.iso(None) is None


def _poll(**changes):
    row = dict(
        options=["Yes", "No", "Maybe"],
        tallies=[3, 1, 0],
        multiple=False,
        expires_at=WHEN + timedelta(days=1),
        closed_at=None,
        votes_count=4,
        voters_count=4,
        uri=None,
    )
    row.update(changes)
    return SimpleNamespace(**row)


def test_question_shape():
    doc = out.note(status(), account(), SETTINGS, poll=_poll())
    assert doc["type"] == "Question"
    assert doc["oneOf"] == [
        {"type": "Note", "name": "Yes", "replies": {"type": "Collection", "totalItems": 3}},
        {"type": "Note", "name": "No", "replies": {"type": "Collection", "totalItems": 1}},
        {"type": "Note", "name": "Maybe", "replies": {"type": "Collection", "totalItems": 0}},
    ]
    assert "anyOf" not in doc and "closed" not in doc
    assert doc["endTime"] == "2026-11-25T06:30:00Z" and doc["votersCount"] == 4
    closed = out.note(status(), account(), SETTINGS, poll=_poll(multiple=True, closed_at=WHEN))
    assert "oneOf" not in closed and len(closed["anyOf"]) == 3
    assert closed["closed"] == "2026-11-24T06:30:00Z"


@pytest.mark.parametrize("visibility", ["public", "unlisted", "private", "direct"])
def test_note_round_trip(visibility):
    author = account()
    row = status(visibility=visibility, spoiler_text="spoiler", sensitive=True, language="fr")
    doc = out.note(row, author, SETTINGS, mentions=[BOB, CAROL], tags=["Fedi", "Python"])
    back = parse_object(json.loads(json.dumps(doc)))
    assert back.uri == row.uri and back.type == "Note" and back.url == row.url
    assert back.attributed_to == author.uri
    assert back.visibility(author.followers_url) == visibility
    assert back.mentions == [(BOB.uri, "@bob@remote.example"), (CAROL.uri, "@carol@pnyx.test")]
    assert back.hashtags == ["fedi", "python"]
    assert back.spoiler_text == "spoiler" and back.sensitive is True
    assert back.language == "fr"
    assert back.content_html == row.content
    assert back.published == WHEN.replace(microsecond=0)


def test_question_round_trip():
    poll = _poll(multiple=True, closed_at=WHEN + timedelta(days=1))
    back = parse_object(out.note(status(), account(), SETTINGS, poll=poll))
    assert back.type == "Question"
    assert back.poll.options == [("Yes", 3), ("No", 1), ("Maybe", 0)]
    assert back.poll.multiple is True
    assert (
        back.poll.expires_at
        == back.poll.closed_at
        == WHEN.replace(microsecond=0) + timedelta(days=1)
    )
    assert back.poll.voters_count == 4


# --- Activities -----------------------------------------------------------------------------

ALICE = f"{BASE}/users/alice"


def test_create_wraps_the_object():
    obj = out.note(status(visibility="unlisted"), account(), SETTINGS, mentions=[BOB])
    doc = out.create(obj, actor_uri=ALICE)
    assert doc["@context"] == [AS_CONTEXT, EXTENSIONS]
    assert doc["id"] == obj["id"] + "/activity" and doc["type"] == "Create"
    assert doc["actor"] == ALICE and doc["published"] == obj["published"]
    assert (doc["to"], doc["cc"]) == (obj["to"], obj["cc"])
    assert "@context" not in doc["object"] and doc["object"]["id"] == obj["id"]
    assert "@context" in obj  # the caller's object is left as it was
    activity = parse_activity(doc)
    assert activity.object_id == obj["id"]
    assert parse_object(activity.embedded).visibility(FOLLOWERS) == "unlisted"


def test_update_of_an_edited_status():
    obj = out.note(status(edited_at=WHEN + timedelta(hours=1)), account(), SETTINGS)
    doc = out.update(obj, actor_uri=ALICE, id=obj["id"] + "#updates/1")
    assert doc["type"] == "Update" and doc["id"] == obj["id"] + "#updates/1"
    assert doc["published"] == "2026-11-24T07:30:00Z"
    assert doc["@context"] == [AS_CONTEXT, EXTENSIONS] and "@context" not in doc["object"]
    assert (doc["to"], doc["cc"]) == (obj["to"], obj["cc"])


def test_delete_sends_a_tombstone():
    doc = out.delete(
        f"{ALICE}/statuses/42",
        actor_uri=ALICE,
        id=f"{ALICE}/statuses/42#delete",
        to=[PUBLIC],
        cc=[FOLLOWERS],
    )
    assert doc == {
        "@context": AS_CONTEXT,
        "id": f"{ALICE}/statuses/42#delete",
        "type": "Delete",
        "actor": ALICE,
        "to": [PUBLIC],
        "cc": [FOLLOWERS],
        "object": {"id": f"{ALICE}/statuses/42", "type": "Tombstone"},
    }
    assert parse_activity(doc).object_id == f"{ALICE}/statuses/42"


def test_follow_accept_reject_undo():
    follow = out.follow(f"{ALICE}/follows/7", actor_uri=ALICE, object_uri=BOB.uri)
    assert follow == {
        "@context": AS_CONTEXT,
        "id": f"{ALICE}/follows/7",
        "type": "Follow",
        "actor": ALICE,
        "object": BOB.uri,
    }
    accept = out.accept(f"{BOB.uri}#accepts/1", actor_uri=BOB.uri, activity=follow)
    assert accept["type"] == "Accept" and accept["object"]["id"] == follow["id"]
    assert "@context" not in accept["object"] and accept["@context"] == AS_CONTEXT
    reject = out.reject(f"{BOB.uri}#rejects/1", actor_uri=BOB.uri, activity=follow)
    assert reject["type"] == "Reject" and reject["object"]["type"] == "Follow"
    undo = out.undo(f"{ALICE}/follows/7/undo", actor_uri=ALICE, activity=follow)
    assert undo["type"] == "Undo" and undo["object"]["object"] == BOB.uri
    for doc in (accept, reject, undo):
        inner = parse_activity(parse_activity(doc).embedded)
        assert (inner.type, inner.actor, inner.object_id) == ("Follow", ALICE, BOB.uri)


def test_like_block_announce():
    like = out.like(
        f"{ALICE}/likes/1", actor_uri=ALICE, object_uri="https://remote.example/notes/1"
    )
    assert (like["type"], like["object"], like["@context"]) == (
        "Like",
        "https://remote.example/notes/1",
        AS_CONTEXT,
    )
    block = out.block(f"{ALICE}/blocks/1", actor_uri=ALICE, object_uri=BOB.uri)
    assert (block["type"], block["object"]) == ("Block", BOB.uri)
    announce = out.announce(
        f"{ALICE}/statuses/43/activity",
        actor_uri=ALICE,
        object_uri="https://remote.example/notes/1",
        to=[PUBLIC],
        cc=[BOB.uri, FOLLOWERS],
        published=WHEN,
    )
    assert announce["type"] == "Announce" and announce["published"] == "2026-11-24T06:30:00Z"
    assert (announce["to"], announce["cc"]) == ([PUBLIC], [BOB.uri, FOLLOWERS])
    assert parse_activity(announce).object_id == "https://remote.example/notes/1"


def test_vote_is_a_create_of_a_named_note():
    doc = out.vote(
        f"{ALICE}#votes/5",
        actor_uri=ALICE,
        question_uri="https://remote.example/notes/poll",
        question_author_uri=BOB.uri,
        option_name="Yes",
        published=WHEN,
    )
    assert doc["type"] == "Create" and doc["id"] == f"{ALICE}#votes/5/activity"
    assert doc["to"] == [BOB.uri] and doc["published"] == "2026-11-24T06:30:00Z"
    note = doc["object"]
    assert note == {
        "id": f"{ALICE}#votes/5",
        "type": "Note",
        "name": "Yes",
        "attributedTo": ALICE,
        "inReplyTo": "https://remote.example/notes/poll",
        "to": [BOB.uri],
    }
    back = parse_object(parse_activity(doc).embedded)
    assert back.vote_name == "Yes" and back.in_reply_to_uri == "https://remote.example/notes/poll"
    assert back.visibility() == "direct"


def test_update_actor():
    actor_doc = out.actor(account(), SETTINGS)
    doc = out.update_actor(actor_doc, id=f"{ALICE}#updates/9")
    assert doc["type"] == "Update" and doc["actor"] == ALICE and doc["to"] == [PUBLIC]
    assert doc["@context"] == [AS_CONTEXT, SECURITY_CONTEXT, EXTENSIONS]
    assert "@context" not in doc["object"]
    assert parse_actor(parse_activity(doc).embedded).uri == ALICE


def test_collections():
    root = out.ordered_collection(FOLLOWERS, total=12, first=FOLLOWERS + "?page=1")
    assert root == {
        "@context": AS_CONTEXT,
        "id": FOLLOWERS,
        "type": "OrderedCollection",
        "totalItems": 12,
        "first": FOLLOWERS + "?page=1",
    }
    inline = out.ordered_collection(ALICE + "/collections/featured", total=1, items=[{"id": "x"}])
    assert inline["orderedItems"] == [{"id": "x"}] and "first" not in inline
    page = out.ordered_collection_page(
        FOLLOWERS + "?page=1", part_of=FOLLOWERS, items=[BOB.uri], next=FOLLOWERS + "?page=2"
    )
    assert page == {
        "@context": AS_CONTEXT,
        "id": FOLLOWERS + "?page=1",
        "type": "OrderedCollectionPage",
        "partOf": FOLLOWERS,
        "orderedItems": [BOB.uri],
        "next": FOLLOWERS + "?page=2",
    }
    last = out.ordered_collection_page(
        FOLLOWERS + "?page=2", part_of=FOLLOWERS, items=[], prev=FOLLOWERS + "?page=1"
    )
    assert "next" not in last and last["prev"] == FOLLOWERS + "?page=1"
