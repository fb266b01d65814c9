"""The archive's ActivityStreams documents, shaped as Mastodon's BackupService writes them.

- `outbox.json`: an OrderedCollection of a Create for every post the person wrote (every
  visibility) and an Announce for every boost. Each Create's object is the Note (or Question)
  exactly as federation serves it at its id, with its author's Data Integrity proof (FEP-8b32,
  `federation.object_proofs`) and its own `@context`, so that it can be checked on its own
  wherever it travels; each Announce is signed by its author too. As Mastodon does, the items
  carry no `@context` of their own (the collection's applies) and attachment urls are paths
  inside the archive (`media_attachments/files/<id>/original/<name>`). The proof was made over
  the served url: the manifest entry of each media file gives it back (`url`), so a verifier
  puts it in place before checking.
- `actor.json`: the actor as served, with the key its proofs are made with (`assertionMethod`,
  FEP-521a), its icon and image pointing at `avatar.<ext>` and `header.<ext>` in the archive,
  and `outbox`, `likes`, `bookmarks` pointing at the archive's files.
- `likes.json`, `bookmarks.json`: OrderedCollections of post uris.

The posts of a page are loaded together (`federation_reads.published`, the one loader of
statuses) and signed as `object_proofs.signed_status_document` signs one: the same Note and
the same proof, in a handful of queries a page instead of a handful a post.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterable
from typing import Any

from pnyx.core import custom_emojis
from pnyx.core import federation_reads as reads
from pnyx.core.exports import contents
from pnyx.core.integrity_keys import IntegrityKey
from pnyx.core.rows import AccountRow
from pnyx.db.engine import Tx
from pnyx.federation import identity_proofs, object_proofs
from pnyx.federation import internal_to_as2 as as2

OUTBOX, LIKES, BOOKMARKS, ACTOR = "outbox.json", "likes.json", "bookmarks.json", "actor.json"
IDENTITY = "identity.json"
COLLECTION_CONTEXT = as2.OBJECT_CONTEXT


def media_path(media_id: int, file_key: str) -> str:
    """Where a media file is in the archive, as Mastodon lays its files out."""
    return f"media_attachments/files/{media_id}/original/{posixpath.basename(file_key)}"


def collection_head(name: str, total: int | None) -> dict[str, Any]:
    """An OrderedCollection without its items (they are streamed after it): Mastodon's
    skeleton. `total` None leaves `totalItems` out, as Mastodon does for likes and bookmarks."""
    head: dict[str, Any] = {"@context": COLLECTION_CONTEXT, "id": name, "type": "OrderedCollection"}
    if total is not None:
        head["totalItems"] = total
    return head


def _archived(attachment: Any, paths: dict[str, str]) -> Any:
    if isinstance(attachment, dict) and attachment.get("url") in paths:
        return {**attachment, "url": paths[attachment["url"]]}
    return attachment


def _created(
    tx: Tx, bundle: Any, status_id: int, author: AccountRow, key: IntegrityKey, paths: dict
) -> dict:
    row = bundle.statuses[status_id]
    note = as2.status_note(bundle, status_id, tx.settings)
    signed = object_proofs.sign_with(key, note, object_proofs.status_time(row))
    activity = as2.create(signed, actor_uri=author.uri)
    del activity["@context"]
    obj = dict(signed)  # with its own @context and proof: checkable once taken out
    if isinstance(obj.get("attachment"), list):
        obj["attachment"] = [_archived(a, paths) for a in obj["attachment"]]
    activity["object"] = obj
    return activity


def _announced(boost: contents.Boost, author: AccountRow, key: IntegrityKey) -> dict:
    to, cc = as2.addressing(
        boost.visibility,
        followers_url=author.followers_url or "",
        mentioned_uris=[boost.object_author_uri],
    )
    activity = as2.announce(
        boost.uri,
        actor_uri=author.uri,
        object_uri=boost.object_uri,
        to=to,
        cc=cc,
        published=boost.created_at,
    )
    return object_proofs.sign_with(key, activity, boost.created_at)


def outbox_items(tx: Tx, author: AccountRow, key: IntegrityKey, page: Iterable[Any]) -> list[dict]:
    """The outbox items of a page of statuses (`contents.status_page` rows), in its order. A
    status deleted since the page was read is left out."""
    rows = list(page)
    post_ids = [r.id for r in rows if r.reblog_of_id is None]
    bundle = reads.published(tx, post_ids)
    paths = {
        m.url: media_path(m.id, m.file_key)
        for m in contents.media_of_statuses(tx, post_ids)
        if m.url
    }
    boosts = contents.boosts(tx, [r.id for r in rows if r.reblog_of_id is not None])
    items = []
    for row in rows:
        if row.reblog_of_id is None and row.id in bundle.statuses:
            items.append(_created(tx, bundle, row.id, author, key, paths))
        elif row.id in boosts:
            items.append(_announced(boosts[row.id], author, key))
    return items


def _extension(key: str) -> str:
    return posixpath.splitext(key)[1]


def actor(tx: Tx, account: AccountRow) -> tuple[dict, list[tuple[str, str]]]:
    """The archive's actor.json, and its images as (name in the archive, store key)."""
    row = reads.local_account_with_key(tx, account.username)
    assert row is not None
    emojis = custom_emojis.used_by_account(tx, row)
    doc = as2.actor(row, tx.settings, moved_to_uri=row.moved_to_uri, emojis=emojis)
    doc = object_proofs.announcing_key(doc, object_proofs.key_of(tx, row.id))
    images: list[tuple[str, str]] = []
    for field, name, key in (
        ("icon", "avatar", row.avatar_key),
        ("image", "header", row.header_key),
    ):
        if key and isinstance(doc.get(field), dict):
            archived = name + _extension(key)
            doc[field] = {**doc[field], "url": archived}
            images.append((archived, key))
    doc.update({"outbox": OUTBOX, "likes": LIKES, "bookmarks": BOOKMARKS})
    return doc, images


def identity(tx: Tx, account: AccountRow, created: Any) -> dict:
    """The archive's identity.json: the person's Ed25519 key and the FEP-c390 statement that
    ties it to this actor. With it the person can prove, from their new server, that the new
    account is the old one, even once this server is gone (a "pull" move, FEP-7628): a server
    that knew the old actor knows this key (its posts' proofs are made with it).

    It holds the private key: the archive must be kept as safely as a password."""
    key = object_proofs.key_of(tx, account.id)
    assert key.private_key is not None
    return {
        "type": "PnyxIdentity",
        "actor": account.uri,
        "subject": identity_proofs.did_key(key.public_key),
        "secretKeyMultibase": identity_proofs.private_multikey(key.private_key),
        "statement": identity_proofs.statement(account.uri, key.private_key, created),
    }
