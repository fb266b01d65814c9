"""The home timeline: the newest posts of the viewer and of the accounts they follow, plus
the followers-only and direct posts that mention them, and the public and unlisted posts that
carry a hashtag they follow.

It is read at request time from `statuses` (no per-account feed table). How that query is
written matters more than anything else here:

- Both databases first pick the newest n *ids* from the (account_id, id) index (a covering,
  index-only read) and only then read the n full rows.
- SQLite does that with `account_id IN (authors) ORDER BY id DESC LIMIT n`.
- PostgreSQL plans that same form as "read every post of every followed account, then sort",
  which costs tens to hundreds of milliseconds. There we use a LATERAL join: for each author
  its newest n ids under the cursor (an index range scan each), then the newest n of those.
  Cost grows with the number of follows, never with the number of posts.
- The followed part, the addressed-to-me part and the followed-hashtags part go in one UNION
  statement (each row says which part found it), and the rules' facts (blocks, mutes,
  suspensions, mentions, muted threads, follows and exclusive lists) in two more. The
  statements are built once per page shape and reused with new parameters: on SQLite,
  building SQLAlchemy statements costs more than running them.

Mastodon's home rules then drop what the viewer muted or blocked, boosts by accounts followed
with show_reblogs=false, boosts of the viewer's own posts, threads the viewer muted, posts in
languages the follow excludes, replies to people the viewer does not follow, and posts of
members of the viewer's exclusive lists. A post that came for a followed hashtag is kept
unless the visibility rule, a block or a mute says otherwise, as Mastodon's hashtag fan-out.
List timelines (`list_timeline`) are the same feed over a list's members: they reuse the
candidate queries and the rules below.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Iterable, Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from functools import lru_cache

import sqlalchemy as sa
from sqlalchemy.engine import Row

from pnyx.core import decisions, viewer_rules, visibility
from pnyx.core.paging import Page
from pnyx.core.timelines.candidates import (
    CANDIDATE_COLUMNS,
    Bound,
    Candidate,
    Fetch,
    Keep,
    Slice,
    bounded,
    fill_page,
    ordered,
)
from pnyx.core.visibility import PUBLIC_VISIBILITIES, StatusLike
from pnyx.db.engine import Tx
from pnyx.db.id_lists import in_ids
from pnyx.db.tables import (
    follows,
    mentions,
    status_tags,
    statuses,
    tag_follows,
)

# Which part of the home query found a row (its `addressed` column).
AUTHORED, ADDRESSED, TAGGED = 0, 1, 2

# Home candidates carry their boosted original's author and visibility (a join on its primary
# key), so the rules need no extra query for boosts.
_original = statuses.alias("original")
ORIGINAL = _original  # for the materialized feed's query (`feed_source`), which joins it too
HOME_COLUMNS = (
    *CANDIDATE_COLUMNS,
    _original.c.account_id.label("original_account_id"),
    _original.c.visibility.label("original_visibility"),
)


@dataclass(frozen=True)
class Original:
    """A boost's original, as the home rules see it (from the join in HOME_COLUMNS)."""

    id: int
    account_id: int
    visibility: str


def _with_original(query: sa.FromClause) -> sa.Join:
    return query.outerjoin(_original, _original.c.id == statuses.c.reblog_of_id)


def home_candidates(rows: Iterable[Row]) -> list[Candidate]:
    out = []
    for r in rows:
        original = (
            Original(r.reblog_of_id, r.original_account_id, r.original_visibility)
            if r.reblog_of_id is not None and r.original_account_id is not None
            else None
        )
        out.append(
            Candidate(
                r.id,
                r.account_id,
                r.visibility,
                r.reblog_of_id,
                r.in_reply_to_id,
                r.in_reply_to_account_id,
                r.conversation_id,
                r.language,
                r.addressed == ADDRESSED,
                original,
                r.addressed == TAGGED,
            )
        )
    return out


def _authors(viewer: sa.BindParameter[int]) -> sa.CompoundSelect:
    """The viewer and everyone they follow."""
    return sa.union_all(
        sa.select(follows.c.target_account_id.label("author_id")).where(
            follows.c.account_id == viewer
        ),
        sa.select(viewer.label("author_id")),
    )


# The accounts whose posts a feed walks: a select of one column, `author_id`.
Authors = sa.Select | sa.CompoundSelect


