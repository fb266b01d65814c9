"""The public timelines (federated, local, remote), hashtag timelines and a trending link's
timeline: public posts that are not boosts, filtered for the viewer by the decision pipeline
with mutes."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa

from pnyx.core import decisions, domain_blocks, reach, visibility
from pnyx.core.paging import Page
from pnyx.core.timelines.candidates import (
    CANDIDATE_COLUMNS,
    Candidate,
    Q,
    Slice,
    bounded,
    candidates_from,
    fill_page,
    ordered,
)
from pnyx.db.engine import Tx
from pnyx.db.tables import accounts, preview_card_statuses, status_tags, statuses, tags


def _public_filter(
    query: Q,
    *,
    now: Any,
    local: bool,
    remote: bool,
    only_media: bool,
    with_replies: bool = False,
) -> Q:
    """Public timelines show public posts and no boosts, and none from accounts or servers
    the staff limit (`core.reach`, `core.domain_blocks`). The public timeline leaves out replies except self-replies;
    hashtag timelines keep replies, as Mastodon's do."""
    query = query.where(statuses.c.visibility == "public", statuses.c.reblog_of_id.is_(None))
    query = query.where(
        ~sa.exists().where(
            accounts.c.id == statuses.c.account_id,
            sa.or_(
                reach.silenced(accounts, now),
                sa.and_(
                    statuses.c.local.is_(False),
                    domain_blocks.silenced_condition(accounts.c.domain),
                ),
            ),
        )
    )
    if not with_replies:
        query = query.where(
            sa.or_(
                statuses.c.in_reply_to_id.is_(None),
                statuses.c.in_reply_to_account_id == statuses.c.account_id,
            )
        )
    if local and not remote:
        query = query.where(statuses.c.local.is_(True))
    elif remote and not local:
        query = query.where(statuses.c.local.is_(False))
    if only_media:
        query = query.where(statuses.c.has_media.is_(True))
    return query


def _public_rules(tx: Tx, viewer_id: int | None, batch: list[Candidate]) -> list[Candidate]:
    """The decision pipeline with mutes: suspended authors always out; blocked and muted
    ones for a signed-in viewer."""
    if not batch:
        return []
    ctx = visibility.load_context(tx, viewer_id, {c.account_id for c in batch})
    return [
        c for c in batch if decisions.decide(decisions.VISIBLE_UNMUTED, ctx, c).action != "hide"
    ]


def public(
    tx: Tx,
    viewer_id: int | None,
    page: Page,
    *,
    local: bool = False,
    remote: bool = False,
    only_media: bool = False,
) -> Slice:
    def fetch(max_id: int | None, min_id: int | None, n: int) -> list[Candidate]:
        query = _public_filter(
            sa.select(*CANDIDATE_COLUMNS),
            now=tx.now,
            local=local,
            remote=remote,
            only_media=only_media,
        )
        query = bounded(query, statuses.c.id, max_id, page.since_id, min_id)
        return candidates_from(tx.rows(ordered(query, statuses.c.id, page.ascending, n)))

    return fill_page(page, fetch, lambda b: _public_rules(tx, viewer_id, b), viewer_id)


def normalize_tag(name: str) -> str:
    return (name or "").strip().lstrip("#").lower()


def tag_ids(tx: Tx, names: Iterable[str]) -> dict[str, int]:
    wanted = {normalize_tag(n) for n in names if normalize_tag(n)}
    if not wanted:
        return {}
    rows = tx.rows(sa.select(tags.c.name, tags.c.id).where(tags.c.name.in_(wanted)))
    return {r.name: r.id for r in rows}


def tag(
    tx: Tx,
    viewer_id: int | None,
    hashtag: str,
    page: Page,
    *,
    any_tags: Iterable[str] = (),
    all_tags: Iterable[str] = (),
    none_tags: Iterable[str] = (),
    local: bool = False,
    remote: bool = False,
    only_media: bool = False,
) -> Slice:
    """Public posts with `hashtag` or any of `any_tags`, all of `all_tags`, none of `none_tags`."""
    main = normalize_tag(hashtag)
    any_names = {main} | {normalize_tag(t) for t in any_tags if normalize_tag(t)}
    all_names = {normalize_tag(t) for t in all_tags if normalize_tag(t)}
    none_names = {normalize_tag(t) for t in none_tags if normalize_tag(t)}
    known = tag_ids(tx, any_names | all_names | none_names)
    any_ids = [known[n] for n in any_names if n in known]
    if not any_ids or any(n not in known for n in all_names):
        return Slice([], [])
    none_ids = [known[n] for n in none_names if n in known]

    def fetch(max_id: int | None, min_id: int | None, n: int) -> list[Candidate]:
        query = sa.select(*CANDIDATE_COLUMNS)
        if len(any_ids) == 1:
            # One tag (the usual case): walk the (tag_id, status_id) index newest first and
            # stop after n, however rare or common the tag.
            order_column = status_tags.c.status_id
            query = query.select_from(
                status_tags.join(statuses, statuses.c.id == status_tags.c.status_id)
            ).where(status_tags.c.tag_id == any_ids[0])
        else:
            # IN, not a correlated EXISTS, so a rare tag does not walk every public post.
            order_column = statuses.c.id
            query = query.where(
                statuses.c.id.in_(
                    sa.select(status_tags.c.status_id).where(status_tags.c.tag_id.in_(any_ids))
                )
            )
        query = _public_filter(
            query, now=tx.now, local=local, remote=remote, only_media=only_media, with_replies=True
        )
        other = status_tags.alias("other_tags")
        for name in all_names:
            query = query.where(
                sa.exists().where(other.c.status_id == statuses.c.id, other.c.tag_id == known[name])
            )
        if none_ids:
            query = query.where(
                ~sa.exists().where(other.c.status_id == statuses.c.id, other.c.tag_id.in_(none_ids))
            )
        query = bounded(query, order_column, max_id, page.since_id, min_id)
        return candidates_from(tx.rows(ordered(query, order_column, page.ascending, n)))

    return fill_page(page, fetch, lambda b: _public_rules(tx, viewer_id, b), viewer_id)


def link(tx: Tx, viewer_id: int | None, card_id: int, page: Page) -> Slice:
    """Public posts that show the card `card_id`, by authors who chose to be `discoverable`
    (Mastodon 4.3's link timeline, for a trending link: the caller checks that)."""
    order_column = preview_card_statuses.c.status_id

    def fetch(max_id: int | None, min_id: int | None, n: int) -> list[Candidate]:
        query = (
            sa.select(*CANDIDATE_COLUMNS)
            .select_from(
                preview_card_statuses.join(
                    statuses, statuses.c.id == preview_card_statuses.c.status_id
                )
            )
            .where(
                preview_card_statuses.c.preview_card_id == card_id,
                sa.exists().where(
                    accounts.c.id == statuses.c.account_id, accounts.c.discoverable.is_(True)
                ),
            )
        )
        query = _public_filter(
            query, now=tx.now, local=False, remote=False, only_media=False, with_replies=True
        )
        query = bounded(query, order_column, max_id, page.since_id, min_id)
        return candidates_from(tx.rows(ordered(query, order_column, page.ascending, n)))

    return fill_page(page, fetch, lambda b: _public_rules(tx, viewer_id, b), viewer_id)
