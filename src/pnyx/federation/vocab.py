"""ActivityStreams 2 vocabulary shared by both directions of conversion.

Names used on the wire live here once, so the writer (`internal_to_as2`) and the reader
(`as2_to_internal`) cannot drift apart. The extension context is our own statement of the
terms Mastodon and its peers use beyond plain ActivityStreams; software that expands JSON-LD
needs it to understand `discoverable`, `PropertyValue` fields, `focalPoint` and so on.
"""

from __future__ import annotations

AS_CONTEXT = "https://www.w3.org/ns/activitystreams"
SECURITY_CONTEXT = "https://w3id.org/security/v1"

# The special collection "everyone". Senders spell it three ways (full IRI, compacted with the
# `as:` prefix, bare term); a few old senders use http instead of https. All mean the same.
PUBLIC = "https://www.w3.org/ns/activitystreams#Public"
PUBLIC_ALIASES = frozenset(
    {PUBLIC, "as:Public", "Public", "http://www.w3.org/ns/activitystreams#Public"}
)

# Content types: what we send and what we accept as ActivityPub documents.
ACTIVITY_JSON = "application/activity+json"
LD_JSON_AS = 'application/ld+json; profile="https://www.w3.org/ns/activitystreams"'

# Terms beyond ActivityStreams that we emit. Prefixes first, then the terms, grouped by use.
EXTENSIONS: dict = {
    "toot": "http://joinmastodon.org/ns#",
    "schema": "http://schema.org#",
    # actors
    "manuallyApprovesFollowers": "as:manuallyApprovesFollowers",
    "movedTo": {"@id": "as:movedTo", "@type": "@id"},
    "alsoKnownAs": {"@id": "as:alsoKnownAs", "@type": "@id"},
    "featured": {"@id": "toot:featured", "@type": "@id"},
    "discoverable": "toot:discoverable",
    "indexable": "toot:indexable",
    "attributionDomains": {"@id": "toot:attributionDomains", "@type": "@id"},
    "PropertyValue": "schema:PropertyValue",
    "value": "schema:value",
    # statuses
    "sensitive": "as:sensitive",
    "Hashtag": "as:Hashtag",
    "Emoji": "toot:Emoji",
    "votersCount": "toot:votersCount",
    "blurhash": "toot:blurhash",
    "focalPoint": {"@container": "@list", "@id": "toot:focalPoint"},
    # quotes: FEP-044f, and the older spellings other servers still read
    "quote": {"@id": "https://w3id.org/fep/044f#quote", "@type": "@id"},
    "quoteUrl": "as:quoteUrl",
    "quoteUri": "http://fedibird.com/ns#quoteUri",
    "_misskey_quote": "https://misskey-hub.net/ns#_misskey_quote",
    "quoteAuthorization": {"@id": "https://w3id.org/fep/044f#quoteAuthorization", "@type": "@id"},
    "QuoteRequest": "https://w3id.org/fep/044f#QuoteRequest",
    # who may quote (GoToSocial's interaction policies, as Mastodon 4.5 sends them)
    "gts": "https://gotosocial.org/ns#",
    "interactionPolicy": {"@id": "gts:interactionPolicy", "@type": "@id"},
    "canQuote": {"@id": "gts:canQuote", "@type": "@id"},
    "automaticApproval": {"@id": "gts:automaticApproval", "@type": "@id"},
    "manualApproval": {"@id": "gts:manualApproval", "@type": "@id"},
    "QuoteAuthorization": "https://w3id.org/fep/044f#QuoteAuthorization",
    "interactingObject": {"@id": "gts:interactingObject", "@type": "@id"},
    # LOLA (live account portability): breadcrumbs on a copied object, and on an actor where
    # to ask for a copy and what to pull (its terms have no IRIs of their own yet)
    "previously": {"@id": "https://swicg.github.io/activitypub-data-portability/lola#previously"},
    "accountPortabilityOauth": {
        "@id": "https://swicg.github.io/activitypub-data-portability/lola#accountPortabilityOauth",
        "@type": "@id",
    },
    "migration": {
        "@id": "https://swicg.github.io/activitypub-data-portability/lola#migration",
        "@type": "@id",
    },
    "blocked": {"@id": "https://purl.archive.org/socialweb/blocked#blocked", "@type": "@id"},
    "interactionTarget": {"@id": "gts:interactionTarget", "@type": "@id"},
    # Pnyx's own terms (docs/federation.md): the public moderation log of the instance actor
    "pnyx": "https://w3id.org/pnyx/ns#",
    "moderationLog": {"@id": "pnyx:moderationLog", "@type": "@id"},
    "ModerationAction": "pnyx:ModerationAction",
    "moderationAction": "pnyx:moderationAction",
    "actorRole": "pnyx:actorRole",
    "rule": "pnyx:rule",
    "targetDomain": "pnyx:targetDomain",
}

# Actor types, and those that mark an automated account.
ACTOR_TYPES = frozenset({"Person", "Service", "Application", "Group", "Organization"})
BOT_TYPES = frozenset({"Service", "Application"})


def is_public(uri: object) -> bool:
    """True for any spelling of the Public collection."""
    return isinstance(uri, str) and uri in PUBLIC_ALIASES


def normalize_audience(uri: str) -> str:
    """One spelling of Public, so membership tests need only compare with `PUBLIC`."""
    return PUBLIC if uri in PUBLIC_ALIASES else uri