def authored_sqlite(
    authors: Authors,
    since_id: Bound,
    max_id: Bound,
    min_id: Bound,
    ascending: bool,
    n: sa.BindParameter[int],
) -> sa.Select:
    """SQLite walks (account_id, id) for each author inside one `IN`, reading ids only (a
    covering index), sorts those and keeps n; full rows are read for those n alone."""
    top = sa.select(statuses.c.id).where(statuses.c.account_id.in_(authors))
    top = bounded(top, statuses.c.id, max_id, since_id, min_id)
    return _home_rows(ordered(top, statuses.c.id, ascending, n).subquery("top"))


def authored_postgres(
    authors: Authors,
    since_id: Bound,
    max_id: Bound,
    min_id: Bound,
    ascending: bool,
    n: sa.BindParameter[int],
) -> sa.Select:
    """LATERAL: for each author (the viewer and every followed account) its newest n ids
    under the cursor, then the newest n of those.

    PostgreSQL would plan the `IN` form as "every post of every followed account, then sort".
    Here the inner scans are index-only scans of (account_id, id), n ids each.
    """
    each = authors.subquery("authors")
    per_author = sa.select(statuses.c.id).where(statuses.c.account_id == each.c.author_id)
    per_author = bounded(per_author, statuses.c.id, max_id, since_id, min_id)
    newest = ordered(per_author, statuses.c.id, ascending, n).lateral("newest")
    top = ordered(
        sa.select(newest.c.id).select_from(each.join(newest, sa.true())),
        newest.c.id,
        ascending,
        n,
    ).subquery("top")
    return _home_rows(top)


def _home_rows(top: sa.Subquery, found_by: int = AUTHORED) -> sa.Select:
    """The candidate rows for a subquery of ids. Direct posts are not filtered before the
    limit (that would need every row): the visibility rules drop those not addressed to the
    viewer, and the refill fetches more if that leaves the page short."""
    return sa.select(*HOME_COLUMNS, sa.literal(found_by).label("addressed")).select_from(
        _with_original(top.join(statuses, statuses.c.id == top.c.id))
    )


def _home_mentions(
    viewer: sa.BindParameter[int],
    since_id: Bound,
    max_id: Bound,
    min_id: Bound,
    ascending: bool,
    n: sa.BindParameter[int],
) -> sa.Select:
    """Followers-only and direct posts addressed to the viewer, whoever wrote them."""
    query = (
        sa.select(*HOME_COLUMNS, sa.literal(ADDRESSED).label("addressed"))
        .select_from(_with_original(mentions.join(statuses, statuses.c.id == mentions.c.status_id)))
        # The partial index ix_mentions_private holds only followers-only and direct posts,
        # so this walks the few of them that name the viewer, newest first.
        .where(mentions.c.account_id == viewer, mentions.c.private.is_(True))
    )
    query = bounded(query, mentions.c.status_id, max_id, since_id, min_id)
    return ordered(query, mentions.c.status_id, ascending, n)


def _home_tagged(
    viewer: sa.BindParameter[int],
    since_id: Bound,
    max_id: Bound,
    min_id: Bound,
    ascending: bool,
    n: sa.BindParameter[int],
    *,
    postgres: bool,
) -> sa.Select:
    """Public and unlisted posts (not boosts) with a hashtag the viewer follows: each followed
    tag's newest n from the (tag_id, status_id) index, then the newest n of those. Nothing to
    walk for someone who follows no hashtag."""
    followed = sa.select(tag_follows.c.tag_id).where(tag_follows.c.account_id == viewer)

    def tagged(which: sa.ColumnElement[bool]) -> sa.Select:
        query = (
            sa.select(status_tags.c.status_id.label("id"))
            .select_from(status_tags.join(statuses, statuses.c.id == status_tags.c.status_id))
            .where(
                which,
                statuses.c.visibility.in_(PUBLIC_VISIBILITIES),
                statuses.c.reblog_of_id.is_(None),
            )
        )
        query = bounded(query, status_tags.c.status_id, max_id, since_id, min_id)
        return ordered(query, status_tags.c.status_id, ascending, n)

    if postgres:
        each = followed.subquery("followed_tags")
        newest = tagged(status_tags.c.tag_id == each.c.tag_id).lateral("tagged")
        ids = sa.select(newest.c.id).select_from(each.join(newest, sa.true()))
        top = ordered(ids, newest.c.id, ascending, n).distinct()
    else:
        top = tagged(status_tags.c.tag_id.in_(followed)).distinct()
    return _home_rows(top.subquery("tagged_top"), TAGGED)


