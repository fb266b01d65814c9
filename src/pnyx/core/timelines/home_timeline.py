"""The home timeline: the newest posts of the viewer and of the accounts they follow, plus
the followers-only and direct posts that mention them.

It is read at request time from `statuses` (no per-account feed table). How that query is
written matters more than anything else here:

- Both databases first pick the newest n *ids* from the (account_id, id) index (a covering,
  index-only read) and only then read the n full rows.
- SQLite does that with `account_id IN (authors) ORDER BY id DESC LIMIT n`.
- PostgreSQL plans that same form as "read every post of every followed account, then sort",
  which costs tens to hundreds of milliseconds. There we use a LATERAL join: for each author
  its newest n ids under the cursor (an index range scan each), then the newest n of those.
  Cost grows with the number of follows, never with the number of posts.
- The followed part and the addressed-to-me part go in one UNION statement, and the rules'
  facts (blocks, mutes, suspensions, mentions, muted threads, follows) in two more. The
  statements are built once per page shape and reused with new parameters: on SQLite,
  building SQLAlchemy statements costs more than running them.

Mastodon's home rules then drop what the viewer muted or blocked, boosts by accounts followed
with show_reblogs=false, boosts of the viewer's own posts, threads the viewer muted, posts in
languages the follow excludes, and replies to people the viewer does not follow.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

import sqlalchemy as sa
from sqlalchemy.engine import Row

from pnyx.core import decisions, visibility
from pnyx.core.paging import Page
from pnyx.core.timelines.candidates import (
    CANDIDATE_COLUMNS,
    Bound,
    Candidate,
    Slice,
    bounded,
    fill_page,
    ordered,
)
from pnyx.core.visibility import StatusLike
from pnyx.db.engine import Tx
from pnyx.db.id_lists import in_ids
from pnyx.db.tables import follows, mentions, statuses

# Home candidates carry their boosted original's author and visibility (a join on its primary
# key), so the rules need no extra query for boosts.
_original = statuses.alias("original")
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


def _home_candidates(rows: Iterable[Row]) -> list[Candidate]:
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
                bool(r.addressed),
                original,
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


def _home_authored_sqlite(
    viewer: sa.BindParameter[int],
    since_id: Bound,
    max_id: Bound,
    min_id: Bound,
    ascending: bool,
    n: sa.BindParameter[int],
) -> sa.Select:
    """SQLite walks (account_id, id) for each author inside one `IN`, reading ids only (a
    covering index), sorts those and keeps n; full rows are read for those n alone."""
    top = sa.select(statuses.c.id).where(statuses.c.account_id.in_(_authors(viewer)))
    top = bounded(top, statuses.c.id, max_id, since_id, min_id)
    return _home_rows(ordered(top, statuses.c.id, ascending, n).subquery("top"))


def _home_authored_postgres(
    viewer: sa.BindParameter[int],
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
    authors = _authors(viewer).subquery("authors")
    per_author = sa.select(statuses.c.id).where(statuses.c.account_id == authors.c.author_id)
    per_author = bounded(per_author, statuses.c.id, max_id, since_id, min_id)
    newest = ordered(per_author, statuses.c.id, ascending, n).lateral("newest")
    top = ordered(
        sa.select(newest.c.id).select_from(authors.join(newest, sa.true())),
        newest.c.id,
        ascending,
        n,
    ).subquery("top")
    return _home_rows(top)


def _home_rows(top: sa.Subquery) -> sa.Select:
    """The candidate rows for a subquery of ids. Direct posts are not filtered before the
    limit (that would need every row): the visibility rules drop those not addressed to the
    viewer, and the refill fetches more if that leaves the page short."""
    return sa.select(*HOME_COLUMNS, sa.literal(0).label("addressed")).select_from(
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
        sa.select(*HOME_COLUMNS, sa.literal(1).label("addressed"))
        .select_from(_with_original(mentions.join(statuses, statuses.c.id == mentions.c.status_id)))
        # The partial index ix_mentions_private holds only followers-only and direct posts,
        # so this walks the few of them that name the viewer, newest first.
        .where(mentions.c.account_id == viewer, mentions.c.private.is_(True))
    )
    query = bounded(query, mentions.c.status_id, max_id, since_id, min_id)
    return ordered(query, mentions.c.status_id, ascending, n)


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
    authored = _home_authored_postgres if postgres else _home_authored_sqlite
    parts = [authored(*shape).subquery(), _home_mentions(*shape).subquery()]
    return sa.union_all(*(sa.select(p) for p in parts))


def home(tx: Tx, viewer_id: int, page: Page) -> Slice:
    """The viewer's home timeline page: status ids, newest first."""

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
        for c in _home_candidates(tx.execute(statement, params)):
            if c.id in merged:
                merged[c.id].mentions_viewer |= c.mentions_viewer
            else:
                merged[c.id] = c
        ordered = sorted(merged.values(), key=lambda c: c.id, reverse=not page.ascending)
        return ordered[:n]

    def keep(batch: list[Candidate]) -> list[Candidate]:
        return _home_rules(tx, viewer_id, batch)

    return fill_page(page, fetch, keep, viewer_id)


def _home_rules(tx: Tx, viewer_id: int, batch: list[Candidate]) -> list[Candidate]:
    """Mastodon's home feed filter, applied to one batch of candidates: the decision
    pipeline (visibility, muted threads, mutes) and then the home feed's own choices."""
    if not batch:
        return []
    return _kept(_home_facts(tx, viewer_id, batch), batch)


