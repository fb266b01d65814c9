"""A person's content filters: keeping them (Mastodon's filters v2, and v1 mapped onto them).

A filter has a title, the contexts it applies in, what a match does (`warn` shows the post
behind a warning, `blur` hides its media behind one, `hide` removes it) and an optional end.
It matches by keywords (whole words or anywhere, case-insensitive) and by chosen posts.
Matching posts against filters is `filter_matching`; the decision pipeline applies it.

The v1 API (which Tusky still calls) sees one keyword as one filter, as Mastodon 4 maps it:
its id is the keyword's, `phrase` is the keyword, `irreversible` means `hide`. Changing a v1
filter's title, context, action or end is refused when the filter it belongs to has more
than one keyword, with Mastodon's words.

Every change records `FiltersChanged` for the filters' owner, whose live `user` streams say
`filters_changed` (apps read the filters again); one per request, however many rows it
touched.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Row

from pnyx.core import events, status_views
from pnyx.core.errors import Invalid, NotFound
from pnyx.db.engine import Tx
from pnyx.db.ids import new_id
from pnyx.db.tables import custom_filter_keywords, custom_filter_statuses, custom_filters

CONTEXTS = ("home", "notifications", "public", "thread", "account")
ACTIONS = ("warn", "hide", "blur")
TITLE_LIMIT = 256
KEYWORD_LIMIT = 512
# Not Mastodon's (it has none): a bound on what each request compiles for its viewer.
MAX_FILTERS = 300
MAX_KEYWORDS = 1000
MAX_EXPIRES_IN = 10 * 365 * 24 * 3600

MULTIPLE_KEYWORDS = (
    "These parameters cannot be changed from this application because they apply to more "
    "than one filter keyword. Use a more recent application or the web interface."
)


@dataclass
class KeywordChange:
    """One entry of `keywords_attributes`: a new keyword (no id), a change to one, or its
    removal (`destroy`)."""

    id: int | None = None
    keyword: str | None = None
    whole_word: bool | None = None
    destroy: bool = False


@dataclass
class FilterInput:
    """What a create or update says; None leaves a field as it is (on update).
    `expires_in` counts only when `expires_given`: None then means "never"."""

    title: str | None = None
    context: list[str] | None = None
    action: str | None = None
    expires_in: int | None = None
    expires_given: bool = False
    keywords: list[KeywordChange] = field(default_factory=list)


@dataclass
class FilterView:
    """A filter with its keywords and posts, for the Filter entity."""

    row: Row
    keywords: list[Row] = field(default_factory=list)
    statuses: list[Row] = field(default_factory=list)


# --- Reading --------------------------------------------------------------------------------


def list_filters(tx: Tx, account_id: int) -> list[FilterView]:
    """All of a person's filters, expired ones included (as Mastodon lists them), oldest
    first, with their keywords and posts (three queries)."""
    rows = tx.rows(
        sa.select(custom_filters)
        .where(custom_filters.c.account_id == account_id)
        .order_by(custom_filters.c.id)
    )
    return _with_rules(tx, rows)


def get_filter(tx: Tx, account_id: int, filter_id: int) -> FilterView:
    return _with_rules(tx, [_own_filter(tx, account_id, filter_id)])[0]


def _with_rules(tx: Tx, rows: Sequence[Row]) -> list[FilterView]:
    views = {r.id: FilterView(r) for r in rows}
    if views:
        for k in tx.rows(
            sa.select(custom_filter_keywords)
            .where(custom_filter_keywords.c.custom_filter_id.in_(list(views)))
            .order_by(custom_filter_keywords.c.id)
        ):
            views[k.custom_filter_id].keywords.append(k)
        for s in tx.rows(
            sa.select(custom_filter_statuses)
            .where(custom_filter_statuses.c.custom_filter_id.in_(list(views)))
            .order_by(custom_filter_statuses.c.id)
        ):
            views[s.custom_filter_id].statuses.append(s)
    return list(views.values())


def _own_filter(tx: Tx, account_id: int, filter_id: int) -> Row:
    row = tx.one_or_none(
        sa.select(custom_filters).where(
            custom_filters.c.id == filter_id, custom_filters.c.account_id == account_id
        )
    )
    if row is None:
        raise NotFound()
    return row


# --- Filters --------------------------------------------------------------------------------


def _check_filter(title: str, context: list[str], action: str) -> None:
    """Mastodon's validations of a filter, its messages in its order."""
    errors = []
    if not title.strip():
        errors.append("Title can't be blank")
    elif len(title) > TITLE_LIMIT:
        errors.append(f"Title is too long (maximum is {TITLE_LIMIT} characters)")
    if not context:
        errors.append("Context can't be blank")
    if not context or any(c not in CONTEXTS for c in context):
        errors.append("Context None or invalid context supplied")
    if action not in ACTIONS:
        errors.append("Action is not included in the list")
    if errors:
        raise Invalid(", ".join(errors))


