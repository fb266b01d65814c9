"""A timeline page's Status entities as JSON bytes, from JSON kept between requests.

Rendering was most of a home page's cost even with rows and dicts kept in memory
(BENCHMARKS.md, issue 11): every page loaded its authors' versions, roles and emojis,
decided again, built a dict per post and serialized all of it. Yet the posts of a feed page
change rarely, and the page already knows, from its own query, the render version of every
post it shows and of its author (`decisions.CheckedIds.author_versions`). So the part of a
Status that is the same for every viewer is kept here as serialized JSON, per post at its
render version, and each author's Account as serialized JSON at theirs (apart: an author's
version moves with every new follower). A page whose posts are all kept is served from them
with no loading at all: the viewer's part (favourited, boosted, bookmarked, pinned, muted
thread, what their filters match, `quote_approval`) is worked out for the page (the marks
read with the page's ids; the rest from `core.viewer_rules`) and joined between the kept
bytes.

What is kept is only ever what `presenters.entities` made (`keep`, after the page was
rendered the usual way), so the two cannot disagree; tests/api/test_status_json.py compares
them. Only posts whose JSON depends on nothing but their render version are kept: no poll
(tallies and own votes), no quote (its state is the viewer's), no `:shortcode:` in their
text (a custom emoji can change without moving the post's version), no card crediting an
account; and only authors who have not moved (`moved` shows another account). A page with
anything else is rendered the usual way.

Bounded like `core.row_cache` (least recently used go first): ~1 KB a post and ~1 KB an
account, so the bounds below hold ~50 MB at most once warm; a fresh process starts empty.
"""

from __future__ import annotations

from collections.abc import Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from datetime import datetime

import orjson

from pnyx.config import Settings
from pnyx.core import (
    custom_emojis,
    decisions,
    filter_matching,
    label_rules,
    row_cache,
    viewer_rules,
    visibility,
)
from pnyx.core.filter_matching import FilterMatch, ViewerFilters
from pnyx.core.row_cache import VersionedCache
from pnyx.core.status_views import StatusBundle
from pnyx.db.engine import Tx
from pnyx.presenters import entities

POST_ENTRIES = row_cache.POST_ENTRIES
ACCOUNT_ENTRIES = row_cache.ACCOUNT_ENTRIES

# The Status fields that come before `account`, in Mastodon's order.
_BEFORE_ACCOUNT = ("id", "uri", "url", "created_at", "edited_at")
# The fields laid over per viewer (or, `reblog`, per page), never kept.
_PER_VIEWER = (
    "reblog",
    "quote_approval",
    "favourited",
    "reblogged",
    "muted",
    "bookmarked",
    "pinned",
    "filtered",
)


@dataclass(frozen=True)
class KeptStatus:
    """One post's viewer-independent Status JSON, split around its `account`, and what the
    viewer's part is worked out from."""

    before: bytes  # `{"id":...,"edited_at":...` (no closing brace)
    after: bytes  # `"content":...` up to the last shared field (no braces)
    id: int
    account_id: int
    visibility: str
    quote_policy: str | None
    local: bool
    conversation_id: int | None
    reblog_of_id: int | None
    text: str  # what the viewer's filters are matched against (`searchable_text`)


statuses: VersionedCache[KeptStatus] = VersionedCache(POST_ENTRIES)
accounts: VersionedCache[bytes] = VersionedCache(ACCOUNT_ENTRIES)

_TRUE, _FALSE = b"true", b"false"
_APPROVALS: dict[tuple, bytes] = {}


