"""Remote ActivityStreams 2 documents -> plain dataclasses the inbox can act on.

This is the entry point for reading: `parse_object`, `parse_activity` and `visibility_of` live
here, and `parse_actor` plus the small helpers (`as_list`, `id_of`, `origin`, `same_origin`,
`InvalidDocument`) are re-exported from the modules that hold them. Pure functions: no
database, no network. Validate, never trust: a document's claims about itself are only
checked for shape here; whether it may be believed (same origin as its fetch URL or signer) is
decided by the caller with `same_origin`.

How non-Note objects are shown (Article, Page, Video, Event, Audio, Image). Mastodon reduces
them to a title, a summary and a link. We keep the same first paragraph -- the `name` as a link
to the object's web page -- then add the object's own `content` when it has some (a Lemmy post
or a WordPress article reads better whole than as a bare link), else its `summary`. Their
`summary` is therefore never a content warning.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from datetime import datetime

from pnyx.federation.as2_actors import RemoteActor, parse_actor
from pnyx.federation.as2_common import (
    MAX_RECIPIENTS,
    InvalidDocument,
    RemoteEmoji,
    UnsupportedType,
    as_bool,
    as_count,
    as_list,
    clean_text,
    emoji_tags,
    first_text,
    http_url,
    id_of,
    link_href,
    matches_fetch_url,
    origin,
    parse_datetime,
    plain_text,
    safe_html,
    same_origin,
    text_to_html,
    type_of,
    uri_list,
)
from pnyx.federation.vocab import ACTOR_TYPES, PUBLIC, normalize_audience

__all__ = [
    "KNOWN_ACTIVITY_TYPES",
    "KNOWN_OBJECT_TYPES",
    "Activity",
    "InvalidDocument",
    "RemoteActor",
    "RemoteAttachment",
    "RemoteObject",
    "RemotePoll",
    "UnsupportedType",
    "as_list",
    "id_of",
    "matches_fetch_url",
    "origin",
    "parse_activity",
    "parse_actor",
    "parse_object",
    "quote_policy",
    "same_origin",
    "visibility_of",
]

# Objects shown as statuses. Note and Question as they are; the rest "converted" (see above).
KNOWN_OBJECT_TYPES = frozenset(
    {"Note", "Question", "Article", "Page", "Video", "Event", "Audio", "Image"}
)
CONVERTED_TYPES = KNOWN_OBJECT_TYPES - {"Note", "Question"}
# Activities the inbox acts on; anything else is accepted and ignored.
KNOWN_ACTIVITY_TYPES = frozenset(
    {
        "Create",
        "Update",
        "Delete",
        "Follow",
        "Accept",
        "Reject",
        "Undo",
        "Announce",
        "Like",
        "Block",
        "Flag",
        "Add",
        "Remove",
        "Move",
        "QuoteRequest",
    }
)
# Activities that may arrive without an id: their effect is keyed by (actor, object) anyway.
ID_OPTIONAL_TYPES = frozenset({"Like", "Dislike", "EmojiReact"})
MEDIA_TYPES = frozenset({"Document", "Image", "Video", "Audio"})

MAX_SPOILER = 10_000
MAX_MENTION_NAME = 512
MAX_TAG = 100
MAX_ATTACHMENTS = 16
MAX_DESCRIPTION = 1_500
MAX_POLL_OPTIONS = 64
MAX_OPTION = 512
_TAG_NAME = re.compile(r"^\w+$")
_LANGUAGE = re.compile(r"^[A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8})*$")
_PLAIN_MEDIA_TYPES = ("text/plain", "text/markdown")
_BLURHASH = re.compile(r"^[0-9A-Za-z#$%*+,\-.:;=?@\[\]^_{|}~]{6,100}$")


@dataclass
class RemoteAttachment:
    url: str
    media_type: str | None = None
    description: str = ""
    type: str = "Document"  # Document, Image, Video or Audio, as sent
    blurhash: str | None = None
    width: int | None = None
    height: int | None = None
    focus: tuple[float, float] | None = None  # Mastodon's focalPoint, each -1.0 to 1.0


@dataclass
class RemotePoll:
    options: list[tuple[str, int]]  # (title, votes), in order
    multiple: bool = False
    expires_at: datetime | None = None
    closed_at: datetime | None = None
    voters_count: int | None = None


@dataclass
class RemoteObject:
    """A remote post (or poll vote, see `vote_name`), checked for shape and sanitized."""

    uri: str
    type: str
    attributed_to: str
    content_html: str = ""
    url: str | None = None
    spoiler_text: str = ""
    sensitive: bool = False
    language: str | None = None
    published: datetime | None = None
    updated: datetime | None = None
    in_reply_to_uri: str | None = None
    to: list[str] = field(default_factory=list)
    cc: list[str] = field(default_factory=list)
    mentions: list[tuple[str, str]] = field(default_factory=list)  # (actor uri, "@name@host")
    hashtags: list[str] = field(default_factory=list)  # lower-case, no '#'
    emojis: list[RemoteEmoji] = field(default_factory=list)
    attachments: list[RemoteAttachment] = field(default_factory=list)
    poll: RemotePoll | None = None
    quote_uri: str | None = None
    quote_authorization: str | None = None  # FEP-044f: the stamp allowing the quote
    # Who may quote it: the actors and collections `interactionPolicy.canQuote` approves
    # (None: the sender says nothing); `quote_policy` reads them with the author's followers
    quote_approvers: list[str] | None = None
    audience: str | None = None
    # Set when this is a vote in a poll (a Note with a name, inReplyTo, and no content).
    vote_name: str | None = None

    def visibility(self, followers_url: str | None = None) -> str:
        return visibility_of(self.to, self.cc, followers_url=followers_url)


@dataclass
class Activity:
    """An activity's envelope. `object` is a URI or the embedded dict, as sent; for Flag, which
    names several objects, `object` is the first and `object_ids` lists them all."""

    id: str | None
    type: str
    actor: str
    object: str | dict | None = None
    object_id: str | None = None
    object_ids: list[str] = field(default_factory=list)
    target: str | None = None
    to: list[str] = field(default_factory=list)
    cc: list[str] = field(default_factory=list)
    published: datetime | None = None
    raw: dict = field(default_factory=dict)

    @property
    def embedded(self) -> dict | None:
        """The object when it came embedded (to be verified before it is believed)."""
        return self.object if isinstance(self.object, dict) else None


def visibility_of(to, cc, *, followers_url: str | None) -> str:
    """Mastodon's reading of addressing: Public in `to` is public, in `cc` unlisted; the
    author's followers collection makes it followers-only; anything else is direct.

    Without the author's followers URL, any collection whose path ends in /followers counts.
    """
    to = [normalize_audience(u) for u in to if isinstance(u, str)]
    cc = [normalize_audience(u) for u in cc if isinstance(u, str)]
    if PUBLIC in to:
        return "public"
    if PUBLIC in cc:
        return "unlisted"
    everyone = to + cc
    if followers_url is not None:
        if followers_url in everyone:
            return "private"
    elif any(u.rstrip("/").endswith("/followers") for u in everyone):
        return "private"
    return "direct"


def _attributed_to(doc: dict) -> str | None:
    """The author: attributedTo may be a URI, an object, or a list mixing both (PeerTube lists
    the account and its channel). A Person-like entry wins, then an untyped reference, then a
    Group; else the `actor` some servers put on objects."""

    def rank(item) -> int:
        kind = type_of(item)
        if kind in ACTOR_TYPES - {"Group"}:
            return 0
        return 2 if kind == "Group" else 1

    items = [i for i in as_list(doc.get("attributedTo")) if http_url(id_of(i))]
    if items:
        return http_url(id_of(min(items, key=rank)))
    return http_url(id_of(doc.get("actor")))


def _language(doc: dict) -> str | None:
    """contentMap's first key when present; else Lemmy's {"identifier": ...}; "und" is None."""
    candidates = []
    content_map = doc.get("contentMap")
    if isinstance(content_map, dict):
        candidates.extend(content_map.keys())
    for lang in as_list(doc.get("language"))[:1]:
        if isinstance(lang, dict):
            candidates.append(lang.get("identifier"))
    code = candidates[0] if candidates else None
    if not isinstance(code, str) or len(code) > 16 or not _LANGUAGE.match(code):
        return None
    return None if code.lower() == "und" else code


def _body_html(doc: dict, body: str | None) -> str:
    """Sanitized HTML of a content property, respecting a mediaType of plain text/Markdown."""
    if not body:
        return ""
    media_type = doc.get("mediaType")
    if isinstance(media_type, str) and media_type.split(";")[0].strip() in _PLAIN_MEDIA_TYPES:
        return safe_html(text_to_html(clean_text(body, 100_000)))
    return safe_html(body)


def _converted_html(doc: dict, uri: str, url: str | None) -> str:
    """Article/Page/Video/...: the name linked to the web page, then content (else summary)."""
    parts = []
    name = plain_text(first_text(doc, "name"), 1_000)
    if name:
        href = html.escape(url or uri)
        parts.append(f'<p><a href="{href}">{html.escape(name)}</a></p>')
    body = _body_html(doc, first_text(doc, "content"))
    if not body:
        summary = plain_text(first_text(doc, "summary"), MAX_SPOILER)
        body = text_to_html(summary) if summary else ""
    parts.append(body)
    return safe_html("".join(parts))


def _tags(doc: dict) -> tuple[list, list, list]:
    """(mentions, hashtags, emojis) from the tag list; malformed entries are skipped."""
    mentions: list[tuple[str, str]] = []
    hashtags: list[str] = []
    for tag in as_list(doc.get("tag"))[:MAX_RECIPIENTS]:
        if not isinstance(tag, dict):
            continue
        kind, name = type_of(tag), tag.get("name")
        if kind == "Mention":
            href = http_url(tag.get("href")) or http_url(id_of(tag))
            if href and all(href != m[0] for m in mentions):
                mentions.append((href, plain_text(name, MAX_MENTION_NAME)))
        elif kind == "Hashtag" and isinstance(name, str):
            tag_name = name.strip().lstrip("#").lower()
            if _TAG_NAME.match(tag_name) and len(tag_name) <= MAX_TAG and tag_name not in hashtags:
                hashtags.append(tag_name)
    return mentions, hashtags, emoji_tags(doc)


def _attachments(doc: dict) -> list[RemoteAttachment]:
    out: list[RemoteAttachment] = []
    for item in as_list(doc.get("attachment")):
        if len(out) >= MAX_ATTACHMENTS:
            break
        if not isinstance(item, dict) or type_of(item) not in MEDIA_TYPES:
            continue
        url = link_href(item.get("url"), prefer_html=False)
        if url is None:
            continue
        media_type = item.get("mediaType")
        blurhash = item.get("blurhash")
        out.append(
            RemoteAttachment(
                url=url,
                type=type_of(item),
                media_type=clean_text(media_type, 255) or None,
                description=plain_text(item.get("name") or item.get("summary"), MAX_DESCRIPTION),
                blurhash=blurhash
                if isinstance(blurhash, str) and _BLURHASH.match(blurhash)
                else None,
                width=_dimension(item.get("width")),
                height=_dimension(item.get("height")),
                focus=_focal_point(item.get("focalPoint")),
            )
        )
    return out


def _focal_point(value) -> tuple[float, float] | None:
    """`[x, y]` within -1..1, as Mastodon sends it; anything else is no focal point."""
    if not isinstance(value, list) or len(value) != 2:
        return None
    if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in value):
        return None
    x, y = float(value[0]), float(value[1])
    if not (-1.0 <= x <= 1.0 and -1.0 <= y <= 1.0):
        return None
    return x, y


def _dimension(value) -> int | None:
    return (
        value
        if isinstance(value, int) and not isinstance(value, bool) and 0 < value < 100_000
        else None
    )


def _poll(doc: dict) -> RemotePoll | None:
    """A Question's options and counts; a Question without options is read as a plain post.

    `closed` is a time (Pleroma also uses it for a poll's planned end) or true; it becomes
    `closed_at`, and also `expires_at` when there is no `endTime`."""
    multiple = "anyOf" in doc and "oneOf" not in doc
    options: list[tuple[str, int]] = []
    for choice in as_list(doc.get("anyOf" if multiple else "oneOf"))[:MAX_POLL_OPTIONS]:
        if not isinstance(choice, dict):
            continue
        title = plain_text(first_text(choice, "name"), MAX_OPTION)
        replies = choice.get("replies")
        votes = as_count(replies.get("totalItems")) if isinstance(replies, dict) else 0
        if title:
            options.append((title, votes))
    if not options:
        return None
    expires_at = parse_datetime(doc.get("endTime"))
    closed = doc.get("closed")
    closed_at = parse_datetime(closed)
    if closed_at is not None and expires_at is None:
        expires_at = closed_at
    elif closed_at is None and as_bool(closed):
        closed_at = expires_at or parse_datetime(doc.get("published"))
    voters = doc.get("votersCount")
    return RemotePoll(
        options=options,
        multiple=multiple,
        expires_at=expires_at,
        closed_at=closed_at,
        voters_count=as_count(voters) if voters is not None else None,
    )


def _quote_uri(doc: dict) -> str | None:
    """FEP-044f `quote`, or the older quoteUrl / quoteUri / _misskey_quote."""
    for key in ("quote", "quoteUrl", "quoteUri", "_misskey_quote"):
        found = http_url(id_of(doc.get(key)))
        if found:
            return found
    return None


def _quote_approvers(doc: dict) -> list[str] | None:
    """Who `interactionPolicy.canQuote` approves, at once or by hand (the same to us, as to
    Mastodon: either way this server asks, and the answer decides); None when the post does
    not say (an older server)."""
    policy = doc.get("interactionPolicy")
    can_quote = policy.get("canQuote") if isinstance(policy, dict) else None
    if not isinstance(can_quote, dict):
        return None
    approved = [*as_list(can_quote.get("automaticApproval"))]
    approved += as_list(can_quote.get("manualApproval"))
    found = (id_of(x) for x in approved[:MAX_RECIPIENTS])
    return [normalize_audience(u) for u in found if isinstance(u, str)]


def quote_policy(
    approvers: list[str] | None, author_uri: str, followers_url: str | None
) -> str | None:
    """A post's `canQuote` as a policy here: `public` when everyone is approved, `followers`
    when the author's followers are, `nobody` when only the author is; None (its server may
    be asked) when the post does not say, or names others we cannot tell apart."""
    if approvers is None:
        return None
    if PUBLIC in approvers:
        return "public"
    others = [u for u in approvers if u != author_uri]
    if followers_url and followers_url in others:
        return "followers"
    return None if others else "nobody"


def parse_object(doc: dict) -> RemoteObject:
    """A remote object -> RemoteObject. InvalidDocument when unusable (no id, no author);
    UnsupportedType (a subclass) for kinds we do not show (ChatMessage, Tombstone...)."""
    if not isinstance(doc, dict):
        raise InvalidDocument("object is not a JSON object")
    kind = type_of(doc)
    if kind not in KNOWN_OBJECT_TYPES:
        raise UnsupportedType(f"object type not shown: {kind!r}")
    uri = http_url(doc.get("id"))
    if uri is None:
        raise InvalidDocument("object has no http(s) id")
    author = _attributed_to(doc)
    if author is None:
        raise InvalidDocument("object has no author")
    url = link_href(doc.get("url"))
    content = first_text(doc, "content")
    mentions, hashtags, emojis = _tags(doc)
    obj = RemoteObject(
        uri=uri,
        type=kind,
        attributed_to=author,
        url=url,
        language=_language(doc),
        published=parse_datetime(doc.get("published")),
        updated=parse_datetime(doc.get("updated")),
        in_reply_to_uri=http_url(id_of(doc.get("inReplyTo"))),
        to=uri_list(doc.get("to")),
        cc=uri_list(doc.get("cc")),
        mentions=mentions,
        hashtags=hashtags,
        emojis=emojis,
        attachments=_attachments(doc),
        quote_uri=_quote_uri(doc),
        quote_authorization=http_url(id_of(doc.get("quoteAuthorization"))),
        quote_approvers=_quote_approvers(doc),
        audience=http_url(id_of(doc.get("audience"))),
    )
    name = first_text(doc, "name")
    is_choice = kind == "Note" or (kind == "Question" and not ("oneOf" in doc or "anyOf" in doc))
    if is_choice and name and not content and obj.in_reply_to_uri:
        # A poll vote (Mastodon sends votes as such Notes): nothing to show, only to count.
        obj.vote_name = plain_text(name, MAX_OPTION)
        return obj
    if kind in CONVERTED_TYPES:
        obj.content_html = _converted_html(doc, uri, url)
    else:
        obj.content_html = _body_html(doc, content)
        obj.spoiler_text = plain_text(first_text(doc, "summary"), MAX_SPOILER)
        if kind == "Question":
            obj.poll = _poll(doc)
    # Sensitive when the sender says so (some spell it as:sensitive), when there is a content
    # warning (clients hide the post behind it anyway), or tagged #nsfw as Pleroma does.
    obj.sensitive = (
        as_bool(doc.get("sensitive", doc.get("as:sensitive")))
        or bool(obj.spoiler_text)
        or "nsfw" in hashtags
    )
    return obj


def parse_activity(doc: dict) -> Activity:
    """An activity's envelope. InvalidDocument without a type, an http(s) actor, or an id.

    The id may be missing only on Like, Dislike and EmojiReact (`id` is then None): some
    servers send those as transient activities, and their effect is keyed by (actor, object),
    so the inbox loses nothing by deduplicating on that instead. Unknown types are returned
    with their type as given, for the caller to ignore.
    """
    if not isinstance(doc, dict):
        raise InvalidDocument("activity is not a JSON object")
    kind = type_of(doc)
    if kind is None:
        raise InvalidDocument("activity has no type")
    raw_id = doc.get("id")
    activity_id = http_url(raw_id)
    if activity_id is None and (raw_id is not None or kind not in ID_OPTIONAL_TYPES):
        raise InvalidDocument("activity has no http(s) id")
    actor = None
    for item in as_list(doc.get("actor")):
        actor = http_url(id_of(item))
        if actor:
            break
    if actor is None:
        raise InvalidDocument("activity has no http(s) actor")
    objects = [o for o in as_list(doc.get("object")) if isinstance(o, str | dict)]
    first = objects[0] if objects else None
    if isinstance(first, str):
        first = clean_text(first, 2048)
    object_ids = [i for i in (http_url(id_of(o)) for o in objects[:MAX_RECIPIENTS]) if i]
    return Activity(
        id=activity_id,
        type=clean_text(kind, 255),
        actor=actor,
        object=first,
        object_id=http_url(id_of(first)),
        object_ids=object_ids,
        target=http_url(id_of(doc.get("target"))),
        to=uri_list(doc.get("to")),
        cc=uri_list(doc.get("cc")),
        published=parse_datetime(doc.get("published")),
        raw=doc,
    )