def _expires_at(tx: Tx, expires_in: int | None) -> datetime | None:
    if expires_in is None:
        return None
    if expires_in <= 0 or expires_in > MAX_EXPIRES_IN:
        raise Invalid("Expires in must be between 1 and 315360000 seconds")
    return tx.now + timedelta(seconds=expires_in)


def _changed(tx: Tx, account_id: int) -> None:
    events.record(tx, events.FiltersChanged(account_id))


def _unique_context(context: list[str]) -> list[str]:
    return list(dict.fromkeys(c.strip() for c in context if c.strip()))


def create_filter(tx: Tx, account_id: int, data: FilterInput) -> int:
    """A new filter with its first keywords; returns its id."""
    title = data.title or ""
    context = _unique_context(data.context or [])
    action = data.action or "warn"
    _check_filter(title, context, action)
    count = tx.scalar(
        sa.select(sa.func.count())
        .select_from(custom_filters)
        .where(custom_filters.c.account_id == account_id)
    )
    if count >= MAX_FILTERS:
        raise Invalid(f"You cannot have more than {MAX_FILTERS} filters")
    filter_id = new_id()
    tx.execute(
        custom_filters.insert().values(
            id=filter_id,
            account_id=account_id,
            title=title.strip(),
            context=context,
            action=action,
            expires_at=_expires_at(tx, data.expires_in),
            created_at=tx.now,
            updated_at=tx.now,
        )
    )
    _apply_keywords(tx, account_id, filter_id, data.keywords)
    _changed(tx, account_id)
    return filter_id


def update_filter(tx: Tx, account_id: int, filter_id: int, data: FilterInput) -> None:
    """Change what `data` names; keywords are added, changed or removed by
    `keywords_attributes` (only the filter's own keywords can be changed)."""
    row = _own_filter(tx, account_id, filter_id)
    title = row.title if data.title is None else data.title
    context = list(row.context) if data.context is None else _unique_context(data.context)
    action = row.action if data.action is None else data.action
    _check_filter(title, context, action)
    values: dict[str, object] = {
        "title": title.strip(),
        "context": context,
        "action": action,
        "updated_at": tx.now,
    }
    if data.expires_given:
        values["expires_at"] = _expires_at(tx, data.expires_in)
    tx.execute(custom_filters.update().where(custom_filters.c.id == filter_id).values(**values))
    _apply_keywords(tx, account_id, filter_id, data.keywords)
    _changed(tx, account_id)


def delete_filter(tx: Tx, account_id: int, filter_id: int) -> None:
    _own_filter(tx, account_id, filter_id)
    tx.execute(custom_filters.delete().where(custom_filters.c.id == filter_id))
    _changed(tx, account_id)


def _apply_keywords(
    tx: Tx, account_id: int, filter_id: int, changes: Sequence[KeywordChange]
) -> None:
    for change in changes:
        if change.id is not None:
            existing = tx.one_or_none(
                sa.select(custom_filter_keywords).where(
                    custom_filter_keywords.c.id == change.id,
                    custom_filter_keywords.c.custom_filter_id == filter_id,
                )
            )
            if existing is None:
                raise NotFound()
            if change.destroy:
                tx.execute(
                    custom_filter_keywords.delete().where(custom_filter_keywords.c.id == change.id)
                )
                continue
            _update_keyword_row(tx, existing, change.keyword, change.whole_word, nested=True)
        elif not change.destroy:
            _insert_keyword(
                tx, account_id, filter_id, change.keyword or "", change.whole_word, nested=True
            )


