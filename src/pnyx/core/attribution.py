"""Author attribution: the websites an account lets credit it (Mastodon 4.4's
`attribution_domains`), and whether a page naming that account as its creator
(`<meta name="fediverse:creator" content="@user@domain">`) may show it on its link card.

A page may claim anyone; the claim stands only when the account lists the page's host, or a
domain above it (`example.com` covers `blog.example.com`), as Mastodon's
`can_be_attributed_from?`. Domains are kept as lowercase ASCII (IDNA), so that `bücher.de`
typed in a form and `xn--bcher-kva.de` sent by a server are the same entry.

Both local accounts (set by their owner, refused with Mastodon's message when a domain is not
one) and remote ones (from their actor's `attributionDomains`, invalid entries dropped
quietly) keep the list in `accounts.attribution_domains`.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable
from typing import Any

from pnyx.core.errors import Invalid

# Mastodon's Account::ATTRIBUTION_DOMAINS_LIMIT (its API docs say 10; its model allows 100).
MAX_DOMAINS = 100
MAX_DOMAIN_LENGTH = 253
INVALID_DOMAIN = "Attribution domains is not a valid domain name"
TOO_MANY = f"Attribution domains is too long (maximum is {MAX_DOMAINS} items)"

_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
# `@user@domain` (the leading @ optional), as fediverse:creator writes a handle.
_HANDLE = re.compile(r"^@?([A-Za-z0-9_][A-Za-z0-9_.\-]{0,63})@([^\s@/]{1,253})$")


def normalize_domain(value: str) -> str | None:
    """`value` as a domain name to keep (lowercase, IDNA), or None when it is not one.
    Forgiving as Mastodon's normalizer: surrounding space, an `http://`/`https://` scheme and
    a `*.` wildcard prefix are dropped."""
    text = value.strip()
    for prefix in ("http://", "https://", "*."):
        if text.lower().startswith(prefix):
            text = text[len(prefix) :]
    text = text.rstrip(".")
    if not text:
        return None
    try:
        ascii_name = text.encode("idna").decode("ascii").lower()
    except (UnicodeError, ValueError):
        return None
    if len(ascii_name) > MAX_DOMAIN_LENGTH:
        return None
    labels = ascii_name.split(".")
    return ascii_name if all(_LABEL.match(label) for label in labels) else None


def local_domains(values: Iterable[str]) -> list[str]:
    """What an owner typed, as the list to keep: blanks skipped, duplicates once, in order.
    Invalid: any entry that is not a domain name, or more than MAX_DOMAINS of them."""
    out: list[str] = []
    for value in values:
        if not value.strip():
            continue
        domain = normalize_domain(value)
        if domain is None:
            raise Invalid(INVALID_DOMAIN)
        if domain not in out:
            out.append(domain)
    if len(out) > MAX_DOMAINS:
        raise Invalid(TOO_MANY)
    return out


def remote_domains(value: Any) -> list[str]:
    """A remote actor's `attributionDomains` (any JSON) as the list to keep: the strings
    that are domain names, once each, at most MAX_DOMAINS; the rest is dropped."""
    items = value if isinstance(value, list) else [value]
    out: list[str] = []
    for item in items:
        if not isinstance(item, str) or len(item) > 2 * MAX_DOMAIN_LENGTH:
            continue
        domain = normalize_domain(item)
        if domain is not None and domain not in out:
            out.append(domain)
            if len(out) >= MAX_DOMAINS:
                break
    return out


def host_variants(host: str) -> list[str]:
    """`host` and every domain above it: blog.example.com -> itself, example.com, com. An
    IP address has nothing above it."""
    name = normalize_domain(host)
    if name is None:
        return []
    try:
        ipaddress.ip_address(name)
        return [name]
    except ValueError:
        pass
    labels = name.split(".")
    return [".".join(labels[i:]) for i in range(len(labels))]


def may_credit(domains: Iterable[str] | None, host: str) -> bool:
    """Whether an account listing `domains` lets a page on `host` (no port) credit it."""
    listed = set(domains or ())
    return bool(listed) and any(v in listed for v in host_variants(host))


def parse_handle(value: str) -> tuple[str, str] | None:
    """(username, domain) of a `fediverse:creator` value, or None when it is not a handle.
    The domain is lowercased; it may carry a port (`localhost:3000`)."""
    found = _HANDLE.match(value.strip())
    if found is None:
        return None
    return found.group(1), found.group(2).lower()
