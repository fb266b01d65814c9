"""The activity for each local action core recorded (`core.outbox`), and who receives it.

`render(tx, payload)` reads the action back from the database and returns
(signing account id, activity, inboxes), or None when there is nothing left to say (the post
was deleted before its Create went out, the follow was withdrawn ...).
"""

from __future__ import annotations

from datetime import datetime
from types import SimpleNamespace

import sqlalchemy as sa

from pnyx.core import keys
from pnyx.core import polls as core_polls
from pnyx.db.tables import accounts, mentions, poll_votes, polls, status_tags, statuses, tags
from pnyx.federation import audience
from pnyx.federation import internal_to_as2 as as2

Rendered = tuple[int, dict, set[str]]


def _account(tx, account_id: int):
    return tx.one_or_none(sa.select(accounts).where(accounts.c.id == account_id))


def _status(tx, status_id: int):
    return tx.one_or_none(sa.select(statuses).where(statuses.c.id == status_id))


def status_mentions(tx, status_id: int) -> list:
    return tx.rows(
        sa.select(accounts.c.id, accounts.c.uri, accounts.c.username, accounts.c.domain)
        .join(mentions, mentions.c.account_id == accounts.c.id)
        .where(mentions.c.status_id == status_id, mentions.c.silent.is_(False))
        .order_by(mentions.c.id)
    )


def status_document(tx, status, author) -> dict:
    """A status (not a boost) as its Note or Question."""
    named = status_mentions(tx, status.id)
    tag_names = tx.scalars(
        sa.select(tags.c.display_name)
        .join(status_tags, status_tags.c.tag_id == tags.c.id)
        .where(status_tags.c.status_id == status.id)
    )
    parent_uri = status.in_reply_to_uri
    if status.in_reply_to_id is not None:
        parent_uri = tx.scalar(
            sa.select(statuses.c.uri).where(statuses.c.id == status.in_reply_to_id)
        )
    return as2.note(
        status,
        author,
        tx.settings,
        mentions=named,
        tags=tag_names,
        poll=core_polls.for_status(tx, status.id),
        in_reply_to_uri=parent_uri,
    )


def _post_audience(tx, status, author) -> set[str]:
    named = [m.id for m in status_mentions(tx, status.id)]
    also = [status.in_reply_to_account_id] if status.in_reply_to_account_id else []
    return audience.for_post(tx, author.id, status.visibility, mentioned_ids=named, also_ids=also)


def _announce(tx, boost, author) -> Rendered | None:
    original = _status(tx, boost.reblog_of_id)
    if original is None:
        return None
    original_author = _account(tx, original.account_id)
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
    inboxes = audience.for_post(tx, author.id, boost.visibility, also_ids=[original.account_id])
    return author.id, activity, inboxes


def _create_or_update(tx, payload: dict, kind: str) -> Rendered | None:
    status = _status(tx, payload["status_id"])
    if status is None:
        return None
    author = _account(tx, status.account_id)
    if status.reblog_of_id is not None:
        return _announce(tx, status, author) if kind == "create" else None
    doc = status_document(tx, status, author)
    inboxes = _post_audience(tx, status, author)
    if kind == "create":
        activity = as2.create(doc, actor_uri=author.uri)
    else:
        stamp = int(tx.now.timestamp())
        activity = as2.update(doc, actor_uri=author.uri, id=f"{status.uri}#updates/{stamp}")
        if doc.get("type") == "Question" and status.visibility != "direct":
            inboxes |= audience.account_inboxes(tx, _voters(tx, status.id))
    return author.id, activity, inboxes


def _voters(tx, status_id: int) -> list[int]:
    """Accounts that voted in the poll of this post (the update of its counts reaches them)."""
    return tx.scalars(
        sa.select(poll_votes.c.account_id)
        .join(polls, polls.c.id == poll_votes.c.poll_id)
        .where(polls.c.status_id == status_id)
        .distinct()
    )


def _delete(tx, payload: dict) -> Rendered | None:
    author = _account(tx, payload["account_id"])
    if author is None:
        return None
    if payload.get("reblog"):
        return None  # a deleted boost is an Undo of its Announce (sent by unreblog)
    to, cc = as2.addressing(
        payload["visibility"], followers_url=author.followers_url, mentioned_uris=[]
    )
    activity = as2.delete(
        payload["uri"], actor_uri=author.uri, id=payload["uri"] + "#delete", to=to, cc=cc
    )
    inboxes = audience.for_post(
        tx,
        author.id,
        payload["visibility"],
        mentioned_ids=payload.get("mentioned_account_ids") or [],
        also_ids=[payload.get("in_reply_to_account_id")],
    )
    return author.id, activity, inboxes


def _to_status_author(tx, payload: dict, make) -> Rendered | None:
    actor = _account(tx, payload["account_id"])
    status = _status(tx, payload["status_id"])
    if actor is None or status is None:
        return None
    return actor.id, make(actor, status), audience.account_inboxes(tx, [status.account_id])