@lru_cache(maxsize=64)
def _home_statement(
    postgres: bool, has_since: bool, has_max: bool, has_min: bool, asc: bool
) -> sa.CompoundSelect:
    """The candidate query for one shape of page, built once and reused with new parameters
    (building SQLAlchemy statements costs more than running these on SQLite)."""

    def param(name: str, present: bool) -> sa.BindParameter[int] | None:
        return sa.bindparam(name, type_=sa.BigInteger) if present else None

    shape = (
        sa.bindparam("viewer", type_=sa.BigInteger),
        param("since_id", has_since),
        param("max_id", has_max),
        param("min_id", has_min),
        asc,
        sa.bindparam("n", type_=sa.Integer),
    )
    authored = authored_postgres if postgres else authored_sqlite
    parts = [
        authored(_authors(shape[0]), *shape[1:]).subquery(),
        _home_mentions(*shape).subquery(),
        _home_tagged(*shape, postgres=postgres).subquery(),
    ]
    return sa.union_all(*(sa.select(p) for p in parts))


def candidate_statement(postgres: bool) -> sa.CompoundSelect:
    """The newest n candidates of a viewer's home with no cursor (parameters `viewer`, `n`),
    before any rule: what a materialized feed is built from (`core.feeds.rebuild`)."""
    return _home_statement(postgres, False, False, False, False)


def home(tx: Tx, viewer_id: int, page: Page) -> Slice:
    """The viewer's home timeline page read from `statuses`: status ids, newest first. (The
    edges call `timelines.home`, which reads the materialized feed when there is one.)"""
    return fill_page(
        page, read_time_fetch(tx, viewer_id, page), home_keep(tx, viewer_id), viewer_id
    )


def home_keep(tx: Tx, viewer_id: int) -> Keep:
    """The home rules, as `fill_page` applies them to each batch."""

    def keep(batch: list[Candidate]) -> list[Candidate]:
        return _home_rules(tx, viewer_id, batch)

    return keep


def read_time_fetch(tx: Tx, viewer_id: int, page: Page) -> Fetch:
    """The home's candidates under a cursor, read from `statuses` (`fill_page`'s fetch)."""

    def fetch(max_id: int | None, min_id: int | None, n: int) -> list[Candidate]:
        # Both parts in one statement: one round trip per round.
        statement = _home_statement(
            tx.is_postgres,
            page.since_id is not None,
            max_id is not None,
            min_id is not None,
            page.ascending,
        )
        params = {"viewer": viewer_id, "n": n}
        for name, value in (("since_id", page.since_id), ("max_id", max_id), ("min_id", min_id)):
            if value is not None:
                params[name] = value
        merged: dict[int, Candidate] = {}
        for c in home_candidates(tx.plain(statement, params)):
            if c.id in merged:
                merged[c.id].mentions_viewer |= c.mentions_viewer
                merged[c.id].followed_tag |= c.followed_tag
            else:
                merged[c.id] = c
        ordered = sorted(merged.values(), key=lambda c: c.id, reverse=not page.ascending)
        return ordered[:n]

    return fetch


def _home_rules(tx: Tx, viewer_id: int, batch: list[Candidate]) -> list[Candidate]:
    """Mastodon's home feed filter, applied to one batch of candidates: the decision
    pipeline (visibility, muted threads, mutes) and then the home feed's own choices."""
    if not batch:
        return []
    return _kept(home_facts(tx, viewer_id, batch), batch)


def _kept(facts: HomeFacts, batch: list[Candidate]) -> list[Candidate]:
    """What the home rules keep of a batch, with the viewer's facts loaded."""
    steps = (decisions.see, decisions.muted_thread, decisions.muted, feed_choices(facts))
    return shown_once(facts.ctx, batch, steps)


