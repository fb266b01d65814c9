"""Everything needed to show a set of statuses to one viewer, loaded in a fixed number of queries.

Timelines, threads, notifications and search all render statuses. They hand their status ids
here; this loads the rows, the boosted originals, authors, mentions, tags, polls and the
viewer's own marks (favourited, boosted, bookmarked, pinned, muted) in one batch per kind, and
drops whatever the viewer may not see. The viewer's filters are compiled once per load (one
query) and matched against every post's text: what matched is kept for the Status entity's
`filtered`, and in a filter context (`filter_context`, the surface's) a `hide` filter drops the
post. The API's serializers turn the result into JSON.
"""

from __future__ import annotations

import dataclasses
import functools
from collections import defaultdict
from collections.abc import Iterable, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.engine import Row
from sqlalchemy.sql.base import Executable

from pnyx.core import (
    account_extras,
    custom_emojis,
    decisions,
    filter_matching,
    label_rules,
    preview_cards,
    row_cache,
    status_parts,
    viewer_rules,
    visibility,
)
from pnyx.core.account_extras import AccountExtras
from pnyx.core.archive_import import shown as imported_from
from pnyx.core.filter_matching import FilterMatch, ViewerFilters
from pnyx.core.notes import shown as shown_notes
from pnyx.core.rows import AccountRow, PollRow, StatusRow
from pnyx.db.engine import Tx
from pnyx.db.id_lists import in_ids
from pnyx.db.tables import (
    accounts,
    bookmarks,
    conversation_mutes,
    favourites,
    media_attachments,
    mentions,
    oauth_apps,
    poll_votes,
    polls,
    quotes,
    status_pins,
    status_tags,
    statuses,
    tags,
)


@dataclass
class StatusBundle:
    viewer_id: int | None
    statuses: dict[int, StatusRow] = field(default_factory=dict)  # id -> row (incl. boosted)
    accounts: dict[int, AccountRow] = field(default_factory=dict)
    # the authors' roles and moves, for their Account entities (`core.account_extras`)
    account_extras: AccountExtras = field(default_factory=AccountExtras)
    # status id -> (status_id, id, username, domain, url, uri) of each account it mentions
    mentions: dict[int, list[Row]] = field(default_factory=lambda: defaultdict(list))
    tags: dict[int, list[Row]] = field(default_factory=lambda: defaultdict(list))  # name, display
    polls: dict[int, PollRow] = field(default_factory=dict)  # status id -> poll row
    own_votes: dict[int, list[int]] = field(default_factory=lambda: defaultdict(list))
    apps: dict[int, Row] = field(default_factory=dict)  # id, name, website
    media: dict[int, list[Row]] = field(default_factory=lambda: defaultdict(list))  # by status
    favourited: set[int] = field(default_factory=set)
    reblogged: set[int] = field(default_factory=set)
    bookmarked: set[int] = field(default_factory=set)
    pinned: set[int] = field(default_factory=set)
    muted_conversations: set[int] = field(default_factory=set)
    visible: list[int] = field(default_factory=list)  # requested ids the viewer may see, in order
    warnings: dict[int, decisions.Decision] = field(default_factory=dict)  # shown behind these
    rendered_accounts: dict[int, dict] = field(default_factory=dict)  # filled by the serializer
    # status id -> uri of the post it answers, when asked for (`load_parent_uris`)
    in_reply_to_uris: dict[int, str] = field(default_factory=dict)
    # status id -> the viewer's filters it matches (a boost: those its original matches)
    filter_matches: dict[int, tuple[FilterMatch, ...]] = field(default_factory=dict)
    # status id -> its link preview card (a row of preview_cards), when it has one
    cards: dict[int, Row] = field(default_factory=dict)
    # account id -> the account a card credits as its page's author (core.attribution)
    card_authors: dict[int, AccountRow] = field(default_factory=dict)
    # (domain, shortcode) -> the custom emoji rows the loaded posts' texts name
    emojis: dict[tuple[str | None, str], Row] = field(default_factory=dict)
    # quoting status id -> its row of `quotes` (the quoted posts are loaded in `statuses`)
    quotes: dict[int, Row] = field(default_factory=dict)
    # quoting status id -> the quote's state as this viewer is shown it (`core.quotes`)
    quote_states: dict[int, str] = field(default_factory=dict)
    following: AbstractSet[int] = frozenset()  # authors the viewer follows (quotes)
    quotes_count: dict[int, int] = field(default_factory=dict)  # accepted quotes of each post
    # status id -> its community notes (`core.notes.shown.NOTE_COLUMNS`), oldest first
    notes: dict[int, list[Row]] = field(default_factory=dict)
    imported: dict[int, Row] = field(default_factory=dict)  # its origin, when imported


