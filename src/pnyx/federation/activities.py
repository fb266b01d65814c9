"""The activity for each event core recorded (`core.events`), and who receives it.

`render(tx, event)` reads the change back from the database and returns a list of
(signing account id, activity, inboxes): usually one, several for a vote on several options,
none when there is nothing left to say (the post was deleted before its Create went out, the
follow was withdrawn ...). One small function per event type, in the `RENDERERS` table; the
events in that table are the ones federation sends (`pnyx.registry` subscribes `federate` to
them).
"""

from __future__ import annotations

from collections.abc import Callable
from types import SimpleNamespace

from pnyx.core import audiences, custom_emojis, integrity_keys, keys
from pnyx.core import events as ev
from pnyx.core import federation_reads as reads
from pnyx.core import labels as core_labels
from pnyx.core import moderation_lists as core_lists
from pnyx.core import polls as core_polls
from pnyx.core import quotes as core_quotes
from pnyx.core.errors import NotFound
from pnyx.db.ids import new_id
from pnyx.federation import internal_to_as2 as as2
from pnyx.federation import label_documents, move_activities, note_activities

# (signing account, or None for the instance actor; activity; inboxes)
Rendered = tuple[int | None, dict, set[str]]
Renderer = Callable[..., list[Rendered]]


def status_document(tx, status_id: int) -> dict:
    """A status (not a boost) as its Note or Question, from the one loader of statuses."""
    return as2.status_note(reads.published(tx, [status_id]), status_id, tx.settings)


def _announce(tx, boost, author) -> list[Rendered]:
    original = reads.status(tx, boost.reblog_of_id)
    if original is None:
        return []
    original_author = reads.account(tx, original.account_id)
    to, cc = as2.addressing(
        boost.visibility, followers_url=author.followers_url, mentioned_uris=[original_author.uri]
    )
    activity = as2.announce(
        boost.uri,
        actor_uri=author.uri,
        object_uri=original.uri,
        to=to,
        cc=cc,
        published=boost.created_at,
    )
    inboxes = audiences.for_post(tx, author.id, boost.visibility, also_ids=[original.account_id])
    return [(author.id, activity, inboxes)]


# --- Posts ---------------------------------------------------------------------------------


def _created(tx, event: ev.StatusCreated | ev.MentionsResolved) -> list[Rendered]:
    status = reads.status(tx, event.status_id)
    if status is None:
        return []
    author = reads.account(tx, status.account_id)
    if status.reblog_of_id is not None:
        return _announce(tx, status, author)
    doc = status_document(tx, status.id)
    activity = as2.create(doc, actor_uri=author.uri)
    return [(author.id, activity, audiences.for_status(tx, status))]


def _updated(
    tx,
    event: ev.StatusEdited
    | ev.PollCountsChanged
    | ev.PollClosed
    | ev.MentionsResolved
    | ev.QuoteTermsChanged,
) -> list[Rendered]:
    """An edit, and a local poll's new counts or end: the post as it is now, in an Update
    that also reaches those who voted in its poll."""
    status = reads.status(tx, event.status_id)
    if status is None or status.reblog_of_id is not None:
        return []
    author = reads.account(tx, status.account_id)
    doc = status_document(tx, status.id)
    inboxes = audiences.for_status(tx, status)
    activity = as2.update(doc, actor_uri=author.uri, id=f"{status.uri}#updates/{new_id()}")
    if doc.get("type") == "Question" and status.visibility != "direct":
        inboxes |= audiences.account_inboxes(tx, audiences.voters(tx, status.id))
    return [(author.id, activity, inboxes)]


def _mentions_resolved(tx, event: ev.MentionsResolved) -> list[Rendered]:
    """A post held back until the accounts it names elsewhere were found goes out now."""
    if event.edited:
        return _updated(tx, event)
    return _created(tx, event)