def page(
    tx: Tx, ids: Sequence[int], viewer_id: int, filter_context: str, settings: Settings
) -> bytes | None:
    """The page's JSON array, when every post on it (and every post they boost) is kept at
    the render versions the page read, else None (the caller renders the usual way and
    `keep`s). Only ids decided for this viewer, with their versions and the viewer's marks
    (`core.timelines.with_versions`), are served here."""
    if not isinstance(ids, decisions.CheckedIds) or not ids.checked_for(viewer_id):
        return None
    versions, authors, read_marks = ids.versions, ids.author_versions, ids.marks
    if versions is None or authors is None or read_marks is None:
        return None
    base = settings.base_url
    kept, missing = statuses.take({sid: (base, v) for sid, v in versions.items()})
    if missing:
        return None
    author_keys = {k.account_id: (base, authors.get(k.id)) for k in kept.values()}
    shown_accounts, missing = accounts.take(author_keys)
    if missing:
        return None
    rules = viewer_rules.of(tx, viewer_id)
    filters = rules.filters(tx.now)
    matches = _filter_matches(filters, viewer_id, ids, kept) if filters else {}
    if rules.labels:
        posts = []
        for sid in ids:
            post = kept[sid]
            proper = kept[post.reblog_of_id] if post.reblog_of_id is not None else post
            posts.append((sid, proper.id, proper.account_id))
        for sid, found in label_rules.label_matches(tx, rules.labels, viewer_id, posts).items():
            matches[sid] = (*matches.get(sid, ()), *found)
    step = decisions.filtered(matches, filter_context) if matches else None
    shown = []
    ctx = visibility.ViewerContext(viewer_id)  # the filter step reads nothing else of it
    for sid in ids:
        if step is not None:
            decision = step(ctx, kept[sid], None)
            if decision is not None and decision.action == "hide":
                continue
        shown.append(sid)
    marks = _Marks(viewer_id, shown, kept, rules.muted_conversations, read_marks)
    items = []
    for sid in shown:
        post = kept[sid]
        own_filtered = _filtered_json(matches.get(sid, ()))
        if post.reblog_of_id is None:
            items.append(_status(post, shown_accounts, rules, marks, own_filtered, None))
            continue
        original = kept[post.reblog_of_id]
        inner = _status(original, shown_accounts, rules, marks, own_filtered, None)
        items.append(_status(post, shown_accounts, rules, marks, own_filtered, (original, inner)))
    return b"[" + b",".join(items) + b"]"


class _Marks:
    """The viewer's own marks on what a page's posts show, as read with the page's ids
    (bits of `decisions.FAVOURITED`... for each post: of its original, for a boost)."""

    def __init__(
        self,
        viewer_id: int,
        shown: list[int],
        kept: dict[int, KeptStatus],
        muted_conversations: AbstractSet[int],
        read: dict[int, int],
    ) -> None:
        self.viewer_id = viewer_id
        self.muted_conversations = muted_conversations
        shows = {s: kept[s].reblog_of_id or s for s in shown}
        self.favourited, self.reblogged, self.bookmarked, self.pinned = (
            {shows[s] for s in shown if read.get(s, 0) & bit}
            for bit in (
                decisions.FAVOURITED,
                decisions.REBLOGGED,
                decisions.BOOKMARKED,
                decisions.PINNED,
            )
        )


def _status(
    post: KeptStatus,
    shown_accounts: dict[int, bytes],
    rules: viewer_rules.ViewerRules,
    marks: _Marks,
    filtered: bytes,
    boosted: tuple[KeptStatus, bytes] | None,
) -> bytes:
    """One Status: the kept bytes with the viewer's part (for a boost, its original's marks
    and its own thread's mute, as `entities.status` lays them) between them."""
    viewer = marks.viewer_id
    marked = boosted[0].id if boosted is not None else post.id
    muted = post.conversation_id in marks.muted_conversations
    parts = [
        post.before,
        b',"account":',
        shown_accounts[post.account_id],
        b",",
        post.after,
        b',"reblog":',
        boosted[1] if boosted is not None else b"null",
        b',"quote_approval":',
        _approval(post, viewer, post.account_id in rules.following),
        b',"favourited":',
        _TRUE if marked in marks.favourited else _FALSE,
        b',"reblogged":',
        _TRUE if marked in marks.reblogged else _FALSE,
        b',"muted":',
        _TRUE if muted else _FALSE,
        b',"bookmarked":',
        _TRUE if marked in marks.bookmarked else _FALSE,
    ]
    if boosted is None and visibility.may_pin(viewer, post, is_boost=False):
        parts += (b',"pinned":', _TRUE if post.id in marks.pinned else _FALSE)
    parts += (b',"filtered":', filtered, b"}")
    return b"".join(parts)