# Statements are built once and reused with new parameters: building a SQLAlchemy statement
# costs more than running these indexed lookups on SQLite (see BENCHMARKS.md).
@functools.cache
def _statements() -> dict[str, Executable]:
    viewer: sa.BindParameter[int] = sa.bindparam("viewer")

    def flag(
        kind: int,
        column: sa.ColumnElement[int],
        *where: sa.ColumnElement[bool],
        extra: sa.ColumnElement[int] | None = None,
    ) -> sa.Select:
        extra_col = extra if extra is not None else sa.literal_column("0")
        return sa.select(
            sa.literal_column(str(kind)).label("kind"), column.label("ref"), extra_col.label("x")
        ).where(*where)

    return {
        "statuses": sa.select(statuses).where(in_ids(statuses.c.id, "ids")),
        "accounts": sa.select(accounts).where(in_ids(accounts.c.id, "ids")),
        "mentions": sa.select(
            mentions.c.status_id,
            accounts.c.id,
            accounts.c.username,
            accounts.c.domain,
            accounts.c.url,
            accounts.c.uri,
        )
        .join(accounts, accounts.c.id == mentions.c.account_id)
        .where(in_ids(mentions.c.status_id, "ids"), mentions.c.silent.is_(False))
        .order_by(mentions.c.id),
        "tags": sa.select(status_tags.c.status_id, tags.c.name, tags.c.display_name)
        .join(tags, tags.c.id == status_tags.c.tag_id)
        .where(in_ids(status_tags.c.status_id, "ids")),
        "polls": sa.select(polls).where(in_ids(polls.c.status_id, "ids")),
        "cards": preview_cards.card_query(),
        "quotes": sa.select(quotes).where(in_ids(quotes.c.status_id, "ids")),
        "quotes_count": sa.select(quotes.c.quoted_status_id, sa.func.count())
        .where(in_ids(quotes.c.quoted_status_id, "ids"), quotes.c.state == "accepted")
        .group_by(quotes.c.quoted_status_id),
        "uris": sa.select(statuses.c.id, statuses.c.uri).where(in_ids(statuses.c.id, "ids")),
        "notes": shown_notes.of_posts_query(),
        "imported": imported_from.of_posts_query(),
        "media": sa.select(media_attachments)
        .where(in_ids(media_attachments.c.status_id, "ids"))
        .order_by(media_attachments.c.status_id, media_attachments.c.position),
        "apps": sa.select(oauth_apps.c.id, oauth_apps.c.name, oauth_apps.c.website).where(
            in_ids(oauth_apps.c.id, "ids")
        ),
        # The viewer's own marks on these statuses, in one round trip.
        "flags": sa.union_all(
            flag(
                _FAVOURITED,
                favourites.c.status_id,
                favourites.c.account_id == viewer,
                in_ids(favourites.c.status_id, "ids"),
            ),
            flag(
                _REBLOGGED,
                statuses.c.reblog_of_id,
                statuses.c.account_id == viewer,
                in_ids(statuses.c.reblog_of_id, "ids"),
            ),
            flag(
                _BOOKMARKED,
                bookmarks.c.status_id,
                bookmarks.c.account_id == viewer,
                in_ids(bookmarks.c.status_id, "ids"),
            ),
            flag(
                _PINNED,
                status_pins.c.status_id,
                status_pins.c.account_id == viewer,
                in_ids(status_pins.c.status_id, "own"),
            ),
            flag(
                _MUTED_CONVERSATION,
                conversation_mutes.c.conversation_id,
                conversation_mutes.c.account_id == viewer,
                in_ids(conversation_mutes.c.conversation_id, "convs"),
            ),
            flag(
                _VOTED,
                poll_votes.c.poll_id,
                poll_votes.c.account_id == viewer,
                in_ids(poll_votes.c.poll_id, "polls"),
                extra=poll_votes.c.choice,
            ),
        ),
    }


