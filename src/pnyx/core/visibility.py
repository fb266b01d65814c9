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

from collections.abc import Iterable
from dataclasses import dataclass, field

import sqlalchemy as sa

from pnyx.db.tables import accounts, blocks, follows, mentions, mutes

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


def load_context(
    tx, viewer_id: int | None, author_ids: Iterable[int], status_ids: Iterable[int] = ()
) -> ViewerContext:
    author_ids = set(author_ids)
    status_ids = set(status_ids)
    ctx = ViewerContext(viewer_id)
    if author_ids:
        ctx.suspended = set(
            tx.scalars(
                sa.select(accounts.c.id).where(
                    accounts.c.id.in_(author_ids), accounts.c.suspended_at.is_not(None)
                )
            )
        )
    if viewer_id is None or not author_ids:
        return ctx
    others = author_ids - {viewer_id}
    if others:
        ctx.following = set(
            tx.scalars(
                sa.select(follows.c.target_account_id).where(
                    follows.c.account_id == viewer_id, follows.c.target_account_id.in_(others)
                )
            )
        )
        ctx.blocked = set(
            tx.scalars(
                sa.select(blocks.c.target_account_id).where(
                    blocks.c.account_id == viewer_id, blocks.c.target_account_id.in_(others)
                )
            )
        ) | set(
            tx.scalars(
                sa.select(blocks.c.account_id).where(
                    blocks.c.target_account_id == viewer_id, blocks.c.account_id.in_(others)
                )
            )
        )
        ctx.muted = set(
            tx.scalars(
                sa.select(mutes.c.target_account_id).where(
                    mutes.c.account_id == viewer_id,
                    mutes.c.target_account_id.in_(others),
                    sa.or_(mutes.c.expires_at.is_(None), mutes.c.expires_at > tx.now),
                )
            )
        )
    if status_ids:
        ctx.mentioned_in = set(
            tx.scalars(
                sa.select(mentions.c.status_id).where(
                    mentions.c.account_id == viewer_id, mentions.c.status_id.in_(status_ids)
                )
            )
        )
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
