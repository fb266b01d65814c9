"""Matching posts against filters, as Mastodon does, and the pipeline step that applies them
per context (no database: the compiled filters are built by hand)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from pnyx.core import decisions
from pnyx.core.filter_matching import (
    ActiveFilter,
    ViewerFilters,
    keyword_pattern,
    match,
    plain_text,
    searchable_text,
)
from pnyx.core.visibility import ViewerContext


def compiled(fid: int, action: str, context: tuple[str, ...], *keywords, statuses=()):
    patterns = [keyword_pattern(k, w) for k, w in keywords]
    return ActiveFilter(
        fid,
        f"filter {fid}",
        context,
        action,
        None,
        re.compile("|".join(patterns), re.IGNORECASE) if patterns else None,
        frozenset(statuses),
    )


def finds(keyword: str, whole_word: bool, text: str) -> bool:
    return re.search(keyword_pattern(keyword, whole_word), text, re.IGNORECASE) is not None


def test_whole_words_and_parts():
    assert finds("cat", True, "My Cat.")
    assert not finds("cat", True, "category")
    assert finds("cat", False, "category")
    assert finds("#tag", True, "a #tag here") and finds("#tag", True, "#tag")
    assert not finds("#tag", True, "a #tagged post")
    assert finds("café", True, "au CAFÉ") and not finds("café", True, "cafés")
    assert finds("a.b", True, "see a.b now") and not finds("a.b", True, "axb")


def test_searchable_text_reads_what_people_read():
    assert plain_text("<p>One &amp; two</p><p>three<br>four</p>") == "One & two\nthree\nfour"
    text = searchable_text("CW", "<p>body</p>", ["opt a", "opt b"], ["alt text", ""])
    assert text == "CW\n\nbody\n\nopt a\n\nopt b\n\nalt text"
    # Tags are not words: a keyword does not match markup.
    assert not finds("span", False, plain_text('<span class="h-card">x</span>'))


def test_match_reports_keywords_and_posts():
    viewer = ViewerFilters(
        1,
        (
            compiled(1, "warn", ("home",), ("dragon", True), ("end", False)),
            compiled(2, "hide", ("public",), statuses=[50]),
            compiled(3, "warn", ("home",), ("absent", True)),
        ),
    )
    found = match(viewer, "The DRAGON at the ending", (60, 50))
    assert [(m.filter.id, m.keyword_matches, m.status_matches) for m in found] == [
        (1, ("DRAGON",), None),
        (2, None, (50,)),
    ]
    assert match(viewer, "nothing", (61,)) == ()


@dataclass
class Post:
    id: int
    account_id: int = 9
    visibility: str = "public"


def test_the_step_applies_filters_of_the_surface_context():
    viewer = ViewerFilters(
        1,
        (
            compiled(1, "hide", ("home",), ("x", True)),
            compiled(2, "warn", ("public", "home"), ("x", True)),
            compiled(3, "blur", ("public",), ("x", True)),
        ),
    )
    matches = {7: match(viewer, "x", (7,))}
    ctx = ViewerContext(1)
    home = decisions.decide((decisions.filtered(matches, "home"),), ctx, Post(7))
    assert home == decisions.hide("filtered:1")
    public = decisions.decide((decisions.filtered(matches, "public"),), ctx, Post(7))
    assert public == decisions.Decision("warn", ("filtered:2", "filtered:3"))
    assert decisions.decide((decisions.filtered(matches, "thread"),), ctx, Post(7)).shown
    assert decisions.decide((decisions.filtered(matches, None),), ctx, Post(7)) == decisions.SHOW
    assert decisions.decide((decisions.filtered(matches, "home"),), ctx, Post(8)) == decisions.SHOW
