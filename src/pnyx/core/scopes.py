"""OAuth scopes as Mastodon defines them: top-level scopes imply their granular children."""

from __future__ import annotations

TOP_LEVEL = ("read", "write", "follow", "push", "profile")
GRANULAR = {
    "read": [
        "accounts",
        "blocks",
        "bookmarks",
        "favourites",
        "filters",
        "follows",
        "lists",
        "mutes",
        "notifications",
        "search",
        "statuses",
    ],
    "write": [
        "accounts",
        "blocks",
        "bookmarks",
        "conversations",
        "favourites",
        "filters",
        "follows",
        "lists",
        "media",
        "mutes",
        "notifications",
        "reports",
        "statuses",
    ],
}
# The deprecated `follow` scope grants what following, blocking and muting need.
FOLLOW_IMPLIES = {
    "read:follows",
    "write:follows",
    "read:blocks",
    "write:blocks",
    "read:mutes",
    "write:mutes",
}
ALL_SCOPES = set(TOP_LEVEL) | {f"{top}:{sub}" for top, subs in GRANULAR.items() for sub in subs}
# The admin API's scopes: `admin:read` and `admin:write`, and their granular forms.
ADMIN_GRANULAR = (
    "accounts",
    "reports",
    "domain_allows",
    "domain_blocks",
    "ip_blocks",
    "email_domain_blocks",
    "canonical_email_blocks",
)
ALL_SCOPES |= {"admin:read", "admin:write"}
# LOLA's scope (live account portability): another server copies this one account, private
# posts included. It grants that and nothing else: no Mastodon API call accepts it.
PORTABILITY = "activitypub_account_portability"
ALL_SCOPES.add(PORTABILITY)
ALL_SCOPES |= {f"admin:{mode}:{sub}" for mode in ("read", "write") for sub in ADMIN_GRANULAR}


def parse(scopes: str | None, default: str = "read") -> list[str]:
    text = (scopes or default).replace("+", " ").replace(",", " ")
    return [s for s in text.split() if s]


def unknown(scopes: list[str]) -> list[str]:
    return [s for s in scopes if s not in ALL_SCOPES and not s.startswith("admin:")]


def grants(held: list[str] | set[str], required: str) -> bool:
    """Whether the scopes a token holds allow an action that needs `required`."""
    held = set(held)
    if required in held:
        return True
    if required.startswith("admin:"):
        # `admin:read` grants `admin:read:accounts` ...; plain `read` grants nothing admin.
        return required.count(":") == 2 and required.rsplit(":", 1)[0] in held
    top = required.split(":", 1)[0]
    if ":" in required and top in held:
        return True
    if "follow" in held and required in FOLLOW_IMPLIES:
        return True
    # `profile` is a subset of read:accounts (verify_credentials only).
    return required == "profile" and bool({"read", "read:accounts"} & held)


def subset(requested: list[str], allowed: list[str]) -> bool:
    return all(grants(allowed, s) for s in requested)