def _deleted(tx, event: ev.StatusDeleted) -> list[Rendered]:
    author = reads.account(tx, event.account_id)
    if author is None or event.reblog:
        return []  # a deleted boost is an Undo of its Announce (sent by unreblog)
    to, cc = as2.addressing(event.visibility, followers_url=author.followers_url, mentioned_uris=[])
    activity = as2.delete(event.uri, actor_uri=author.uri, id=event.uri + "#delete", to=to, cc=cc)
    inboxes = audiences.for_post(
        tx,
        author.id,
        event.visibility,
        mentioned_ids=list(event.mentioned_account_ids),
        also_ids=[event.in_reply_to_account_id],
    )
    return [(author.id, activity, inboxes)]


def _boosted(tx, event: ev.StatusBoosted) -> list[Rendered]:
    boost = reads.status(tx, event.boost_id)
    if boost is None or boost.reblog_of_id is None:
        return []
    return _announce(tx, boost, reads.account(tx, boost.account_id))


def _boost_undone(tx, event: ev.BoostUndone) -> list[Rendered]:
    actor = reads.account(tx, event.account_id)
    original = reads.status(tx, event.status_id)
    if actor is None or original is None:
        return []
    to, cc = as2.addressing(event.visibility, followers_url=actor.followers_url, mentioned_uris=[])
    announce = as2.announce(
        event.uri,
        actor_uri=actor.uri,
        object_uri=original.uri,
        to=to,
        cc=cc,
        published=event.published,
    )
    activity = as2.undo(event.uri + "#undo", actor_uri=actor.uri, activity=announce)
    inboxes = audiences.for_post(tx, actor.id, event.visibility, also_ids=[original.account_id])
    return [(actor.id, activity, inboxes)]


def _to_status_author(tx, account_id: int, status_id: int, make) -> list[Rendered]:
    actor = reads.account(tx, account_id)
    status = reads.status(tx, status_id)
    if actor is None or status is None:
        return []
    return [(actor.id, make(actor, status), audiences.account_inboxes(tx, [status.account_id]))]


def _favourited(tx, event: ev.StatusFavourited) -> list[Rendered]:
    def like(actor, status):
        return as2.like(event.uri, actor_uri=actor.uri, object_uri=status.uri)

    return _to_status_author(tx, event.account_id, event.status_id, like)


def _favourite_undone(tx, event: ev.FavouriteUndone) -> list[Rendered]:
    def undo(actor, status):
        like = as2.like(event.uri, actor_uri=actor.uri, object_uri=status.uri)
        return as2.undo(event.uri + "#undo", actor_uri=actor.uri, activity=like)

    return _to_status_author(tx, event.account_id, event.status_id, undo)


# --- Quotes (FEP-044f) --------------------------------------------------------------------


def _quote_parts(tx, quote_id: int):
    """(quote, quoting post, its author, quoted author) or None when any is gone."""
    quote = core_quotes.get(tx, quote_id)
    if quote is None or quote.quoted_account_id is None:
        return None
    quoting = reads.status(tx, quote.status_id)
    if quoting is None:
        return None
    quoter = reads.account(tx, quoting.account_id)
    quoted_author = reads.account(tx, quote.quoted_account_id)
    if quoter is None or quoted_author is None:
        return None
    return quote, quoting, quoter, quoted_author


def _request_doc(quote, quoting, quoter) -> dict:
    return {
        "id": quote.request_uri,
        "type": "QuoteRequest",
        "actor": quoter.uri,
        "object": quote.quoted_uri,
        "instrument": quoting.uri,
    }


def _quote_requested(tx, event: ev.QuoteRequested) -> list[Rendered]:
    """Ask the quoted post's server; the quoting post travels with the request."""
    parts = _quote_parts(tx, event.quote_id)
    if parts is None:
        return []
    quote, quoting, quoter, quoted_author = parts
    if quote.state != "pending" or not quote.request_uri or quoted_author.domain is None:
        return []
    activity = as2.quote_request(
        quote.request_uri,
        actor_uri=quoter.uri,
        object_uri=quote.quoted_uri,
        instrument=status_document(tx, quoting.id),
    )
    inboxes = audiences.account_inboxes(tx, [quoted_author.id], shared=False)
    return [(quoter.id, activity, inboxes)]


