"""API keys of the JSON API: create, list, revoke, and authenticate a request's key.

A key belongs to one realm and sees only that realm. It is shown once, when created; the store
keeps its SHA-256 (why a fast hash is enough: domain/api_key.py). `authenticate` finds the row
by the key id inside the key and compares hashes with `hmac.compare_digest`; an unknown id is
compared against a dummy hash, so it costs what a wrong secret costs. A key's last use is
written at most once a minute (constants.API_KEY_LAST_USED_RESOLUTION_SECONDS).
"""

import logging
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from smsgate.constants import (
    API_KEY_ID_HEX_DIGITS,
    API_KEY_LAST_USED_RESOLUTION_SECONDS,
    API_KEY_NAME_MAX_CHARS,
    API_KEY_SECRET_BYTES,
)
from smsgate.domain.api_key import ApiKey, display_prefix, format_key, hash_key, key_id_of, matches
from smsgate.store.errors import AlreadyExists, NotFound

log = logging.getLogger(__name__)

_DUMMY_HASH = hash_key("not a key")
_ID_ATTEMPTS = 5  # new key ids drawn before giving up (48 random bits: one is always enough)


class KeyStore(Protocol):
    async def insert(self, key: ApiKey) -> None: ...  # AlreadyExists if the id is taken
    async def get(self, key_id: str) -> tuple[ApiKey, str] | None: ...  # with the realm's name
    async def list(self, realm_id: int) -> list[ApiKey]: ...
    async def revoke(self, realm_id: int, key_id: str, now: float) -> bool: ...
    async def touch(self, key_id: str, now: float) -> None: ...


class RealmIds(Protocol):
    async def realm_id(self, name: str) -> int: ...  # NotFound if there is no such realm


@dataclass(frozen=True, slots=True)
class KeyOwner:
    """Who a request's key speaks for: the realm, and which key it was."""

    realm_id: int
    realm: str
    key_id: str


@dataclass(frozen=True, slots=True)
class CreatedKey:
    """A new key and its plaintext, which exists only here (never stored, never logged)."""

    key: ApiKey
    plaintext: str = field(repr=False)


def _random_secret() -> str:
    return secrets.token_urlsafe(API_KEY_SECRET_BYTES)


def _random_id() -> str:
    return secrets.token_hex(API_KEY_ID_HEX_DIGITS // 2)


class ApiKeys:
    """The API key use cases over a key store and the realms."""

    def __init__(
        self,
        keys: KeyStore,
        realms: RealmIds,
        *,
        clock: Callable[[], float] = time.time,
        new_id: Callable[[], str] = _random_id,
        new_secret: Callable[[], str] = _random_secret,
    ) -> None:
        self._keys = keys
        self._realms = realms
        self._clock = clock
        self._new_id = new_id
        self._new_secret = new_secret

    async def create(self, realm: str, name: str = "") -> CreatedKey:
        """A new key for `realm` (NotFound if there is none; ValueError for a bad name)."""
        name = name.strip()
        if len(name) > API_KEY_NAME_MAX_CHARS or not name.isprintable():
            raise ValueError(
                f"the key name must be printable and at most {API_KEY_NAME_MAX_CHARS} characters"
            )
        realm_id = await self._realms.realm_id(realm)
        for _ in range(_ID_ATTEMPTS):
            key_id = self._new_id()
            plaintext = format_key(key_id, self._new_secret())
            assert key_id_of(plaintext) == key_id, "a new key must parse as a key"
            key = ApiKey(
                id=key_id,
                realm_id=realm_id,
                name=name,
                key_hash=hash_key(plaintext),
                prefix=display_prefix(plaintext),
                created_at=self._clock(),
            )
            try:
                await self._keys.insert(key)
            except AlreadyExists:
                continue
            return CreatedKey(key, plaintext)
        raise RuntimeError(f"no free API key id after {_ID_ATTEMPTS} attempts")

    async def list(self, realm: str) -> list[ApiKey]:
        """`realm`'s keys, revoked ones included, oldest first."""
        return await self._keys.list(await self._realms.realm_id(realm))

    async def revoke(self, realm: str, key_id: str) -> None:
        """Revoke one of `realm`'s keys at once; revoking it again changes nothing. Another
        realm's key is NotFound, exactly like a key that does not exist."""
        realm_id = await self._realms.realm_id(realm)
        if not await self._keys.revoke(realm_id, key_id.strip(), self._clock()):
            raise NotFound(f"API key {key_id.strip()} not found in realm {realm}")

    async def authenticate(self, key: str | None) -> KeyOwner | None:
        """The realm `key` speaks for, or None (malformed, unknown, wrong or revoked)."""
        key_id = key_id_of(key.strip()) if key else None
        if key is None or key_id is None:
            return None
        found = await self._keys.get(key_id)
        right = matches(key.strip(), found[0].key_hash if found else _DUMMY_HASH)
        if found is None or not right or found[0].revoked_at is not None:
            return None
        stored, realm = found
        now = self._clock()
        last = stored.last_used_at
        if last is None or now - last >= API_KEY_LAST_USED_RESOLUTION_SECONDS:
            try:
                await self._keys.touch(key_id, now)
            except Exception as exc:  # a bookkeeping write: never the reason a request fails
                log.warning("cannot record the use of API key %s: %s", key_id, exc)
        return KeyOwner(realm_id=stored.realm_id, realm=realm, key_id=key_id)
