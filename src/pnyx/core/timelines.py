"""Timelines: which statuses a viewer sees, newest first, one page at a time.

The home timeline is read at request time from `statuses` (no per-account feed table): the
newest posts of the viewer and of the accounts they follow, plus the followers-only and direct
posts that mention them. How that query is written matters more than anything else here:

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
languages the follow excludes, and replies to people the viewer does not follow. When the
rules drop items, a further bounded query refills the page, so a page is short only when the
timeline has run out or a long run of hidden posts was skipped (the cursors then still point
past it).

Every function here returns a `Slice`: status ids in display order (newest first) and the ids
to build the Link header from; rendering is `status_views.load` and the API's serializers.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

import sqlalchemy as sa

from pnyx.core import decisions, visibility
from pnyx.core.errors import NotFound
from pnyx.core.paging import Page
from pnyx.db.id_lists import in_ids
from pnyx.db.tables import (
    accounts,
    blocks,
    bookmarks,
    favourites,
    follows,
    mentions,
    status_pins,
    status_tags,
    statuses,
    tags,
)

# How many extra rounds of candidates we fetch when filters thin a page out. Bounded so that a
# timeline full of muted posts costs a few queries, not a scan of the whole table.
MAX_ROUNDS = 4
# Each round asks for more than the page needs, since some candidates will be filtered out.
OVERFETCH = 2


@dataclass
class Candidate:
    """The columns the timeline rules need about one status."""

    id: int
    account_id: int
    visibility: str
    reblog_of_id: int | None
    in_reply_to_id: int | None
    in_reply_to_account_id: int | None
    conversation_id: int | None
    language: str | None = None
    mentions_viewer: bool = False
    original: object | None = None  # a boost's original: (id, account_id, visibility)


CANDIDATE_COLUMNS = (
    statuses.c.id,
    statuses.c.account_id,
    statuses.c.visibility,
    statuses.c.reblog_of_id,
    statuses.c.in_reply_to_id,
    statuses.c.in_reply_to_account_id,
    statuses.c.conversation_id,
    statuses.c.language,
)


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
    id: int
    account_id: int
    visibility: str


def _with_original(query):
    return query.outerjoin(_original, _original.c.id == statuses.c.reblog_of_id)


def _home_candidates(rows: Iterable) -> list[Candidate]:
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


def _candidates(rows: Iterable) -> list[Candidate]:
    return [
        Candidate(
            r.id,
            r.account_id,
            r.visibility,
            r.reblog_of_id,
            r.in_reply_to_id,
            r.in_reply_to_account_id,
            r.conversation_id,
            r.language,
        )
        for r in rows
    ]


def _bounded(query, column, max_id: int | None, since_id: int | None, min_id: int | None):
    if max_id is not None:
        query = query.where(column < max_id)
    if since_id is not None:
        query = query.where(column > since_id)
    if min_id is not None:
        query = query.where(column > min_id)
    return query


def _ordered(query, column, ascending: bool, limit: int):
    return query.order_by(column.asc() if ascending else column.desc()).limit(limit)


Fetch = Callable[[int | None, int | None, int], list[Candidate]]
Keep = Callable[[list[Candidate]], list[Candidate]]


@dataclass
class Slice:
    """A timeline page: status ids in display order, and the ids to paginate from.

    `cursors` is [newest, oldest] for the Link header. When the rules filtered out everything
    the bounded refill looked at, the page is short (even empty) but the cursors still point
    past what was scanned, so a client following `next` moves on instead of stopping.
    """

    ids: Sequence[int]  # decisions.CheckedIds when the rules below decided them for the viewer
    cursors: list[int]


def _paged(page: Page, fetch: Fetch, keep: Keep, viewer_id: int | None) -> Slice:
    """Fill a page from `fetch` (candidates under a cursor) through `keep` (the rules).

    `fetch(max_id, min_id, n)` returns up to n candidates in walking order (newest first, or
    oldest first for min_id pages). Walks on from the last candidate seen until the page is
    full, the source runs dry, or MAX_ROUNDS is reached.
    """
    kept: list[Candidate] = []
    seen: set[int] = set()
    max_id, min_id = page.max_id, page.min_id
    ran_dry = False
    for _ in range(MAX_ROUNDS):
        want = (page.limit - len(kept)) * OVERFETCH
        batch = fetch(max_id, min_id, want)
        fresh = [c for c in batch if c.id not in seen]
        seen.update(c.id for c in fresh)
        kept.extend(keep(fresh))
        if len(batch) < want or not batch:
            ran_dry = True
            break
        if len(kept) >= page.limit:
            break
        if page.ascending:
            min_id = batch[-1].id
        else:
            max_id = batch[-1].id
    kept = kept[: page.limit]
    ids = decisions.CheckedIds(
        [c.id for c in (reversed(kept) if page.ascending else kept)], viewer_id
    )
    if len(kept) >= page.limit or ran_dry:
        cursors = [ids[0], ids[-1]] if ids else []
    else:
        cursors = [max(seen), min(seen)]
    return Slice(ids, cursors)


# --- Home ---------------------------------------------------------------------------------


def _authors(viewer):
    """The viewer and everyone they follow."""
    return sa.union_all(
        sa.select(follows.c.target_account_id.label("author_id")).where(
            follows.c.account_id == viewer
        ),
        sa.select(viewer.label("author_id")),
    )


def _home_authored_sqlite(viewer, since_id, max_id, min_id, ascending: bool, n):
    """SQLite walks (account_id, id) for each author inside one `IN`, reading ids only (a
    covering index), sorts those and keeps n; full rows are read for those n alone."""
    top = sa.select(statuses.c.id).where(statuses.c.account_id.in_(_authors(viewer)))
    top = _bounded(top, statuses.c.id, max_id, since_id, min_id)
    return _home_rows(_ordered(top, statuses.c.id, ascending, n).subquery("top"))


def _home_authored_postgres(viewer, since_id, max_id, min_id, ascending: bool, n):
    """LATERAL: for each author (the viewer and every followed account) its newest n ids
    under the cursor, then the newest n of those.

    PostgreSQL would plan the `IN` form as "every post of every followed account, then sort".
    Here the inner scans are index-only scans of (account_id, id), n ids each.
    """
    authors = _authors(viewer).subquery("authors")
    per_author = sa.select(statuses.c.id).where(statuses.c.account_id == authors.c.author_id)
    per_author = _bounded(per_author, statuses.c.id, max_id, since_id, min_id)
    newest = _ordered(per_author, statuses.c.id, ascending, n).lateral("newest")
    top = _ordered(
        sa.select(newest.c.id).select_from(authors.join(newest, sa.true())),
        newest.c.id,
        ascending,
        n,
    ).subquery("top")
    return _home_rows(top)


def _home_rows(top):
    """The candidate rows for a subquery of ids. Direct posts are not filtered before the
    limit (that would need every row): the visibility rules drop those not addressed to the
    viewer, and the refill fetches more if that leaves the page short."""
    return sa.select(*HOME_COLUMNS, sa.literal(0).label("addressed")).select_from(
        _with_original(top.join(statuses, statuses.c.id == top.c.id))
    )


def _home_mentions(viewer, since_id, max_id, min_id, ascending: bool, n):
    """Followers-only and direct posts addressed to the viewer, whoever wrote them."""
    query = (
        sa.select(*HOME_COLUMNS, sa.literal(1).label("addressed"))
        .select_from(_with_original(mentions.join(statuses, statuses.c.id == mentions.c.status_id)))
        # The partial index ix_mentions_private holds only followers-only and direct posts,
        # so this walks the few of them that name the viewer, newest first.
        .where(mentions.c.account_id == viewer, mentions.c.private.is_(True))
    )
    query = _bounded(query, mentions.c.status_id, max_id, since_id, min_id)
    return _ordered(query, mentions.c.status_id, ascending, n)


@lru_cache(maxsize=64)
def _home_statement(postgres: bool, has_since: bool, has_max: bool, has_min: bool, asc: bool):
    """The candidate query for one shape of page, built once and reused with new parameters
    (building SQLAlchemy statements costs more than running these on SQLite)."""

    def param(name: str, present: bool = True):
        return sa.bindparam(name, type_=sa.BigInteger) if present else None

    shape = (
        param("viewer"),
        param("since_id", has_since),
        param("max_id", has_max),
        param("min_id", has_min),
        asc,
        sa.bindparam("n", type_=sa.Integer),
    )
    authored = _home_authored_postgres if postgres else _home_authored_sqlite
    parts = [authored(*shape).subquery(), _home_mentions(*shape).subquery()]
    return sa.union_all(*(sa.select(p) for p in parts))


def home(tx, viewer_id: int, page: Page) -> Slice:
    """The viewer's home timeline page: status ids, newest first."""

    def fetch(max_id, min_id, n):
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

    return _paged(page, fetch, keep, viewer_id)


