"""Who may see what. Every path that shows a status or an account asks here.

The rules, as Mastodon applies them:
- a suspended author's posts are seen by nobody;
- if either side blocks the other, the viewer does not see the author's posts;
- public and unlisted posts are seen by anyone else;
- followers-only (private) posts by the author, their followers and the accounts they mention;
- direct posts by the author and the accounts they mention;
- a boost is seen only if both the boost and the boosted post may be seen.
Not being allowed to see something is indistinguishable from it not existing (404).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass, field

import sqlalchemy as sa

from pnyx.db.id_lists import in_ids
from pnyx.db.tables import accounts, blocks, conversation_mutes, follows, mentions, mutes

PUBLIC_VISIBILITIES = ("public", "unlisted")
VISIBILITIES = ("public", "unlisted", "private", "direct")


@dataclass
class ViewerContext:
    """What the visibility rules need to know about one viewer and a set of authors."""

    viewer_id: int | None
    following: set[int] = field(default_factory=set)
    blocked: set[int] = field(default_factory=set)  # either direction
    muted: set[int] = field(default_factory=set)
    mentioned_in: set[int] = field(default_factory=set)  # status ids that mention the viewer
    suspended: set[int] = field(default_factory=set)
    muted_conversations: set[int] = field(default_factory=set)  # only those asked about


# The facts load_context needs, as one UNION ALL built once: each arm tags its rows with a kind.
_SUSPENDED, _FOLLOWING, _BLOCKING, _BLOCKED_BY, _MUTING, _MENTIONED, _MUTED_THREAD = range(7)


def _arm(kind: int, column, *where):
    return sa.select(sa.literal_column(str(kind)).label("kind"), column.label("ref")).where(*where)


@functools.cache
def _suspended_statement():
    return _arm(
        _SUSPENDED,
        accounts.c.id,
        in_ids(accounts.c.id, "a0"),
        accounts.c.suspended_at.is_not(None),
    )


@functools.cache
def _context_statement():
    viewer = sa.bindparam("viewer")
    return sa.union_all(
        _suspended_statement(),
        _arm(
            _FOLLOWING,
            follows.c.target_account_id,
            follows.c.account_id == viewer,
            in_ids(follows.c.target_account_id, "a1"),
        ),
        _arm(
            _BLOCKING,
            blocks.c.target_account_id,
            blocks.c.account_id == viewer,
            in_ids(blocks.c.target_account_id, "a1"),
        ),
        _arm(
            _BLOCKED_BY,
            blocks.c.account_id,
            blocks.c.target_account_id == viewer,
            in_ids(blocks.c.account_id, "a1"),
        ),
        _arm(
            _MUTING,
            mutes.c.target_account_id,
            mutes.c.account_id == viewer,
            in_ids(mutes.c.target_account_id, "a1"),
            sa.or_(mutes.c.expires_at.is_(None), mutes.c.expires_at > sa.bindparam("now")),
        ),
        _arm(
            _MENTIONED,
            mentions.c.status_id,
            mentions.c.account_id == viewer,
            in_ids(mentions.c.status_id, "s"),
        ),
        _arm(
            _MUTED_THREAD,
            conversation_mutes.c.conversation_id,
            conversation_mutes.c.account_id == viewer,
            in_ids(conversation_mutes.c.conversation_id, "c"),
        ),
    )


def load_context(
    tx,
    viewer_id: int | None,
    author_ids: Iterable[int],
    status_ids: Iterable[int] = (),
    conversation_ids: Iterable[int] = (),
) -> ViewerContext:
    """Everything may_see needs about one viewer and these authors, in a single query; plus
    which of `conversation_ids` the viewer muted, for callers that hide muted threads."""
    authors = list(set(author_ids))
    ctx = ViewerContext(viewer_id)
    if not authors:
        return ctx
    if viewer_id is None:
        ctx.suspended = set(tx.scalars_of(_suspended_statement(), {"a0": authors}, column=1))
        return ctx
    others = [a for a in authors if a != viewer_id]
    params = {
        "viewer": viewer_id,
        "now": tx.now,
        "a0": authors,
        "a1": others,
        "s": list(set(status_ids)),
        "c": list(set(conversation_ids)),
    }
    buckets = (
        ctx.suspended,
        ctx.following,
        ctx.blocked,
        ctx.blocked,
        ctx.muted,
        ctx.mentioned_in,
        ctx.muted_conversations,
    )
    for kind, ref in tx.execute(_context_statement(), params):
        buckets[kind].add(ref)
    return ctx


def may_see(ctx: ViewerContext, status) -> bool:
    """`status` is a row with id, account_id and visibility."""
    author = status.account_id
    if author in ctx.suspended:
        return False
    if ctx.viewer_id is not None and author == ctx.viewer_id:
        return True
    if author in ctx.blocked:
        return False
    if status.visibility in PUBLIC_VISIBILITIES:
        return True
    if ctx.viewer_id is None:
        return False
    if status.id in ctx.mentioned_in:
        return True
    return status.visibility == "private" and author in ctx.following


def may_see_one(tx, viewer_id: int | None, status) -> bool:
    ctx = load_context(tx, viewer_id, [status.account_id], [status.id])
    return may_see(ctx, status)


def blocked_either_way(tx, a: int, b: int) -> bool:
    return bool(
        tx.scalar(
            sa.select(blocks.c.id)
            .where(
                sa.or_(
                    sa.and_(blocks.c.account_id == a, blocks.c.target_account_id == b),
                    sa.and_(blocks.c.account_id == b, blocks.c.target_account_id == a),
                )
            )
            .limit(1)
        )
    )


def not_hidden_from(viewer_id: int, account_column, now):
    """SQL condition: the account in `account_column` is neither blocked either way with the
    viewer nor muted by them (an expired mute counts as none). Lists of accounts shown to a
    viewer (who favourited, who boosted, followers ...) leave those out, as Mastodon does."""
    return sa.and_(
        ~sa.exists().where(
            sa.or_(
                sa.and_(
                    blocks.c.account_id == viewer_id, blocks.c.target_account_id == account_column
                ),
                sa.and_(
                    blocks.c.target_account_id == viewer_id, blocks.c.account_id == account_column
                ),
            )
        ),
        ~sa.exists().where(
            mutes.c.account_id == viewer_id,
            mutes.c.target_account_id == account_column,
            sa.or_(mutes.c.expires_at.is_(None), mutes.c.expires_at > now),
        ),
    )