_FAVOURITED, _REBLOGGED, _BOOKMARKED, _PINNED, _MUTED_CONVERSATION, _VOTED = range(6)


def _load_rows(
    tx: Tx, q: dict[str, Executable], bundle: StatusBundle, status_ids: list[int]
) -> None:
    """The statuses and the originals of the boosts among them."""
    rows = tx.plain(q["statuses"], {"ids": list(status_ids)})
    for row in rows:
        bundle.statuses[row.id] = row
    boosted_ids = {r.reblog_of_id for r in rows if r.reblog_of_id} - bundle.statuses.keys()
    if boosted_ids:
        for row in tx.plain(q["statuses"], {"ids": list(boosted_ids)}):
            bundle.statuses[row.id] = row


def _load_posts(
    tx: Tx, q: dict[str, Executable], bundle: StatusBundle, status_ids: Sequence[int]
) -> None:
    """The posts, those they boost and those their quotes quote, with what each is shown
    with (`core.status_parts`), into the bundle."""
    known = status_ids.versions if isinstance(status_ids, decisions.CheckedIds) else None
    loaded, quoting = status_parts.load(tx, q, list(status_ids), known)
    bundle.quotes.update(quoting)
    for sid, parts in loaded.items():
        bundle.statuses[sid] = parts.row
        if parts.mentions:
            bundle.mentions[sid] = list(parts.mentions)
        if parts.tags:
            bundle.tags[sid] = list(parts.tags)
        if parts.media:
            bundle.media[sid] = list(parts.media)
        if parts.card is not None:
            bundle.cards[sid] = parts.card
        if parts.poll is not None:
            bundle.polls[sid] = parts.poll
        if parts.quotes_count:
            bundle.quotes_count[sid] = parts.quotes_count
        if parts.notes:
            bundle.notes[sid] = list(parts.notes)
        if parts.imported is not None:
            bundle.imported[sid] = parts.imported


def _decide_quotes(tx: Tx, bundle: StatusBundle) -> None:
    """How each loaded quote shows to the viewer, as Mastodon's: an accepted quote of a post
    that is gone is `deleted`; of a post the viewer may not see, `unauthorized` (or
    `blocked_account`, `blocked_domain`, `muted_account` for the viewer's own choices). Also
    whom the viewer follows, for each post's `quote_approval`."""
    viewer = bundle.viewer_id
    rows = bundle.statuses.values()
    followers_only = any(r.quote_policy == "followers" and r.account_id != viewer for r in rows)
    if not bundle.quotes and (viewer is None or not followers_only):
        return
    authors = {r.account_id for r in rows}
    ctx = visibility.load_context(tx, bundle.viewer_id, authors, list(bundle.statuses))
    bundle.following = ctx.following
    for status_id, quote in bundle.quotes.items():
        state = quote.state
        quoted = bundle.statuses.get(quote.quoted_status_id) if quote.quoted_status_id else None
        if state == "accepted":
            if quoted is None:
                state = "deleted"
            elif quoted.account_id in ctx.blocked:
                state = "blocked_account"
            elif quoted.account_id in ctx.domain_blocked:
                state = "blocked_domain"
            elif decisions.decide(decisions.VISIBLE, ctx, quoted).action == "hide":
                state = "unauthorized"
            elif quoted.account_id in ctx.muted and quoted.account_id != bundle.viewer_id:
                state = "muted_account"
        bundle.quote_states[status_id] = state