# --- Keywords -------------------------------------------------------------------------------


def _check_keyword(keyword: str, *, nested: bool) -> str:
    name = "Keywords keyword" if nested else "Keyword"
    if not keyword.strip():
        raise Invalid(f"{name} can't be blank")
    if len(keyword) > KEYWORD_LIMIT:
        raise Invalid(f"{name} is too long (maximum is {KEYWORD_LIMIT} characters)")
    return keyword.strip()


def _insert_keyword(
    tx: Tx,
    account_id: int,
    filter_id: int,
    keyword: str,
    whole_word: bool | None,
    *,
    nested: bool = False,
) -> int:
    keyword = _check_keyword(keyword, nested=nested)
    count = tx.scalar(
        sa.select(sa.func.count())
        .select_from(custom_filter_keywords.join(custom_filters))
        .where(custom_filters.c.account_id == account_id)
    )
    if count >= MAX_KEYWORDS:
        raise Invalid(f"You cannot have more than {MAX_KEYWORDS} filter keywords")
    keyword_id = new_id()
    tx.execute(
        custom_filter_keywords.insert().values(
            id=keyword_id,
            custom_filter_id=filter_id,
            keyword=keyword,
            whole_word=True if whole_word is None else whole_word,
            created_at=tx.now,
        )
    )
    return keyword_id


def _update_keyword_row(
    tx: Tx, row: Row, keyword: str | None, whole_word: bool | None, *, nested: bool = False
) -> None:
    values: dict[str, object] = {}
    if keyword is not None:
        values["keyword"] = _check_keyword(keyword, nested=nested)
    if whole_word is not None:
        values["whole_word"] = whole_word
    if values:
        tx.execute(
            custom_filter_keywords.update()
            .where(custom_filter_keywords.c.id == row.id)
            .values(**values)
        )


def list_keywords(tx: Tx, account_id: int, filter_id: int) -> list[Row]:
    return get_filter(tx, account_id, filter_id).keywords


def add_keyword(
    tx: Tx, account_id: int, filter_id: int, keyword: str, whole_word: bool | None
) -> int:
    _own_filter(tx, account_id, filter_id)
    keyword_id = _insert_keyword(tx, account_id, filter_id, keyword, whole_word)
    _changed(tx, account_id)
    return keyword_id


def get_keyword(tx: Tx, account_id: int, keyword_id: int) -> Row:
    """A keyword of one of the person's filters, with its filter's columns (prefixed
    `filter_`), for v1 and v2 alike."""
    row = tx.one_or_none(
        sa.select(
            custom_filter_keywords,
            custom_filters.c.title.label("filter_title"),
            custom_filters.c.context.label("filter_context"),
            custom_filters.c.action.label("filter_action"),
            custom_filters.c.expires_at.label("filter_expires_at"),
        )
        .join(custom_filters, custom_filters.c.id == custom_filter_keywords.c.custom_filter_id)
        .where(
            custom_filter_keywords.c.id == keyword_id,
            custom_filters.c.account_id == account_id,
        )
    )
    if row is None:
        raise NotFound()
    return row


def update_keyword(
    tx: Tx, account_id: int, keyword_id: int, keyword: str | None, whole_word: bool | None
) -> None:
    row = get_keyword(tx, account_id, keyword_id)
    _update_keyword_row(tx, row, keyword, whole_word)
    _changed(tx, account_id)


def delete_keyword(tx: Tx, account_id: int, keyword_id: int) -> None:
    get_keyword(tx, account_id, keyword_id)
    tx.execute(custom_filter_keywords.delete().where(custom_filter_keywords.c.id == keyword_id))
    _changed(tx, account_id)


# --- Posts ----------------------------------------------------------------------------------


def list_statuses(tx: Tx, account_id: int, filter_id: int) -> list[Row]:
    return get_filter(tx, account_id, filter_id).statuses


