"""Who among the viewers connected to live streams is shown a post, and on which stream.

The streaming API (`pnyx.streaming`) asks this when a post is made, boosted or edited, with
the viewers one process has streams open for. The answer comes from the rules every other
surface uses, never from copies of them:

- `user`: the post belongs in the viewer's home timeline (`home_timeline.shown_in_home`:
  followed accounts' posts and boosts, their own, followers-only and direct posts addressed to
  them, public and unlisted posts with a hashtag they follow, with show_reblogs, languages,
  mutes, blocks and muted threads);
- `public`, `public:local`, `public:remote` (and their `:media` forms): what the public
  timelines hold (public posts, no boosts, no replies to others), through the decision
  pipeline with mutes, as `public_timelines` does for a page;
- `hashtag`, `hashtag:local`: public posts with the tag, replies included;
- `direct`: a direct post, for its author and the accounts it addresses (Mastodon's
  `conversation` event);
- `list`: the post belongs in the list's timeline (`list_timeline.shown_in_lists`: a member's
  post or boost, by the list page's rules, for the list's owner).

The viewer's filters are applied where the post is rendered for them
(`pnyx.streaming.messages`: `filtered` in every payload, and a `hide` filter of the stream's
context keeps it off that stream), as `status_views.load` does for a page.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass

import sqlalchemy as sa

from pnyx.core import decisions, domain_blocks, reach, visibility
from pnyx.core.rows import StatusRow
from pnyx.core.statuses import get_row
from pnyx.core.timelines.home_timeline import shown_in_home
from pnyx.core.timelines.list_timeline import shown_in_lists
from pnyx.db.engine import Tx
from pnyx.db.tables import accounts, mentions, status_tags, tags

# A stream as a client names it: ("user", None), ("public:local", None), ("hashtag", "cats"),
# ("list", "123").
StreamKey = tuple[str, str | None]
Viewer = int | None  # None: a viewer signed out (not served today: Mastodon 4.3 wants a token)

# The public streams: (local posts, remote posts, only with media).
PUBLIC_STREAMS: dict[str, tuple[bool, bool, bool]] = {
    "public": (True, True, False),
    "public:local": (True, False, False),
    "public:remote": (False, True, False),
    "public:media": (True, True, True),
    "public:local:media": (True, False, True),
    "public:remote:media": (False, True, True),
}
HASHTAG_STREAMS: dict[str, bool] = {"hashtag": False, "hashtag:local": True}  # local only?

# What a viewer of a public or hashtag stream is spared, as on those timelines' pages:
# visibility (suspended authors, blocks either way) and their mutes. Filters join here.
STREAM_STEPS: tuple[decisions.Step, ...] = decisions.VISIBLE_UNMUTED


@dataclass
class Audience:
    """A post and, per stream, the connected viewers it is shown to."""

    status: StatusRow
    streams: dict[StreamKey, set[Viewer]]


def audience(
    tx: Tx, status_id: int, listening: Mapping[StreamKey, Collection[Viewer]]
) -> Audience | None:
    """Who of `listening` (per stream, the viewers connected to it here) is shown the post;
    None when it is gone."""
    row = get_row(tx, status_id)
    if row is None:
        return None
    shown: dict[StreamKey, set[Viewer]] = {}
    home = [v for v in listening.get(("user", None), ()) if v is not None]
    if home:
        shown[("user", None)] = set(shown_in_home(tx, status_id, home))
    candidates = dict(_public_candidates(tx, row, listening))
    direct = [v for v in listening.get(("direct", None), ()) if v is not None]
    if direct and row.visibility == "direct" and row.reblog_of_id is None:
        candidates[("direct", None)] = _addressed(tx, row, direct)
    if candidates:
        passes = _passing(tx, row, {v for viewers in candidates.values() for v in viewers})
        for key, viewers in candidates.items():
            shown[key] = {v for v in viewers if v in passes}
    lists = {k[1]: v for k, v in listening.items() if k[0] == "list" and k[1] is not None}
    if lists:
        for list_id, viewers in shown_in_lists(tx, status_id, lists).items():
            shown[("list", list_id)] = set(viewers)
    return Audience(row, {k: v for k, v in shown.items() if v})


def _public_candidates(
    tx: Tx, row: StatusRow, listening: Mapping[StreamKey, Collection[Viewer]]
) -> dict[StreamKey, Collection[Viewer]]:
    """The public and hashtag streams this post belongs in, with their viewers (not yet
    decided one by one)."""
    if row.visibility != "public" or row.reblog_of_id is not None:
        return {}
    out: dict[StreamKey, Collection[Viewer]] = {}
    reply_to_other = row.in_reply_to_id is not None and row.in_reply_to_account_id != row.account_id
    for name, (local, remote, media) in PUBLIC_STREAMS.items():
        viewers = listening.get((name, None))
        if not viewers or reply_to_other or (media and not row.has_media):
            continue
        if (row.local and local) or (not row.local and remote):
            out[(name, None)] = viewers
    wanted = {k: v for k, v in listening.items() if k[0] in HASHTAG_STREAMS and v}
    if wanted:
        names = set(
            tx.scalars(
                sa.select(tags.c.name)
                .join(status_tags, status_tags.c.tag_id == tags.c.id)
                .where(status_tags.c.status_id == row.id)
            )
        )
        for (stream, tag), viewers in wanted.items():
            if tag in names and (row.local or not HASHTAG_STREAMS[stream]):
                out[(stream, tag)] = viewers
    if out and _limited(tx, row):
        return {}
    return out


def _limited(tx: Tx, row: StatusRow) -> bool:
    """Whether the staff limit the post's author or its server (the public timelines leave
    such posts out: `core.timelines.public_timelines`)."""
    return bool(
        tx.scalar(
            sa.select(
                sa.exists().where(
                    accounts.c.id == row.account_id,
                    sa.or_(
                        reach.silenced(accounts, tx.now),
                        sa.and_(
                            accounts.c.domain.is_not(None),
                            domain_blocks.silenced_condition(accounts.c.domain),
                        ),
                    ),
                )
            )
        )
    )


def _addressed(tx: Tx, row: StatusRow, viewers: list[int]) -> set[int]:
    named = set(
        tx.scalars(
            sa.select(mentions.c.account_id).where(
                mentions.c.status_id == row.id, mentions.c.account_id.in_(viewers)
            )
        )
    )
    return named | ({row.account_id} & set(viewers))


def _passing(tx: Tx, row: StatusRow, viewers: set[Viewer]) -> set[Viewer]:
    """Those of `viewers` the decision pipeline shows the post to, their facts loaded for
    all of them in one go (`visibility.load_contexts`)."""
    signed_in = {v for v in viewers if v is not None}
    contexts: dict[Viewer, visibility.ViewerContext] = {}
    for viewer, ctx in visibility.load_contexts(tx, signed_in, [row.account_id], [row.id]).items():
        contexts[viewer] = ctx
    if None in viewers:
        contexts[None] = visibility.load_context(tx, None, [row.account_id])
    return {v for v, ctx in contexts.items() if decisions.decide(STREAM_STEPS, ctx, row).shown}
