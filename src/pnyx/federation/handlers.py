"""What each received activity does, once its signature and actor have been checked.

Runs in a worker (`inbox.process`), outside the request, in one transaction per activity and
without touching the network: an activity that needs something from another server (the
parent of a reply, the post a boost names, the account a Move points to) raises `NeedsFetch`
before it changes anything; the inbox then runs that fetch as a job of its own and processes
the activity again once it is done (`inbox.fetch`). So a slow server holds up neither the
inbox's threads nor, on SQLite, the one writer.

The signer is the activity's actor (the inbox made sure); here the remaining origin rules
apply: an embedded object must be on the actor's origin and attributed to the actor; an
Update or Delete touches only the actor's own things. Posts that concern nobody here (no
local follower of the author, no local account named, not a reply to a post we hold) are
dropped, as Mastodon does. Unknown activity types, and objects we do not show, are ignored
without error. Every handler is idempotent: activities are retried after a crash.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field

from pnyx.config import Settings
from pnyx.core import (
    blocks_mutes,
    erasure,
    federation_reads,
    follows,
    interactions,
    moderation_lists,
    quotes,
)
from pnyx.core import polls as core_polls
from pnyx.core import remote_store as received
from pnyx.core.errors import CoreError
from pnyx.core.notes import peers as note_peers
from pnyx.core.notes import received as received_notes
from pnyx.db.engine import Database
from pnyx.federation import as2_to_internal as parse
from pnyx.federation import as2_to_received as records
from pnyx.federation import label_documents, mentions, note_documents, pull_move_receipt, resolve

log = logging.getLogger("pnyx.federation.handlers")

POST_TYPES = {"Note", "Question", "Article", "Page", "Video", "Event", "Audio", "Image"}
STATUS, ACTOR, NOTE = "status", "actor", "note"


class NeedsFetch(Exception):  # noqa: N818 - a request for work, not an error
    """Processing needs `uri` (a post, or an actor) fetched first. Raised before any change.

    `again`: process the activity again once the fetch is done (whether or not it found
    anything); without it the fetch is the whole of the activity's effect."""

    def __init__(self, uri: str, what: str, *, again: bool = True, depth: int = 0):
        super().__init__(f"needs {what} {uri}")
        self.uri = uri
        self.what = what
        self.again = again
        self.depth = depth


@dataclass(frozen=True)
class Context:
    """What a handler gets besides the transaction: the signer's account row, and the uris
    already fetched for this activity (not asked for again, found or not)."""

    signer: object
    fetched: Mapping[str, bool] = field(default_factory=dict)  # uri -> whether it was found

    def needs(self, uri: str, what: str, **kwargs) -> None:
        if uri not in self.fetched:
            raise NeedsFetch(uri, what, **kwargs)

    def found(self, uri: str) -> bool:
        return self.fetched.get(uri, False)


def apply(tx, activity: parse.Activity, signer_id: int, fetched: Mapping[str, bool]) -> None:
    """Process one parsed activity in the caller's transaction. Raises NeedsFetch."""
    signer = federation_reads.account(tx, signer_id)
    if signer is None or signer.suspended_at is not None:
        return
    handle = HANDLERS.get(activity.type)
    if handle is None:
        log.info("ignored %s activity %s from %s", activity.type, activity.id, signer.uri)
        return
    try:
        handle(tx, activity, Context(signer, fetched))
    except CoreError as exc:
        # The rules refused it (e.g. a Like of a post the signer may not see): nothing to do.
        log.info("%s %s from %s refused: %s", activity.type, activity.id, signer.uri, exc.message)
    except (parse.InvalidDocument, resolve.ResolveError) as exc:
        # What it carries is malformed (a Note without an author ...): retrying cannot help.
        log.info("%s %s from %s refused: %s", activity.type, activity.id, signer.uri, exc.reason)


def run_fetch(db: Database, settings: Settings, need: NeedsFetch) -> bool:
    """Do what a NeedsFetch asks, outside any transaction; whether it was found. A fetch that
    fails is logged when the activity is processed again anyway; a by-reference Create's
    failure is raised (the job is retried)."""
    try:
        if need.what == ACTOR:
            resolve.fetch_actor(db, settings, need.uri)
            return True
        if need.what == NOTE:
            return note_documents.fetch_note(db, settings, need.uri)
        return resolve.fetch_status(db, settings, need.uri, depth=need.depth) is not None
    except resolve.ResolveError as exc:
        if not need.again:
            raise
        log.info("could not fetch %s %s: %s", need.what, need.uri, exc.reason)
        return False


