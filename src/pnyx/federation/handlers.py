"""What each received activity does, once its signature and actor have been checked.

Runs in a worker (`inbox.process`), outside the request. The signer is the activity's actor
(the inbox made sure); here the remaining origin rules apply: an embedded object must be on
the actor's origin and attributed to the actor; an Update or Delete touches only the actor's
own things. Posts that concern nobody here (no local follower of the author, no local account named, not
a reply to a post we hold) are dropped, as Mastodon does. Unknown activity types, and objects
we do not show, are ignored without error.
Every handler is idempotent: activities are retried after a crash.
"""

from __future__ import annotations

import logging

import sqlalchemy as sa

from pnyx.config import Settings
from pnyx.core import blocks_mutes, erasure, follows, interactions
from pnyx.core import polls as core_polls
from pnyx.core import remote_store as received
from pnyx.core.errors import CoreError
from pnyx.db.engine import Database
from pnyx.db.tables import accounts, favourites, follow_requests, poll_votes, polls, statuses
from pnyx.db.tables import follows as follows_table
from pnyx.federation import as2_to_internal as parse
from pnyx.federation import as2_to_received as records
from pnyx.federation import mentions, resolve

log = logging.getLogger("pnyx.federation.handlers")

POST_TYPES = {"Note", "Question", "Article", "Page", "Video", "Event", "Audio", "Image"}


def process(db: Database, settings: Settings, doc: dict, signer_id: int) -> None:
    activity = parse.parse_activity(doc)
    signer = db.run_sync(
        lambda tx: tx.one_or_none(sa.select(accounts).where(accounts.c.id == signer_id)),
        write=False,
    )
    if signer is None or signer.suspended_at is not None:
        return
    handle = HANDLERS.get(activity.type)
    if handle is None:
        log.info("ignored %s activity %s from %s", activity.type, activity.id, signer.uri)
        return
    try:
        handle(db, settings, activity, signer)
    except CoreError as exc:
        # The rules refused it (e.g. a Like of a post the signer may not see): nothing to do.
        log.info("%s %s from %s refused: %s", activity.type, activity.id, signer.uri, exc.message)


def _local_account_id(tx, uri: str | None) -> int | None:
    if not uri:
        return None
    return tx.scalar(
        sa.select(accounts.c.id).where(accounts.c.uri == uri, accounts.c.domain.is_(None))
    )


def _status_id(tx, uri: str | None) -> int | None:
    if not uri:
        return None
    return tx.scalar(sa.select(statuses.c.id).where(statuses.c.uri == uri))


def _embedded(activity: parse.Activity) -> dict | None:
    return activity.object if isinstance(activity.object, dict) else None


# --- Follows -------------------------------------------------------------------------------


def on_follow(db, settings, activity, signer) -> None:
    def work(tx):
        target = _local_account_id(tx, activity.object_id)
        if target is not None:
            follows.follow(tx, signer.id, target, uri=activity.id)

    db.run_sync(work)


def _follow_target(activity) -> tuple[str | None, str | None]:
    """(follower uri, follow id) of the Follow an Accept or Reject answers."""
    inner = _embedded(activity)
    if inner is not None:
        return parse.id_of(inner.get("actor")), parse.id_of(inner.get("id"))
    return None, activity.object_id


def on_accept(db, settings, activity, signer) -> None:
    follower_uri, follow_id = _follow_target(activity)

    def work(tx):
        query = sa.select(follow_requests.c.account_id).where(
            follow_requests.c.target_account_id == signer.id
        )
        if follow_id:
            query = query.where(
                sa.or_(
                    follow_requests.c.uri == follow_id,
                    follow_requests.c.account_id == _local_account_id(tx, follower_uri),
                )
            )
        else:
            query = query.where(follow_requests.c.account_id == _local_account_id(tx, follower_uri))
        for requester in tx.scalars(query):
            follows.authorize_request(tx, signer.id, requester)

    db.run_sync(work)


def on_reject(db, settings, activity, signer) -> None:
    follower_uri, follow_id = _follow_target(activity)

    def work(tx):
        follower = _local_account_id(tx, follower_uri)
        if follower is None and follow_id:
            follower = tx.scalar(
                sa.select(follow_requests.c.account_id).where(follow_requests.c.uri == follow_id)
            )
        if follower is not None:
            follows.delete_request(tx, follower, signer.id)
            follows.delete_follow(tx, follower, signer.id)

    db.run_sync(work)


# --- Posts -------------------------------------------------------------------------------------


def _check_post(obj_doc: dict, signer) -> parse.RemoteObject | None:
    obj = parse.parse_object(obj_doc)
    if not parse.same_origin(obj.uri, signer.uri):
        log.warning("object %s is not on the origin of its sender %s", obj.uri, signer.uri)
        return None
    if obj.attributed_to != signer.uri:
        log.warning("object %s is attributed to %s, not its sender", obj.uri, obj.attributed_to)
        return None
    return obj


