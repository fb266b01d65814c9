"""The labels a page shows on its posts (issue 12): a badge per label in force from the
labelers the viewer applies (`core.label_rules.rules_of`; the instance's for someone signed out),
each naming the label and its labeler and linking to the label's page (`/labels/:id`).

A label the viewer set (or left by default) to warn puts the post behind a warning that names
it; one set to hide leaves the post out of the page (`site/_status.html` renders nothing for
it, so a page's length and its "older" link stay as core decided them). A page about one post
(its thread, the reply form) shows that post behind the warning instead: the person opened it.
The viewer's own posts are only badged, as filters spare them too.

Entities get the key `pnyx_labels`: {"badges": [...], "action": None | "warn" | "hide",
"warnings": the badges that warn}. Each badge: {"id", "value", "name", "names" (by language),
"description", "descriptions", "labeler" (acct), "on_account", "setting", "severity"}.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from pnyx.core import label_rules, viewer_rules

KEY = "pnyx_labels"


def localized(
    locales: Sequence[Mapping[str, str]] | None, fallback: str
) -> tuple[dict[str, str], str, dict[str, str], str]:
    """(names by language, the name for any other language, descriptions by language, the
    description for any other) of a label definition's locales: English first, else the first
    locale, else the label's value."""
    names: dict[str, str] = {}
    descriptions: dict[str, str] = {}
    for entry in locales or ():
        lang = str(entry.get("lang") or "").split("-")[0].lower()
        if lang and entry.get("name") and lang not in names:
            names[lang] = str(entry["name"])
            descriptions[lang] = str(entry.get("description") or "")
    first = next(iter(names), None)
    default = "en" if "en" in names else first
    if default is None:
        return names, fallback, descriptions, ""
    return names, names[default], descriptions, descriptions[default]


def pick(by_language: Mapping[str, str], other: str, language: str) -> str:
    return by_language.get(language) or other


def _badge(found: label_rules.Badge) -> dict:
    row = found.row
    names, name, descriptions, description = localized(row.locales, row.value)
    return {
        "id": str(row.id),
        "value": row.value,
        "names": names,
        "name": name,
        "descriptions": descriptions,
        "description": description,
        "labeler": row.username if row.domain is None else f"{row.username}@{row.domain}",
        "on_account": row.status_id is None,
        "setting": found.setting,
        "severity": row.severity,
    }


def _rules(tx, viewer_id: int | None) -> label_rules.LabelRules:
    if viewer_id is None:
        return label_rules.public_rules(tx)
    return viewer_rules.of(tx, viewer_id).labels


def _action(settings: set[str], own: bool, opened: bool) -> str | None:
    if own:
        return None
    if "hide" in settings and not opened:
        return "hide"
    return "warn" if settings & {"warn", "hide"} else None


def with_labels(
    tx, items: list[dict], viewer_id: int | None, *, opened: Iterable[Any] = ()
) -> list[dict]:
    """Adds `pnyx_labels` to these status entities (a boost: its original's labels and its
    author's), in one query; returns them. `opened`: ids of posts the page is about."""
    if not items:
        return items
    posts = []
    for item in items:
        shown = item.get("reblog") or item
        posts.append((item, int(shown["id"]), int(shown["account"]["id"])))
    found = label_rules.badges(
        tx, _rules(tx, viewer_id), {p for _i, p, _a in posts}, {a for _i, _p, a in posts}
    )
    if not found:
        return items
    on_post: dict[int, list[label_rules.Badge]] = {}
    on_author: dict[int, list[label_rules.Badge]] = {}
    for badge in found:
        if badge.row.status_id is not None:
            on_post.setdefault(badge.row.status_id, []).append(badge)
        else:
            on_author.setdefault(badge.row.account_id, []).append(badge)
    opened_ids = {str(i) for i in opened}
    for item, post_id, author_id in posts:
        here = [*on_post.get(post_id, ()), *on_author.get(author_id, ())]
        if not here:
            continue
        shown_badges = [_badge(b) for b in here]
        item[KEY] = {
            "badges": shown_badges,
            "action": _action(
                {b.setting for b in here},
                own=viewer_id is not None and author_id == viewer_id,
                opened=str(post_id) in opened_ids or item["id"] in opened_ids,
            ),
            "warnings": [b for b in shown_badges if b["setting"] in ("warn", "hide")],
        }
    return items


def shown_only(items: list[dict]) -> list[dict]:
    """These entities but those a label hides (for lists that are not paged)."""
    return [i for i in items if (i.get(KEY) or {}).get("action") != "hide"]
