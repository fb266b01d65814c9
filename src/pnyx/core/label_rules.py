"""Labels in the one visibility-and-filter pipeline (issue 12): which labelers a viewer
applies and how (`LabelRules`, kept with their other reading rules by `core.viewer_rules`),
the labels that warn or hide a page's posts as filter matches (`label_matches`: apps show them
with their own "filtered" UI), and every label a page shows as a badge (`badges`, the web UI).
The labels themselves, labelers and subscriptions are `core.labels`.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from pnyx.core import labels
from pnyx.core.filter_matching import ActiveFilter, FilterMatch
from pnyx.db.engine import Tx
from pnyx.db.id_lists import in_ids
from pnyx.db.tables import accounts, label_definitions
from pnyx.db.tables import labels as label_rows

# --- The pipeline ------------------------------------------------------------------------------


@dataclass(frozen=True)
class LabelRules:
    """What a viewer applies: the labelers (the instance's always, unless none exists yet; and
    those subscribed to) and their own settings over each label's default."""

    labelers: frozenset[int] = frozenset()
    settings: Mapping[tuple[int, str], str] = field(default_factory=dict)
    instance_id: int | None = None  # the instance's labeler, when it was made already

    def __bool__(self) -> bool:
        return bool(self.labelers)


NO_RULES = LabelRules()


def rules_of(tx: Tx, viewer_id: int) -> LabelRules:
    """The viewer's label rules (kept with their other reading rules: `core.viewer_rules`)."""
    instance = labels.instance_labeler_id(tx)
    chosen = set(labels.subscribed_ids(tx, viewer_id))
    if instance is not None:
        chosen.add(instance)
    return LabelRules(frozenset(chosen), labels.settings_of(tx, viewer_id), instance)


@functools.cache
def _labels_on() -> sa.Select:
    """The labels in force on some posts (`posts`) or accounts (`authors`), every labeler's,
    with their definitions and labelers' names, newest first. Built once, with the ids bound
    as one value each, so its SQL never changes (psycopg prepares it; SQLAlchemy does not
    re-render it). The labelers a viewer applies are picked out in Python: naming them in
    the SQL made SQLite walk the (labeler, subject, value) index over every label of theirs
    (1.6 s a page with 1,000,000 labels; BENCHMARKS.md, issue 12)."""
    return (
        sa.select(
            label_rows.c.id,
            label_rows.c.status_id,
            label_rows.c.account_id,
            label_rows.c.labeler_account_id,
            label_rows.c.value,
            label_rows.c.labeled_at,
            label_definitions.c.id.label("definition_id"),
            label_definitions.c.default_setting,
            label_definitions.c.severity,
            label_definitions.c.locales,
            accounts.c.username,
            accounts.c.domain,
        )
        .join(
            label_definitions,
            sa.and_(
                label_definitions.c.labeler_account_id == label_rows.c.labeler_account_id,
                label_definitions.c.value == label_rows.c.value,
            ),
        )
        .join(accounts, accounts.c.id == label_rows.c.labeler_account_id)
        .where(
            sa.or_(
                in_ids(label_rows.c.status_id, "posts"), in_ids(label_rows.c.account_id, "authors")
            ),
            label_rows.c.neg.is_(False),
            sa.or_(
                label_rows.c.expires_at.is_(None), label_rows.c.expires_at > sa.bindparam("now")
            ),
        )
        .order_by(label_rows.c.labeled_at.desc(), label_rows.c.id.desc())
    )


def _rows_on(
    tx: Tx, labelers: Iterable[int], status_ids: Iterable[int], author_ids: Iterable[int]
) -> list[Any]:
    """`_labels_on`'s rows of these labelers only."""
    applied = set(labelers)
    params = {"posts": sorted(set(status_ids)), "authors": sorted(set(author_ids)), "now": tx.now}
    return [r for r in tx.plain(_labels_on(), params) if r.labeler_account_id in applied]


def title(value: str, username: str, domain: str | None) -> str:
    """The `filter.title` apps show: "Label: disputed (by @checkers@example.org)"."""
    who = f"@{username}@{domain}" if domain else f"@{username}"
    return f"Label: {value} (by {who})"