def _originals(tx, ids: set[int]) -> dict[int, object]:
    if not ids:
        return {}
    rows = tx.rows(
        sa.select(statuses.c.id, statuses.c.account_id, statuses.c.visibility).where(
            statuses.c.id.in_(ids)
        )
    )
    return {r.id: r for r in rows}


def _home_rules(tx, viewer_id: int, batch: list[Candidate]) -> list[Candidate]:
    """Mastodon's home feed filter, applied to one batch of candidates: the decision
    pipeline (visibility, muted threads, mutes) and then the home feed's own choices."""
    if not batch:
        return []
    facts = _home_facts(tx, viewer_id, batch)
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


def _home_choices(facts: HomeFacts) -> decisions.Step:
    """The home feed's own step: what the viewer's follows say about languages and boosts,
    and replies into conversations the viewer is not part of."""
    viewer_id = facts.ctx.viewer_id

    def step(ctx, c: Candidate, original) -> decisions.Decision | None:
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
    muted_threads: set[int]


@functools.cache
def _followed_statement():
    """The viewer's follows among some accounts, with the follow's options; built once."""
    return sa.select(
        follows.c.target_account_id, follows.c.show_reblogs, follows.c.languages
    ).where(
        follows.c.account_id == sa.bindparam("viewer", type_=sa.BigInteger),
        in_ids(follows.c.target_account_id, "others"),
    )