def _pick_visible(
    tx: Tx,
    bundle: StatusBundle,
    status_ids: Sequence[int],
    *,
    hide_muted: bool,
    filter_context: str | None = None,
) -> list[int]:
    """Which of `status_ids` (in order) the bundle's viewer is shown, by the decision
    pipeline: the visibility rule (a boost only with its original), with `hide_muted` the
    viewer's mutes, and the viewer's filters of `filter_context`. Ids core already decided for
    this viewer are taken as they are, but for the filters (their text was not loaded then)."""
    viewer_id = bundle.viewer_id
    present = [sid for sid in status_ids if sid in bundle.statuses]
    filter_step = decisions.filtered(bundle.filter_matches, filter_context)
    if isinstance(status_ids, decisions.CheckedIds) and status_ids.checked_for(viewer_id):
        bundle.warnings.update(status_ids.warnings)
        if filter_context is None or not bundle.filter_matches:
            return present
        return _pick_unfiltered(bundle, present, filter_step)
    visible_steps = decisions.VISIBLE_UNMUTED if hide_muted else decisions.VISIBLE
    steps = (*visible_steps, filter_step)
    author_ids = {r.account_id for r in bundle.statuses.values()}
    ctx = visibility.load_context(tx, viewer_id, author_ids, list(bundle.statuses))
    shown = []
    for sid in present:
        row = bundle.statuses[sid]
        original = bundle.statuses.get(row.reblog_of_id) if row.reblog_of_id else None
        decision = decisions.decide(steps, ctx, row, original)
        if decision.action == "hide":
            continue
        if decision.action == "warn":
            bundle.warnings[sid] = decision
        shown.append(sid)
    return shown


def _pick_unfiltered(
    bundle: StatusBundle, present: list[int], filter_step: decisions.Step
) -> list[int]:
    """Of posts already decided for the viewer, those the filter step does not hide."""
    ctx = visibility.ViewerContext(bundle.viewer_id)
    shown = []
    for sid in present:
        decision = decisions.decide((filter_step,), ctx, bundle.statuses[sid])
        if decision.action == "hide":
            continue
        if decision.action == "warn":
            earlier = bundle.warnings.get(sid)
            reasons = (earlier.reasons if earlier else ()) + decision.reasons
            bundle.warnings[sid] = decisions.Decision("warn", reasons)
        shown.append(sid)
    return shown


def _match_filters(bundle: StatusBundle, viewer_filters: ViewerFilters) -> None:
    """What each loaded post matches of the viewer's filters (`filter_matching.match_post`),
    into `bundle.filter_matches`."""
    if not viewer_filters:
        return
    for row in bundle.statuses.values():
        proper = bundle.statuses.get(row.reblog_of_id) if row.reblog_of_id else row
        if proper is None:
            continue
        found = filter_matching.match_post(
            viewer_filters,
            bundle.viewer_id,
            row.id,
            proper.id,
            proper.account_id,
            functools.partial(_searchable_text, bundle, proper),
        )
        if found:
            bundle.filter_matches[row.id] = found


def _match_labels(tx: Tx, bundle: StatusBundle) -> None:
    """The labels the viewer applies (`core.labels`) that warn or hide loaded posts, added to
    `bundle.filter_matches`: they are decided and shown as filters are."""
    viewer_id = bundle.viewer_id
    rules = viewer_rules.of(tx, viewer_id).labels if viewer_id is not None else None
    if rules is None:
        rules = label_rules.public_rules(tx)
    posts = []
    for row in bundle.statuses.values():
        proper = bundle.statuses.get(row.reblog_of_id) if row.reblog_of_id else row
        if proper is not None:
            posts.append((row.id, proper.id, proper.account_id))
    for sid, found in label_rules.label_matches(tx, rules, viewer_id, posts).items():
        bundle.filter_matches[sid] = (*bundle.filter_matches.get(sid, ()), *found)


