"""Which of a viewer's filters a post matches, as Mastodon matches them.

A viewer's filters are compiled once (`load_every`, kept between requests by
`core.viewer_rules` until they change; `load_active_many` for a live stream's listeners), each
into one regular expression for its keywords and a set of post ids; matching a post is then a
regex search over its searchable text. Mastodon's rules:

- the text is the content warning, the post's text without HTML, its poll's options and its
  media descriptions (a boost is matched by its original's text);
- a keyword matches case-insensitively; a `whole_word` keyword only between word boundaries,
  on the sides where it begins or ends with a word character ("#tag" then matches after a
  space or at the start, as in Mastodon);
- a post filter matches the post, and boosts of it;
- an expired filter does nothing.

Every active filter that matches is reported whatever its contexts (the `filtered` of
Mastodon's Status entity lists them all, and apps check the context they show): the decision
pipeline (`decisions.filtered`) is where the context of the surface chooses which hide.
"""

from __future__ import annotations

import functools
import html
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Row

from pnyx.db.engine import Tx
from pnyx.db.id_lists import in_ids
from pnyx.db.tables import custom_filter_keywords, custom_filter_statuses, custom_filters


@dataclass(frozen=True)
class ActiveFilter:
    """One filter as it is matched and shown in `filtered` (Mastodon shows no keywords there)."""

    id: int
    title: str
    context: tuple[str, ...]
    action: str
    expires_at: datetime | None
    keywords: re.Pattern[str] | None
    status_ids: frozenset[int]


@dataclass(frozen=True)
class FilterMatch:
    """A FilterResult: which filter, the keyword that matched, the filtered post ids it matched.
    Mastodon gives null, not [], for a kind of rule the filter does not have."""

    filter: ActiveFilter
    keyword_matches: tuple[str, ...] | None
    status_matches: tuple[int, ...] | None


@dataclass(frozen=True)
class ViewerFilters:
    """A viewer's active filters, compiled."""

    viewer_id: int | None
    filters: tuple[ActiveFilter, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.filters)

    def active_at(self, now: datetime) -> ViewerFilters:
        """Those not expired at `now` (Mastodon's filters stop at their `expires_at`)."""
        if all(f.expires_at is None or f.expires_at > now for f in self.filters):
            return self
        return ViewerFilters(
            self.viewer_id,
            tuple(f for f in self.filters if f.expires_at is None or f.expires_at > now),
        )


NONE = ViewerFilters(None)


def keyword_pattern(keyword: str, whole_word: bool) -> str:
    """Mastodon's CustomFilterKeyword#to_regex, in Python's syntax (Unicode word characters)."""
    escaped = re.escape(keyword)
    if not whole_word:
        return escaped
    start = r"\b" if re.match(r"\w", keyword) else ""
    end = r"\b" if re.search(r"\w\Z", keyword) else ""
    return f"{start}{escaped}{end}"


@functools.cache
def _active_statement() -> sa.Select:
    """Every unexpired filter of `:viewers` with its keywords and filtered posts, one row per
    rule. Built once: building it costs more than running it (core.status_views says why)."""
    now: sa.BindParameter = sa.bindparam("now", type_=custom_filters.c.expires_at.type)
    return _every_statement().where(
        sa.or_(custom_filters.c.expires_at.is_(None), custom_filters.c.expires_at > now)
    )


@functools.cache
def _every_statement() -> sa.Select:
    """Every filter of `:viewers`, expired or not, one row per rule."""
    rules = sa.union_all(
        sa.select(
            custom_filter_keywords.c.custom_filter_id.label("filter_id"),
            custom_filter_keywords.c.keyword,
            custom_filter_keywords.c.whole_word,
            sa.cast(sa.null(), custom_filter_statuses.c.status_id.type).label("status_id"),
        ),
        sa.select(
            custom_filter_statuses.c.custom_filter_id,
            sa.cast(sa.null(), custom_filter_keywords.c.keyword.type),
            sa.cast(sa.null(), custom_filter_keywords.c.whole_word.type),
            custom_filter_statuses.c.status_id,
        ),
    ).subquery("rules")
    return (
        sa.select(
            custom_filters.c.account_id,
            custom_filters.c.id,
            custom_filters.c.title,
            custom_filters.c.context,
            custom_filters.c.action,
            custom_filters.c.expires_at,
            rules.c.keyword,
            rules.c.whole_word,
            rules.c.status_id,
        )
        .select_from(custom_filters.join(rules, rules.c.filter_id == custom_filters.c.id))
        .where(in_ids(custom_filters.c.account_id, "viewers"))
        .order_by(custom_filters.c.id)
    )