def _follow_doc(follower, target, uri: str | None) -> dict:
    return as2.follow(
        uri or f"{follower.uri}#follows/{target.id}", actor_uri=follower.uri, object_uri=target.uri
    )


def _between(tx, payload: dict):
    return _account(tx, payload["follower_id"]), _account(tx, payload["target_id"])


def render(tx, payload: dict) -> list[Rendered]:
    """Usually one activity; a vote on several options of a poll is one per option."""
    if payload["kind"] == "vote":
        return _vote(tx, payload)
    one = _render_one(tx, payload)
    return [one] if one is not None else []


def _render_one(tx, payload: dict) -> Rendered | None:
    kind = payload["kind"]
    if kind in ("create", "update"):
        return _create_or_update(tx, payload, kind)
    if kind == "announce":
        boost = _status(tx, payload["status_id"])
        if boost is None or boost.reblog_of_id is None:
            return None
        return _announce(tx, boost, _account(tx, boost.account_id))
    if kind == "delete":
        return _delete(tx, payload)
    if kind == "like":
        return _to_status_author(
            tx,
            payload,
            lambda actor, status: as2.like(
                payload["uri"], actor_uri=actor.uri, object_uri=status.uri
            ),
        )
    if kind == "undo_like":
        return _to_status_author(
            tx,
            payload,
            lambda actor, status: as2.undo(
                payload["uri"] + "#undo",
                actor_uri=actor.uri,
                activity=as2.like(payload["uri"], actor_uri=actor.uri, object_uri=status.uri),
            ),
        )
    if kind == "undo_announce":
        actor = _account(tx, payload["account_id"])
        original = _status(tx, payload["status_id"])
        if actor is None or original is None:
            return None
        to, cc = as2.addressing(
            payload["visibility"], followers_url=actor.followers_url, mentioned_uris=[]
        )
        announce = as2.announce(
            payload["uri"],
            actor_uri=actor.uri,
            object_uri=original.uri,
            to=to,
            cc=cc,
            published=datetime.fromisoformat(payload["published"]),
        )
        activity = as2.undo(payload["uri"] + "#undo", actor_uri=actor.uri, activity=announce)
        inboxes = audience.for_post(
            tx, actor.id, payload["visibility"], also_ids=[original.account_id]
        )
        return actor.id, activity, inboxes
    if kind in ("follow", "undo_follow"):
        follower, target = _between(tx, payload)
        if follower is None or target is None:
            return None
        follow = _follow_doc(follower, target, payload.get("uri"))
        activity = (
            follow
            if kind == "follow"
            else as2.undo(follow["id"] + "#undo", actor_uri=follower.uri, activity=follow)
        )
        return follower.id, activity, audience.account_inboxes(tx, [target.id], shared=False)
    if kind in ("accept_follow", "reject_follow"):
        follower, target = _between(tx, payload)
        if follower is None or target is None:
            return None
        follow = _follow_doc(follower, target, payload.get("uri"))
        answer = as2.accept if kind == "accept_follow" else as2.reject
        suffix = "accept" if kind == "accept_follow" else "reject"
        activity = answer(
            f"{target.uri}#{suffix}s/{follower.id}/{int(tx.now.timestamp())}",
            actor_uri=target.uri,
            activity=follow,
        )
        return target.id, activity, audience.account_inboxes(tx, [follower.id], shared=False)
    if kind in ("block", "undo_block"):
        actor, target = _account(tx, payload["account_id"]), _account(tx, payload["target_id"])
        if actor is None or target is None:
            return None
        block = as2.block(
            payload.get("uri") or f"{actor.uri}#blocks/{target.id}",
            actor_uri=actor.uri,
            object_uri=target.uri,
        )
        activity = (
            block
            if kind == "block"
            else as2.undo(block["id"] + "#undo", actor_uri=actor.uri, activity=block)
        )
        return actor.id, activity, audience.account_inboxes(tx, [target.id], shared=False)
    if kind == "update_actor":
        actor = _account(tx, payload["account_id"])
        if actor is None or actor.domain is not None:
            return None
        pair = keys.ensure_keypair(tx, actor.id)
        doc = as2.actor(
            SimpleNamespace(**{**actor._mapping, "public_key_pem": pair.public_pem}), tx.settings
        )
        activity = as2.update_actor(doc, id=f"{actor.uri}#updates/{int(tx.now.timestamp())}")
        return actor.id, activity, audience.follower_inboxes(tx, actor.id)
    return None


def _vote(tx, payload: dict) -> list[Rendered]:
    """Votes go to the poll's author only, one Create per chosen option (Mastodon's way)."""
    voter = _account(tx, payload["account_id"])
    poll = core_polls.get(tx, payload["poll_id"])  # None once the poll (or its post) is gone
    question = _status(tx, poll.status_id) if poll is not None else None
    if voter is None or question is None:
        return []
    author = _account(tx, question.account_id)
    inboxes = audience.account_inboxes(tx, [author.id], shared=False)
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
        for choice in payload["choices"]
        if 0 <= choice < len(poll.options)
    ]