def process(db: Database, settings: Settings, doc: dict, signer_id: int) -> None:
    """Parse and process an activity here and now, fetching what it needs on this thread:
    for callers that want the effect at once (tests, tools). The worker's path is
    `inbox.process` and `inbox.fetch`, one job each."""
    activity = parse.parse_activity(doc)
    fetched: dict[str, bool] = {}
    while True:
        try:
            db.run_sync(apply, activity, signer_id, dict(fetched))
            return
        except NeedsFetch as need:
            found = run_fetch(db, settings, need)
            if not need.again:
                return
            fetched[need.uri] = found


def _status_id(tx, uri: str | None) -> int | None:
    status = received.status_by_uri(tx, uri) if uri else None
    return status.id if status is not None else None


def _embedded(activity: parse.Activity) -> dict | None:
    return activity.object if isinstance(activity.object, dict) else None


# --- Follows -------------------------------------------------------------------------------


def on_follow(tx, activity, ctx: Context) -> None:
    target = federation_reads.local_account_id(tx, activity.object_id)
    if target is not None:
        follows.follow(tx, ctx.signer.id, target, uri=activity.id)


def _follow_target(activity) -> tuple[str | None, str | None]:
    """(follower uri, follow id) of the Follow an Accept or Reject answers."""
    inner = _embedded(activity)
    if inner is not None:
        return parse.id_of(inner.get("actor")), parse.id_of(inner.get("id"))
    return None, activity.object_id


def _quote_answer(tx, activity, ctx: Context, *, accepted: bool) -> bool:
    """An Accept or Reject of one of our QuoteRequests (FEP-044f); whether it was one. The
    Accept's `result` is the stamp the quoted author's server issued."""
    inner = _embedded(activity)
    request_id = parse.id_of(inner.get("id")) if inner is not None else activity.object_id
    if inner is not None and inner.get("type") not in (None, "QuoteRequest"):
        return False
    if not request_id:
        return False
    stamp = parse.id_of(activity.raw.get("result")) if accepted else None
    if accepted and not (stamp and parse.same_origin(stamp, ctx.signer.uri)):
        return inner is not None  # an Accept of a quote without its stamp allows nothing
    return quotes.answered(tx, request_id, ctx.signer.id, stamp)


def on_accept(tx, activity, ctx: Context) -> None:
    if _quote_answer(tx, activity, ctx, accepted=True):
        return
    follower_uri, follow_id = _follow_target(activity)
    signer = ctx.signer
    requesters = follows.requesters_answered(
        tx,
        signer.id,
        follow_uri=follow_id,
        follower_id=federation_reads.local_account_id(tx, follower_uri),
    )
    for requester in requesters:
        follows.authorize_request(tx, signer.id, requester)


def on_reject(tx, activity, ctx: Context) -> None:
    if _quote_answer(tx, activity, ctx, accepted=False):
        return
    follower_uri, follow_id = _follow_target(activity)
    follower = federation_reads.local_account_id(tx, follower_uri)
    if follower is None and follow_id:
        follower = follows.requester_of(tx, follow_id)
    if follower is not None:
        follows.delete_request(tx, follower, ctx.signer.id)
        follows.delete_follow(tx, follower, ctx.signer.id)


# --- Posts -------------------------------------------------------------------------------------


def _check_post(obj_doc: dict, signer) -> parse.RemoteObject | None:
    """The embedded post, parsed (the one parse it gets), when it is its sender's own."""
    obj = parse.parse_object(obj_doc)
    if not parse.same_origin(obj.uri, signer.uri):
        log.warning("object %s is not on the origin of its sender %s", obj.uri, signer.uri)
        return None
    if obj.attributed_to != signer.uri:
        log.warning("object %s is attributed to %s, not its sender", obj.uri, obj.attributed_to)
        return None
    return obj


