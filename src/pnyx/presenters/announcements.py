"""Mastodon's Announcement and its reactions, as the API lists them and the live streams send
them (`pnyx.streaming.messages`): one rendering for both."""

from __future__ import annotations

from pnyx.config import Settings
from pnyx.core import announcements as core
from pnyx.core import uris
from pnyx.presenters import entities


def reaction(item: core.Reaction, *, with_me: bool = True) -> dict:
    """A reaction; `me` is left out where it is sent to everyone alike (a stream's
    `announcement.reaction`), as Mastodon does."""
    data: dict = {"name": item.name, "count": item.count}
    if with_me:
        data["me"] = item.me
    if item.url:
        data["url"] = item.url
        data["static_url"] = item.static_url or item.url
    return data


def announcement(item: core.Shown, settings: Settings) -> dict:
    """Mastodon's Announcement, as one viewer sees it."""
    row = item.row
    return {
        "id": str(row.id),
        "content": item.content,
        "starts_at": entities.iso(row.starts_at),
        "ends_at": entities.iso(row.ends_at),
        "all_day": row.all_day,
        "published": True,
        "published_at": entities.iso(row.published_at),
        "updated_at": entities.iso(row.updated_at),
        "read": item.read,
        "mentions": [
            {
                "id": str(m.id),
                "username": m.username,
                "url": m.url or m.uri,
                "acct": m.username if m.domain is None else f"{m.username}@{m.domain}",
            }
            for m in item.mentions
        ],
        "statuses": [],
        "tags": [{"name": t, "url": uris.tag_url(settings, t)} for t in item.tags],
        "emojis": item.emojis,
        "reactions": [reaction(r) for r in item.reactions],
    }
