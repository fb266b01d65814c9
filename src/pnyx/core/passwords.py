"""Password hashing with argon2id (argon2-cffi's defaults follow RFC 9106's recommendations).

`PNYX_PASSWORD_HASHING=fast-insecure` swaps in argon2's cheapest parameters. It exists only so
that test suites creating hundreds of users stay fast; never set it on a real instance. A hash
records its own parameters, so verification works whichever profile made it.
"""

from __future__ import annotations

from argon2 import PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError

MIN_LENGTH = 8
MAX_LENGTH = 1024
_hashers = {
    "standard": PasswordHasher(),
    "fast-insecure": PasswordHasher.from_parameters(profiles.CHEAPEST),
}


def hash_password(password: str, profile: str = "standard") -> str:
    return _hashers.get(profile, _hashers["standard"]).hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    if not password or len(password) > MAX_LENGTH:
        return False
    try:
        return _hashers["standard"].verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False