def _store_post(tx, obj: parse.RemoteObject, ctx: Context) -> int | None:
    """Store the sender's own post (what `resolve.store_object` does for a fetched one): its
    parent and the post it quotes are fetched first, when we do not hold them, by jobs of
    their own."""
    if obj.in_reply_to_uri and received.status_by_uri(tx, obj.in_reply_to_uri) is None:
        ctx.needs(obj.in_reply_to_uri, STATUS, depth=1)
    quoted = obj.quote_uri
    elsewhere = quoted and parse.origin(quoted) != parse.origin(tx.settings.base_url)
    if elsewhere and received.status_by_uri(tx, quoted) is None:
        ctx.needs(quoted, STATUS, depth=1)  # the quoted post, to show with the quote
    signer = ctx.signer
    status_id = received.store_status(tx, signer.id, records.incoming_status(tx, obj, signer))
    if status_id is not None:
        mentions.enqueue_unknown(tx, status_id, [href for href, _ in obj.mentions])
    return status_id


def on_create(tx, activity, ctx: Context) -> None:
    signer = ctx.signer
    obj_doc = _embedded(activity)
    if obj_doc is None:
        if activity.object_id and parse.same_origin(activity.object_id, signer.uri):
            ctx.needs(activity.object_id, STATUS, again=False)
        return
    if obj_doc.get("type") == "Label":
        _receive_label(tx, obj_doc, ctx)
        return
    if obj_doc.get("type") in note_documents.TYPES:
        _receive_note_object(tx, obj_doc, ctx)
        return
    if obj_doc.get("type") not in POST_TYPES:
        log.info("ignored Create of %s from %s", obj_doc.get("type"), signer.uri)
        return
    if _context_reply(tx, signer):
        return
    obj = _check_post(obj_doc, signer)
    if obj is None:
        return
    if obj.vote_name is not None:
        _count_vote(tx, obj, signer)
        return
    if not _concerns_us(tx, obj, signer):
        log.info("dropped %s from %s: nobody here follows or is named", obj.uri, signer.uri)
        return
    _store_post(tx, obj, ctx)


def _receive_label(tx, doc: dict, ctx: Context) -> None:
    """A labeler's label: kept when someone here applies its labels and its proof holds
    under a key the labeler announced (its actor is fetched, once, when the key is not
    known yet); refused labels are logged and dropped (`label_documents`)."""
    try:
        labeler_uri, _data = label_documents.parse_received(doc)
    except label_documents.LabelRefused as exc:
        log.warning("label from %s refused: %s", ctx.signer.uri, exc)
        return
    labeler = received.account_by_uri(tx, labeler_uri)
    if labeler is None or not label_documents.applied_here(tx, labeler.id):
        log.info("dropped label %s: nobody here applies %s", doc.get("id"), labeler_uri)
        return
    if not label_documents.verify(tx, doc, labeler.id):
        ctx.needs(labeler_uri, ACTOR, again=True)  # its key may be new: read its actor again
    try:
        label_documents.receive_label(tx, doc, labeler.id, tx.now)
    except label_documents.LabelRefused as exc:
        log.warning("label %s from %s refused: %s", doc.get("id"), labeler_uri, exc)


def _receive_note_object(tx, doc: dict, ctx: Context) -> None:
    """A community note or rating (in a Create or an Update, from its server or forwarded by
    another: the proof decides, not who delivered it). Kept when it is attributed to a peer's
    notes actor and its proof holds under that actor's key (read again once when unknown);
    a note's post is fetched first when not held, a rating's note likewise from a peer. Any
    refusal is logged and nothing is stored (`note_documents`, `core.notes.received`)."""
    try:
        parsed, peer = note_documents.checked(tx, doc)
    except note_documents.KeyUnknown as exc:
        ctx.needs(exc.actor_uri, ACTOR, again=True)  # a new key? its actor, read again once
        log.warning(
            "%s %s from %s refused: %s", doc.get("type"), doc.get("id"), ctx.signer.uri, exc
        )
        return
    except note_documents.NoteRefused as exc:
        log.warning(
            "%s %s from %s refused: %s", doc.get("type"), doc.get("id"), ctx.signer.uri, exc
        )
        return
    if parsed.note is not None:
        subject = parsed.note.subject_uri
        here = parse.same_origin(subject, tx.settings.base_url)
        if not here and received_notes.subject_status_id(tx, subject) is None:
            ctx.needs(subject, STATUS, again=True)  # the post it is about, then the note
    elif parsed.rating is not None:
        note_uri = parsed.rating.note_uri
        unknown = received_notes.note_by_uri(tx, note_uri) is None
        if unknown and note_documents.peer_for_uri(tx, note_uri) is not None:
            ctx.needs(note_uri, NOTE, again=True)  # its note, from its peer's server
    try:
        note_documents.take(tx, peer, parsed)
    except received_notes.Refused as exc:
        log.warning("%s %s from %s refused: %s", doc.get("type"), doc.get("id"), peer.uri, exc)


