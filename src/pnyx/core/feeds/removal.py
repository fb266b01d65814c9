"""Taking entries out of feeds when the viewer's relations change, and adding what a new
relation brings: the `feeds.adjust` subscription (a job after commit).

- unfollow: the viewer's entries by the unfollowed account are recomputed (a post of theirs
  may still belong: it names the viewer, or carries a followed hashtag), those with no reason
  left are removed; in list feeds too (a follow's end ends its list memberships);
- block (either direction) and mute: the other's posts and boosts, and boosts of their posts,
  leave the blocker's (and for a block, the blocked's) feeds; unmute and unblock bring back
  those above the feeds' floors (an expired mute does not: no event says it expired);
- a hashtag unfollowed: the home entries that came for a hashtag are recomputed;
- a list member removed: their entries leave the list's feed;
- a follow accepted, a hashtag followed, a member added: merged in (`rebuild.merge_*`).
Until the job runs, the timelines' read-time checks and rules already hide what they must
(`core.timelines.feed_source`): these jobs keep feeds small and equal to the read-time ones.
"""

from __future__ import annotations

import sqlalchemy as sa

from pnyx.core import events
from pnyx.core.feeds import provenance, reasons
from pnyx.core.feeds.entries import HOME
from pnyx.core.feeds.rebuild import merge_account, merge_boosts_of, merge_tag
from pnyx.core.feeds.store import Feed
from pnyx.db.engine import Tx
from pnyx.db.tables import feed_entries, feed_states, statuses

ADJUSTED = frozenset(
    {
        events.FollowUndone,
        events.FollowAccepted,
        events.AccountBlocked,
        events.AccountMuted,
        events.AccountUnmuted,
        events.BlockUndone,
        events.ListMembersChanged,
        events.TagFollowChanged,
    }
)


def on_event(tx: Tx, event: events.Event) -> None:
    """The `feeds.adjust` subscription's handler."""
    if isinstance(event, events.FollowUndone):
        for feed in _feeds_of(tx, event.follower_id):
            _refresh(tx, feed, statuses.c.account_id == event.target_id)
    elif isinstance(event, events.FollowAccepted):
        if _feeds_of(tx, event.follower_id, HOME):
            merge_account(tx, (event.follower_id, HOME), event.target_id)
    elif isinstance(event, events.AccountBlocked):
        _drop_between(tx, event.account_id, event.target_id)
        _drop_between(tx, event.target_id, event.account_id)
    elif isinstance(event, events.AccountMuted):
        _drop_between(tx, event.account_id, event.target_id)
    elif isinstance(event, events.AccountUnmuted):
        _restore_between(tx, event.account_id, event.target_id)
    elif isinstance(event, events.BlockUndone):
        _restore_between(tx, event.account_id, event.target_id)
        _restore_between(tx, event.target_id, event.account_id)
    elif isinstance(event, events.ListMembersChanged):
        feed = (event.owner_id, event.list_id)
        if not _feeds_of(tx, event.owner_id, event.list_id):
            return
        for account_id in event.account_ids:
            if event.added:
                merge_account(tx, feed, account_id)
            else:
                _refresh(tx, feed, statuses.c.account_id == account_id)
    elif isinstance(event, events.TagFollowChanged):
        if not _feeds_of(tx, event.account_id, HOME):
            return
        if event.followed:
            merge_tag(tx, (event.account_id, HOME), event.tag_id)
        else:
            tagged = feed_entries.c.reasons.op("&")(reasons.FOLLOWED_TAG) != 0
            _refresh(tx, (event.account_id, HOME), tagged)


def _feeds_of(tx: Tx, viewer_id: int, list_id: int | None = None) -> list[Feed]:
    """The viewer's maintained feeds (or the one named)."""
    query = sa.select(feed_states.c.list_id).where(feed_states.c.viewer_id == viewer_id)
    if list_id is not None:
        query = query.where(feed_states.c.list_id == list_id)
    return [(viewer_id, found) for found in tx.scalars(query)]


def _refresh(tx: Tx, feed: Feed, which: sa.ColumnElement[bool]) -> None:
    """Recompute the reasons of the feed's entries that `which` selects (a condition on
    `statuses` or `feed_entries`); remove those with none left."""
    viewer, list_id = feed
    rows = tx.execute(
        sa.select(*provenance.COLUMNS, feed_entries.c.reasons.label("stored"))
        .select_from(feed_entries.join(statuses, statuses.c.id == feed_entries.c.status_id))
        .where(feed_entries.c.viewer_id == viewer, feed_entries.c.list_id == list_id, which)
    ).all()
    now = provenance.compute(tx, viewer, list_id, rows)
    gone = [r.id for r in rows if not now[r.id].bits]
    in_feed = sa.and_(feed_entries.c.viewer_id == viewer, feed_entries.c.list_id == list_id)
    if gone:
        tx.execute(feed_entries.delete().where(in_feed, feed_entries.c.status_id.in_(gone)))
    for r in rows:
        reason = now[r.id]
        if reason.bits and reason.bits != r.stored:
            tx.execute(
                feed_entries.update()
                .where(in_feed, feed_entries.c.status_id == r.id)
                .values(
                    reasons=reason.bits,
                    via_account_id=reason.via_account_id,
                    via_tag_id=reason.via_tag_id,
                )
            )


def _drop_between(tx: Tx, viewer_id: int, other_id: int) -> None:
    """The other's posts and boosts, and boosts of their posts, out of the viewer's feeds
    (the rules hide all of them once blocked or muted)."""
    feeds = _feeds_of(tx, viewer_id)
    if not feeds:
        return
    original = statuses.alias("original")
    in_feeds = sa.and_(
        feed_entries.c.status_id == statuses.c.id, feed_entries.c.viewer_id == viewer_id
    )
    # Both walk the viewer's entries (a few hundred per feed), never the other's posts.
    theirs = (
        sa.select(statuses.c.id)
        .join(feed_entries, in_feeds)
        .where(statuses.c.account_id == other_id)
    )
    boosted = (
        sa.select(statuses.c.id)
        .join(feed_entries, in_feeds)
        .join(original, original.c.id == statuses.c.reblog_of_id)
        .where(original.c.account_id == other_id)
    )
    tx.execute(
        feed_entries.delete().where(
            feed_entries.c.viewer_id == viewer_id,
            sa.or_(feed_entries.c.status_id.in_(theirs), feed_entries.c.status_id.in_(boosted)),
        )
    )


def _restore_between(tx: Tx, viewer_id: int, other_id: int) -> None:
    """What `_drop_between` took out, back in the viewer's feeds above their floors (what
    belongs there still: a mute or block ended, the reasons are computed afresh)."""
    for feed in _feeds_of(tx, viewer_id):
        merge_account(tx, feed, other_id)
        merge_boosts_of(tx, feed, other_id)