def _approval(post: KeptStatus, viewer: int, follows: bool) -> bytes:
    key = (post.visibility, post.quote_policy, post.local, post.account_id == viewer, follows)
    found = _APPROVALS.get(key)
    if found is None:
        found = orjson.dumps(entities.quote_approval(post, viewer, follows))
        if len(_APPROVALS) < 1024:
            _APPROVALS[key] = found
    return found


def _filter_matches(
    filters: ViewerFilters, viewer_id: int, ids: Sequence[int], kept: dict[int, KeptStatus]
) -> dict[int, tuple[FilterMatch, ...]]:
    """What the viewer's filters match of each post (`filter_matching.match_post`)."""
    found = {}
    for sid in ids:
        post = kept[sid]
        proper = kept[post.reblog_of_id] if post.reblog_of_id is not None else post
        matched = filter_matching.match_post(
            filters, viewer_id, post.id, proper.id, proper.account_id, lambda p=proper: p.text
        )
        if matched:
            found[sid] = matched
    return found


def _filtered_json(matches: Sequence[FilterMatch]) -> bytes:
    if not matches:
        return b"[]"
    return orjson.dumps([entities.filter_result(m) for m in matches])


# --- Keeping what a page rendered the usual way ------------------------------------------


def keep(
    tx: Tx, ids: Sequence[int], bundle: StatusBundle, settings: Settings, now: datetime
) -> None:
    """Keep the JSON of a page's posts and authors that `page` may serve later: those read at
    the render versions the page's own query saw (the page's ids say them), from a read
    transaction. A post's JSON holds nothing of its author's but their id: the Account is
    kept apart, at the author's version."""
    if not isinstance(ids, decisions.CheckedIds) or not row_cache.may_keep(tx):
        return
    versions, authors = ids.versions, ids.author_versions
    if versions is None or authors is None:
        return
    base = settings.base_url
    posts, shown_accounts = [], []
    for sid, version in versions.items():
        row = bundle.statuses.get(sid)
        if row is None or row.render_version != version or not _plain(bundle, row):
            continue
        posts.append((sid, (base, version), _kept_status(bundle, row, settings, now)))
        author = bundle.accounts.get(row.account_id)
        if (
            author is not None
            and author.render_version == authors.get(sid)
            and author.moved_to_account_id is None  # `moved` shows another account's row
        ):
            shown = entities.account(author, settings, bundle.account_extras)
            shown_accounts.append((author.id, (base, author.render_version), orjson.dumps(shown)))
    statuses.keep(posts)
    accounts.keep(shown_accounts)


def _plain(bundle: StatusBundle, row) -> bool:
    """Whether a post's shared JSON depends on its render version alone."""
    if row.id in bundle.polls or row.id in bundle.quotes:
        return False
    card = bundle.cards.get(row.id)
    if card is not None and card.author_account_id:
        return False
    return not custom_emojis.shortcodes_in(row.content, row.spoiler_text)


def _kept_status(bundle: StatusBundle, row, settings: Settings, now: datetime) -> KeptStatus:
    data = entities.status_fields(bundle, row, settings, now)
    if row.reblog_of_id is not None:  # as `entities.status` shows a boost
        data.update(content="", poll=None, mentions=[], tags=[])
    before = {k: data[k] for k in _BEFORE_ACCOUNT}
    after = {
        k: v
        for k, v in data.items()
        if k not in _BEFORE_ACCOUNT and k != "account" and k not in _PER_VIEWER
    }
    text = filter_matching.searchable_text(
        row.spoiler_text, row.content, (), (m.description for m in bundle.media.get(row.id, ()))
    )
    return KeptStatus(
        orjson.dumps(before)[:-1],
        orjson.dumps(after)[1:-1],
        row.id,
        row.account_id,
        row.visibility,
        row.quote_policy,
        row.local,
        row.conversation_id,
        row.reblog_of_id,
        text,
    )