def _match_labels_many(tx: Tx, bundle: StatusBundle, per_viewer: dict[int, StatusBundle]) -> None:
    """`_match_labels` for each of several viewers of the same posts, in one query."""
    if not per_viewer:
        return
    posts = []
    for row in bundle.statuses.values():
        proper = bundle.statuses.get(row.reblog_of_id) if row.reblog_of_id else row
        if proper is not None:
            posts.append((row.id, proper.id, proper.account_id))
    rules: dict[int | None, label_rules.LabelRules] = {
        v: viewer_rules.of(tx, v).labels for v in per_viewer
    }
    for viewer, found in label_rules.label_matches_many(tx, rules, posts).items():
        if viewer is None:
            continue
        mine = per_viewer[viewer]
        for sid, matched in found.items():
            mine.filter_matches[sid] = (*mine.filter_matches.get(sid, ()), *matched)


def _searchable_text(bundle: StatusBundle, row: StatusRow) -> str:
    poll = bundle.polls.get(row.id)
    return filter_matching.searchable_text(
        row.spoiler_text,
        row.content,
        poll.options if poll is not None else (),
        (m.description for m in bundle.media.get(row.id, ())),
    )


def visible_ids(tx: Tx, status_ids: list[int], viewer_id: int | None) -> list[int]:
    """Which of `status_ids` the viewer may see, by the same rules as `load` but without
    loading what rendering needs (for counts)."""
    bundle = StatusBundle(viewer_id)
    if not status_ids:
        return []
    _load_rows(tx, _statements(), bundle, status_ids)
    return _pick_visible(tx, bundle, status_ids, hide_muted=False)


def load(
    tx: Tx,
    status_ids: Sequence[int],
    viewer_id: int | None,
    *,
    hide_muted: bool = False,
    filter_context: str | None = None,
    viewer_filters: ViewerFilters | None = None,
) -> StatusBundle:
    """Everything needed to show `status_ids` to `viewer_id`. Only what the viewer is shown
    ends up in `bundle.visible`: ids are decided here, unless they come as
    `decisions.CheckedIds` for this same viewer (a timeline that decided already); the
    viewer's filters of `filter_context` (home, notifications, public, thread, account; None:
    the surface has no filter context) are applied to both. `viewer_filters` saves compiling
    them again when the caller already did (a stream)."""
    bundle = StatusBundle(viewer_id)
    if not status_ids:
        return bundle
    q = _statements()
    _load_posts(tx, q, bundle, status_ids)
    all_rows = list(bundle.statuses.values())
    all_ids = list(bundle.statuses)
    author_ids = {r.account_id for r in all_rows}
    bundle.accounts = status_parts.accounts_of(tx, q, author_ids)
    bundle.account_extras = account_extras.load(tx, bundle.accounts.values())
    if bundle.cards:
        _load_card_authors(tx, q, bundle)
        if bundle.card_authors:  # shown as Account entities too (with their roles and moves)
            bundle.account_extras = account_extras.load(
                tx, bundle.card_authors.values(), bundle.account_extras
            )
    poll_rows = list(bundle.polls.values())
    _load_emojis(tx, bundle)
    if viewer_filters is None:
        viewer_filters = (
            viewer_rules.of(tx, viewer_id).filters(tx.now)
            if viewer_id is not None
            else filter_matching.NONE
        )
    _match_filters(bundle, viewer_filters)
    _match_labels(tx, bundle)
    bundle.visible = _pick_visible(
        tx, bundle, status_ids, hide_muted=hide_muted, filter_context=filter_context
    )
    _decide_quotes(tx, bundle)
    app_ids = {r.application_id for r in all_rows if r.application_id}
    if app_ids:
        bundle.apps, missing = row_cache.apps.take({i: 0 for i in app_ids})
        if missing:
            read = tx.plain(q["apps"], {"ids": missing})
            bundle.apps.update((app.id, app) for app in read)
            if row_cache.may_keep(tx):
                row_cache.apps.keep((app.id, 0, app) for app in read)
    if viewer_id is not None:
        params = {
            "viewer": viewer_id,
            "ids": all_ids,
            "own": [r.id for r in all_rows if r.account_id == viewer_id],
            "convs": list({r.conversation_id for r in all_rows if r.conversation_id}),
            "polls": [p.id for p in poll_rows],
        }
        marks = {
            _FAVOURITED: bundle.favourited,
            _REBLOGGED: bundle.reblogged,
            _BOOKMARKED: bundle.bookmarked,
            _PINNED: bundle.pinned,
            _MUTED_CONVERSATION: bundle.muted_conversations,
        }
        for kind, ref, extra in tx.plain(q["flags"], params):
            if kind == _VOTED:
                bundle.own_votes[ref].append(extra)
            else:
                marks[kind].add(ref)
    return bundle


