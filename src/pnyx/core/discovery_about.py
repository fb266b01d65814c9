"""Where the numbers of trends and follow suggestions come from, for the Explore pages and
`GET /api/v1/pnyx/trends/about`.

Every value here is read from the constants `core.trends` and `core.suggestions` declare and
run with, so the published explanation cannot drift from the code. The texts are English
templates whose `%(name)s` fields are filled with those values; the web UI translates the
template first (the French catalogue has the same templates), the API sends it in English.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from types import ModuleType
from typing import Any

from pnyx.core import published, suggestions, trends

KINDS = ("statuses", "tags", "links", "suggestions")
# The page of this instance that serves a module's running source, when no
# PNYX_SOURCE_URL is published (web.explore serves it).
OWN_SOURCE_PAGE = "/explore/source/{name}"


def N_(text: str) -> str:
    """Marks a template for translation where it is declared (it is translated where shown)."""
    return text


def _hours(span: timedelta) -> int:
    return int(span.total_seconds() // 3600)


ELIGIBLE = N_(
    "Only public posts count: not unlisted, followers-only or direct posts, not boosts, not "
    "replies, not posts with a content warning or marked sensitive, and not posts of accounts "
    "that chose not to be discoverable or indexable, or that are suspended or waiting for "
    "approval."
)


@dataclass(frozen=True)
class Explanation:
    """One kind of discovery, explained: texts are templates filled from `values`."""

    kind: str
    module: ModuleType
    formula: str
    window: str
    counts: str
    excluded: str
    values: dict[str, Any]
    parameters: tuple[tuple[str, Any, str], ...]  # (constant name, value, unit)


def _tag_like(kind: str) -> Explanation:
    values = {
        "window_days": trends.TAG_WINDOW.days,
        "recent_hours": _hours(trends.RECENT),
        "usual_days": trends.USUAL_DAYS,
        "min_recent": trends.MIN_RECENT_ACCOUNTS,
        "max_rows": trends.MAX_ROWS,
        "max_results": trends.MAX_RESULTS,
        "cache_seconds": trends.CACHE_SECONDS,
    }
    if kind == "tags":
        formula = N_(
            "score = recent - usual, where recent is the number of distinct accounts that used "
            "the hashtag in the last %(recent_hours)s hours and usual is its daily average "
            "before: the distinct accounts that used it on each of the %(usual_days)s days "
            "before, summed and divided by %(usual_days)s. A hashtag trends when recent is at "
            "least %(min_recent)s and the score is above 0; ties go to the higher recent, then "
            "the name."
        )
        counts = N_(
            "Accounts that used the hashtag each day, not posts: one person posting it ten "
            "times counts once."
        )
    else:
        formula = N_(
            "score = recent - usual, where recent is the number of distinct accounts that "
            "shared the link in the last %(recent_hours)s hours and usual is its daily average "
            "before: the distinct accounts that shared it on each of the %(usual_days)s days "
            "before, summed and divided by %(usual_days)s. A link trends when recent is at "
            "least %(min_recent)s and the score is above 0; ties go to the higher recent, then "
            "the newest card."
        )
        counts = N_(
            "Accounts that shared the link each day, not posts (a post's link is its first "
            "one, the one its preview card shows)."
        )
    return Explanation(
        kind=kind,
        module=trends,
        formula=formula,
        window=N_(
            "Posts of the last %(window_days)s days (at most the newest %(max_rows)s uses), "
            "computed again every %(cache_seconds)s seconds; the best %(max_results)s are kept."
        ),
        counts=counts,
        excluded=ELIGIBLE,
        values=values,
        parameters=(
            ("TAG_WINDOW", _hours(trends.TAG_WINDOW), "hours"),
            ("RECENT", _hours(trends.RECENT), "hours"),
            ("USUAL_DAYS", trends.USUAL_DAYS, "days"),
            ("MIN_RECENT_ACCOUNTS", trends.MIN_RECENT_ACCOUNTS, "accounts"),
            ("MAX_ROWS", trends.MAX_ROWS, "rows"),
            ("MAX_RESULTS", trends.MAX_RESULTS, "items"),
            ("CACHE_SECONDS", trends.CACHE_SECONDS, "seconds"),
        ),
    )


def _statuses() -> Explanation:
    return Explanation(
        kind="statuses",
        module=trends,
        formula=N_(
            "score = interactions / (age + %(age_offset)s) ^ %(gravity)s, where interactions "
            "= favourites + boosts + replies as counted on this server and age is the post's "
            "age in hours (the gravity formula of Hacker News). Ties go to the newest post."
        ),
        window=N_(
            "Posts of the last %(window_hours)s hours with at least one interaction (at most "
            "the newest %(max_rows)s), computed again every %(cache_seconds)s seconds; the best "
            "%(max_results)s are kept."
        ),
        counts=N_(
            "Favourites, boosts and replies this server knows of: every one counts, whoever "
            "made it."
        ),
        excluded=ELIGIBLE,
        values={
            "age_offset": trends.AGE_OFFSET_HOURS,
            "gravity": trends.GRAVITY,
            "window_hours": _hours(trends.STATUS_WINDOW),
            "max_rows": trends.MAX_ROWS,
            "max_results": trends.MAX_RESULTS,
            "cache_seconds": trends.CACHE_SECONDS,
        },
        parameters=(
            ("STATUS_WINDOW", _hours(trends.STATUS_WINDOW), "hours"),
            ("GRAVITY", trends.GRAVITY, "exponent"),
            ("AGE_OFFSET_HOURS", trends.AGE_OFFSET_HOURS, "hours"),
            ("MAX_ROWS", trends.MAX_ROWS, "rows"),
            ("MAX_RESULTS", trends.MAX_RESULTS, "items"),
            ("CACHE_SECONDS", trends.CACHE_SECONDS, "seconds"),
        ),
    )


def _suggestions() -> Explanation:
    return Explanation(
        kind="suggestions",
        module=suggestions,
        formula=N_(
            "Ranked by friends, then followers, then the newest account, where friends is how "
            "many of the accounts you follow (your newest %(max_followed)s follows) follow it, "
            "and followers is how many accounts of this server follow it. An account with both "
            "at 0 is not suggested."
        ),
        window=N_(
            "Follows as they are now, read when you open the page; each count looks at most at "
            "the %(max_candidates)s most followed candidates."
        ),
        counts=N_("Accounts that follow, not posts or interactions."),
        excluded=N_(
            "Not suggested: you, accounts you follow or asked to follow, accounts you dismissed, "
            "blocked, muted or that block you, accounts on servers you block, accounts that chose "
            "not to be discoverable, and suspended accounts or those waiting for approval."
        ),
        values={
            "max_followed": suggestions.MAX_FOLLOWED,
            "max_candidates": suggestions.MAX_CANDIDATES,
        },
        parameters=(
            ("MAX_FOLLOWED", suggestions.MAX_FOLLOWED, "follows"),
            ("MAX_CANDIDATES", suggestions.MAX_CANDIDATES, "accounts"),
        ),
    )


def explain(kind: str) -> Explanation:
    """The explanation of one kind (`KINDS`), read from the modules' constants now."""
    if kind == "suggestions":
        return _suggestions()
    if kind == "statuses":
        return _statuses()
    if kind in ("tags", "links"):
        return _tag_like(kind)
    raise KeyError(kind)


def source_name(module: ModuleType) -> str:
    return module.__name__.rsplit(".", 1)[-1]


SOURCE_MODULES = {source_name(m): m for m in (trends, suggestions)}


def describe(
    item: Explanation, source_url: str, base_url: str, gettext: Any = None
) -> dict[str, Any]:
    """The explanation as plain data (the API's entry; the web page's with `gettext`)."""
    translate = gettext or (lambda text: text)

    def fill(text: str) -> str:
        return str(translate(text) % item.values)

    own = OWN_SOURCE_PAGE.format(name=source_name(item.module))
    return {
        "kind": item.kind,
        "formula": fill(item.formula),
        "window": fill(item.window),
        "counts": fill(item.counts),
        "excluded": fill(item.excluded),
        "parameters": [
            {"name": name, "value": value, "unit": unit} for name, value, unit in item.parameters
        ],
        "source_url": published.source_link(item.module, source_url, base_url, own),
    }
