"""What a person gathers, as Mastodon entities: List, Tag (with the viewer's following and
featuring) and FeaturedTag. Shared by the API and, later, the web pages."""

from __future__ import annotations

from urllib.parse import quote

from pnyx.config import Settings
from pnyx.core import uris
from pnyx.core.featured_tags import FeaturedTag
from pnyx.core.hashtags import TagView
from pnyx.presenters import entities


def list_entity(row) -> dict:
    return {
        "id": str(row.id),
        "title": row.title,
        "replies_policy": row.replies_policy,
        "exclusive": bool(row.exclusive),
    }


def tag(item: TagView, settings: Settings, *, signed_in: bool) -> dict:
    """The Tag entity; `following` and `featuring` only for a signed-in viewer, as Mastodon.
    History counts are strings and days are Unix times of midnight UTC, as Mastodon sends."""
    data: dict = {
        "id": str(item.id) if item.id is not None else "",
        "name": item.name,
        "url": uris.tag_url(settings, quote(item.name.lower(), safe="")),
        "history": [
            {"day": str(int(day.timestamp())), "uses": str(uses), "accounts": str(people)}
            for day, uses, people in item.history
        ],
    }
    if signed_in:
        data["following"] = item.following
        data["featuring"] = item.featuring
    return data


def trend_link(card, trend, author: dict | None = None) -> dict:
    """Trends::Link: the PreviewCard entity (`author`: the Account entity it credits) and its
    use per day (strings, as Mastodon)."""
    return {
        **entities.preview_card(card, author),
        "history": [
            {"day": str(int(day.timestamp())), "uses": str(uses), "accounts": str(people)}
            for day, uses, people in trend.history
        ],
    }


def featured_tag(item: FeaturedTag, account, settings: Settings) -> dict:
    """The FeaturedTag entity; its url is the owner's profile filtered by the tag. Mastodon
    sends the count as a string and the last post's day as a date."""
    profile = account.url or uris.account_url(settings, account.username)
    return {
        "id": str(item.id),
        "name": item.name,
        "url": f"{profile}/tagged/{quote(item.name.lower(), safe='')}",
        "statuses_count": str(item.statuses_count),
        "last_status_at": item.last_status_at.strftime("%Y-%m-%d") if item.last_status_at else None,
    }
