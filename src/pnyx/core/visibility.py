"""Who may see a post, and what they may do with it: the rule, written once.

The rule, as Mastodon applies it:
- a suspended author's posts are seen by nobody;
- the author sees their own posts;
- if either side blocks the other, the viewer does not see the author's posts;
- public and unlisted posts are seen by anyone else;
- followers-only (private) posts by the author's followers and the accounts they mention;
- direct posts by the accounts they mention;
- a boost is seen only if both the boost and the boosted post may be seen.
Not being allowed to see something is indistinguishable from it not existing (404).

`SEE` below is that rule as a small tree of facts. The same tree is evaluated two ways: in
Python, against the facts `load_context` gathered for one viewer (`may_see`), and as a SQL
condition over a statuses table (`sql_condition`), for queries that must filter before they
limit (search, profiles, outboxes). A test generates viewers, relations and posts and checks
that the two answers agree on both databases, so the rule cannot drift between them.

What a viewer may *do* with a post they see (reply, boost, quote, pin) is decided here too,
with the reason when the answer is no; the API, the web pages and federation ask these
functions rather than repeating the conditions.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from typing import Any, Protocol

import sqlalchemy as sa

from pnyx.core import viewer_rules
from pnyx.db.engine import Tx
from pnyx.db.id_lists import in_ids
from pnyx.db.tables import (
    account_domain_blocks,
    accounts,
    blocks,
    conversation_mutes,
    follows,
    mentions,
    mutes,
)

PUBLIC_VISIBILITIES = ("public", "unlisted")
VISIBILITIES = ("public", "unlisted", "private", "direct")
# The rank of each audience, narrowest (direct) lowest: a reply is never wider than a
# followers-only or direct parent.
_AUDIENCE = {name: rank for rank, name in enumerate(reversed(VISIBILITIES))}


class StatusLike(Protocol):
    """The columns the rule reads: a statuses row, a timeline candidate, an original.

    Read-only, so a frozen dataclass (home_timeline's `Original`) is one too.
    """

    @property
    def id(self) -> int: ...

    @property
    def account_id(self) -> int: ...

    @property
    def visibility(self) -> str: ...


@dataclass
class ViewerContext:
    """What the rules need to know about one viewer and a set of authors and posts."""

    viewer_id: int | None
    # The viewer's own (read-only: shared with `core.viewer_rules`'s cache).
    following: AbstractSet[int] = frozenset()
    blocked: AbstractSet[int] = frozenset()  # either direction
    muted: AbstractSet[int] = frozenset()
    muted_conversations: AbstractSet[int] = frozenset()
    # Of the posts and authors asked about.
    mentioned_in: set[int] = field(default_factory=set)  # status ids that mention the viewer
    suspended: set[int] = field(default_factory=set)
    domain_blocked: set[int] = field(default_factory=set)  # authors of servers the viewer blocks


# --- The rule as a tree of facts ------------------------------------------------------------


@dataclass(frozen=True)
class SqlScope:
    """Where a SQL condition is evaluated: the statuses table (or alias) it filters, and the
    viewer as a bound parameter (None for someone signed out)."""

    status: Any  # a Table or Alias with id, account_id and visibility columns
    viewer: Any | None  # a bindparam or literal; None: signed out


class Scope(Protocol):
    """What `sql_condition` needs of any scope: the viewer (None: signed out). `SqlScope` is
    the posts' scope; `account_visibility.AccountScope` the accounts'."""

    @property
    def viewer(self) -> Any | None: ...


@dataclass(frozen=True)
class Fact:
    """One yes/no fact about (viewer, post), in both forms: a Python expression over `ctx` (a
    ViewerContext) and `s` (the post), and a SQL condition. `signed_out` is its value when
    there is no viewer, so neither form has to ask about a missing viewer.

    The same shape states facts about (viewer, account) in `account_visibility`, where the
    expression reads `ctx` and `a` (the account id) and `sql` takes an `AccountScope`."""

    name: str
    python: str
    sql: Callable[[Any], Any]  # the scope (SqlScope, AccountScope) -> a SQL condition
    signed_out: bool | None = None  # None: the fact does not depend on the viewer


@dataclass(frozen=True)
class All:
    parts: tuple[Rule, ...]


@dataclass(frozen=True)
class AnyOf:
    parts: tuple[Rule, ...]


@dataclass(frozen=True)
class Not:
    part: Rule


Rule = Fact | All | AnyOf | Not


def _both_ways_blocked(scope: SqlScope) -> sa.Exists:
    author = scope.status.c.account_id
    return sa.exists().where(
        sa.or_(
            sa.and_(blocks.c.account_id == scope.viewer, blocks.c.target_account_id == author),
            sa.and_(blocks.c.account_id == author, blocks.c.target_account_id == scope.viewer),
        )
    )


AUTHOR_SUSPENDED = Fact(
    "author_suspended",
    "s.account_id in ctx.suspended",
    lambda scope: sa.exists().where(
        accounts.c.id == scope.status.c.account_id, accounts.c.suspended_at.is_not(None)
    ),
)
IS_AUTHOR = Fact(
    "is_author",
    "s.account_id == ctx.viewer_id",
    lambda scope: scope.status.c.account_id == scope.viewer,
    signed_out=False,
)
BLOCKED = Fact(
    "blocked",
    "s.account_id in ctx.blocked",
    _both_ways_blocked,
    signed_out=False,
)
OPEN = Fact(
    "public_or_unlisted",
    "s.visibility in PUBLIC_VISIBILITIES",
    lambda scope: scope.status.c.visibility.in_(PUBLIC_VISIBILITIES),
)
FOLLOWERS_ONLY = Fact(
    "followers_only",
    "s.visibility == 'private'",
    lambda scope: scope.status.c.visibility == "private",
)
MENTIONED = Fact(
    "mentions_viewer",
    "s.id in ctx.mentioned_in",
    lambda scope: sa.exists().where(
        mentions.c.status_id == scope.status.c.id, mentions.c.account_id == scope.viewer
    ),
    signed_out=False,
)
FOLLOWS_AUTHOR = Fact(
    "follows_author",
    "s.account_id in ctx.following",
    lambda scope: sa.exists().where(
        follows.c.account_id == scope.viewer,
        follows.c.target_account_id == scope.status.c.account_id,
    ),
    signed_out=False,
)


def _author_domain_blocked(scope: SqlScope) -> sa.Exists:
    # An alias of its own, so that the subquery never correlates with an outer `accounts`.
    author = accounts.alias("domain_blocked_author")
    return sa.exists().where(
        author.c.id == scope.status.c.account_id,
        author.c.id != scope.viewer,  # one's own posts are never hidden from oneself
        account_domain_blocks.c.account_id == scope.viewer,
        account_domain_blocks.c.domain == author.c.domain,
    )


# The author is another account, on a server the viewer blocks (`core.user_domain_blocks`). Not part of SEE: as in
# Mastodon, it hides the post where a mute does (timelines, threads, notifications), by the
# `muted` step of `core.decisions`; queries that must filter first use its SQL form.
AUTHOR_DOMAIN_BLOCKED = Fact(
    "author_domain_blocked",
    "s.account_id in ctx.domain_blocked",
    _author_domain_blocked,
    signed_out=False,
)

# May the viewer see this post (a boost's original is asked about separately)?
SEE = All(
    (
        Not(AUTHOR_SUSPENDED),
        AnyOf(
            (
                IS_AUTHOR,
                All(
                    (
                        Not(BLOCKED),
                        AnyOf((OPEN, MENTIONED, All((FOLLOWERS_ONLY, FOLLOWS_AUTHOR)))),
                    )
                ),
            )
        ),
    )
)


def python_expression(rule: Rule, *, signed_in: bool) -> str:
    """The rule as one Python expression over `ctx` and `s`; facts that need a viewer are
    constants for someone signed out."""
    if isinstance(rule, Fact):
        if not signed_in and rule.signed_out is not None:
            return str(rule.signed_out)
        return f"({rule.python})"
    if isinstance(rule, All):
        return (
            "(" + " and ".join(python_expression(p, signed_in=signed_in) for p in rule.parts) + ")"
        )
    if isinstance(rule, AnyOf):
        return (
            "(" + " or ".join(python_expression(p, signed_in=signed_in) for p in rule.parts) + ")"
        )
    if isinstance(rule, Not):
        return f"(not {python_expression(rule.part, signed_in=signed_in)})"
    raise TypeError(f"not a rule: {rule!r}")


@functools.cache
def compiled(rule: Rule, signed_in: bool) -> Callable[[ViewerContext, StatusLike], bool]:
    """The rule as a Python function, compiled once: the home timeline asks it for every
    candidate, so it runs as one expression rather than walking the tree each time."""
    source = f"lambda ctx, s: {python_expression(rule, signed_in=signed_in)}"
    return eval(source, {"PUBLIC_VISIBILITIES": PUBLIC_VISIBILITIES})  # noqa: S307 - our own text


def evaluate(rule: Rule, ctx: ViewerContext, status: StatusLike) -> bool:
    """The rule in Python, for one post, with the facts in `ctx`."""
    return compiled(rule, ctx.viewer_id is not None)(ctx, status)


def sql_condition(rule: Rule, scope: Scope) -> sa.ColumnElement[bool]:
    """The rule as a SQL condition on the scope's table; facts that need a viewer are constants
    for someone signed out, so the condition stays cheap for anonymous readers."""
    if isinstance(rule, Fact):
        if scope.viewer is None and rule.signed_out is not None:
            return sa.true() if rule.signed_out else sa.false()
        return rule.sql(scope)
    if isinstance(rule, All):
        return sa.and_(*(sql_condition(p, scope) for p in rule.parts))
    if isinstance(rule, AnyOf):
        return sa.or_(*(sql_condition(p, scope) for p in rule.parts))
    if isinstance(rule, Not):
        return sa.not_(sql_condition(rule.part, scope))
    raise TypeError(f"not a rule: {rule!r}")


def visible_condition(
    status_table: sa.FromClause, viewer_id: int | sa.BindParameter[int] | None
) -> sa.ColumnElement[bool]:
    """SQL: posts in `status_table` that `viewer_id` (an id, a bindparam, or None) may see."""
    return sql_condition(SEE, SqlScope(status_table, viewer_id))


# --- Facts for one viewer, in one query -------------------------------------------------------


# The facts load_context needs, as one UNION ALL built once: each arm tags its rows with a kind.
(
    _SUSPENDED,
    _FOLLOWING,
    _BLOCKING,
    _BLOCKED_BY,
    _MUTING,
    _MENTIONED,
    _MUTED_THREAD,
    _DOMAIN_BLOCKED,
) = range(8)


def _arm(kind: int, column: sa.ColumnElement[int], *where: sa.ColumnElement[bool]) -> sa.Select:
    return sa.select(sa.literal_column(str(kind)).label("kind"), column.label("ref")).where(*where)


@functools.cache
def _suspended_statement() -> sa.Select:
    return _arm(
        _SUSPENDED,
        accounts.c.id,
        in_ids(accounts.c.id, "a0"),
        accounts.c.suspended_at.is_not(None),
    )


@functools.lru_cache(maxsize=2)
def _context_statement(blocks_domains: bool) -> sa.CompoundSelect:
    """What a viewer's own rules (`core.viewer_rules`) cannot say of a page: which authors
    are suspended, which posts mention the viewer, and (for a viewer blocking servers) which
    authors live on a blocked server."""
    viewer: sa.BindParameter[int] = sa.bindparam("viewer")
    arms = [
        _suspended_statement(),
        _arm(
            _MENTIONED,
            mentions.c.status_id,
            mentions.c.account_id == viewer,
            in_ids(mentions.c.status_id, "s"),
        ),
    ]
    if blocks_domains:
        arms.append(
            _arm(
                _DOMAIN_BLOCKED,
                accounts.c.id,
                in_ids(accounts.c.id, "a1"),
                account_domain_blocks.c.account_id == viewer,
                account_domain_blocks.c.domain == accounts.c.domain,
            )
        )
    return sa.union_all(*arms)


@dataclass(frozen=True)
class ReadFacts:
    """What `load_context` would ask the database about one post, read with the post instead
    (a feed's entries, `core.timelines.feed_query`): of its author and its original's
    author, those suspended and the servers of the remote ones; of it and its original,
    those that mention the viewer."""

    suspended: tuple[int, ...] = ()
    servers: tuple[tuple[int, str], ...] = ()  # (author id, domain)
    mentioned_in: tuple[int, ...] = ()


def _own_context(tx: Tx, viewer_id: int) -> tuple[ViewerContext, viewer_rules.ViewerRules]:
    """A context holding the viewer's own rules (`core.viewer_rules`), and those rules."""
    rules = viewer_rules.of(tx, viewer_id)
    ctx = ViewerContext(
        viewer_id,
        following=rules.following,
        blocked=rules.blocked,
        muted=rules.muted(tx.now),
        muted_conversations=rules.muted_conversations,
    )
    return ctx, rules


def context_of(tx: Tx, viewer_id: int, facts: Iterable[ReadFacts]) -> ViewerContext:
    """`load_context` for posts whose `ReadFacts` were read with them: no query."""
    ctx, rules = _own_context(tx, viewer_id)
    blocked_servers = rules.blocked_domains
    for f in facts:
        ctx.suspended.update(f.suspended)
        ctx.mentioned_in.update(f.mentioned_in)
        if blocked_servers:
            ctx.domain_blocked.update(
                a for a, domain in f.servers if domain in blocked_servers and a != viewer_id
            )
    return ctx


def load_context(
    tx: Tx,
    viewer_id: int | None,
    author_ids: Iterable[int],
    status_ids: Iterable[int] = (),
    conversation_ids: Iterable[int] = (),
) -> ViewerContext:
    """Everything the rules need about one viewer and these authors: the viewer's own rules
    from memory (`core.viewer_rules`, checked by version) and one query for the rest. Muted
    threads are all the viewer's (`conversation_ids` is what a caller asks about; a set
    holding more answers the same)."""
    authors = list(set(author_ids))
    if viewer_id is None:
        ctx = ViewerContext(None)
        if authors:
            ctx.suspended = set(tx.scalars_of(_suspended_statement(), {"a0": authors}, column=1))
        return ctx
    if not authors:
        return ViewerContext(viewer_id)
    ctx, rules = _own_context(tx, viewer_id)
    params = {
        "viewer": viewer_id,
        "a0": authors,
        "a1": [a for a in authors if a != viewer_id],
        "s": list(set(status_ids)),
    }
    found = {
        _SUSPENDED: ctx.suspended,
        _MENTIONED: ctx.mentioned_in,
        _DOMAIN_BLOCKED: ctx.domain_blocked,
    }
    for kind, ref in tx.plain(_context_statement(bool(rules.blocked_domains)), params):
        found[kind].add(ref)
    return ctx


@functools.cache
def _contexts_statement() -> sa.CompoundSelect:
    """`_context_statement` for many viewers at once: each row names its viewer."""

    def arm(
        kind: int, who: sa.ColumnElement[int], ref: sa.ColumnElement[int], *where: Any
    ) -> sa.Select:
        return sa.select(
            sa.literal_column(str(kind)).label("kind"), who.label("viewer"), ref.label("ref")
        ).where(in_ids(who, "viewers"), *where)

    unexpired = sa.or_(mutes.c.expires_at.is_(None), mutes.c.expires_at > sa.bindparam("now"))
    # (kind, the viewer's column, the fact's column, the ids it is among, any other condition)
    arms = (
        (_FOLLOWING, follows.c.account_id, follows.c.target_account_id, "a1"),
        (_BLOCKING, blocks.c.account_id, blocks.c.target_account_id, "a1"),
        (_BLOCKED_BY, blocks.c.target_account_id, blocks.c.account_id, "a1"),
        (_MUTING, mutes.c.account_id, mutes.c.target_account_id, "a1", unexpired),
        (_MENTIONED, mentions.c.account_id, mentions.c.status_id, "s"),
        (_MUTED_THREAD, conversation_mutes.c.account_id, conversation_mutes.c.conversation_id, "c"),
    )
    return sa.union_all(
        *(arm(kind, who, ref, in_ids(ref, among), *more) for kind, who, ref, among, *more in arms)
    )


def load_contexts(
    tx: Tx,
    viewer_ids: Iterable[int],
    author_ids: Iterable[int],
    status_ids: Iterable[int] = (),
    conversation_ids: Iterable[int] = (),
) -> dict[int, ViewerContext]:
    """`load_context` for many viewers of the same few posts (a live stream's listeners), in
    two queries whatever their number: the same facts, so the same decisions."""
    viewers = list(set(viewer_ids))
    authors = list(set(author_ids))
    contexts = {v: ViewerContext(v) for v in viewers}
    if not viewers or not authors:
        return contexts
    suspended = set(tx.scalars_of(_suspended_statement(), {"a0": authors}, column=1))
    for ctx in contexts.values():
        ctx.suspended = suspended
    params = {
        "viewers": viewers,
        "now": tx.now,
        "a1": authors,
        "s": list(set(status_ids)),
        "c": list(set(conversation_ids)),
    }
    kinds: dict[int, tuple[set[int], ...]] = {
        v: tuple(set() for _ in range(_MUTED_THREAD + 1)) for v in viewers
    }
    for kind, viewer, ref in tx.execute(_contexts_statement(), params):
        kinds[viewer][kind].add(ref)
    for viewer, ctx in contexts.items():
        _, following, blocking, blocked_by, muting, mentioned, threads = kinds[viewer]
        ctx.following = following
        ctx.blocked = blocking | blocked_by
        ctx.muted = muting
        ctx.mentioned_in = mentioned
        ctx.muted_conversations = threads
    return contexts


_SEE_SIGNED_IN = compiled(SEE, True)
_SEE_SIGNED_OUT = compiled(SEE, False)


def may_see(ctx: ViewerContext, status: StatusLike) -> bool:
    """`status` is a row with id, account_id and visibility."""
    if ctx.viewer_id is None:
        return _SEE_SIGNED_OUT(ctx, status)
    return _SEE_SIGNED_IN(ctx, status)


def why_hidden(ctx: ViewerContext, status: StatusLike) -> str | None:
    """None when the viewer may see the post; otherwise the first reason they may not."""
    if may_see(ctx, status):
        return None
    if evaluate(AUTHOR_SUSPENDED, ctx, status):
        return "author_suspended"
    if evaluate(BLOCKED, ctx, status):
        return "blocked"
    return "not_addressed"


def may_see_one(tx: Tx, viewer_id: int | None, status: StatusLike) -> bool:
    ctx = load_context(tx, viewer_id, [status.account_id], [status.id])
    return may_see(ctx, status)


def blocked_either_way(tx: Tx, a: int, b: int) -> bool:
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


# --- What a viewer may do with a post they see ----------------------------------------------


def boost_refusal(viewer_id: int | None, status: StatusLike) -> str | None:
    """Why the viewer may not boost this (original) post, or None if they may.

    Public and unlisted posts may be boosted by anyone who sees them; a followers-only post
    only by its author (to the same followers); direct messages never."""
    if viewer_id is None:
        return "signed_out"
    if status.visibility == "direct":
        return "direct"
    if status.visibility == "private" and status.account_id != viewer_id:
        return "followers_only"
    return None


def may_boost(viewer_id: int | None, status: StatusLike) -> bool:
    return boost_refusal(viewer_id, status) is None


def pin_refusal(viewer_id: int | None, status: StatusLike, *, is_boost: bool) -> str | None:
    """Why the viewer may not pin this post to their profile, or None (Mastodon's wording)."""
    if is_boost:
        return "A boost cannot be pinned"
    if status.account_id != viewer_id:
        return "Someone else's post cannot be pinned"
    if status.visibility == "direct":
        return "Posts that are only visible to mentioned users cannot be pinned"
    return None


def may_pin(viewer_id: int | None, status: StatusLike, *, is_boost: bool) -> bool:
    return pin_refusal(viewer_id, status, is_boost=is_boost) is None


def may_reply(viewer_id: int | None, status: StatusLike) -> bool:
    """Anyone signed in who may see a post may answer it; its visibility then narrows the
    reply (`reply_visibility`). Interaction policies (who may answer) will narrow this."""
    return viewer_id is not None


def may_quote(viewer_id: int | None, status: StatusLike) -> bool:
    """Quoting shows the post to the quoter's audience, so the rule of boosts applies: what
    anyone may see, or one's own followers-only post. The post's own quote policy narrows
    this further (`core.quotes`, which asks this first)."""
    return may_boost(viewer_id, status)


def reply_visibility(parent_visibility: str, chosen: str) -> str:
    """What a reply is posted as: never wider than a followers-only or direct parent, so
    answering does not show a private conversation to more people."""
    if parent_visibility in ("private", "direct") and _AUDIENCE[chosen] > _AUDIENCE.get(
        parent_visibility, 0
    ):
        return parent_visibility
    return chosen


def suggested_reply_visibility(parent_visibility: str, preferred: str) -> str:
    """What a reply form starts with: the narrower of the parent's and the author's default,
    as Mastodon's own apps suggest (an unlisted parent suggests an unlisted reply). Only a
    suggestion: the author may widen it, within `reply_visibility`."""
    if preferred not in _AUDIENCE:
        return parent_visibility
    if parent_visibility not in _AUDIENCE:
        return preferred
    return min(parent_visibility, preferred, key=lambda v: _AUDIENCE[v])