def _context_reply(tx, signer) -> bool:
    """A post by a peer's notes actor is the reply through which servers that do not speak
    notes see a helpful note: we hold the note itself, so the post is not kept."""
    if not note_peers.is_peer(tx, signer.id):
        return False
    log.info("dropped a post by %s: the notes of a peer arrive as notes", signer.uri)
    return True


def _concerns_us(tx, obj: parse.RemoteObject, signer) -> bool:
    mentioned = records.known_account_ids(tx, [href for href, _ in obj.mentions])
    if received.relevant_here(tx, signer.id, mentioned, obj.in_reply_to_uri):
        return True
    quoted = received.status_by_uri(tx, obj.quote_uri) if obj.quote_uri else None
    return quoted is not None and bool(quoted.local)  # a quote of a post of ours


def on_quote_request(tx, activity, ctx: Context) -> None:
    """FEP-044f: another server asks whether its author may quote a post of ours. The quoting
    post comes embedded (stored as any post of the sender's), or by its id (fetched first);
    the answer goes out as an Accept with a stamp, or a Reject (`core.quotes.requested`)."""
    signer = ctx.signer
    quoted = received.status_by_uri(tx, activity.object_id) if activity.object_id else None
    if activity.id is None or not parse.same_origin(activity.id, signer.uri):
        return
    if quoted is None or not quoted.local:
        return
    instrument = parse.as_list(activity.raw.get("instrument"))
    first = instrument[0] if instrument else None
    if isinstance(first, dict) and first.get("type") in POST_TYPES:
        obj = _check_post(first, signer)
        if obj is None or obj.quote_uri != quoted.uri:
            return
        quoting = received.status_by_uri(tx, obj.uri)
        if quoting is None:
            _store_post(tx, obj, ctx)
            quoting = received.status_by_uri(tx, obj.uri)
    else:
        uri = parse.id_of(first)
        if not isinstance(uri, str) or not parse.same_origin(uri, signer.uri):
            return
        quoting = received.status_by_uri(tx, uri)
        if quoting is None:
            ctx.needs(uri, STATUS)
    if quoting is None or quoting.account_id != signer.id:
        return
    quotes.requested(tx, quoting, quoted, activity.id)


def _count_vote(tx, obj: parse.RemoteObject, signer) -> None:
    status = received.status_by_uri(tx, obj.in_reply_to_uri or "")
    poll = core_polls.for_status(tx, status.id) if status is not None and status.local else None
    if poll is None or obj.vote_name not in poll.options:
        return
    choice = poll.options.index(obj.vote_name)
    if core_polls.vote_counted(tx, poll.id, obj.uri):
        return
    core_polls.vote(tx, signer.id, poll.id, [choice], uri=obj.uri)


def on_update(tx, activity, ctx: Context) -> None:
    signer = ctx.signer
    obj_doc = _embedded(activity)
    if obj_doc is None:
        return
    kind = obj_doc.get("type")
    if kind in note_documents.TYPES:
        _receive_note_object(tx, obj_doc, ctx)
        return
    if kind in resolve.ACTOR_TYPES:
        if parse.id_of(obj_doc.get("id")) != signer.uri:
            log.warning("%s tried to update another actor", signer.uri)
            return
        _store_actor(tx, obj_doc)
        return
    if kind not in POST_TYPES or _context_reply(tx, signer):
        return
    obj = _check_post(obj_doc, signer)
    if obj is None:
        return
    status = received.status_by_uri(tx, obj.uri)
    if status is None or status.account_id != signer.id:
        if obj.vote_name is None:
            _store_post(tx, obj, ctx)  # an Update of a post we never saw
        return
    received.update_status(tx, status.id, records.incoming_status(tx, obj, signer))
    mentions.enqueue_unknown(tx, status.id, [href for href, _ in obj.mentions])