def shown_once(
    ctx: visibility.ViewerContext,
    batch: list[Candidate],
    steps: tuple[decisions.StepFor[Candidate], ...],
) -> list[Candidate]:
    """The candidates the steps do not hide; a post boosted by several people shows once."""
    kept = []
    shown_originals: set[int] = set()
    for c in batch:
        if decisions.decide(steps, ctx, c, c.original).action == "hide":
            continue
        if c.original is not None and c.account_id != ctx.viewer_id:
            if c.original.id in shown_originals:
                continue  # the same post boosted by several people shows once
            shown_originals.add(c.original.id)
        kept.append(c)
    return kept


def feed_choices(facts: HomeFacts, *, home: bool = True) -> decisions.StepFor[Candidate]:
    """The feed's own step: what the viewer's follows say about languages and boosts, and
    replies into conversations the viewer is not part of. In the home timeline (not a list's)
    also: members of exclusive lists stay out, and a post that came for a followed hashtag
    is kept whatever the follows say (Mastodon's hashtag fan-out checks mutes and blocks
    only, which the earlier steps did)."""
    viewer_id = facts.ctx.viewer_id

    def step(
        ctx: visibility.ViewerContext, c: Candidate, original: StatusLike | None
    ) -> decisions.Decision | None:
        if c.account_id == viewer_id:
            return None
        if home and c.followed_tag:
            return None
        if home and not c.mentions_viewer and c.account_id not in ctx.following:
            # A feed's entry whose author was unfollowed since (its removal job not done
            # yet); what the read-time query finds is always followed, addressed or tagged.
            return decisions.hide("not_followed")
        if home and c.account_id in facts.exclusive and not c.mentions_viewer:
            return decisions.hide("in_exclusive_list")
        wanted = facts.languages.get(c.account_id)
        if wanted and c.language and c.language not in wanted and not c.mentions_viewer:
            return decisions.hide("language_not_followed")
        if c.reblog_of_id is not None:
            if c.account_id in facts.hiding_reblogs:
                return decisions.hide("boosts_hidden")
            if original is not None and original.account_id == viewer_id:
                return decisions.hide("own_post")  # already in the viewer's feed
            return None
        if (
            not c.mentions_viewer
            and c.in_reply_to_account_id is not None
            and c.in_reply_to_account_id not in (c.account_id, viewer_id)
            and c.in_reply_to_account_id not in ctx.following
        ):
            return decisions.hide("reply_to_unfollowed")
        return None

    return step


@dataclass
class HomeFacts:
    """What the feed rules need to know about the viewer and one batch, in one query."""

    ctx: visibility.ViewerContext
    hiding_reblogs: AbstractSet[int]
    languages: Mapping[int, AbstractSet[str]]
    exclusive: AbstractSet[int]  # followed accounts in one of the viewer's exclusive lists


def _people(batch: list[Candidate]) -> set[int]:
    people = {c.account_id for c in batch}
    people |= {c.original.account_id for c in batch if c.original is not None}
    people |= {c.in_reply_to_account_id for c in batch if c.in_reply_to_account_id}
    return people


def home_facts(tx: Tx, viewer_id: int, batch: list[Candidate]) -> HomeFacts:
    """The viewer's follows, blocks, mutes and muted threads that touch this batch: the
    shared visibility facts and the follows' options, from the viewer's rules kept in memory
    (`core.viewer_rules`) and one query for what is not theirs, unless every candidate came
    with it (`Candidate.facts`, a feed's entries)."""
    read = [c.facts for c in batch if c.facts is not None]
    if len(read) == len(batch):
        ctx = visibility.context_of(tx, viewer_id, read)
    else:
        ctx = visibility.load_context(
            tx,
            viewer_id,
            _people(batch),
            [c.id for c in batch] + [c.original.id for c in batch if c.original is not None],
            {c.conversation_id for c in batch if c.conversation_id},
        )
    rules = viewer_rules.of(tx, viewer_id)
    return HomeFacts(ctx, rules.hiding_reblogs, rules.languages, rules.exclusive)


def candidate_of(tx: Tx, status_id: int) -> Candidate | None:
    """One post as the feed rules see it (a live stream's post), or None when it is gone."""
    row = tx.one_or_none(
        sa.select(*HOME_COLUMNS, sa.literal(AUTHORED).label("addressed"))
        .select_from(_with_original(statuses))
        .where(statuses.c.id == status_id)
    )
    return home_candidates([row])[0] if row is not None else None