def _quote_answered(tx, event: ev.QuoteAccepted | ev.QuoteRejected) -> list[Rendered]:
    """The quoted author's answer to a request from elsewhere: Accept with the stamp, or
    Reject, to the quoting author."""
    parts = _quote_parts(tx, event.quote_id)
    if parts is None:
        return []
    quote, quoting, quoter, quoted_author = parts
    if quoting.local or not quote.request_uri or quoted_author.domain is not None:
        return []
    accepted = isinstance(event, ev.QuoteAccepted)
    if accepted != (quote.state == "accepted"):
        return []  # changed since: the later event answers
    suffix = "accepts" if accepted else "rejects"
    activity = as2.quote_answer(
        f"{quoted_author.uri}#quotes/{quote.id}/{suffix}",
        accepted=accepted,
        actor_uri=quoted_author.uri,
        request=_request_doc(quote, quoting, quoter),
        to=quoter.uri,
        stamp=quote.approval_uri,
    )
    inboxes = audiences.account_inboxes(tx, [quoter.id], shared=False)
    return [(quoted_author.id, activity, inboxes)]


def _quote_revoked(tx, event: ev.QuoteRevoked) -> list[Rendered]:
    """The stamp is deleted: the quoting post's server shows the quote as revoked."""
    parts = _quote_parts(tx, event.quote_id)
    if parts is None:
        return []
    quote, quoting, quoter, quoted_author = parts
    if quoting.local or not quote.approval_uri or quoted_author.domain is not None:
        return []
    activity = as2.delete(
        quote.approval_uri,
        actor_uri=quoted_author.uri,
        id=f"{quote.approval_uri}#delete",
        to=[quoter.uri],
    )
    activity["object"]["type"] = "QuoteAuthorization"
    inboxes = audiences.account_inboxes(tx, [quoter.id])
    return [(quoted_author.id, activity, inboxes)]


# --- Polls ---------------------------------------------------------------------------------


def _voted(tx, event: ev.PollVoted) -> list[Rendered]:
    """Votes go to the poll's author only, one Create per chosen option (Mastodon's way)."""
    voter = reads.account(tx, event.account_id)
    poll = core_polls.get(tx, event.poll_id)  # None once the poll (or its post) is gone
    question = reads.status(tx, poll.status_id) if poll is not None else None
    if voter is None or question is None:
        return []
    author = reads.account(tx, question.account_id)
    inboxes = audiences.account_inboxes(tx, [author.id], shared=False)
    return [
        (
            voter.id,
            as2.vote(
                f"{voter.uri}#votes/{poll.id}/{choice}",
                actor_uri=voter.uri,
                question_uri=question.uri,
                question_author_uri=author.uri,
                option_name=poll.options[choice],
                published=tx.now,
            ),
            inboxes,
        )
        for choice in event.choices
        if 0 <= choice < len(poll.options)
    ]


# --- Relationships -------------------------------------------------------------------------


def _follow_doc(follower, target, uri: str | None) -> dict:
    return as2.follow(
        uri or f"{follower.uri}#follows/{target.id}", actor_uri=follower.uri, object_uri=target.uri
    )


def _follow(tx, event: ev.FollowRequested | ev.FollowUndone) -> list[Rendered]:
    follower, target = reads.account(tx, event.follower_id), reads.account(tx, event.target_id)
    if follower is None or target is None:
        return []
    activity = _follow_doc(follower, target, event.uri)
    if isinstance(event, ev.FollowUndone):
        activity = as2.undo(activity["id"] + "#undo", actor_uri=follower.uri, activity=activity)
    return [(follower.id, activity, audiences.account_inboxes(tx, [target.id], shared=False))]