def _store_actor(tx, doc: dict) -> int:
    """The sender's own actor document, sent in an Update: stored as it came."""
    try:
        actor = parse.parse_actor(doc)
    except parse.InvalidDocument as exc:
        raise resolve.ResolveError(f"not a usable actor: {exc}") from None
    return received.store_account(tx, records.incoming_account(actor))


def on_delete(tx, activity, ctx: Context) -> None:
    signer = ctx.signer
    target = activity.object_id
    if not target or not parse.same_origin(target, signer.uri):
        return
    if target == signer.uri:
        # The account was deleted at its origin: hidden at once, then erased (core.erasure).
        erasure.erase_remote_account(tx, signer.id)
        return
    if quotes.authorization_withdrawn(tx, target, signer.id):
        return  # a QuoteAuthorization stamp: the quote it allowed is revoked
    if _note_deleted(tx, target, signer):
        return
    received.delete_remote_status(tx, target, signer.id)


def _note_deleted(tx, uri: str, signer) -> bool:
    """A Delete of a community note or rating (its Tombstone): only the server it came from
    may delete it, through its notes actor. Whether `uri` was one."""
    try:
        if received_notes.note_by_uri(tx, uri) is not None:
            _check_notes_actor(signer)
            return received_notes.delete_note(tx, signer, uri)
        if received_notes.rating_by_uri(tx, uri) is not None:
            _check_notes_actor(signer)
            return received_notes.delete_rating(tx, signer, uri)
    except received_notes.Refused as exc:
        log.warning("Delete of %s from %s refused: %s", uri, signer.uri, exc)
        return True
    return False


def _check_notes_actor(signer) -> None:
    if not note_documents.is_notes_actor(signer):
        raise received_notes.Refused("only its server's notes actor deletes a note or rating")


# --- Interactions ------------------------------------------------------------------------------


def on_like(tx, activity, ctx: Context) -> None:
    status_id = _status_id(tx, activity.object_id)
    if status_id is None:
        return  # Likes of posts we do not hold are not worth a fetch
    interactions.favourite(tx, ctx.signer.id, status_id, uri=activity.id or None)


def on_announce(tx, activity, ctx: Context) -> None:
    signer = ctx.signer
    if activity.id is None or not parse.same_origin(activity.id, signer.uri):
        return
    # A boost matters here when someone here follows the booster, or the post is ours.
    boosted = received.status_by_uri(tx, activity.object_id) if activity.object_id else None
    local = boosted is not None and boosted.local
    if not local and not received.relevant_here(tx, signer.id, [], None):
        return
    if boosted is None:
        if activity.object_id:
            ctx.needs(activity.object_id, STATUS)
        return
    visibility = parse.visibility_of(activity.to, activity.cc, followers_url=signer.followers_url)
    if visibility == "direct":
        return
    if received.status_by_uri(tx, activity.id) is not None:
        return
    interactions.reblog(
        tx,
        signer.id,
        boosted.id,
        visibility_name=visibility,
        uri=activity.id,
        created_at=activity.published,
    )


def on_block(tx, activity, ctx: Context) -> None:
    target = federation_reads.local_account_id(tx, activity.object_id)
    if target is not None:
        blocks_mutes.block(tx, ctx.signer.id, target, uri=activity.id)


