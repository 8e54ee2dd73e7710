"""API keys: their format, and how a key is checked against what the store keeps.

A key reads `sg_<key id>_<secret>`: the key id (12 hex digits) is public, printed by
`apikey list` and used to find the key's row; the secret is 32 random bytes, URL-safe base64.
The store keeps the SHA-256 of the whole key, never the key. A slow password hash (argon2,
bcrypt) protects secrets people choose, which are guessable; a 256-bit random secret cannot be
guessed, so one SHA-256 is as safe as argon2 here and costs microseconds instead of 64 MiB and
tens of milliseconds on every request of the JSON API. Hashing the key id along with the secret
ties a hash to its row.
"""

import hashlib
import hmac
import re
from dataclasses import dataclass

from smsgate.constants import API_KEY_ID_HEX_DIGITS, API_KEY_PREFIX, API_KEY_SECRET_BYTES

_SECRET_CHARS = -(-API_KEY_SECRET_BYTES * 4 // 3)  # unpadded base64 of the secret
_KEY = re.compile(
    rf"{API_KEY_PREFIX}_(?P<id>[0-9a-f]{{{API_KEY_ID_HEX_DIGITS}}})_[A-Za-z0-9_-]{{{_SECRET_CHARS}}}"
)
DISPLAY_SECRET_CHARS = 4  # of the secret shown in listings, to tell keys apart by eye


@dataclass(frozen=True, slots=True)
class ApiKey:
    """A stored API key (its hash stays out of `repr`)."""

    id: str
    realm_id: int
    name: str
    key_hash: str
    prefix: str  # the start of the key, for display: "sg_<id>_abcd"
    created_at: float  # epoch seconds
    revoked_at: float | None = None
    last_used_at: float | None = None

    def __repr__(self) -> str:
        return f"ApiKey(id={self.id!r}, realm_id={self.realm_id}, name={self.name!r})"


def format_key(key_id: str, secret: str) -> str:
    return f"{API_KEY_PREFIX}_{key_id}_{secret}"


def key_id_of(key: str) -> str | None:
    """The key id of a well-formed key, else None (anything else cannot be one of ours)."""
    found = _KEY.fullmatch(key)
    return found.group("id") if found else None


def display_prefix(key: str) -> str:
    """What listings show of a key: everything but the secret's last characters."""
    return key[: len(API_KEY_PREFIX) + 2 + API_KEY_ID_HEX_DIGITS + DISPLAY_SECRET_CHARS]


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def matches(key: str, stored_hash: str) -> bool:
    """Whether `key` is the key hashed as `stored_hash`, in constant time."""
    return hmac.compare_digest(hash_key(key), stored_hash)