def _follow_answered(tx, event: ev.FollowAccepted | ev.FollowRejected) -> list[Rendered]:
    follower, target = reads.account(tx, event.follower_id), reads.account(tx, event.target_id)
    if follower is None or target is None:
        return []
    follow = _follow_doc(follower, target, event.uri)
    accepted = isinstance(event, ev.FollowAccepted)
    answer, suffix = (as2.accept, "accepts") if accepted else (as2.reject, "rejects")
    activity = answer(
        f"{target.uri}#{suffix}/{follower.id}/{int(tx.now.timestamp())}",
        actor_uri=target.uri,
        activity=follow,
    )
    return [(target.id, activity, audiences.account_inboxes(tx, [follower.id], shared=False))]


def _block(tx, event: ev.AccountBlocked | ev.BlockUndone) -> list[Rendered]:
    actor, target = reads.account(tx, event.account_id), reads.account(tx, event.target_id)
    if actor is None or target is None:
        return []
    activity = as2.block(
        event.uri or f"{actor.uri}#blocks/{target.id}", actor_uri=actor.uri, object_uri=target.uri
    )
    if isinstance(event, ev.BlockUndone):
        activity = as2.undo(activity["id"] + "#undo", actor_uri=actor.uri, activity=activity)
    return [(actor.id, activity, audiences.account_inboxes(tx, [target.id], shared=False))]


# --- Accounts ------------------------------------------------------------------------------


def _account_updated(tx, event: ev.AccountUpdated) -> list[Rendered]:
    actor = reads.account(tx, event.account_id)
    if actor is None or actor.domain is not None:
        return []
    pair = keys.ensure_keypair(tx, actor.id)
    moved = reads.account(tx, actor.moved_to_account_id) if actor.moved_to_account_id else None
    doc = as2.actor(
        SimpleNamespace(**{**actor._mapping, "public_key_pem": pair.public_pem}),
        tx.settings,
        moved_to_uri=moved.uri if moved is not None else None,  # a moved account's movedTo
        emojis=custom_emojis.used_by_account(tx, actor),
    )
    activity = as2.update_actor(doc, id=f"{actor.uri}#updates/{new_id()}")
    return [(actor.id, activity, audiences.follower_inboxes(tx, actor.id))]


# --- Moderation ----------------------------------------------------------------------------


def _report_forwarded(tx, event: ev.ReportFiled) -> list[Rendered]:
    """A report about an account elsewhere, forwarded at the reporter's request: signed by
    the instance actor (signer None), so that server's moderators never learn who reported."""
    report = reads.report_to_forward(tx, event.report_id)
    if report is None:
        return []
    activity = as2.flag(
        f"{tx.settings.base_url}/actor#reports/{event.report_id}",
        actor_uri=f"{tx.settings.base_url}/actor",
        object_uris=[report.target.uri, *report.status_uris],
        content=report.comment,
    )
    return [(None, activity, audiences.account_inboxes(tx, [report.target.id]))]


# --- Labels --------------------------------------------------------------------------------


def _label_issued(tx, event: ev.LabelIssued) -> list[Rendered]:
    """A label of ours, signed by its labeler, to the servers that follow it (among them
    those whose people subscribe to it: `_labeler_subscription`)."""
    try:
        row = core_labels.get(tx, event.label_id)
    except NotFound:
        return []
    labeler = reads.account(tx, event.labeler_id)
    if labeler is None or labeler.domain is not None or labeler.suspended_at is not None:
        return []
    key = integrity_keys.ensure_local(tx, labeler.id)
    activity = {
        "@context": label_documents.LABEL_CONTEXT,
        "id": f"{row.uri}#create-{new_id()}",
        "type": "Create",
        "actor": labeler.uri,
        "to": [as2.PUBLIC],
        "object": label_documents.label_object(row, labeler, key),
    }
    return [(labeler.id, activity, audiences.follower_inboxes(tx, labeler.id))]