def _home_facts(tx, viewer_id: int, batch: list[Candidate]) -> HomeFacts:
    """The viewer's follows, blocks, mutes and muted threads that touch this batch: the
    shared visibility facts (one query) plus the follows' options (one query)."""
    people = {c.account_id for c in batch}
    people |= {c.original.account_id for c in batch if c.original is not None}
    people |= {c.in_reply_to_account_id for c in batch if c.in_reply_to_account_id}
    ctx = visibility.load_context(
        tx,
        viewer_id,
        people,
        [c.id for c in batch] + [c.reblog_of_id for c in batch if c.original],
        conversation_ids={c.conversation_id for c in batch if c.conversation_id},
    )
    facts = HomeFacts(ctx, set(), {}, ctx.muted_conversations)
    others = list(people - {viewer_id})
    if others:
        for row in tx.execute(_followed_statement(), {"viewer": viewer_id, "others": others}):
            if not row.show_reblogs:
                facts.hiding_reblogs.add(row.target_account_id)
            if row.languages:
                facts.languages[row.target_account_id] = set(row.languages)
    return facts


# --- Public and hashtag timelines ---------------------------------------------------------


def _public_filter(
    query, *, local: bool, remote: bool, only_media: bool, with_replies: bool = False
):
    """Public timelines show public posts and no boosts. The public timeline leaves out replies
    except self-replies; hashtag timelines keep replies, as Mastodon's do."""
    query = query.where(statuses.c.visibility == "public", statuses.c.reblog_of_id.is_(None))
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


def _public_rules(tx, viewer_id: int | None, batch: list[Candidate]) -> list[Candidate]:
    """The decision pipeline with mutes: suspended authors always out; blocked and muted
    ones for a signed-in viewer."""
    if not batch:
        return []
    ctx = visibility.load_context(tx, viewer_id, {c.account_id for c in batch})
    return [
        c for c in batch if decisions.decide(decisions.VISIBLE_UNMUTED, ctx, c).action != "hide"
    ]


def public(
    tx,
    viewer_id: int | None,
    page: Page,
    *,
    local: bool = False,
    remote: bool = False,
    only_media: bool = False,
) -> Slice:
    def fetch(max_id, min_id, n):
        query = _public_filter(
            sa.select(*CANDIDATE_COLUMNS), local=local, remote=remote, only_media=only_media
        )
        query = _bounded(query, statuses.c.id, max_id, page.since_id, min_id)
        return _candidates(tx.rows(_ordered(query, statuses.c.id, page.ascending, n)))

    return _paged(page, fetch, lambda b: _public_rules(tx, viewer_id, b), viewer_id)


def normalize_tag(name: str) -> str:
    return (name or "").strip().lstrip("#").lower()


def _tag_ids(tx, names: Iterable[str]) -> dict[str, int]:
    wanted = {normalize_tag(n) for n in names if normalize_tag(n)}
    if not wanted:
        return {}
    rows = tx.rows(sa.select(tags.c.name, tags.c.id).where(tags.c.name.in_(wanted)))
    return {r.name: r.id for r in rows}


