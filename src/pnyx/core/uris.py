"""ActivityPub ids and web URLs for local things, derived from the instance's base URL.

Every local record gets its `uri` when it is created, so federation (a later layer) never has to
invent one after the fact, and the web pages answer on the same addresses.
"""

from __future__ import annotations

from pnyx.config import Settings


def account_uri(settings: Settings, username: str) -> str:
    return f"{settings.base_url}/users/{username}"


def account_url(settings: Settings, username: str) -> str:
    return f"{settings.base_url}/@{username}"


def status_uri(settings: Settings, username: str, status_id: int) -> str:
    return f"{settings.base_url}/users/{username}/statuses/{status_id}"


def status_url(settings: Settings, username: str, status_id: int) -> str:
    return f"{settings.base_url}/@{username}/{status_id}"


def activity_uri(settings: Settings, username: str, kind: str, record_id: int) -> str:
    """Ids for Like, Announce, Follow, Block, Vote ... activities made by a local account."""
    return f"{settings.base_url}/users/{username}/{kind}/{record_id}"


def label_uri(settings: Settings, label_id: int) -> str:
    """A label issued here (`core.labels`): its id, which answers with the signed object."""
    return f"{settings.base_url}/labels/{label_id}"


def moderation_list_uri(settings: Settings, username: str, list_id: int) -> str:
    """A moderation list kept here (`core.moderation_lists`): its public collection."""
    return f"{settings.base_url}/users/{username}/moderation_lists/{list_id}"


def tag_url(settings: Settings, name: str) -> str:
    return f"{settings.base_url}/tags/{name}"


def account_actor_urls(settings: Settings, username: str) -> dict[str, str]:
    base = account_uri(settings, username)
    return {
        "uri": base,
        "url": account_url(settings, username),
        "inbox_url": f"{base}/inbox",
        "shared_inbox_url": f"{settings.base_url}/inbox",
        "outbox_url": f"{base}/outbox",
        "followers_url": f"{base}/followers",
        "following_url": f"{base}/following",
        "featured_url": f"{base}/collections/featured",
    }
