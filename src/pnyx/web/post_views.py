"""What the post and profile pages show of posts and accounts: their web addresses, their
Mastodon entities as a viewer may see them, and plain-text excerpts for previews."""

from __future__ import annotations

import html
import re
from collections.abc import Iterable

import nh3
import sqlalchemy as sa

from pnyx.core import status_views
from pnyx.db.tables import accounts, statuses
from pnyx.presenters import entities
from pnyx.web import label_badges

_BREAKS = re.compile(r"<br\s*/?>|</p>|</li>|</h\d>", re.IGNORECASE)
_SPACES = re.compile(r"\s+")


def plain_text(fragment: str | None, limit: int = 200) -> str:
    """Sanitized post or bio HTML as one line of plain text, cut at `limit` characters (for
    OpenGraph descriptions and page titles)."""
    if not fragment:
        return ""
    spaced = _BREAKS.sub(" ", fragment)
    text = html.unescape(nh3.clean(spaced, tags=set()))
    text = _SPACES.sub(" ", text).strip()
    if len(text) > limit:
        text = text[: limit - 1].rstrip() + "…"
    return text


def acct_path(username: str, domain: str | None) -> str:
    return f"/@{username}" if domain is None else f"/@{username}@{domain}"


def status_path(tx, status_id: int) -> str:
    """The web page of a post (the boosted post's, for a boost); "/" if it is gone."""
    row = tx.one_or_none(
        sa.select(statuses.c.id, statuses.c.reblog_of_id, accounts.c.username, accounts.c.domain)
        .join(accounts, accounts.c.id == statuses.c.account_id)
        .where(statuses.c.id == status_id)
    )
    if row is None:
        return "/"
    if row.reblog_of_id:
        return status_path(tx, row.reblog_of_id)
    return f"{acct_path(row.username, row.domain)}/{row.id}"


def rendered_statuses(
    tx, ids: list[int], viewer_id: int | None, *, opened: Iterable[int] = (), **options
) -> list[dict]:
    """The Mastodon entities of these statuses that the viewer may see, in order, with the
    labels the viewer applies (`label_badges`; `opened`: the posts the page is about)."""
    bundle = status_views.load(tx, ids, viewer_id, **options)
    items = entities.statuses(bundle, tx.settings, tx.now)
    return label_badges.with_labels(tx, items, viewer_id, opened=opened)