def tag(
    tx,
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
    known = _tag_ids(tx, any_names | all_names | none_names)
    any_ids = [known[n] for n in any_names if n in known]
    if not any_ids or any(n not in known for n in all_names):
        return Slice([], [])
    none_ids = [known[n] for n in none_names if n in known]

    def fetch(max_id, min_id, n):
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
            query, local=local, remote=remote, only_media=only_media, with_replies=True
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
        query = _bounded(query, order_column, max_id, page.since_id, min_id)
        return _candidates(tx.rows(_ordered(query, order_column, page.ascending, n)))

    return _paged(page, fetch, lambda b: _public_rules(tx, viewer_id, b), viewer_id)


# --- One account's statuses ---------------------------------------------------------------


def account_statuses(
    tx,
    viewer_id: int | None,
    account_id: int,
    page: Page,
    *,
    pinned: bool = False,
    exclude_replies: bool = False,
    exclude_reblogs: bool = False,
    only_media: bool = False,
    tagged: str | None = None,
) -> Slice:
    """An account's profile timeline as `viewer_id` may see it.

    Raises NotFound for an unknown or suspended account; a block either way gives an empty
    list, as Mastodon does.
    """
    author = tx.one_or_none(
        sa.select(accounts.c.id, accounts.c.suspended_at).where(accounts.c.id == account_id)
    )
    if author is None or author.suspended_at is not None:
        raise NotFound()
    if (
        viewer_id is not None
        and viewer_id != account_id
        and visibility.blocked_either_way(tx, viewer_id, account_id)
    ):
        return Slice([], [])
    if pinned:
        return _pinned(tx, viewer_id, account_id, page)

    query = sa.select(*CANDIDATE_COLUMNS).where(
        statuses.c.account_id == account_id,
        # The visibility rule's own SQL form, so the page is filled before the limit.
        visibility.visible_condition(statuses, viewer_id),
    )
    if exclude_replies:
        query = query.where(
            sa.or_(
                statuses.c.in_reply_to_id.is_(None),
                statuses.c.in_reply_to_account_id == statuses.c.account_id,
            )
        )
    if exclude_reblogs:
        query = query.where(statuses.c.reblog_of_id.is_(None))
    if only_media:
        query = query.where(statuses.c.has_media.is_(True))
    if tagged:
        tag_id = _tag_ids(tx, [tagged]).get(normalize_tag(tagged))
        if tag_id is None:
            return Slice([], [])
        query = query.where(
            sa.exists().where(
                status_tags.c.status_id == statuses.c.id, status_tags.c.tag_id == tag_id
            )
        )

    def fetch(max_id, min_id, n):
        q = _bounded(query, statuses.c.id, max_id, page.since_id, min_id)
        return _candidates(tx.rows(_ordered(q, statuses.c.id, page.ascending, n)))

    def keep(batch: list[Candidate]) -> list[Candidate]:
        # The SQL applied the rule to the author's posts; boosts need their original decided
        # too (the boosted author may be blocked, suspended or followers-only).
        originals = _originals(tx, {c.reblog_of_id for c in batch if c.reblog_of_id})
        ctx = visibility.load_context(
            tx,
            viewer_id,
            {c.account_id for c in batch} | {o.account_id for o in originals.values()},
            [c.id for c in batch] + list(originals),
        )
        return [
            c
            for c in batch
            if decisions.decide(
                decisions.VISIBLE, ctx, c, originals.get(c.reblog_of_id) if c.reblog_of_id else None
            ).action
            != "hide"
        ]

    return _paged(page, fetch, keep, viewer_id)


def _pinned(tx, viewer_id: int | None, account_id: int, page: Page) -> Slice:
    """Pinned posts, most recently pinned first; only the author's own posts can be pinned."""
    query = (
        sa.select(status_pins.c.status_id)
        .join(statuses, statuses.c.id == status_pins.c.status_id)
        .where(status_pins.c.account_id == account_id)
        .order_by(status_pins.c.id.desc())
        .limit(page.limit)
    )
    query = _bounded(query, status_pins.c.status_id, page.max_id, page.since_id, page.min_id)
    ids = tx.scalars(query)
    return Slice(ids, [ids[0], ids[-1]] if ids else [])


# --- Favourites and bookmarks -------------------------------------------------------------


def _marked(tx, table, viewer_id: int, page: Page) -> tuple[list[int], list[int]]:
    """(status ids, row ids) of the viewer's favourites or bookmarks, newest mark first.

    Pagination runs over the favourite/bookmark row id (when it was marked), as Mastodon's
    Link headers do; the caller drops statuses the viewer can no longer see.
    """
    query = sa.select(table.c.id, table.c.status_id).where(table.c.account_id == viewer_id)
    query = _bounded(query, table.c.id, page.max_id, page.since_id, page.min_id)
    rows = tx.rows(_ordered(query, table.c.id, page.ascending, page.limit))
    if page.ascending:
        rows.reverse()
    return [r.status_id for r in rows], [r.id for r in rows]


def favourited(tx, viewer_id: int, page: Page) -> tuple[list[int], list[int]]:
    return _marked(tx, favourites, viewer_id, page)


def bookmarked(tx, viewer_id: int, page: Page) -> tuple[list[int], list[int]]:
    return _marked(tx, bookmarks, viewer_id, page)


def blocked_ids(tx, viewer_id: int) -> set[int]:
    """Accounts blocked by, or blocking, the viewer (used by search)."""
    return set(
        tx.scalars(sa.select(blocks.c.target_account_id).where(blocks.c.account_id == viewer_id))
    ) | set(
        tx.scalars(sa.select(blocks.c.account_id).where(blocks.c.target_account_id == viewer_id))
    )
