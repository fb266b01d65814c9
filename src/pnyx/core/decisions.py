"""What one viewer is shown of a set of posts, and why: a pipeline of decisions.

Every surface that shows posts (timelines, threads, notifications, search, the web pages,
ActivityPub documents, streaming) hands its candidates to `decide`. Each step of the pipeline
looks at one post (and, for a boost, the boosted post) with the facts loaded once for the
viewer (`visibility.ViewerContext`) and says nothing, `warn` with a reason (shown behind a
warning) or `hide` with a reason. The first `hide` ends the walk; warnings add up.

Today the steps are the visibility rule, the viewer's mutes and the viewer's filters
(`filtered`, in the context of the surface: home, notifications, public, thread, account).
Accounts go through steps too (`decide_account`, with a rule of `account_visibility`):
suspended, pending, blocked. The labels and community notes to come are further steps here,
not copies of the visibility rule elsewhere.

A page of ids that has been through the pipeline says so by its type (`CheckedIds`, carrying
the viewer it was decided for), so whoever renders it knows not to decide again, and no edge
passes a flag that could be wrong.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal, TypeVar

from pnyx.core import visibility
from pnyx.core.account_visibility import AccountContext, why_account_hidden
from pnyx.core.filter_matching import FilterMatch
from pnyx.core.visibility import Rule, StatusLike, ViewerContext

Action = Literal["show", "warn", "hide"]


@dataclass(frozen=True)
class Decision:
    action: Action
    reasons: tuple[str, ...] = ()

    @property
    def shown(self) -> bool:
        return self.action != "hide"


SHOW = Decision("show")


def hide(reason: str) -> Decision:
    return Decision("hide", (reason,))


def warn(reason: str) -> Decision:
    return Decision("warn", (reason,))


# A step looks at one post (and a boost's original, None when the post is not a boost or its
# original is gone) and returns a Decision, or None when it has nothing to say.
Step = Callable[[ViewerContext, StatusLike, StatusLike | None], Decision | None]

# A surface's own step may read more of the post than `StatusLike` (the home feed's reads a
# timeline candidate's language and mentions); `decide` then takes posts of that type only.
S = TypeVar("S", bound=StatusLike)
StepFor = Callable[[ViewerContext, S, StatusLike | None], Decision | None]


def see(ctx: ViewerContext, status: StatusLike, original: StatusLike | None) -> Decision | None:
    """The visibility rule, for a post and a boost's original alike."""
    reason = visibility.why_hidden(ctx, status)
    if reason is not None:
        return hide(reason)
    if getattr(status, "reblog_of_id", None) is not None:
        if original is None:
            return hide("original_gone")
        reason = visibility.why_hidden(ctx, original)
        if reason is not None:
            return hide(f"original_{reason}")
    return None


def muted(ctx: ViewerContext, status: StatusLike, original: StatusLike | None) -> Decision | None:
    """Accounts the viewer muted, and accounts of servers the viewer blocks
    (`visibility.AUTHOR_DOMAIN_BLOCKED`), as author or as the boosted author, stay out of
    sight, as Mastodon's StatusFilter treats both."""
    if ctx.viewer_id is None or status.account_id == ctx.viewer_id:
        return None
    if status.account_id in ctx.muted:
        return hide("muted_author")
    if _domain_blocked(ctx, status):
        return hide("domain_blocked")
    if original is not None and original.account_id != ctx.viewer_id:
        if original.account_id in ctx.muted:
            return hide("muted_boosted_author")
        if _domain_blocked(ctx, original):
            return hide("boosted_domain_blocked")
    return None


def _domain_blocked(ctx: ViewerContext, status: StatusLike) -> bool:
    if not ctx.domain_blocked:  # most viewers block no server: nothing to evaluate
        return False
    return visibility.evaluate(visibility.AUTHOR_DOMAIN_BLOCKED, ctx, status)


def muted_thread(
    ctx: ViewerContext, status: StatusLike, original: StatusLike | None
) -> Decision | None:
    """Threads the viewer muted (only those `load_context` was asked about)."""
    conversation = getattr(status, "conversation_id", None)
    if conversation is not None and conversation in ctx.muted_conversations:
        return hide("muted_conversation")
    return None


