"""Test doubles for the auth tests: a settable clock, cheap argon2 hashers, a realm store."""

import threading

from argon2 import PasswordHasher

from smsgate.auth.authenticator import RealmCredential
from smsgate.auth.passwords import hash_password

PASSWORD = "Tr0ub4dor-and-3-more"
CLIENT = "198.51.100.4"
CREDENTIAL_TTL = 5.0


class FakeClock:
    """A monotonic clock that moves only when told to."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class CountingHasher(PasswordHasher):
    """argon2id with minimal cost; counts verifications and records their threads."""

    def __init__(self) -> None:
        super().__init__(time_cost=1, memory_cost=8, parallelism=1)
        self.verifications = 0
        self.verify_threads: list[int] = []
        self._lock = threading.Lock()

    def verify(self, hash: str | bytes, password: str | bytes) -> bool:  # type: ignore[override]
        with self._lock:
            self.verifications += 1
            self.verify_threads.append(threading.get_ident())
        return super().verify(hash, password)


def cheap_hasher() -> PasswordHasher:
    """argon2id with the lowest cost the library accepts: fast enough for unit tests."""
    return PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)


class FakeStore:
    """The `lookup` callable, over a dict, counting calls."""

    def __init__(self) -> None:
        self.realms: dict[str, RealmCredential] = {}
        self.lookups: list[str] = []

    def add(self, name: str, password: str, version: int = 1) -> RealmCredential:
        credential = RealmCredential(
            realm_id=len(self.realms) + 1,
            name=name,
            password_hash=hash_password(password, hasher=cheap_hasher()),
            version=version,
        )
        self.realms[name] = credential
        return credential

    async def lookup(self, name: str) -> RealmCredential | None:
        self.lookups.append(name)
        return self.realms.get(name)