def _labeler_subscription(
    tx, event: ev.LabelerSubscribed | ev.LabelerUnsubscribed
) -> list[Rendered]:
    """This server asks a labeler elsewhere for its labels (or stops): a Follow by the
    instance actor, so the labeler's server learns which servers apply it, never who."""
    labeler = reads.account(tx, event.labeler_id)
    if labeler is None or labeler.domain is None or not labeler.inbox_url:
        return []
    base = tx.settings.base_url
    follow = {
        "@context": as2.AS_CONTEXT,
        "id": f"{base}/actor#label-subscriptions/{labeler.id}",
        "type": "Follow",
        "actor": f"{base}/actor",
        "object": labeler.uri,
    }
    activity = follow
    if isinstance(event, ev.LabelerUnsubscribed):
        activity = {
            "@context": as2.AS_CONTEXT,
            "id": f"{follow['id']}/undo/{new_id()}",
            "type": "Undo",
            "actor": follow["actor"],
            "object": {k: v for k, v in follow.items() if k != "@context"},
        }
    return [(None, activity, {labeler.inbox_url})]


def _list_changed(tx, event: ev.ModerationListChanged) -> list[Rendered]:
    """An account put on or taken off a list here: an Add or Remove, from its keeper, to the
    servers following the keeper (those whose people subscribe to its lists among them)."""
    try:
        listed = core_lists.get(tx, event.list_id)
    except NotFound:
        return []
    keeper = reads.account(tx, listed.account_id)
    member = reads.account(tx, event.account_id)
    if keeper is None or member is None or keeper.domain is not None:
        return []
    activity = {
        "@context": as2.AS_CONTEXT,
        "id": f"{listed.uri}#changes/{new_id()}",
        "type": "Add" if event.added else "Remove",
        "actor": keeper.uri,
        "object": member.uri,
        "target": listed.uri,
    }
    return [(keeper.id, activity, audiences.follower_inboxes(tx, keeper.id))]


RENDERERS: dict[type[ev.Event], Renderer] = {
    ev.StatusCreated: _created,
    ev.StatusEdited: _updated,
    ev.MentionsResolved: _mentions_resolved,
    ev.StatusDeleted: _deleted,
    ev.StatusBoosted: _boosted,
    ev.BoostUndone: _boost_undone,
    ev.StatusFavourited: _favourited,
    ev.FavouriteUndone: _favourite_undone,
    ev.QuoteRequested: _quote_requested,
    ev.QuoteAccepted: _quote_answered,
    ev.QuoteRejected: _quote_answered,
    ev.QuoteRevoked: _quote_revoked,
    ev.QuoteTermsChanged: _updated,
    ev.PollVoted: _voted,
    ev.PollCountsChanged: _updated,
    ev.PollClosed: _updated,
    ev.FollowRequested: _follow,
    ev.FollowUndone: _follow,
    ev.FollowAccepted: _follow_answered,
    ev.FollowRejected: _follow_answered,
    ev.AccountBlocked: _block,
    ev.BlockUndone: _block,
    ev.AccountUpdated: _account_updated,
    ev.ReportFiled: _report_forwarded,
    ev.LabelIssued: _label_issued,
    ev.LabelerSubscribed: _labeler_subscription,
    ev.LabelerUnsubscribed: _labeler_subscription,
    ev.ModerationListChanged: _list_changed,
    **note_activities.RENDERERS,  # community notes and ratings, to the peers
    **move_activities.RENDERERS,  # a local account's Move, to its followers' servers
}


def render(tx, event: ev.Event) -> list[Rendered]:
    """The activities that tell other servers of `event`; none for an event not sent."""
    renderer = RENDERERS.get(type(event))
    return renderer(tx, event) if renderer is not None else []