def filtered(matches: Mapping[int, Sequence[FilterMatch]], context: str | None) -> Step:
    """The viewer's filters as the surface's `context` applies them: a matching `hide` filter
    of this context hides the post ("filtered:<id>"); matching `warn` and `blur` filters of
    this context show it behind a warning. `matches` (post id -> what matched, from
    `filter_matching.match`) is worked out once per batch by whoever loaded the posts' text;
    filters of other contexts, and posts with no match, say nothing."""

    def step(
        ctx: ViewerContext, status: StatusLike, original: StatusLike | None
    ) -> Decision | None:
        if context is None:
            return None
        found = matches.get(status.id)
        if not found:
            return None
        warnings: tuple[str, ...] = ()
        for m in found:
            if context not in m.filter.context:
                continue
            if m.filter.action == "hide":
                return hide(f"filtered:{m.filter.id}")
            warnings += (f"filtered:{m.filter.id}",)
        return Decision("warn", warnings) if warnings else None

    return step


# The pipelines the surfaces use. Every one starts with the visibility rule.
VISIBLE: tuple[Step, ...] = (see,)
VISIBLE_UNMUTED: tuple[Step, ...] = (see, muted)


def decide(
    steps: Sequence[StepFor[S]],
    ctx: ViewerContext,
    status: S,
    original: StatusLike | None = None,
) -> Decision:
    """Run the steps in order: the first `hide` wins, warnings add up."""
    warnings: tuple[str, ...] = ()
    for step in steps:
        decision = step(ctx, status, original)
        if decision is None:
            continue
        if decision.action == "hide":
            return decision
        if decision.action == "warn":
            warnings += decision.reasons
    return Decision("warn", warnings) if warnings else SHOW


# --- Accounts -------------------------------------------------------------------------------

# An account step looks at one account id with the facts `load_account_context` loaded.
AccountStep = Callable[[AccountContext, int], Decision | None]


def account_rule(rule: Rule) -> AccountStep:
    """The step that hides what one of `account_visibility`'s rules hides, saying why
    ("suspended", "pending", "blocked", "blocks_you", "muted" ...)."""

    def step(ctx: AccountContext, account_id: int) -> Decision | None:
        reason = why_account_hidden(ctx, account_id, rule)
        return None if reason is None else hide(reason)

    return step


def decide_account(steps: Sequence[AccountStep], ctx: AccountContext, account_id: int) -> Decision:
    """Run the account steps in order: the first `hide` wins, warnings add up (as `decide`,
    which stays a loop of its own: the home timeline runs it for every candidate)."""
    warnings: tuple[str, ...] = ()
    for step in steps:
        decision = step(ctx, account_id)
        if decision is None:
            continue
        if decision.action == "hide":
            return decision
        warnings += decision.reasons
    return Decision("warn", warnings) if warnings else SHOW


# The viewer's own marks on a post, as bits (`CheckedIds.marks`).
FAVOURITED, REBLOGGED, BOOKMARKED, PINNED = 1, 2, 4, 8


class CheckedIds(list):
    """Status ids in display order that core already put through the pipeline for
    `viewer_id`, in the transaction that renders them. `status_views.load` trusts these and
    decides again for anything else. (A list, as the pages' ids always were; core builds it
    whole and nothing adds to it afterwards.)"""

    viewer_id: int | None
    warnings: dict[int, Decision]
    # The render versions of these posts and of those they boost, read in this same
    # transaction, when the timeline's source read them all (`core.row_cache`).
    versions: dict[int, int] | None
    # The render versions of their authors, by post id (`presenters.status_json`), when read.
    author_versions: dict[int, int] | None
    # The viewer's marks on what each post shows (its original, for a boost), as bits of
    # FAVOURITED, REBLOGGED, BOOKMARKED and PINNED, when read with the ids.
    marks: dict[int, int] | None

    def __init__(
        self,
        ids: Iterable[int],
        viewer_id: int | None,
        warnings: dict[int, Decision] | None = None,
        versions: dict[int, int] | None = None,
        author_versions: dict[int, int] | None = None,
        marks: dict[int, int] | None = None,
    ) -> None:
        super().__init__(ids)
        self.viewer_id = viewer_id
        self.warnings = warnings or {}
        self.versions = versions
        self.author_versions = author_versions
        self.marks = marks

    def checked_for(self, viewer_id: int | None) -> bool:
        return self.viewer_id == viewer_id
