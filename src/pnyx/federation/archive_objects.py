"""An archive's outbox items -> posts to import (`core.archive_import.posts.ArchivedPost`).

An archive (Mastodon's "Request your archive", or a Pnyx export in the same format) holds the
person's activities as their server published them: `Create` of a `Note` or `Question` for
each post, `Announce` for each boost. Each object is read by the same reader as objects that
arrive from other servers (`as2_to_internal.parse_object`): the same shape checks and the same
HTML sanitizer (scripts, styles and event handlers go), since an archive is untrusted input.
What differs is where media is: an attachment's `url` names a file inside the archive
(`media_attachments/files/...`), not a URL.

What is not imported, and why (each counted by reason on the import):
- `boost`: a boost is someone else's post. Boosting them again here, all at once, would be
  news to their authors (or silent and odd), and most would first have to be fetched from
  servers that may be gone. A person's boosts stay in their archive.
- `direct`: a direct message belongs to a conversation with the people it names. Re-created
  here it would reach them again, or change who may read it. Kept in the archive.
- `other_actor`: an object whose author (or activity whose actor) is not the archive's own
  actor: nobody imports posts in someone else's name.
- `poll_vote`: a vote in someone's poll (Mastodon publishes it as a Note): not a post.
- `not_a_post`: anything else (a Like, an object only referenced by its id, a Tombstone).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pnyx.core.archive_import.outbox_items import TooLarge
from pnyx.core.archive_import.posts import (
    ArchivedMedia,
    ArchivedPoll,
    ArchivedPost,
    MediaSource,
)
from pnyx.federation.as2_common import (
    InvalidDocument,
    as_list,
    http_url,
    id_of,
    plain_text,
    type_of,
)
from pnyx.federation.as2_to_internal import (
    KNOWN_OBJECT_TYPES,
    MAX_DESCRIPTION,
    MEDIA_TYPES,
    UnsupportedType,
    parse_object,
)


@dataclass(frozen=True)
class Skipped:
    reason: str  # boost, direct, other_actor, poll_vote, not_a_post


@dataclass(frozen=True)
class Failed:
    uri: str
    reason: str


@dataclass
class Read:
    """A post to import, and what of it could not be (an attachment missing, refused)."""

    post: ArchivedPost
    notes: list[str] = field(default_factory=list)


def read_item(
    item: Any, actor_uri: str, followers_url: str | None, archive: MediaSource
) -> Read | Skipped | Failed:
    """One outbox item, as the archive's actor (`actor_uri`) published it; its media is
    found in `archive` (the zip parts; for a live copy, the old server)."""
    if isinstance(item, TooLarge):
        return Failed(item.id or "", f"an item {item.reason}")
    if not isinstance(item, dict):
        return Failed("", "an item that is not a JSON object")
    kind = type_of(item)
    item_id = http_url(item.get("id")) or ""
    if kind == "Announce":
        return Skipped("boost")
    if kind == "Create":
        if _actor(item) != actor_uri:
            return Skipped("other_actor")
        document = item.get("object")
        activity: dict | None = item
    elif kind in KNOWN_OBJECT_TYPES:  # an outbox of bare objects
        document, activity = item, None
    else:
        return Skipped("not_a_post")
    if not isinstance(document, dict):
        return Skipped("not_a_post")  # only referenced by its id: not in the archive
    try:
        remote = parse_object(document)
    except UnsupportedType:
        return Skipped("not_a_post")
    except InvalidDocument as exc:
        return Failed(http_url(document.get("id")) or item_id, str(exc)[:300])
    if remote.attributed_to != actor_uri:
        return Skipped("other_actor")
    if remote.vote_name is not None:
        return Skipped("poll_vote")
    if remote.published is None:
        return Failed(remote.uri, "no date of publication")
    visibility = remote.visibility(followers_url)
    if visibility == "direct":
        return Skipped("direct")
    attached, notes = _media(document, archive)
    poll = None
    if remote.poll is not None:
        poll = ArchivedPoll(
            options=[title for title, _votes in remote.poll.options],
            tallies=[votes for _title, votes in remote.poll.options],
            multiple=remote.poll.multiple,
            voters_count=remote.poll.voters_count,
            closed_at=remote.poll.closed_at or remote.poll.expires_at or remote.published,
        )
    post = ArchivedPost(
        origin_uri=remote.uri,
        origin_actor_uri=actor_uri,
        origin_url=remote.url,
        published=remote.published,
        content=remote.content_html,
        visibility=visibility,
        spoiler_text=remote.spoiler_text,
        sensitive=remote.sensitive,
        language=remote.language,
        in_reply_to_uri=remote.in_reply_to_uri,
        mentioned_uris=[href for href, _name in remote.mentions],
        tags=list(remote.hashtags),
        poll=poll,
        media=attached,
        document=document,
        activity={**activity, "object": remote.uri} if activity is not None else None,
    )
    return Read(post, notes)


def _actor(activity: dict) -> str | None:
    for item in as_list(activity.get("actor"))[:5]:
        found = http_url(id_of(item))
        if found:
            return found
    return None


def _media(document: dict, archive: MediaSource) -> tuple[list[ArchivedMedia], list[str]]:
    """The attachments whose files are in the archive; a note for each that is not."""
    found: list[ArchivedMedia] = []
    notes: list[str] = []
    for item in as_list(document.get("attachment"))[:16]:
        if not isinstance(item, dict) or type_of(item) not in MEDIA_TYPES:
            continue
        address = item.get("url")
        if isinstance(address, dict):
            address = address.get("href")
        name = archive.media_name(address) if isinstance(address, str) else None
        if name is None:
            notes.append(f"{str(address)[:200]}: not in the archive")
            continue
        found.append(
            ArchivedMedia(
                name=name,
                description=plain_text(item.get("name") or item.get("summary"), MAX_DESCRIPTION),
                focus=_focal_point(item.get("focalPoint")),
            )
        )
    return found, notes


def _focal_point(value: Any) -> tuple[float, float] | None:
    if not isinstance(value, list) or len(value) != 2:
        return None
    if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in value):
        return None
    x, y = float(value[0]), float(value[1])
    return (x, y) if -1.0 <= x <= 1.0 and -1.0 <= y <= 1.0 else None