def label_matches(
    tx: Tx,
    rules: LabelRules,
    viewer_id: int | None,
    posts: Iterable[tuple[int, int, int]],
) -> dict[int, tuple[FilterMatch, ...]]:
    """The labels a viewer set (or left by default) to warn or hide on these posts, as filter
    matches: `posts` are (shown post id, the post whose content it is — the original of a
    boost —, that post's author). A label on the post or on its author counts; the viewer's
    own posts match nothing, as with filters."""
    return label_matches_many(tx, {viewer_id: rules}, list(posts)).get(viewer_id, {})


def label_matches_many(
    tx: Tx,
    rules_by_viewer: Mapping[int | None, LabelRules],
    posts: list[tuple[int, int, int]],
) -> dict[int | None, dict[int, tuple[FilterMatch, ...]]]:
    """`label_matches` for several viewers at once (a live stream's listeners): one query
    for the labels of all the labelers they apply."""
    labelers = sorted({i for rules in rules_by_viewer.values() for i in rules.labelers})
    if not labelers or not posts:
        return {}
    proper_ids = {proper for _p, proper, _a in posts}
    author_ids = {author for _p, _proper, author in posts}
    rows = _rows_on(tx, labelers, proper_ids, author_ids)
    if not rows:
        return {}
    on_post: dict[int, list[Any]] = {}
    on_author: dict[int, list[Any]] = {}
    for row in rows:
        if row.status_id is not None:
            on_post.setdefault(row.status_id, []).append(row)
        else:
            on_author.setdefault(row.account_id, []).append(row)
    return {
        viewer: _matches(rules, viewer, posts, on_post, on_author)
        for viewer, rules in rules_by_viewer.items()
    }


def _matches(
    rules: LabelRules,
    viewer_id: int | None,
    posts: list[tuple[int, int, int]],
    on_post: dict[int, list[Any]],
    on_author: dict[int, list[Any]],
) -> dict[int, tuple[FilterMatch, ...]]:
    found: dict[int, tuple[FilterMatch, ...]] = {}
    for shown, proper, author in posts:
        if author == viewer_id:
            continue
        matched = []
        for row in (*on_post.get(proper, ()), *on_author.get(author, ())):
            if row.labeler_account_id not in rules.labelers:
                continue
            setting = rules.settings.get((row.labeler_account_id, row.value), row.default_setting)
            if setting == "show":
                continue
            label_filter = ActiveFilter(
                id=row.definition_id,
                title=title(row.value, row.username, row.domain),
                context=labels.CONTEXTS,
                action=setting,
                expires_at=None,
                keywords=None,
                status_ids=frozenset((proper,)),
            )
            ids = (shown, proper) if shown != proper else (shown,)
            matched.append(FilterMatch(label_filter, None, ids))
        if matched:
            found[shown] = tuple(matched)
    return found


def public_rules(tx: Tx) -> LabelRules:
    """What someone signed out sees applied: the instance's labels, at their defaults."""
    instance = labels.instance_labeler_id(tx)
    if instance is None:
        return NO_RULES
    return LabelRules(frozenset((instance,)), instance_id=instance)


# --- Badges: the labels a page shows on its posts ------------------------------------------------


@dataclass(frozen=True)
class Badge:
    """A label in force on a post or on its author, from a labeler the viewer applies: its row
    (`_labels_on`'s, with the label's `id`, `labeled_at` and its definition's `severity`
    and `locales`), and what the viewer has it do: show, warn or hide."""

    row: Any
    setting: str


def badges(
    tx: Tx, rules: LabelRules, status_ids: Iterable[int], author_ids: Iterable[int]
) -> list[Badge]:
    """The labels in force on these posts or on these accounts, of the labelers `rules`
    apply, newest first, each with the viewer's setting of it: a page's in one query."""
    status_ids, author_ids = sorted(set(status_ids)), sorted(set(author_ids))
    if not rules or not (status_ids or author_ids):
        return []
    rows = _rows_on(tx, rules.labelers, status_ids, author_ids)
    return [
        Badge(r, rules.settings.get((r.labeler_account_id, r.value), r.default_setting))
        for r in rows
    ]
