"""`VerifiedCredentials`: remembers recent successful password checks so argon2 runs rarely.

Argon2 is deliberately slow (tens of ms, 64 MiB); the gateway serves tens of thousands of
requests per second with the same few (realm, password) pairs. After one successful
verification the pair is remembered for `AUTH_CACHE_TTL_SECONDS`, and a hit costs one keyed
BLAKE2b plus a dict lookup.

Why the dict key is a *keyed* hash, BLAKE2b in its keyed (MAC) mode under a random
per-process key, rather than the password or a plain digest of it:

* the plain password is never kept in memory as a key, so it cannot leak through a heap dump,
  a core file, a debugger or an accidental `repr`;
* a plain SHA-256 of a short password is an offline-guessable verifier (one fast hash per
  guess, no salt) - a leaked key would undo argon2. Without the process key, which lives only
  in this object and is never persisted, a MAC value is useless to an attacker;
* the attacker cannot compute or observe keys, so the dict's hash-and-`==` probe leaks nothing
  that a `hmac.compare_digest` would protect: equality of two unpredictable 32-byte MACs is all
  it tests. (`compare_digest` would have to compare against a candidate we do not have.)

Why keyed BLAKE2b and not HMAC-SHA256 (as before 2026-12): both are PRFs under a secret key,
but `hmac.digest` sets OpenSSL's HMAC up anew on every call, ~24,000 instructions a request
under callgrind, while a copy of a BLAKE2b state already keyed costs ~6,000: the key block is
hashed once, in `__init__`.

The credential's `version` is part of the MAC input, so a password change that bumps the
version makes every old entry unreachable at once; `invalidate_realm` drops a realm's entries
explicitly (the authenticator calls it when it sees a realm's hash change).

Entries are never refreshed by a hit: the TTL bounds how long a pair is trusted after its last
real verification. With a fixed TTL, insertion order is expiry order, so evicting the oldest
entry when full also evicts the one closest to expiry.
"""

import hashlib
import secrets
import time
from collections import OrderedDict
from collections.abc import Callable

from smsgate.constants import AUTH_CACHE_MAX_ENTRIES, AUTH_CACHE_TTL_SECONDS

_KEY_BYTES = 32
_MAC_BYTES = 32


def _encode(text: str) -> bytes:
    # surrogatepass: a query string decoded with surrogateescape must not make us raise.
    return text.encode("utf-8", "surrogatepass")


class VerifiedCredentials:
    """Bounded TTL set of (realm, password, version) triples that passed argon2 verification."""

    __slots__ = ("_clock", "_entries", "_mac", "_max_entries", "_ttl")

    def __init__(
        self,
        *,
        ttl: float = AUTH_CACHE_TTL_SECONDS,
        max_entries: int = AUTH_CACHE_MAX_ENTRIES,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if ttl <= 0:
            raise ValueError("ttl must be positive")
        if max_entries < 1:
            raise ValueError("max_entries must be at least 1")
        self._ttl = ttl
        self._max_entries = max_entries
        self._clock = clock
        # keyed once; every fingerprint continues a copy of this state
        self._mac = hashlib.blake2b(key=secrets.token_bytes(_KEY_BYTES), digest_size=_MAC_BYTES)
        # fingerprint -> (expires_at, realm); oldest insertion first.
        self._entries: OrderedDict[bytes, tuple[float, str]] = OrderedDict()

    def fingerprint(self, realm: str, password: str, version: int) -> bytes:
        """The keyed BLAKE2b of the triple under this instance's secret key (32 bytes).

        The encoding is unambiguous: realm length prefix, realm, decimal version, ':', password.
        """
        realm_bytes = _encode(realm)
        mac = self._mac.copy()
        mac.update(
            b"%b%b%d:%b"
            % (len(realm_bytes).to_bytes(4, "big"), realm_bytes, version, _encode(password))
        )
        return mac.digest()

    def get(self, realm: str, password: str, version: int) -> bool:
        """Whether this exact triple was verified less than `ttl` seconds ago."""
        fingerprint = self.fingerprint(realm, password, version)
        entry = self._entries.get(fingerprint)
        if entry is None:
            return False
        if self._clock() < entry[0]:
            return True
        del self._entries[fingerprint]
        return False

    def put(self, realm: str, password: str, version: int) -> None:
        """Remember a successful verification for `ttl` seconds, evicting the oldest if full."""
        fingerprint = self.fingerprint(realm, password, version)
        self._entries.pop(fingerprint, None)  # a re-put moves the entry to the young end
        while len(self._entries) >= self._max_entries:
            self._entries.popitem(last=False)
        self._entries[fingerprint] = (self._clock() + self._ttl, realm)

    def invalidate_realm(self, realm: str) -> int:
        """Forget every entry of `realm` (any password, any version); return how many.

        A linear scan: it runs on password changes only, never on the request path.
        """
        stale = [fp for fp, (_, owner) in self._entries.items() if owner == realm]
        for fingerprint in stale:
            del self._entries[fingerprint]
        return len(stale)

    def clear(self) -> None:
        """Forget everything."""
        self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)

    def __repr__(self) -> str:
        return (
            f"VerifiedCredentials(entries={len(self._entries)}, "
            f"max_entries={self._max_entries}, ttl={self._ttl})"
        )