def _kept(facts: HomeFacts, batch: list[Candidate]) -> list[Candidate]:
    """What the rules keep of a batch, with the viewer's facts loaded."""
    viewer_id = facts.ctx.viewer_id
    steps = (decisions.see, decisions.muted_thread, decisions.muted, _home_choices(facts))
    kept = []
    shown_originals: set[int] = set()
    for c in batch:
        if decisions.decide(steps, facts.ctx, c, c.original).action == "hide":
            continue
        if c.original is not None and c.account_id != viewer_id:
            if c.original.id in shown_originals:
                continue  # the same post boosted by several people shows once
            shown_originals.add(c.original.id)
        kept.append(c)
    return kept


def _home_choices(facts: HomeFacts) -> decisions.StepFor[Candidate]:
    """The home feed's own step: what the viewer's follows say about languages and boosts,
    and replies into conversations the viewer is not part of."""
    viewer_id = facts.ctx.viewer_id

    def step(
        ctx: visibility.ViewerContext, c: Candidate, original: StatusLike | None
    ) -> decisions.Decision | None:
        if c.account_id == viewer_id:
            return None
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
    """What the home rules need to know about the viewer and one batch, in two queries."""

    ctx: visibility.ViewerContext
    hiding_reblogs: set[int]
    languages: dict[int, set[str]]


@functools.cache
def _followed_statement() -> sa.Select:
    """The viewer's follows among some accounts, with the follow's options; built once."""
    return sa.select(
        follows.c.target_account_id, follows.c.show_reblogs, follows.c.languages
    ).where(
        follows.c.account_id == sa.bindparam("viewer", type_=sa.BigInteger),
        in_ids(follows.c.target_account_id, "others"),
    )


def _people(batch: list[Candidate]) -> set[int]:
    people = {c.account_id for c in batch}
    people |= {c.original.account_id for c in batch if c.original is not None}
    people |= {c.in_reply_to_account_id for c in batch if c.in_reply_to_account_id}
    return people


def _home_facts(tx: Tx, viewer_id: int, batch: list[Candidate]) -> HomeFacts:
    """The viewer's follows, blocks, mutes and muted threads that touch this batch: the
    shared visibility facts (one query) plus the follows' options (one query)."""
    people = _people(batch)
    ctx = visibility.load_context(
        tx,
        viewer_id,
        people,
        [c.id for c in batch] + [c.original.id for c in batch if c.original is not None],
        conversation_ids={c.conversation_id for c in batch if c.conversation_id},
    )
    facts = HomeFacts(ctx, set(), {})
    others = list(people - {viewer_id})
    if others:
        for row in tx.execute(_followed_statement(), {"viewer": viewer_id, "others": others}):
            if not row.show_reblogs:
                facts.hiding_reblogs.add(row.target_account_id)
            if row.languages:
                facts.languages[row.target_account_id] = set(row.languages)
    return facts


def shown_in_home(tx: Tx, status_id: int, viewer_ids: Iterable[int]) -> set[int]:
    """Which of these viewers' home timelines the post belongs in, by the very rules of the
    page above (a live stream asks, for the viewers connected to it). Its audience first, in
    two queries: its author, their followers, and those a followers-only or direct post is
    addressed to; then the home rules for each of them.

    The rules' facts are loaded for all of them at once (`_many_home_facts`): a post costs
    the same few queries whether ten or two thousand followers are connected."""
    viewers = list(set(viewer_ids))
    if not viewers:
        return set()
    row = tx.one_or_none(
        sa.select(*HOME_COLUMNS, sa.literal(0).label("addressed"))
        .select_from(_with_original(statuses))
        .where(statuses.c.id == status_id)
    )
    if row is None:
        return set()
    [candidate] = _home_candidates([row])
    followers = set(
        tx.scalars_of(_followers_among(), {"author": row.account_id, "viewers": viewers})
    )
    addressed = set(tx.scalars_of(_addressed_among(), {"status": status_id, "viewers": viewers}))
    audience = followers | addressed | ({row.account_id} & set(viewers))
    facts = _many_home_facts(tx, audience, candidate)
    return {
        viewer
        for viewer in audience
        if _kept(
            facts[viewer], [dataclasses.replace(candidate, mentions_viewer=viewer in addressed)]
        )
    }


def _many_home_facts(tx: Tx, viewers: set[int], c: Candidate) -> dict[int, HomeFacts]:
    """`_home_facts` of one candidate for many viewers, in three queries whatever their
    number (the follows' options of all of them in one)."""
    people = _people([c])
    contexts = visibility.load_contexts(
        tx,
        viewers,
        people,
        [c.id] + ([c.original.id] if c.original is not None else []),
        [c.conversation_id] if c.conversation_id else [],
    )
    facts = {v: HomeFacts(contexts[v], set(), {}) for v in viewers}
    params = {"viewers": list(viewers), "others": list(people)}
    for row in tx.execute(_many_followed_statement(), params):
        mine = facts[row.account_id]
        if not row.show_reblogs:
            mine.hiding_reblogs.add(row.target_account_id)
        if row.languages:
            mine.languages[row.target_account_id] = set(row.languages)
    return facts


@functools.cache
def _many_followed_statement() -> sa.Select:
    return sa.select(
        follows.c.account_id,
        follows.c.target_account_id,
        follows.c.show_reblogs,
        follows.c.languages,
    ).where(in_ids(follows.c.account_id, "viewers"), in_ids(follows.c.target_account_id, "others"))


@functools.cache
def _followers_among() -> sa.Select:
    return sa.select(follows.c.account_id).where(
        follows.c.target_account_id == sa.bindparam("author", type_=sa.BigInteger),
        in_ids(follows.c.account_id, "viewers"),
    )


@functools.cache
def _addressed_among() -> sa.Select:
    return sa.select(mentions.c.account_id).where(
        mentions.c.status_id == sa.bindparam("status", type_=sa.BigInteger),
        mentions.c.private.is_(True),
        in_ids(mentions.c.account_id, "viewers"),
    )
