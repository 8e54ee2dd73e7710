"""Realm passwords: argon2id hashing, verification and generation.

Hashes use argon2-cffi's `PasswordHasher` with the RFC 9106 *low-memory* profile (argon2id,
t=3, m=64 MiB, p=4, 16-byte salt, 32-byte tag), which is also argon2-cffi's own default since
21.2; naming the profile explicitly keeps hashes stable if the library's default ever moves.
One verification costs tens of milliseconds of CPU and 64 MiB of memory, so callers on an event
loop must run `verify_password` in a worker thread (see `authenticator.py`) and cache successes
(see `cache.py`).

Every function takes an optional `hasher` so tests and benchmarks can inject cheap parameters;
verification reads the cost parameters from the encoded hash itself, so a hash made with cheap
parameters is cheap to verify whatever hasher is passed.
"""

import secrets
from typing import Final

from argon2 import PasswordHasher
from argon2.exceptions import Argon2Error
from argon2.profiles import RFC_9106_LOW_MEMORY

DEFAULT_HASHER: Final = PasswordHasher.from_parameters(RFC_9106_LOW_MEMORY)
"""The production hasher: argon2id with the RFC 9106 low-memory profile."""

GENERATED_PASSWORD_BYTES: Final = 15
"""Entropy of `generate_password` (120 bits), which encodes to exactly 20 URL-safe chars."""


def hash_password(password: str, *, hasher: PasswordHasher = DEFAULT_HASHER) -> str:
    """Return the encoded argon2id hash (`$argon2id$v=19$m=...`) of `password`, freshly salted."""
    return hasher.hash(password)


def verify_password(hash: str, password: str, *, hasher: PasswordHasher = DEFAULT_HASHER) -> bool:
    """Whether `password` matches the encoded `hash`.

    Returns False, and never raises, on a mismatch and on a malformed, truncated, non-ASCII or
    non-argon2 hash: a corrupt row must read as "wrong password", not as a server error. The
    comparison of the computed tag is constant-time inside libargon2.
    """
    try:
        return hasher.verify(hash, password)
    except (Argon2Error, ValueError):  # InvalidHashError and UnicodeEncodeError are ValueErrors
        return False


def needs_rehash(hash: str, *, hasher: PasswordHasher = DEFAULT_HASHER) -> bool:
    """Whether `hash` was made with other parameters than `hasher`'s (or is malformed).

    Call it after a successful verification, while the plain password is at hand, and store a
    fresh `hash_password` result when it returns True.
    """
    try:
        return hasher.check_needs_rehash(hash)
    except (Argon2Error, ValueError):
        return True


def generate_password() -> str:
    """A new random realm password: 20 chars of `[A-Za-z0-9_-]`, safe in a query string.

    The alphabet has no ':' (so `realm:password` pairs stay splittable), no '&', '=' or '%'.
    """
    return secrets.token_urlsafe(GENERATED_PASSWORD_BYTES)
