"""A status search query, read as Mastodon reads one.

    cats "black cat" -dog from:@ana@example.org has:poll is:reply language:fr
    before:2024-06-01 after:2024-01-01 during:2024-03-15 in:library

`in:library` keeps to the searcher's library, `in:public` to the public posts of indexable
accounts, `in:all` (the default) is both.

Words must all be there; a quoted phrase must be there as written; a word or phrase after `-`
must not be (`+` is allowed and changes nothing). Operators filter, and `-` before one turns
it round (`-has:media`). As Mastodon: an operator it does not know (`foo:bar`, or a URL's
`https:`) is a plain word; a known operator with a value it does not know (`has:banana`)
matches nothing; a date that is not `YYYY-MM-DD` is refused (422). Dates are days in UTC:
`before:` is before the day starts, `after:` after it ends, `during:` within it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from pnyx.core.errors import Invalid

OPERATORS = ("from", "has", "is", "language", "before", "after", "during", "in")
HAS = ("media", "poll", "link", "embed", "image", "video", "audio")
IS = ("reply", "sensitive")
IN = ("library", "all", "public")
MAX_CLAUSES = 16

# [+-]? then either prefix:"value", prefix:value, "phrase" or a bare word.
_CLAUSE = re.compile(r'([+-]?)(?:([A-Za-z_]+):)?(?:"([^"]*)"?|(\S+))')


@dataclass(frozen=True)
class Filter:
    """One operator: `name` (from, has, is, language, before, after, during), its value, and
    whether it was negated."""

    name: str
    value: str
    negated: bool = False


@dataclass
class Query:
    words: list[str] = field(default_factory=list)  # each must be there
    phrases: list[str] = field(default_factory=list)  # each must be there, words in order
    excluded: list[str] = field(default_factory=list)  # words or phrases that must not be
    filters: list[Filter] = field(default_factory=list)
    scope: str = "all"  # in:library (only one's library), in:public (only what is indexed)
    impossible: bool = False  # an operator value that can match nothing

    @property
    def empty(self) -> bool:
        return not (self.words or self.phrases or self.excluded or self.filters)


def parse_day(value: str) -> datetime:
    """`YYYY-MM-DD` as the start of that day in UTC; anything else is refused."""
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise Invalid(f"{value!r} is not a date (YYYY-MM-DD)") from None
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        raise Invalid(f"{value!r} is not a date (YYYY-MM-DD)")
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def parse(q: str) -> Query:
    query = Query()
    for count, match in enumerate(_CLAUSE.finditer(q or "")):
        if count >= MAX_CLAUSES:
            break
        sign, prefix, quoted, bare = match.groups()
        negated = sign == "-"
        value = quoted if quoted is not None else bare or ""
        name = (prefix or "").lower()
        if prefix and name not in OPERATORS:
            # Not an operator: the whole thing is a term (Mastodon keeps `prefix:value`).
            value, quoted = f"{prefix}:{value}", None
            name = ""
        if not name:
            _add_term(query, value, phrase=quoted is not None, negated=negated)
            continue
        value = value.strip()
        lowered = value.lower()
        if name == "in":
            if lowered not in IN:
                query.impossible = True
            else:
                query.scope = lowered
            continue
        if name in ("before", "after", "during"):
            parse_day(value)
        elif name == "has" and lowered not in HAS or name == "is" and lowered not in IS:
            if not negated:
                query.impossible = True
            continue
        elif not value:
            continue
        query.filters.append(Filter(name, value if name == "from" else lowered, negated))
    return query


def _add_term(query: Query, value: str, *, phrase: bool, negated: bool) -> None:
    value = value.strip()
    if not value or not re.search(r"\w", value):
        return
    if negated:
        query.excluded.append(value)
    elif phrase and len(value.split()) > 1:
        query.phrases.append(value)
    else:
        query.words.append(value)