def on_create(db, settings, activity, signer) -> None:
    obj_doc = _embedded(activity)
    if obj_doc is None:
        if activity.object_id and parse.same_origin(activity.object_id, signer.uri):
            resolve.fetch_status(db, settings, activity.object_id)
        return
    if obj_doc.get("type") not in POST_TYPES:
        log.info("ignored Create of %s from %s", obj_doc.get("type"), signer.uri)
        return
    obj = _check_post(obj_doc, signer)
    if obj is None:
        return
    if obj.vote_name is not None:
        _count_vote(db, obj, signer)
        return
    if not db.run_sync(_concerns_us, obj, signer, write=False):
        log.info("dropped %s from %s: nobody here follows or is named", obj.uri, signer.uri)
        return
    resolve.store_object(db, settings, obj_doc)


def _concerns_us(tx, obj: parse.RemoteObject, signer) -> bool:
    mentioned = records.known_account_ids(tx, [href for href, _ in obj.mentions])
    return received.relevant_here(tx, signer.id, mentioned, obj.in_reply_to_uri)


def _count_vote(db, obj: parse.RemoteObject, signer) -> None:
    def work(tx):
        poll = tx.one_or_none(
            sa.select(polls)
            .join(statuses, statuses.c.id == polls.c.status_id)
            .where(statuses.c.uri == obj.in_reply_to_uri, statuses.c.local.is_(True))
        )
        if poll is None or obj.vote_name not in poll.options:
            return
        choice = poll.options.index(obj.vote_name)
        already = tx.scalar(
            sa.select(poll_votes.c.id).where(
                poll_votes.c.poll_id == poll.id, poll_votes.c.uri == obj.uri
            )
        )
        if already is not None:
            return
        core_polls.vote(tx, signer.id, poll.id, [choice], uri=obj.uri)

    db.run_sync(work)


def on_update(db, settings, activity, signer) -> None:
    obj_doc = _embedded(activity)
    if obj_doc is None:
        return
    kind = obj_doc.get("type")
    if kind in resolve.ACTOR_TYPES:
        if parse.id_of(obj_doc.get("id")) != signer.uri:
            log.warning("%s tried to update another actor", signer.uri)
            return
        resolve.store_actor_document(db, obj_doc)
        return
    if kind not in POST_TYPES:
        return
    obj = _check_post(obj_doc, signer)
    if obj is None:
        return

    def work(tx):
        status = received.status_by_uri(tx, obj.uri)
        if status is None or status.account_id != signer.id:
            return False
        received.update_status(tx, status.id, records.incoming_status(tx, obj, signer))
        mentions.enqueue_unknown(tx, status.id, [href for href, _ in obj.mentions])
        return True

    if not db.run_sync(work):
        resolve.store_object(db, settings, obj_doc)  # an Update of a post we never saw


def on_delete(db, settings, activity, signer) -> None:
    target = activity.object_id
    if not target or not parse.same_origin(target, signer.uri):
        return
    if target == signer.uri:
        _delete_actor(db, signer)
        return
    db.run_sync(received.delete_remote_status, target, signer.id)


def _delete_actor(db, signer) -> None:
    """The account was deleted at its origin: hidden at once, then erased (core.erasure)."""
    db.run_sync(erasure.erase_remote_account, signer.id)


# --- Interactions ------------------------------------------------------------------------------


def _known_status(db, settings, uri: str | None) -> int | None:
    status_id = db.run_sync(_status_id, uri, write=False)
    if status_id is None and uri:
        try:
            status_id = resolve.fetch_status(db, settings, uri)
        except resolve.ResolveError as exc:
            log.info("could not fetch %s: %s", uri, exc.reason)
    return status_id


def on_like(db, settings, activity, signer) -> None:
    status_id = db.run_sync(_status_id, activity.object_id, write=False)
    if status_id is None:
        return  # Likes of posts we do not hold are not worth a fetch
    db.run_sync(
        lambda tx: interactions.favourite(tx, signer.id, status_id, uri=activity.id or None)
    )


def on_announce(db, settings, activity, signer) -> None:
    if activity.id is None or not parse.same_origin(activity.id, signer.uri):
        return

    def wanted(tx) -> bool:
        # A boost matters here when someone here follows the booster, or the post is ours.
        local = tx.scalar(
            sa.select(statuses.c.id).where(
                statuses.c.uri == (activity.object_id or ""), statuses.c.local.is_(True)
            )
        )
        return local is not None or received.relevant_here(tx, signer.id, [], None)

    if not db.run_sync(wanted, write=False):
        return
    status_id = _known_status(db, settings, activity.object_id)
    if status_id is None:
        return
    visibility = parse.visibility_of(activity.to, activity.cc, followers_url=signer.followers_url)
    if visibility == "direct":
        return

    def work(tx):
        if received.status_by_uri(tx, activity.id) is not None:
            return
        interactions.reblog(
            tx,
            signer.id,
            status_id,
            visibility_name=visibility,
            uri=activity.id,
            created_at=activity.published,
        )

    db.run_sync(work)


def on_block(db, settings, activity, signer) -> None:
    def work(tx):
        target = _local_account_id(tx, activity.object_id)
        if target is not None:
            blocks_mutes.block(tx, signer.id, target, uri=activity.id)

    db.run_sync(work)


