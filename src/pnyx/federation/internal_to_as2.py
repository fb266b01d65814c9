"""Pnyx records -> ActivityStreams 2 JSON documents, shaped as Mastodon publishes them.

Inputs are rows (or anything with the same attribute names as the table columns); outputs are
plain dicts ready for orjson. Pure functions: the caller loads rows, keys and related URIs and
passes them in, so this module never touches the database or the network. Matching Mastodon's
shapes (addressing by visibility, `#main-key` key ids, `/activity` ids for Create) matters
because most of the fediverse was written against it.
"""

from __future__ import annotations

import html
import mimetypes
from collections.abc import Iterable
from datetime import UTC, datetime
from urllib.parse import quote as percent_encode

from pnyx.config import Settings
from pnyx.core import custom_emojis, status_views
from pnyx.core.moderation_log import PublicEntry
from pnyx.federation.vocab import AS_CONTEXT, EXTENSIONS, PUBLIC, SECURITY_CONTEXT

ACTOR_CONTEXT = [AS_CONTEXT, SECURITY_CONTEXT, EXTENSIONS]
OBJECT_CONTEXT = [AS_CONTEXT, EXTENSIONS]


def iso(moment: datetime | None) -> str | None:
    """UTC, second precision, with Z: the form every fediverse server parses."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def _image(url: str | None) -> dict | None:
    if not url:
        return None
    image = {"type": "Image", "url": url}
    media_type, _ = mimetypes.guess_type(url.split("?", 1)[0])
    if media_type and media_type.startswith("image/"):
        image["mediaType"] = media_type
    return image


def _without_context(doc: dict) -> dict:
    """An object embedded in an activity: the activity carries the @context."""
    return {k: v for k, v in doc.items() if k != "@context"}


def _context_of(doc: dict) -> list | str:
    """The context an activity needs to carry for its embedded object."""
    context = doc.get("@context")
    return context if isinstance(context, list) else AS_CONTEXT


# --- Actors ---------------------------------------------------------------------------------


def actor(account, settings, *, moved_to_uri: str | None = None, emojis: Iterable = ()) -> dict:
    """A local account as Person (Service for bots, Group for groups).

    `emojis`: the custom emoji rows its name, bio and fields use, sent as Emoji tags.

    The public key is included when the account has one; callers make it first
    (`core.keys.ensure_keypair`) so remote servers can verify our signatures.
    """
    kind = "Group" if account.group else "Service" if account.bot else "Person"
    doc: dict = {
        "@context": ACTOR_CONTEXT,
        "id": account.uri,
        "type": kind,
        "following": account.following_url,
        "followers": account.followers_url,
        "inbox": account.inbox_url,
        "outbox": account.outbox_url,
        "featured": account.featured_url,
        "preferredUsername": account.username,
        "name": account.display_name or "",
        "summary": account.note or "",
        "url": account.url or account.uri,
        "manuallyApprovesFollowers": bool(account.locked),
        "discoverable": bool(account.discoverable),
        "indexable": bool(account.indexable),
        # Websites whose pages may credit this account (fediverse:creator), as Mastodon 4.4
        "attributionDomains": list(account.attribution_domains or []),
        "published": iso(account.created_at),
        "endpoints": {"sharedInbox": account.shared_inbox_url},
        "tag": [emoji(e, settings) for e in emojis],
        "attachment": [
            {"type": "PropertyValue", "name": f.get("name", ""), "value": f.get("value", "")}
            for f in (account.fields or [])
        ],
    }
    if account.public_key_pem:
        doc["publicKey"] = {
            "id": account.uri + "#main-key",
            "owner": account.uri,
            "publicKeyPem": account.public_key_pem,
        }
    icon, header = _image(account.avatar_url), _image(account.header_url)
    if icon:
        doc["icon"] = icon
    if header:
        doc["image"] = header
    if account.also_known_as:
        doc["alsoKnownAs"] = list(account.also_known_as)
    if moved_to_uri:
        doc["movedTo"] = moved_to_uri
    return doc


def instance_actor(settings, public_key_pem: str) -> dict:
    """The server's own actor, which signs fetches made on nobody's behalf (as Mastodon's)."""
    base = settings.base_url
    return {
        "@context": ACTOR_CONTEXT,
        "id": f"{base}/actor",
        "type": "Application",
        "preferredUsername": settings.domain,
        "inbox": f"{base}/actor/inbox",
        "outbox": f"{base}/actor/outbox",
        "url": f"{base}/about/more?instance_actor=true",
        "manuallyApprovesFollowers": True,
        "endpoints": {"sharedInbox": f"{base}/inbox"},
        "moderationLog": f"{base}/actor/moderation_log",
        "publicKey": {
            "id": f"{base}/actor#main-key",
            "owner": f"{base}/actor",
            "publicKeyPem": public_key_pem,
        },
    }


# --- Statuses -------------------------------------------------------------------------------


def addressing(
    visibility: str, *, followers_url: str, mentioned_uris: Iterable[str]
) -> tuple[list, list]:
    """(to, cc) for a status, as Mastodon addresses it.

    public: to Public, cc followers + mentions. unlisted: to followers, cc Public + mentions.
    private: to followers, cc mentions. direct: to mentions only.
    """
    mentions: list[str] = []
    for uri in mentioned_uris:
        if uri not in mentions:
            mentions.append(uri)
    if visibility == "public":
        return [PUBLIC], [followers_url, *mentions]
    if visibility == "unlisted":
        return [followers_url], [PUBLIC, *mentions]
    if visibility == "private":
        return [followers_url], mentions
    if visibility == "direct":
        return mentions, []
    raise ValueError(f"unknown visibility {visibility!r}")


def _mention_name(mention, settings) -> str:
    return f"@{mention.username}@{mention.domain or settings.domain}"


def _question_fields(poll) -> dict:
    choices = [
        {"type": "Note", "name": title, "replies": {"type": "Collection", "totalItems": votes}}
        for title, votes in zip(poll.options, poll.tallies, strict=False)
    ]
    doc: dict = {"anyOf" if poll.multiple else "oneOf": choices}
    doc["endTime"] = iso(poll.expires_at)
    if poll.closed_at is not None:
        doc["closed"] = iso(poll.closed_at)
    doc["votersCount"] = poll.voters_count or 0
    return doc


def note(
    status,
    author,
    settings,
    *,
    mentions: Iterable = (),
    tags: Iterable[str] = (),
    poll=None,
    in_reply_to_uri: str | None = None,
    quote: str | None = None,
    quote_authorization: str | None = None,
    attachments: Iterable = (),
    emojis: Iterable = (),
) -> dict:
    """A status as Note, or Question when it has a poll.

    `mentions`: accounts with uri, username, domain (None for local). `tags`: hashtag names
    as written. `in_reply_to_uri`: the parent's id (the row's own `in_reply_to_uri` is used when
    not given). `quote`: the quoted post's id, sent under the names readers look for, with
    `quote_authorization` (the quoted author's stamp) once it is allowed. Every local post
    says who may quote it (`interactionPolicy.canQuote`, from its `quote_policy`).
    """
    mentions = list(mentions)
    to, cc = addressing(
        status.visibility,
        followers_url=author.followers_url,
        mentioned_uris=[m.uri for m in mentions],
    )
    tag_list: list[dict] = [
        {"type": "Mention", "href": m.uri, "name": _mention_name(m, settings)} for m in mentions
    ]
    base = settings.base_url
    tag_list.extend(
        {
            "type": "Hashtag",
            "href": f"{base}/tags/{quote_path(name.lower())}",
            "name": f"#{name}",
        }
        for name in tags
    )
    tag_list.extend(emoji(e, settings) for e in emojis)
    doc: dict = {
        "@context": OBJECT_CONTEXT,
        "id": status.uri,
        "type": "Question" if poll is not None else "Note",
        "summary": status.spoiler_text or None,
        "inReplyTo": in_reply_to_uri or getattr(status, "in_reply_to_uri", None),
        "published": iso(status.created_at),
        "url": status.url or status.uri,
        "attributedTo": author.uri,
        "to": to,
        "cc": cc,
        "sensitive": bool(status.sensitive),
        "content": status.content,
    }
    if status.edited_at is not None:
        doc["updated"] = iso(status.edited_at)
    if status.language:
        doc["contentMap"] = {status.language: status.content}
    if quote:
        doc["quote"] = doc["quoteUrl"] = doc["quoteUri"] = doc["_misskey_quote"] = quote
        # For readers without quotes, a link to the quoted post, as Mastodon sends it (apps
        # that show the quote hide this paragraph).
        link = html.escape(quote)
        inline = f'<p class="quote-inline">RE: <a href="{link}">{link}</a></p>'
        doc["content"] = inline + status.content
        if status.language:
            doc["contentMap"] = {status.language: doc["content"]}
        if quote_authorization:
            doc["quoteAuthorization"] = quote_authorization
    policy = getattr(status, "quote_policy", None)
    if getattr(status, "local", False) and policy is not None:
        doc["interactionPolicy"] = {"canQuote": can_quote(policy, status, author)}
    doc["attachment"] = [document(m) for m in attachments]
    doc["tag"] = tag_list
    if poll is not None:
        doc.update(_question_fields(poll))
    return doc


def can_quote(policy: str, status, author) -> dict:
    """`canQuote` of a post: everyone, the author's followers, or only the author (what the
    policy `nobody`, and every followers-only or direct post, come to)."""
    if status.visibility in ("private", "direct"):
        policy = "nobody"
    automatic = [author.uri]
    if policy == "public":
        automatic.append(PUBLIC)
    elif policy == "followers":
        automatic.append(author.followers_url)
    return {"automaticApproval": automatic, "manualApproval": []}


def quote_request(id: str, *, actor_uri: str, object_uri: str, instrument: dict) -> dict:
    """FEP-044f: ask the quoted post's author to allow a quote (the quoting post embedded)."""
    return {
        "@context": OBJECT_CONTEXT,
        "id": id,
        "type": "QuoteRequest",
        "actor": actor_uri,
        "object": object_uri,
        "instrument": _without_context(instrument),
    }


def quote_authorization(id: str, *, author_uri: str, quoting_uri: str, quoted_uri: str) -> dict:
    """FEP-044f: the stamp a quoted author's server serves at `id` for one allowed quote."""
    return {
        "@context": OBJECT_CONTEXT,
        "id": id,
        "type": "QuoteAuthorization",
        "attributedTo": author_uri,
        "interactingObject": quoting_uri,
        "interactionTarget": quoted_uri,
    }


def quote_answer(
    id: str, *, accepted: bool, actor_uri: str, request: dict, to: str, stamp: str | None
) -> dict:
    """The Accept (with the stamp as `result`) or Reject of a QuoteRequest."""
    doc = _simple("Accept" if accepted else "Reject", id, actor_uri, _without_context(request))
    doc["@context"] = OBJECT_CONTEXT
    doc["to"] = [to]
    if accepted and stamp:
        doc["result"] = stamp
    return doc


def document(media) -> dict:
    """A media attachment as Mastodon sends it: a Document with its type, address, alt text
    (`name`), blurhash, focal point and size."""
    doc: dict = {
        "type": "Document",
        "mediaType": media.content_type or _guessed_type(media.url or media.remote_url),
        "url": media.url or media.remote_url,
        "name": media.description or None,
        "blurhash": media.blurhash,
    }
    meta = media.meta or {}
    focus = meta.get("focus")
    if isinstance(focus, dict):
        doc["focalPoint"] = [focus.get("x", 0.0), focus.get("y", 0.0)]
    original = meta.get("original")
    if isinstance(original, dict) and original.get("width") and original.get("height"):
        doc["width"], doc["height"] = original["width"], original["height"]
    return doc


def _guessed_type(url: str | None) -> str | None:
    return mimetypes.guess_type(url.split("?", 1)[0])[0] if url else None


def status_note(bundle, status_id: int, settings) -> dict:
    """A status of a loaded bundle (`core.status_views`, with its parents' uris) as its Note
    or Question: the same rows the API and the web render, in ActivityStreams. Hashtags come
    in the order of their names, as written by the author."""
    status = bundle.statuses[status_id]
    tags = sorted(bundle.tags.get(status_id, ()), key=lambda tag: tag.name)
    quote = bundle.quotes.get(status_id)
    doc = note(
        status,
        bundle.accounts[status.account_id],
        settings,
        mentions=bundle.mentions.get(status_id, ()),
        tags=[tag.display_name or tag.name for tag in tags],
        poll=bundle.polls.get(status_id),
        in_reply_to_uri=bundle.in_reply_to_uris.get(status_id),
        quote=quote.quoted_uri if quote is not None else None,
        quote_authorization=(
            quote.approval_uri if quote is not None and quote.state == "accepted" else None
        ),
        attachments=bundle.media.get(status_id, ()),
        emojis=status_views.emoji_rows_of(bundle, status),
    )
    origin = bundle.imported.get(status_id)
    if origin is not None:
        # LOLA's breadcrumb: the post this one was copied from, and its author there. A server
        # that held the old post re-points it here once the move is checked (`moved_posts`).
        doc["previously"] = [{"actor": origin.origin_actor_uri, "id": origin.origin_uri}]
    return doc


def emoji(row, settings, *, context: bool = False) -> dict:
    """A custom emoji as Mastodon sends it: an Emoji tag (or, with `context`, the document
    served at its id) whose `name` is `:shortcode:` and `icon` the image."""
    doc: dict = {"@context": OBJECT_CONTEXT} if context else {}
    icon: dict = {"type": "Image", "url": row.url}
    media_type = _guessed_type(row.url)
    if media_type and media_type.startswith("image/"):
        icon["mediaType"] = media_type
    doc.update(
        {
            "id": custom_emojis.uri_of(settings, row),
            "type": "Emoji",
            "name": f":{row.shortcode}:",
            "updated": iso(row.updated_at or row.created_at),
            "icon": icon,
        }
    )
    return doc


def quote_path(name: str) -> str:
    """A tag name as a URL path segment (non-ASCII tags are percent-encoded)."""
    return percent_encode(name, safe="")


# --- Activities -----------------------------------------------------------------------------


def create(obj: dict, *, actor_uri: str) -> dict:
    """Create of an object; its id is the object's id + "/activity", as Mastodon's."""
    return {
        "@context": _context_of(obj),
        "id": obj["id"] + "/activity",
        "type": "Create",
        "actor": actor_uri,
        "published": obj.get("published"),
        "to": obj.get("to", []),
        "cc": obj.get("cc", []),
        "object": _without_context(obj),
    }


def update(obj: dict, *, actor_uri: str, id: str) -> dict:
    """Update of an object (an edited status), addressed as the object is."""
    doc = {
        "@context": _context_of(obj),
        "id": id,
        "type": "Update",
        "actor": actor_uri,
        "published": obj.get("updated") or obj.get("published"),
        "to": obj.get("to", []),
        "cc": obj.get("cc", []),
        "object": _without_context(obj),
    }
    if doc["published"] is None:
        del doc["published"]
    return doc


def delete(object_uri: str, *, actor_uri: str, id: str, to, cc=()) -> dict:
    """Delete, with a Tombstone as object (Mastodon's form; it tells nothing of the content)."""
    return {
        "@context": AS_CONTEXT,
        "id": id,
        "type": "Delete",
        "actor": actor_uri,
        "to": list(to),
        "cc": list(cc),
        "object": {"id": object_uri, "type": "Tombstone"},
    }


def tombstone(uri: str, deleted: datetime) -> dict:
    """What a deleted post's address answers (with 410 Gone), as Mastodon."""
    return {"@context": AS_CONTEXT, "id": uri, "type": "Tombstone", "deleted": iso(deleted)}


def _simple(kind: str, id: str, actor_uri: str, obj) -> dict:
    return {"@context": AS_CONTEXT, "id": id, "type": kind, "actor": actor_uri, "object": obj}


def follow(id: str, *, actor_uri: str, object_uri: str) -> dict:
    return _simple("Follow", id, actor_uri, object_uri)


def accept(id: str, *, actor_uri: str, activity: dict) -> dict:
    """Accept of a Follow: the Follow embedded, so the follower can match it without a fetch."""
    return _simple("Accept", id, actor_uri, _without_context(activity))


def reject(id: str, *, actor_uri: str, activity: dict) -> dict:
    return _simple("Reject", id, actor_uri, _without_context(activity))


def undo(id: str, *, actor_uri: str, activity: dict) -> dict:
    return _simple("Undo", id, actor_uri, _without_context(activity))


def like(id: str, *, actor_uri: str, object_uri: str) -> dict:
    return _simple("Like", id, actor_uri, object_uri)


def block(id: str, *, actor_uri: str, object_uri: str) -> dict:
    return _simple("Block", id, actor_uri, object_uri)


def flag(id: str, *, actor_uri: str, object_uris: list[str], content: str) -> dict:
    """A report for another server's moderators, as Mastodon sends it: from the instance
    actor, naming the account first, then the posts it cites."""
    return {**_simple("Flag", id, actor_uri, object_uris), "content": content}


def announce(
    id: str, *, actor_uri: str, object_uri: str, to, cc, published: datetime | None
) -> dict:
    doc = _simple("Announce", id, actor_uri, object_uri)
    doc.update({"published": iso(published), "to": list(to), "cc": list(cc)})
    return doc


def vote(
    id: str,
    *,
    actor_uri: str,
    question_uri: str,
    question_author_uri: str,
    option_name: str,
    published: datetime | None = None,
) -> dict:
    """One poll choice, as Mastodon sends it: a Create of a Note whose `name` is the option.

    `id` is the Note's id (one per chosen option); the Create's id is `id + "/activity"`. Only
    the poll's author is addressed: votes are private.
    """
    vote_note = {
        "id": id,
        "type": "Note",
        "name": option_name,
        "attributedTo": actor_uri,
        "inReplyTo": question_uri,
        "to": [question_author_uri],
    }
    doc = {
        "@context": AS_CONTEXT,
        "id": id + "/activity",
        "type": "Create",
        "actor": actor_uri,
        "to": [question_author_uri],
        "object": vote_note,
    }
    if published is not None:
        doc["published"] = iso(published)
    return doc


def update_actor(actor_doc: dict, *, id: str) -> dict:
    """Update of a profile, to everyone (servers holding a copy refresh it)."""
    return {
        "@context": _context_of(actor_doc),
        "id": id,
        "type": "Update",
        "actor": actor_doc["id"],
        "to": [PUBLIC],
        "object": _without_context(actor_doc),
    }


# --- The public moderation log ---------------------------------------------------------------


def moderation_action(entry: PublicEntry, settings: Settings) -> dict:
    """One public entry of the moderation log (`core.moderation_log.PublicEntry`) as the
    instance actor's collection shows it: what was done (`moderationAction`), to whom
    (`object`: the account's id; `targetDomain`: a server, starred out as the public sees
    it), under which rule (its text as cited), why (`content`), by which role, when and
    until when. Its id is its anchor on the public page."""
    doc: dict = {
        "id": f"{settings.base_url}/moderation#entry-{entry.id}",
        "type": "ModerationAction",
        "moderationAction": entry.action,
        "actor": f"{settings.base_url}/actor",
        "actorRole": entry.actor_role,
        "published": iso(entry.created_at),
        "content": entry.reason,
    }
    if entry.target_account is not None:
        doc["object"] = entry.target_account.uri
    if entry.target_domain is not None:
        doc["targetDomain"] = entry.target_domain
    if entry.rule_text is not None:
        doc["rule"] = entry.rule_text
    if entry.ends_at is not None:
        doc["endTime"] = iso(entry.ends_at)
    return doc


# --- Collections ----------------------------------------------------------------------------


def ordered_collection(
    id: str, *, total: int, first: str | None = None, items: list | None = None
) -> dict:
    """A collection's root: its size, and either a link to its first page or the items."""
    doc: dict = {"@context": AS_CONTEXT, "id": id, "type": "OrderedCollection", "totalItems": total}
    if first is not None:
        doc["first"] = first
    if items is not None:
        doc["orderedItems"] = items
    return doc


def ordered_collection_page(
    id: str, *, part_of: str, items: list, next: str | None = None, prev: str | None = None
) -> dict:
    doc: dict = {
        "@context": AS_CONTEXT,
        "id": id,
        "type": "OrderedCollectionPage",
        "partOf": part_of,
        "orderedItems": items,
    }
    if next is not None:
        doc["next"] = next
    if prev is not None:
        doc["prev"] = prev
    return doc