def status_texts(bundle: StatusBundle, row: StatusRow) -> list[str]:
    """What of a post may name custom emojis: its text, its warning, its poll's options."""
    poll = bundle.polls.get(row.id)
    return [row.content or "", row.spoiler_text or "", *(poll.options if poll else ())]


def _load_card_authors(tx: Tx, q: dict[str, Executable], bundle: StatusBundle) -> None:
    """The accounts the page's cards credit, in one query for the page (none when no card
    credits anyone); the presenter asks `preview_cards.credits` whether they still may."""
    wanted = {c.author_account_id for c in bundle.cards.values() if c.author_account_id}
    missing = [i for i in wanted if i not in bundle.accounts]
    found = {i: bundle.accounts[i] for i in wanted if i in bundle.accounts}
    if missing:
        found.update(status_parts.accounts_of(tx, q, missing))
    bundle.card_authors = found


def _load_emojis(tx: Tx, bundle: StatusBundle) -> None:
    """The custom emojis the loaded posts name, of their authors' servers, in one query."""
    wanted = custom_emojis.by_domain(
        (bundle.accounts[r.account_id].domain, status_texts(bundle, r))
        for r in bundle.statuses.values()
        if r.account_id in bundle.accounts
    )
    bundle.emojis = custom_emojis.lookup(tx, wanted)


def emoji_rows_of(bundle: StatusBundle, row: StatusRow) -> list[Row]:
    """The custom emoji rows a loaded post uses (its Emoji tags)."""
    if not bundle.emojis:
        return []
    domain = bundle.accounts[row.account_id].domain
    return custom_emojis.rows_for_texts(bundle.emojis, domain, status_texts(bundle, row))


def emojis_of(bundle: StatusBundle, row: StatusRow) -> list[dict]:
    """A loaded post's `emojis` entities."""
    if not bundle.emojis:
        return []
    domain = bundle.accounts[row.account_id].domain
    return custom_emojis.for_texts(bundle.emojis, domain, status_texts(bundle, row))


def load_parent_uris(tx: Tx, bundle: StatusBundle) -> None:
    """Fill `bundle.in_reply_to_uris` with the uri of each loaded reply's parent (one query):
    what an ActivityPub Note names as `inReplyTo`. A parent not stored here is left out."""
    parents: dict[int, list[int]] = defaultdict(list)
    for row in bundle.statuses.values():
        if row.in_reply_to_id is not None:
            parents[row.in_reply_to_id].append(row.id)
    if not parents:
        return
    for parent_id, uri in tx.execute(_statements()["uris"], {"ids": list(parents)}):
        for child_id in parents[parent_id]:
            bundle.in_reply_to_uris[child_id] = uri