def on_undo(db, settings, activity, signer) -> None:
    inner = _embedded(activity)
    inner_type = inner.get("type") if inner else None
    inner_id = parse.id_of(inner.get("id")) if inner else activity.object_id
    if inner is not None and parse.id_of(inner.get("actor")) not in (None, signer.uri):
        log.warning("%s tried to undo another actor's activity", signer.uri)
        return
    inner_object = parse.id_of(inner.get("object")) if inner else None

    def work(tx):
        if inner_type == "Follow" or (inner_type is None and _is_follow(tx, signer.id, inner_id)):
            target = _local_account_id(tx, inner_object) or _follow_target_by_uri(
                tx, signer.id, inner_id
            )
            if target is not None:
                follows.delete_follow(tx, signer.id, target)
                follows.delete_request(tx, signer.id, target)
            return
        if inner_type == "Like" or inner_type is None:
            favourite = tx.one_or_none(
                sa.select(favourites.c.status_id).where(
                    favourites.c.account_id == signer.id,
                    sa.or_(
                        favourites.c.uri == inner_id,
                        favourites.c.status_id == _status_id(tx, inner_object),
                    ),
                )
            )
            if favourite is not None:
                interactions.unfavourite(tx, signer.id, favourite.status_id)
                return
        if inner_type == "Announce" or inner_type is None:
            boost = received.status_by_uri(tx, inner_id) if inner_id else None
            if boost is not None and boost.account_id == signer.id and boost.reblog_of_id:
                interactions.unreblog(tx, signer.id, boost.reblog_of_id)
                return
        if inner_type == "Block" or inner_type is None:
            target = _local_account_id(tx, inner_object)
            if target is not None:
                blocks_mutes.unblock(tx, signer.id, target)

    db.run_sync(work)


def _is_follow(tx, follower_id: int, uri: str | None) -> bool:
    return _follow_target_by_uri(tx, follower_id, uri) is not None


def _follow_target_by_uri(tx, follower_id: int, uri: str | None) -> int | None:
    if not uri:
        return None
    for table in (follows_table, follow_requests):
        target = tx.scalar(
            sa.select(table.c.target_account_id).where(
                table.c.account_id == follower_id, table.c.uri == uri
            )
        )
        if target is not None:
            return target
    return None


def on_flag(db, settings, activity, signer) -> None:
    """A report from another server: about one of our accounts, maybe citing its posts."""
    uris = activity.object_ids or ([activity.object_id] if activity.object_id else [])
    comment = activity.raw.get("content") if isinstance(activity.raw.get("content"), str) else ""

    def work(tx):
        target = None
        status_ids = []
        for uri in uris[:50]:
            account_id = _local_account_id(tx, uri)
            if account_id is not None and target is None:
                target = account_id
                continue
            status = tx.one_or_none(
                sa.select(statuses.c.id, statuses.c.account_id).where(
                    statuses.c.uri == uri, statuses.c.local.is_(True)
                )
            )
            if status is not None:
                status_ids.append(status.id)
                target = target or status.account_id
        if target is not None:
            received.store_report(tx, signer.id, target, status_ids, comment, activity.id)

    db.run_sync(work)


def _featured(db, settings, activity, signer, featured: bool) -> None:
    if not activity.target or activity.target != signer.featured_url:
        log.info(
            "%s %s from %s: not its featured collection", activity.type, activity.id, signer.uri
        )
        return

    def work(tx):
        status = received.status_by_uri(tx, activity.object_id or "")
        if status is not None and status.account_id == signer.id:
            received.set_featured(tx, signer.id, status.id, featured)

    db.run_sync(work)


def on_add(db, settings, activity, signer) -> None:
    _featured(db, settings, activity, signer, True)


def on_remove(db, settings, activity, signer) -> None:
    _featured(db, settings, activity, signer, False)


def on_move(db, settings, activity, signer) -> None:
    """Recorded (the account shows where it went), and its followers here follow the new
    account (core.moves). The new account must name the old one in alsoKnownAs, read fresh
    from its server."""
    if activity.object_id != signer.uri or not activity.target:
        return
    try:
        target_id = resolve.fetch_actor(db, settings, activity.target)
    except resolve.ResolveError as exc:
        log.info(
            "Move of %s to %s: target not fetched: %s", signer.uri, activity.target, exc.reason
        )
        return

    def work(tx):
        aliases = tx.scalar(sa.select(accounts.c.also_known_as).where(accounts.c.id == target_id))
        if signer.uri in (aliases or []):
            received.record_move(tx, signer.id, target_id)
        else:
            log.warning(
                "Move of %s to %s refused: no alsoKnownAs back", signer.uri, activity.target
            )

    db.run_sync(work)


HANDLERS = {
    "Follow": on_follow,
    "Accept": on_accept,
    "Reject": on_reject,
    "Create": on_create,
    "Update": on_update,
    "Delete": on_delete,
    "Like": on_like,
    "Announce": on_announce,
    "Block": on_block,
    "Undo": on_undo,
    "Flag": on_flag,
    "Add": on_add,
    "Remove": on_remove,
    "Move": on_move,
}