def on_undo(tx, activity, ctx: Context) -> None:
    signer = ctx.signer
    inner = _embedded(activity)
    inner_type = inner.get("type") if inner else None
    inner_id = parse.id_of(inner.get("id")) if inner else activity.object_id
    if inner is not None and parse.id_of(inner.get("actor")) not in (None, signer.uri):
        log.warning("%s tried to undo another actor's activity", signer.uri)
        return
    inner_object = parse.id_of(inner.get("object")) if inner else None

    if inner_type == "Follow" or (inner_type is None and _is_follow(tx, signer.id, inner_id)):
        target = federation_reads.local_account_id(tx, inner_object) or follows.target_of_follow(
            tx, signer.id, inner_id
        )
        if target is not None:
            follows.delete_follow(tx, signer.id, target)
            follows.delete_request(tx, signer.id, target)
        return
    if inner_type == "Like" or inner_type is None:
        favourited = interactions.favourite_undone(
            tx, signer.id, inner_id, _status_id(tx, inner_object)
        )
        if favourited is not None:
            interactions.unfavourite(tx, signer.id, favourited)
            return
    if inner_type == "Announce" or inner_type is None:
        boost = received.status_by_uri(tx, inner_id) if inner_id else None
        if boost is not None and boost.account_id == signer.id and boost.reblog_of_id:
            interactions.unreblog(tx, signer.id, boost.reblog_of_id)
            return
    if inner_type == "Block" or inner_type is None:
        target = federation_reads.local_account_id(tx, inner_object)
        if target is not None:
            blocks_mutes.unblock(tx, signer.id, target)


def _is_follow(tx, follower_id: int, uri: str | None) -> bool:
    return follows.target_of_follow(tx, follower_id, uri) is not None


def on_flag(tx, activity, ctx: Context) -> None:
    """A report from another server: about one of our accounts, maybe citing its posts."""
    uris = activity.object_ids or ([activity.object_id] if activity.object_id else [])
    comment = activity.raw.get("content") if isinstance(activity.raw.get("content"), str) else ""
    target = None
    status_ids = []
    for uri in uris[:50]:
        account_id = federation_reads.local_account_id(tx, uri)
        if account_id is not None and target is None:
            target = account_id
            continue
        status = received.status_by_uri(tx, uri)
        if status is not None and status.local:
            status_ids.append(status.id)
            target = target or status.account_id
    if target is not None:
        received.store_report(tx, ctx.signer.id, target, status_ids, comment, activity.id)


def _featured(tx, activity, signer, featured: bool) -> None:
    if not activity.target or activity.target != signer.featured_url:
        log.info(
            "%s %s from %s: not its featured collection", activity.type, activity.id, signer.uri
        )
        return
    status = received.status_by_uri(tx, activity.object_id or "")
    if status is not None and status.account_id == signer.id:
        received.set_featured(tx, signer.id, status.id, featured)


def _list_change(tx, activity, ctx: Context, added: bool) -> bool:
    """An Add or Remove of an account on a moderation list of the signer's, kept here
    (`core.moderation_lists`); False when the target is no such list."""
    if not activity.target or moderation_lists.by_uri(tx, activity.target) is None:
        return False
    member_uri = activity.object_id or ""
    member = received.account_by_uri(tx, member_uri)
    if member is None and added:
        ctx.needs(member_uri, ACTOR)
        member = received.account_by_uri(tx, member_uri)
    if member is not None:
        moderation_lists.remote_change(tx, ctx.signer.id, activity.target, member.id, added)
    return True


def on_add(tx, activity, ctx: Context) -> None:
    if not _list_change(tx, activity, ctx, True):
        _featured(tx, activity, ctx.signer, True)


def on_remove(tx, activity, ctx: Context) -> None:
    if not _list_change(tx, activity, ctx, False):
        _featured(tx, activity, ctx.signer, False)


def on_move(tx, activity, ctx: Context) -> None:
    """Recorded (the account shows where it went), and its followers here follow the new
    account (core.moves). The new account must name the old one in alsoKnownAs, read fresh
    from its server (fetched first, by a job of its own)."""
    signer = ctx.signer
    if activity.object_id != signer.uri:  # sent by the new actor: FEP-7628's second sub-type
        pull_move_receipt.receive(tx, activity, ctx, ACTOR)
        return
    if not activity.target:
        return
    ctx.needs(activity.target, ACTOR)
    target = received.account_by_uri(tx, activity.target)
    if target is None or not ctx.found(activity.target):
        log.info("Move of %s to %s: target not fetched", signer.uri, activity.target)
        return
    if signer.uri in (target.also_known_as or []):
        received.record_move(tx, signer.id, target.id)
    else:
        log.warning("Move of %s to %s refused: no alsoKnownAs back", signer.uri, activity.target)


HANDLERS = {
    "Follow": on_follow,
    "Accept": on_accept,
    "QuoteRequest": on_quote_request,
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
