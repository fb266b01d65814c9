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
ALL_SCOPES |= {"admin:read", "admin:write"}


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
    top = required.split(":", 1)[0]
    if ":" in required and top in held:
        return True
    if "follow" in held and required in FOLLOW_IMPLIES:
        return True
    # `profile` is a subset of read:accounts (verify_credentials only).
    return required == "profile" and bool({"read", "read:accounts"} & held)


def subset(requested: list[str], allowed: list[str]) -> bool:
    return all(grants(allowed, s) for s in requested)
