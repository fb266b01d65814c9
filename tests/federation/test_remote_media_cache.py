"""Remote media and avatars cached: a post and an actor from the loopback stand-in are stored,
and the `media.cache_remote` job fetches their images through the safe client, strips them
through the upload pipeline and serves them from here, keeping `remote_url`. Without
PNYX_ALLOW_PRIVATE_ADDRESSES the same loopback address is refused and the origin is shown."""

from __future__ import annotations

import sqlalchemy as sa

import factories
from images import jpeg_with_gps, metadata_of, png
from pnyx import registry
from pnyx.core import accounts as core_accounts
from pnyx.core import erasure, media_store, profile_media, profiles, remote_media
from pnyx.core.remote_store import IncomingAttachment, IncomingStatus, store_status
from pnyx.db.engine import Database
from pnyx.db.tables import media_attachments
from pnyx.federation import resolve
from pnyx.presenters import entities


def _peer_with_images(peer) -> tuple[str, str, str]:
    photo = peer.serve_file("/media/photo.jpg", jpeg_with_gps(), "image/jpeg")
    avatar = peer.serve_file("/media/avatar.jpg", jpeg_with_gps(900, 600), "image/jpeg")
    header = peer.serve_file("/media/header.png", png(3000, 1000), "image/png")
    actor = peer.actor_document()
    actor["icon"] = {"type": "Image", "mediaType": "image/jpeg", "url": avatar}
    actor["image"] = {"type": "Image", "mediaType": "image/png", "url": header}
    peer.docs[f"/users/{peer.username}"] = actor
    note = f"{peer.base}/notes/1"
    peer.docs["/notes/1"] = {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": note,
        "type": "Note",
        "attributedTo": peer.actor,
        "content": "<p>A photo</p>",
        "to": ["https://www.w3.org/ns/activitystreams#Public"],
        "published": "2026-01-01T00:00:00Z",
        "attachment": [
            {
                "type": "Document",
                "mediaType": "image/jpeg",
                "url": photo,
                "name": "A flag",
                "focalPoint": [0.5, 0.5],
                "width": 1200,
                "height": 800,
            }
        ],
    }
    return photo, avatar, note


def _attachment(db: Database, status_id: int):
    return db.run_sync(
        lambda tx: tx.one_or_none(
            sa.select(media_attachments).where(media_attachments.c.status_id == status_id)
        ),
        write=False,
    )


def test_remote_images_are_cached_stripped_and_served_from_here(local_db, peer):
    photo, avatar, note = _peer_with_images(peer)
    author = resolve.fetch_actor(local_db, local_db.settings, peer.actor)
    status_id = resolve.fetch_status(local_db, local_db.settings, note)
    registry.drain(local_db)

    row = _attachment(local_db, status_id)
    shown = entities.media_attachment(row)
    base = local_db.settings.base_url + "/system/media/"
    assert shown["remote_url"] == photo
    assert shown["url"].startswith(base) and shown["preview_url"].startswith(base)
    assert shown["blurhash"] and shown["meta"]["small"]["width"] > 0
    assert shown["meta"]["focus"] == {"x": 0.5, "y": 0.5}
    store = media_store.store_for(local_db.settings)
    facts = metadata_of(store.get(row.file_key))
    assert facts["gps"] == {} and facts["exif"] == {} and facts["xmp"] is None

    account = local_db.run_sync(core_accounts.get, author, write=False)
    assert account.avatar_remote_url == avatar
    shown_account = entities.account(account, local_db.settings)
    assert shown_account["avatar"].startswith(base) and shown_account["header"].startswith(base)
    assert metadata_of(store.get(account.avatar_key))["size"] == (400, 400)
    assert metadata_of(store.get(account.header_key))["size"] == (1500, 500)

    # Stored again with the same images: nothing is fetched twice.
    fetched = len(peer.file_requests)
    resolve.fetch_actor(local_db, local_db.settings, peer.actor)
    registry.drain(local_db)
    assert len(peer.file_requests) == fetched
    again = local_db.run_sync(core_accounts.get, author, write=False)
    assert again.avatar_url == account.avatar_url


def test_a_private_address_is_refused_without_the_setting(settings, app, peer):
    db = Database(settings.with_overrides(allow_private_addresses=False, scheme="http"))
    try:
        photo = peer.serve_file("/media/photo.jpg", jpeg_with_gps(), "image/jpeg")
        author = factories.remote_account(db, "taka", "elsewhere.example")
        status_id = db.run_sync(
            store_status,
            author,
            IncomingStatus(
                uri="https://elsewhere.example/notes/1",
                content="<p>hi</p>",
                visibility="public",
                attachments=[IncomingAttachment(kind="image", remote_url=photo)],
            ),
        )
        registry.drain(db)
        row = _attachment(db, status_id)
        assert row.file_key is None and row.url is None
        assert entities.media_attachment(row)["url"] == photo  # shown from its origin
        assert peer.file_requests == []
        assert remote_media.pending(db, {"attachment": row.id})  # still wanted
    finally:
        db.dispose()


def test_the_cache_can_be_turned_off(settings, app, peer):
    db = Database(
        settings.with_overrides(
            allow_private_addresses=True, scheme="http", remote_media_cache=False
        )
    )
    try:
        _photo, _avatar, note = _peer_with_images(peer)
        resolve.fetch_actor(db, db.settings, peer.actor)
        status_id = resolve.fetch_status(db, db.settings, note)
        registry.drain(db)
        assert _attachment(db, status_id).file_key is None
        assert peer.file_requests == []
    finally:
        db.dispose()


def test_a_new_avatar_goes_out_in_an_update_of_the_actor(local_db, peer, make_user):
    alice = make_user("alice").account_id
    follower = resolve.fetch_actor(local_db, local_db.settings, peer.actor)
    factories.follow(local_db, follower, alice)
    avatar = profile_media.prepare(local_db.settings, alice, "avatar", png(600, 600))
    local_db.run_sync(profiles.update_profile, alice, profiles.ProfileUpdate(avatar=avatar))
    registry.drain(local_db)

    [update] = peer.of_type("Update")
    assert update["object"]["type"] == "Person"
    assert update["object"]["icon"]["url"] == avatar.url
    assert update["object"]["icon"]["mediaType"] == "image/png"


def test_a_remote_account_erased_leaves_no_cached_files(local_db, peer):
    _peer_with_images(peer)
    author = resolve.fetch_actor(local_db, local_db.settings, peer.actor)
    registry.drain(local_db)
    account = local_db.run_sync(core_accounts.get, author, write=False)
    store = media_store.store_for(local_db.settings)
    assert store.get(account.avatar_key) is not None
    local_db.run_sync(erasure.erase_remote_account, author)
    registry.drain(local_db)
    assert store.get(account.avatar_key) is None and store.get(account.header_key) is None