def load_active_many(tx: Tx, viewer_ids: Iterable[int]) -> dict[int, ViewerFilters]:
    """The unexpired filters of many viewers in one query (a live stream sends a post to
    many)."""
    viewers = sorted(set(viewer_ids))
    if not viewers:
        return {}
    rows = tx.plain(_active_statement(), {"viewers": viewers, "now": tx.now})
    return _compiled(viewers, rows)


def load_every(tx: Tx, viewer_id: int) -> ViewerFilters:
    """All the viewer's filters, the expired too (kept by `core.viewer_rules`, which keeps
    those active at a given time: `ViewerFilters.active_at`)."""
    return _compiled([viewer_id], tx.plain(_every_statement(), {"viewers": [viewer_id]}))[viewer_id]


def _compiled(viewers: list[int], rows: Sequence[Row]) -> dict[int, ViewerFilters]:
    found: dict[int, dict[int, tuple[Row, list[str], set[int]]]] = {v: {} for v in viewers}
    for r in rows:
        head, patterns, status_ids = found[r.account_id].setdefault(r.id, (r, [], set()))
        if r.keyword is not None:
            patterns.append(keyword_pattern(r.keyword, bool(r.whole_word)))
        if r.status_id is not None:
            status_ids.add(r.status_id)
    return {
        viewer: ViewerFilters(
            viewer,
            tuple(
                ActiveFilter(
                    id=head.id,
                    title=head.title,
                    context=tuple(head.context or ()),
                    action=head.action,
                    expires_at=head.expires_at,
                    keywords=re.compile("|".join(patterns), re.IGNORECASE) if patterns else None,
                    status_ids=frozenset(status_ids),
                )
                for head, patterns, status_ids in grouped.values()
            ),
        )
        for viewer, grouped in found.items()
    }


_BREAKS = re.compile(r"<br\s*/?>|</p>\s*<p[^>]*>", re.IGNORECASE)
_TAGS = re.compile(r"<[^>]*>")


def plain_text(content_html: str) -> str:
    """A post's HTML as the text people read: line breaks kept, tags dropped, entities read."""
    if "<" not in content_html and "&" not in content_html:
        return content_html
    return html.unescape(_TAGS.sub("", _BREAKS.sub("\n", content_html)))


def searchable_text(
    spoiler_text: str,
    content_html: str,
    poll_options: Iterable[str] = (),
    media_descriptions: Iterable[str] = (),
) -> str:
    """Mastodon's Status#searchable_text: what keywords are looked for in."""
    parts = [spoiler_text, plain_text(content_html)]
    options = "\n\n".join(poll_options)
    if options:
        parts.append(options)
    parts.append("\n\n".join(d for d in media_descriptions if d))
    return "\n\n".join(parts)


def match_post(
    viewer_filters: ViewerFilters,
    viewer_id: int | None,
    post_id: int,
    proper_id: int,
    proper_account_id: int,
    text: Callable[[], str],
) -> tuple[FilterMatch, ...]:
    """What a post shown to the viewer matches: a boost (`post_id`) by its original's
    (`proper_id`) text, with both ids. The viewer's own posts match nothing, as Mastodon's
    apps show them; `text` is only made for the others."""
    if proper_account_id == viewer_id:
        return ()
    ids = (post_id, proper_id) if proper_id != post_id else (post_id,)
    return match(viewer_filters, text(), ids)


def match(
    viewer_filters: ViewerFilters, text: str, status_ids: Sequence[int]
) -> tuple[FilterMatch, ...]:
    """Every active filter that matches a post with this searchable text, whose id (and, for a
    boost, its original's id) are `status_ids`."""
    found = []
    for f in viewer_filters.filters:
        keyword_matches: tuple[str, ...] | None = None
        status_matches: tuple[int, ...] | None = None
        if f.keywords is not None:
            hit = f.keywords.search(text)
            if hit is not None:
                keyword_matches = (hit.group(0),)
        if f.status_ids:
            status_matches = tuple(i for i in status_ids if i in f.status_ids)
        if keyword_matches or status_matches:
            found.append(FilterMatch(f, keyword_matches, status_matches))
    return tuple(found)
