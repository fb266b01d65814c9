"""Remote actor documents (Person, Service, Application, Group, Organization) -> RemoteActor.

Validation, not trust: every URL must be http(s), every text is capped, HTML is sanitized, and
a public key counts only when the document says it belongs to this very actor. Whether the
document may be believed at all (fetched from its own id's origin, signed by its owner) is the
caller's business; see `same_origin`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import unquote, urlsplit

from pnyx.core import attribution
from pnyx.federation.as2_common import (
    InvalidDocument,
    RemoteEmoji,
    UnsupportedType,
    as_bool,
    as_list,
    clean_text,
    emoji_tags,
    host_of,
    http_url,
    id_of,
    link_href,
    parse_datetime,
    plain_text,
    safe_html,
    same_origin,
    type_of,
)
from pnyx.federation.vocab import ACTOR_TYPES, BOT_TYPES

MAX_USERNAME = 64
MAX_DISPLAY_NAME = 255
MAX_NOTE = 10_000
MAX_FIELDS = 16
MAX_FIELD_NAME = 255
MAX_FIELD_VALUE = 2_048
MAX_ALIASES = 16
MAX_KEY_PEM = 10_000

# Usernames as the fediverse has them: no whitespace, '@', '/', '?', '#' or control characters
# (':' is allowed: an instance actor is named after its host, port included).
_USERNAME = re.compile(r"^[^\s@/\\?#\x00-\x1f\x7f]+$")


@dataclass
class RemoteActor:
    """What we keep of a remote actor, ready to be written to the accounts table."""

    uri: str
    type: str
    username: str
    domain: str  # host[:port] of the id
    inbox_url: str
    display_name: str = ""
    note_html: str = ""
    url: str | None = None
    shared_inbox_url: str | None = None
    outbox_url: str | None = None
    followers_url: str | None = None
    following_url: str | None = None
    featured_url: str | None = None
    public_key_pem: str | None = None
    public_key_id: str | None = None
    avatar_url: str | None = None
    header_url: str | None = None
    fields: list[tuple[str, str]] = field(default_factory=list)
    locked: bool = False
    bot: bool = False
    group: bool = False
    discoverable: bool = False
    indexable: bool = False
    also_known_as: list[str] = field(default_factory=list)
    attribution_domains: list[str] = field(default_factory=list)
    moved_to_uri: str | None = None
    published: datetime | None = None
    emojis: list[RemoteEmoji] = field(default_factory=list)


def _username(doc: dict, uri: str) -> str:
    """preferredUsername, as Mastodon requires; else the id's last path segment when it looks
    like a name (some small servers omit it), else the document is unusable."""
    value = doc.get("preferredUsername")
    if isinstance(value, str):
        value = clean_text(value, MAX_USERNAME + 1).strip()
    if not value:
        segments = [s for s in urlsplit(uri).path.split("/") if s]
        value = unquote(segments[-1]).lstrip("@~") if segments else ""
    if not value or len(value) > MAX_USERNAME or not _USERNAME.match(value):
        raise InvalidDocument("actor has no usable preferredUsername")
    return value


def _public_key(doc: dict, uri: str) -> tuple[str | None, str | None]:
    """(pem, key id) of the first key this actor owns; keys claiming another owner are ignored,
    since accepting them would let one actor's document vouch for someone else's key."""
    for key in as_list(doc.get("publicKey")):
        if not isinstance(key, dict):
            continue
        pem, key_id = key.get("publicKeyPem"), http_url(key.get("id"))
        if id_of(key.get("owner")) != uri or not key_id or not same_origin(key_id, uri):
            continue
        if isinstance(pem, str) and "BEGIN PUBLIC KEY" in pem and len(pem) <= MAX_KEY_PEM:
            return clean_text(pem, MAX_KEY_PEM), key_id
    return None, None


def _image_url(value) -> str | None:
    """icon / image: an Image object (url a string or Link), a list of them, or a bare URL."""
    for item in as_list(value):
        if isinstance(item, str):
            found = http_url(item)
        elif isinstance(item, dict):
            found = link_href(item.get("url"), prefer_html=False)
        else:
            found = None
        if found:
            return found
    return None


def _fields(doc: dict) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for item in as_list(doc.get("attachment")):
        if len(out) >= MAX_FIELDS:
            break
        if not isinstance(item, dict) or type_of(item) != "PropertyValue":
            continue
        name, value = item.get("name"), item.get("value")
        if not isinstance(name, str) or not isinstance(value, str):
            continue
        out.append((plain_text(name, MAX_FIELD_NAME), safe_html(value, MAX_FIELD_VALUE)))
    return out


def parse_actor(doc: dict) -> RemoteActor:
    """A remote actor document -> RemoteActor; InvalidDocument when it cannot be an account.

    Needed: an actor type, an http(s) id, an http(s) inbox, a username. Everything else is
    optional and dropped quietly when malformed (a bad avatar URL should not lose us a
    follower).
    """
    if not isinstance(doc, dict):
        raise InvalidDocument("actor is not a JSON object")
    kind = type_of(doc)
    if kind not in ACTOR_TYPES:
        raise UnsupportedType(f"not an actor type: {kind!r}")
    uri = http_url(doc.get("id"))
    if uri is None:
        raise InvalidDocument("actor has no http(s) id")
    inbox = http_url(id_of(doc.get("inbox")))
    if inbox is None:
        raise InvalidDocument("actor has no http(s) inbox")
    endpoints = doc.get("endpoints")
    shared_inbox = None
    if isinstance(endpoints, dict):
        shared_inbox = http_url(id_of(endpoints.get("sharedInbox")))
    pem, key_id = _public_key(doc, uri)
    aliases: list[str] = []
    for alias in as_list(doc.get("alsoKnownAs")):
        alias_uri = http_url(id_of(alias))
        if alias_uri and alias_uri not in aliases and len(aliases) < MAX_ALIASES:
            aliases.append(alias_uri)
    return RemoteActor(
        uri=uri,
        type=kind,
        username=_username(doc, uri),
        domain=host_of(uri),
        inbox_url=inbox,
        display_name=plain_text(doc.get("name"), MAX_DISPLAY_NAME),
        note_html=safe_html(doc.get("summary"), MAX_NOTE),
        url=link_href(doc.get("url")),
        shared_inbox_url=shared_inbox,
        outbox_url=http_url(id_of(doc.get("outbox"))),
        followers_url=http_url(id_of(doc.get("followers"))),
        following_url=http_url(id_of(doc.get("following"))),
        featured_url=http_url(id_of(doc.get("featured"))),
        public_key_pem=pem,
        public_key_id=key_id,
        avatar_url=_image_url(doc.get("icon")),
        header_url=_image_url(doc.get("image")),
        fields=_fields(doc),
        locked=as_bool(doc.get("manuallyApprovesFollowers")),
        bot=kind in BOT_TYPES,
        group=kind == "Group",
        discoverable=as_bool(doc.get("discoverable")),
        indexable=as_bool(doc.get("indexable")),
        also_known_as=aliases,
        attribution_domains=attribution.remote_domains(doc.get("attributionDomains")),
        moved_to_uri=http_url(id_of(doc.get("movedTo"))),
        published=parse_datetime(doc.get("published")),
        emojis=emoji_tags(doc),
    )