@functools.cache
def _marks_statement() -> Executable:
    """Many viewers' own marks on a few statuses, in one round trip (live streams)."""

    def arm(
        kind: int,
        who: sa.ColumnElement[int],
        ref: sa.ColumnElement[int],
        *where: sa.ColumnElement[bool],
        extra: sa.ColumnElement[int] | None = None,
    ) -> sa.Select:
        return sa.select(
            sa.literal_column(str(kind)).label("kind"),
            who.label("viewer"),
            ref.label("ref"),
            (extra if extra is not None else sa.literal_column("0")).label("x"),
        ).where(in_ids(who, "viewers"), *where)

    return sa.union_all(
        arm(
            _FAVOURITED,
            favourites.c.account_id,
            favourites.c.status_id,
            in_ids(favourites.c.status_id, "ids"),
        ),
        arm(
            _REBLOGGED,
            statuses.c.account_id,
            statuses.c.reblog_of_id,
            in_ids(statuses.c.reblog_of_id, "ids"),
        ),
        arm(
            _BOOKMARKED,
            bookmarks.c.account_id,
            bookmarks.c.status_id,
            in_ids(bookmarks.c.status_id, "ids"),
        ),
        arm(
            _PINNED,
            status_pins.c.account_id,
            status_pins.c.status_id,
            in_ids(status_pins.c.status_id, "ids"),
        ),
        arm(
            _MUTED_CONVERSATION,
            conversation_mutes.c.account_id,
            conversation_mutes.c.conversation_id,
            in_ids(conversation_mutes.c.conversation_id, "convs"),
        ),
        arm(
            _VOTED,
            poll_votes.c.account_id,
            poll_votes.c.poll_id,
            in_ids(poll_votes.c.poll_id, "polls"),
            extra=poll_votes.c.choice,
        ),
    )


def for_viewers(tx: Tx, bundle: StatusBundle, viewer_ids: Iterable[int]) -> dict[int, StatusBundle]:
    """`bundle` (loaded once, for nobody in particular) as each of these viewers sees it: their
    own marks (favourited, boosted, bookmarked, pinned, muted thread, poll votes) read for all
    of them in one query, and what their filters match (`filter_matches`, compiled for all of
    them in one query). The rows and what was rendered of them stay shared, so a post sent to
    many viewers at once (a live stream) is loaded and its authors rendered once. How each
    quote shows is decided for each of them (`_decide_quotes`). Which of them
    may see it at all is the caller's to have decided; which filter context hides it too."""
    viewers = sorted(set(viewer_ids))
    per_viewer = {
        v: dataclasses.replace(
            bundle,
            viewer_id=v,
            own_votes=defaultdict(list),
            favourited=set(),
            reblogged=set(),
            bookmarked=set(),
            pinned=set(),
            muted_conversations=set(),
            filter_matches={},
            quote_states={},
            following=set(),
        )
        for v in viewers
    }
    for mine in per_viewer.values():
        _decide_quotes(tx, mine)  # a query per viewer, only when the posts quote or ask follows
    for viewer, filters in filter_matching.load_active_many(tx, viewers).items():
        _match_filters(per_viewer[viewer], filters)
    _match_labels_many(tx, bundle, per_viewer)
    if not viewers or not bundle.statuses:
        return per_viewer
    rows = bundle.statuses.values()
    params = {
        "viewers": viewers,
        "ids": list(bundle.statuses),
        "convs": list({r.conversation_id for r in rows if r.conversation_id}),
        "polls": [p.id for p in bundle.polls.values()],
    }
    for kind, viewer, ref, extra in tx.execute(_marks_statement(), params):
        mine = per_viewer[viewer]
        if kind == _VOTED:
            mine.own_votes[ref].append(extra)
        else:
            (
                mine.favourited,
                mine.reblogged,
                mine.bookmarked,
                mine.pinned,
                mine.muted_conversations,
            )[kind].add(ref)
    return per_viewer
