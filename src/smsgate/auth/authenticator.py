"""`Authenticator`: decides whether a request's realm and password are good, cheaply.

Storage-agnostic: it is given `lookup(realm) -> RealmCredential | None` and keeps three
in-memory structures in front of it:

1. a realm -> credential map refreshed by `lookup` every `credential_ttl` seconds (default
   5 s). Unknown realms are remembered too, so a flood of made-up names costs one lookup per
   name per TTL and takes the same path as a known realm. An expired entry still answers
   while one background lookup refreshes it, so no request waits for the database once a
   realm is known. A password changed by *another process* therefore takes effect here up to
   `credential_ttl` plus one lookup later; changes made in this process call
   `invalidate(realm)` and take effect at once.
2. `VerifiedCredentials`: (realm, password, version) triples that passed argon2 recently.
3. `GuessGuard`: wrong passwords slow down their sender, per (realm, client address) and per
   address, and alert on a realm under attack; nobody is locked out (ADR 0008). A password in
   the verified cache is never slowed down.

The hot path (credential map hit, verified-cache hit) awaits nothing: a few dict lookups and
one keyed BLAKE2b. On a miss argon2 runs in an executor thread, never on the
event loop; at most `max_concurrent_hashes` verifications run at once (each takes 64 MiB), and
identical concurrent checks (same realm, password and hash) share one verification, so a cold
start under load costs one argon2 run per distinct credential, not one per request.

Unknown realms are verified against a dummy hash made with the same hasher, and their
attempts wait and count exactly like a wrong password's, so a wrong password for an existing
realm and any password for a missing realm cost the same time.
A cached entry counts only for the credential's current `version`; stores must bump the
version on every password change (a changed hash under the same version is caught too, when
the credential map refreshes).
"""

import asyncio
import logging
import os
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Coroutine
from concurrent.futures import Executor
from functools import partial
from typing import Any, Final, TypeVar

from argon2 import PasswordHasher

from smsgate.auth.cache import VerifiedCredentials
from smsgate.auth.guard import GuessGuard
from smsgate.auth.passwords import DEFAULT_HASHER, generate_password, hash_password, verify_password
from smsgate.constants import AUTH_CACHE_MAX_ENTRIES
from smsgate.domain.model import RealmCredential

__all__ = ["Authenticator", "Lookup", "RealmCredential"]

log = logging.getLogger(__name__)

CREDENTIAL_TTL_SECONDS: Final = 5.0
"""How long a looked-up credential (or its absence) is trusted before `lookup` runs again."""


Lookup = Callable[[str], Awaitable[RealmCredential | None]]

# In-flight verification key: (hash being checked, or None for the dummy; triple fingerprint).
_CheckKey = tuple[str | None, bytes]
_K = TypeVar("_K")
_V = TypeVar("_V")