def shown_in_home(tx: Tx, status_id: int, viewer_ids: Iterable[int]) -> set[int]:
    """Which of these viewers' home timelines the post belongs in, by the very rules of the
    page above (a live stream asks, for the viewers connected to it). Its audience first, in
    three queries: its author, their followers, those a followers-only or direct post is
    addressed to, and (a public or unlisted post, not a boost) those who follow one of its
    hashtags; then the home rules for each of them.

    The rules' facts are loaded for all of them at once (`_many_home_facts`): a post costs
    the same few queries whether ten or two thousand followers are connected."""
    viewers = list(set(viewer_ids))
    if not viewers:
        return set()
    candidate = candidate_of(tx, status_id)
    if candidate is None:
        return set()
    row = candidate
    followers = set(
        tx.scalars_of(_followers_among(), {"author": row.account_id, "viewers": viewers})
    )
    addressed = set(tx.scalars_of(_addressed_among(), {"status": status_id, "viewers": viewers}))
    tagged: set[int] = set()
    if row.visibility in PUBLIC_VISIBILITIES and row.reblog_of_id is None:
        tagged = set(
            tx.scalars_of(_tag_followers_among(), {"status": status_id, "viewers": viewers})
        )
    audience = followers | addressed | tagged | ({row.account_id} & set(viewers))
    facts = _many_home_facts(tx, audience, candidate)
    return {
        viewer
        for viewer in audience
        if _kept(
            facts[viewer],
            [
                dataclasses.replace(
                    candidate, mentions_viewer=viewer in addressed, followed_tag=viewer in tagged
                )
            ],
        )
    }


def _many_home_facts(tx: Tx, viewers: set[int], c: Candidate) -> dict[int, HomeFacts]:
    """`home_facts` of one candidate for many viewers, in three queries whatever their
    number (the follows' options of all of them in one)."""
    people = _people([c])
    contexts = visibility.load_contexts(
        tx,
        viewers,
        people,
        [c.id] + ([c.original.id] if c.original is not None else []),
        [c.conversation_id] if c.conversation_id else [],
    )
    hiding: dict[int, set[int]] = {v: set() for v in viewers}
    languages: dict[int, dict[int, AbstractSet[str]]] = {v: {} for v in viewers}
    exclusive: dict[int, set[int]] = {v: set() for v in viewers}
    params = {"viewers": list(viewers), "others": list(people)}
    for row in tx.execute(_many_followed_statement(), params):
        if not row.show_reblogs:
            hiding[row.account_id].add(row.target_account_id)
        if row.languages:
            languages[row.account_id][row.target_account_id] = set(row.languages)
        if row.in_exclusive:
            exclusive[row.account_id].add(row.target_account_id)
    return {v: HomeFacts(contexts[v], hiding[v], languages[v], exclusive[v]) for v in viewers}


@functools.cache
def _many_followed_statement() -> sa.Select:
    """The follows' options (`core.viewer_rules`) of many viewers among some accounts."""
    return sa.select(
        follows.c.account_id,
        follows.c.target_account_id,
        follows.c.show_reblogs,
        follows.c.languages,
        viewer_rules.in_exclusive_list().label("in_exclusive"),
    ).where(in_ids(follows.c.account_id, "viewers"), in_ids(follows.c.target_account_id, "others"))


@functools.cache
def _followers_among() -> sa.Select:
    return sa.select(follows.c.account_id).where(
        follows.c.target_account_id == sa.bindparam("author", type_=sa.BigInteger),
        in_ids(follows.c.account_id, "viewers"),
    )


@functools.cache
def _tag_followers_among() -> sa.Select:
    """Those of the viewers who follow one of the post's hashtags (as `_home_tagged` walks)."""
    return (
        sa.select(tag_follows.c.account_id)
        .join(status_tags, status_tags.c.tag_id == tag_follows.c.tag_id)
        .where(
            status_tags.c.status_id == sa.bindparam("status", type_=sa.BigInteger),
            in_ids(tag_follows.c.account_id, "viewers"),
        )
        .distinct()
    )


@functools.cache
def _addressed_among() -> sa.Select:
    return sa.select(mentions.c.account_id).where(
        mentions.c.status_id == sa.bindparam("status", type_=sa.BigInteger),
        mentions.c.private.is_(True),
        in_ids(mentions.c.account_id, "viewers"),
    )