def add_status(tx: Tx, account_id: int, filter_id: int, status_id: int | None) -> int:
    """Filter one post (and its boosts). Only a post the person may see, once per filter."""
    _own_filter(tx, account_id, filter_id)
    if status_id is None or not status_views.visible_ids(tx, [status_id], account_id):
        raise Invalid("Status is invalid" if status_id else "Status must exist")
    taken = tx.one_or_none(
        sa.select(custom_filter_statuses.c.id).where(
            custom_filter_statuses.c.custom_filter_id == filter_id,
            custom_filter_statuses.c.status_id == status_id,
        )
    )
    if taken is not None:
        raise Invalid("Status has already been taken")
    row_id = new_id()
    tx.execute(
        custom_filter_statuses.insert().values(
            id=row_id, custom_filter_id=filter_id, status_id=status_id, created_at=tx.now
        )
    )
    _changed(tx, account_id)
    return row_id


def get_status(tx: Tx, account_id: int, filter_status_id: int) -> Row:
    row = tx.one_or_none(
        sa.select(custom_filter_statuses)
        .join(custom_filters, custom_filters.c.id == custom_filter_statuses.c.custom_filter_id)
        .where(
            custom_filter_statuses.c.id == filter_status_id,
            custom_filters.c.account_id == account_id,
        )
    )
    if row is None:
        raise NotFound()
    return row


def delete_status(tx: Tx, account_id: int, filter_status_id: int) -> None:
    get_status(tx, account_id, filter_status_id)
    tx.execute(
        custom_filter_statuses.delete().where(custom_filter_statuses.c.id == filter_status_id)
    )
    _changed(tx, account_id)


# --- v1: one keyword is one filter ----------------------------------------------------------


def list_v1(tx: Tx, account_id: int) -> list[Row]:
    """Every keyword of every filter of the person's, as `get_keyword` gives one."""
    return tx.rows(
        sa.select(
            custom_filter_keywords,
            custom_filters.c.title.label("filter_title"),
            custom_filters.c.context.label("filter_context"),
            custom_filters.c.action.label("filter_action"),
            custom_filters.c.expires_at.label("filter_expires_at"),
        )
        .join(custom_filters, custom_filters.c.id == custom_filter_keywords.c.custom_filter_id)
        .where(custom_filters.c.account_id == account_id)
        .order_by(custom_filter_keywords.c.id)
    )


@dataclass
class V1Input:
    phrase: str | None = None
    context: list[str] | None = None
    irreversible: bool | None = None
    whole_word: bool | None = None
    expires_in: int | None = None
    expires_given: bool = False


def create_v1(tx: Tx, account_id: int, data: V1Input) -> int:
    """A v1 filter: a filter titled by its phrase, with that one keyword; returns the
    keyword's id (the v1 filter's)."""
    phrase = data.phrase or ""
    _check_keyword(phrase, nested=False)
    filter_id = create_filter(
        tx,
        account_id,
        FilterInput(
            title=phrase,
            context=data.context or [],
            action="hide" if data.irreversible else "warn",
            expires_in=data.expires_in,
        ),
    )
    return _insert_keyword(tx, account_id, filter_id, phrase, data.whole_word)


def update_v1(tx: Tx, account_id: int, keyword_id: int, data: V1Input) -> None:
    row = get_keyword(tx, account_id, keyword_id)
    _update_keyword_row(tx, row, data.phrase, data.whole_word)
    changes = FilterInput(
        title=data.phrase,
        context=data.context,
        action=None if data.irreversible is None else ("hide" if data.irreversible else "warn"),
        expires_in=data.expires_in,
        expires_given=data.expires_given,
    )
    current = get_filter(tx, account_id, row.custom_filter_id)
    if _changes_filter(current.row, changes, tx.now):
        if len(current.keywords) > 1:
            raise Invalid(MULTIPLE_KEYWORDS)
        update_filter(tx, account_id, row.custom_filter_id, changes)  # it says so
    else:
        _changed(tx, account_id)


def _changes_filter(row: Row, changes: FilterInput, now: datetime) -> bool:
    return (
        (changes.title is not None and changes.title.strip() != row.title)
        or (changes.context is not None and _unique_context(changes.context) != row.context)
        or (changes.action is not None and changes.action != row.action)
        or (changes.expires_given and (changes.expires_in is not None or row.expires_at))
    )