class Authenticator:
    """Realm authentication with caching, throttling and off-loop argon2. Use from one loop."""

    def __init__(
        self,
        lookup: Lookup,
        *,
        credential_ttl: float = CREDENTIAL_TTL_SECONDS,
        max_credentials: int = AUTH_CACHE_MAX_ENTRIES,
        verified: VerifiedCredentials | None = None,
        guard: GuessGuard | None = None,
        hasher: PasswordHasher = DEFAULT_HASHER,
        max_concurrent_hashes: int | None = None,
        executor: Executor | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """`lookup(realm)` loads a credential (None: no such realm); the rest are tunables.

        `credential_ttl`/`max_credentials` bound the realm map; `verified` and `guard` default
        to fresh instances on `clock`; `hasher` makes the dummy hash (match the store's);
        `max_concurrent_hashes` (default: CPU count) caps simultaneous argon2 runs, which
        execute on `executor` (default: the loop's default executor).
        """
        if credential_ttl <= 0 or max_credentials < 1:
            raise ValueError("credential_ttl must be positive and max_credentials at least 1")
        self._lookup = lookup
        self._credential_ttl = credential_ttl
        self._max_credentials = max_credentials
        self._verified = verified if verified is not None else VerifiedCredentials(clock=clock)
        self._guard = guard if guard is not None else GuessGuard(clock=clock)
        self._hasher = hasher
        self._executor = executor
        self._clock = clock
        self._hash_slots = asyncio.Semaphore(max_concurrent_hashes or os.cpu_count() or 4)
        self._dummy_hash: str | None = None  # made lazily, in a worker thread
        # realm -> (expires_at, credential or None for "no such realm"); oldest first.
        self._credentials: OrderedDict[str, tuple[float, RealmCredential | None]] = OrderedDict()
        self._loading: dict[str, asyncio.Future[RealmCredential | None]] = {}
        self._checking: dict[_CheckKey, asyncio.Future[bool]] = {}

    async def authenticate(
        self, realm: str, password: str | None, client: str | None
    ) -> RealmCredential | None:
        """The realm's credential if `password` is right, else None (also when the guard
        refuses to check it now).

        `client` is the peer address (None when unknown: the pair is then counted with an
        empty address, and no address alone). Errors from `lookup` propagate and count as
        no attempt. A request without a password guesses nothing and is not counted.
        """
        if not password:
            return None

        entry = self._credentials.get(realm)
        if entry is None:
            credential = await self._coalesce(self._loading, realm, partial(self._load, realm))
        else:
            # Expired: answer from the entry while ONE lookup refreshes it in the background
            # (waiting for it made every request of that moment wait ~80 ms under load).
            credential = entry[1]
            if self._clock() >= entry[0] and realm not in self._loading:
                refresh = self._start(self._loading, realm, partial(self._load, realm))
                refresh.add_done_callback(_log_refresh_failure)

        if credential is not None and self._verified.get(realm, password, credential.version):
            self._guard.succeeded(realm, client, admitted=False)
            return credential

        if credential is None:
            key: _CheckKey = (None, self._verified.fingerprint(realm, password, 0))
            start = partial(self._dummy, password)
        else:
            fingerprint = self._verified.fingerprint(realm, password, credential.version)
            key = (credential.password_hash, fingerprint)
            start = partial(self._check, credential.password_hash, password)
        running = self._checking.get(key)
        if running is not None:
            # The same realm and password are being checked right now: share that answer. It
            # is the same guess, so it is neither delayed nor counted again (a client's burst
            # of requests after a restart is one attempt, not a guesser).
            right = await asyncio.shield(running)
            admitted = False
        else:
            if not await self._guard.admit(realm, client):
                return None
            right = await self._coalesce(self._checking, key, start)
            admitted = True
        if credential is None or not right:
            if admitted:
                self._guard.failed(realm, known=credential is not None)
            return None
        self._verified.put(realm, password, credential.version)
        self._guard.succeeded(realm, client, admitted=admitted)
        return credential

    def known(self, realm: str, password: str | None, client: str | None) -> RealmCredential | None:
        """`authenticate`'s answer when it is at hand: the realm's credential if the realm is
        known and the triple is in the verified cache (the usual request), with the effects
        `authenticate` has then (a background refresh of an expired entry, the guard told of
        a success); None when `authenticate` must be awaited (which then finds the same).

        A plain call, not a coroutine: the hot path (`http.api_web`) awaits `authenticate`
        only when this gives None (a coroutine that awaits nothing still costs its frame)."""
        if not password:
            return None
        entry = self._credentials.get(realm)
        if entry is None:
            return None
        credential = entry[1]
        if credential is None or not self._verified.get(realm, password, credential.version):
            return None
        if self._clock() >= entry[0] and realm not in self._loading:
            refresh = self._start(self._loading, realm, partial(self._load, realm))
            refresh.add_done_callback(_log_refresh_failure)
        self._guard.succeeded(realm, client, admitted=False)
        return credential

    async def warm_up(self) -> None:
        """Make the dummy hash now (in a worker thread), so the first unknown realm is not slower.

        Optional: without it the dummy is made on first use, doubling that one request's time.
        """
        if self._dummy_hash is None:
            loop = asyncio.get_running_loop()
            await loop.run_in_executor(self._executor, self._make_dummy)

    def invalidate(self, realm: str) -> None:
        """Forget what is known about `realm`; call after changing its password in-process."""
        self._credentials.pop(realm, None)
        self._verified.invalidate_realm(realm)

    def __repr__(self) -> str:
        return (
            f"Authenticator(credentials={len(self._credentials)}, "
            f"verified={self._verified!r}, guard={self._guard!r})"
        )

    async def _load(self, realm: str) -> RealmCredential | None:
        credential = await self._lookup(realm)
        previous = self._credentials.pop(realm, None)
        if previous is not None and previous[1] is not None:
            old = previous[1]
            if credential is None or credential.password_hash != old.password_hash:
                self._verified.invalidate_realm(realm)
        while len(self._credentials) >= self._max_credentials:
            self._credentials.popitem(last=False)
        self._credentials[realm] = (self._clock() + self._credential_ttl, credential)
        return credential

    async def _check(self, password_hash: str, password: str) -> bool:
        verify = partial(verify_password, password_hash, password, hasher=self._hasher)
        async with self._hash_slots:
            return await asyncio.get_running_loop().run_in_executor(self._executor, verify)

    async def _dummy(self, password: str) -> bool:
        async with self._hash_slots:
            loop = asyncio.get_running_loop()
            return await loop.run_in_executor(self._executor, self._verify_dummy, password)

    def _verify_dummy(self, password: str) -> bool:
        """Spend one verification's time on a realm that does not exist (worker thread)."""
        verify_password(self._dummy_hash or self._make_dummy(), password, hasher=self._hasher)
        return False

    def _make_dummy(self) -> str:
        """Hash a random password with our hasher (worker thread; a race makes equal dummies)."""
        dummy = self._dummy_hash = hash_password(generate_password(), hasher=self._hasher)
        return dummy

    @staticmethod
    async def _coalesce(
        inflight: dict[_K, asyncio.Future[_V]],
        key: _K,
        start: Callable[[], Coroutine[Any, Any, _V]],
    ) -> _V:
        """Run `start()` once for concurrent callers with the same key; all get its result.

        The shared task is shielded: a caller that is cancelled does not cancel the others.
        """
        future = inflight.get(key)
        if future is None:
            future = Authenticator._start(inflight, key, start)
        return await asyncio.shield(future)

    @staticmethod
    def _start(
        inflight: dict[_K, asyncio.Future[_V]],
        key: _K,
        start: Callable[[], Coroutine[Any, Any, _V]],
    ) -> asyncio.Future[_V]:
        """Run `start()` as the in-flight task for `key`, forgotten when it is done."""
        future: asyncio.Future[_V] = asyncio.create_task(start())
        inflight[key] = future

        def forget(done: asyncio.Future[_V]) -> None:
            if inflight.get(key) is done:
                del inflight[key]

        future.add_done_callback(forget)
        return future


def _log_refresh_failure(task: "asyncio.Future[RealmCredential | None]") -> None:
    """A failed background refresh keeps the cached credential; the next request retries."""
    if not task.cancelled() and task.exception() is not None:
        log.warning("realm credential refresh failed: %s", task.exception())
