"""How secrets handed out (tokens, codes, session cookies) are stored: only as SHA-256
digests, so a copy of the database gives nobody a way in."""

from __future__ import annotations

import hashlib


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()
