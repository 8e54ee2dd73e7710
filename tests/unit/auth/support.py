"""Test doubles for the auth tests: a settable clock and a cheap, counting argon2 hasher."""

import threading

from argon2 import PasswordHasher


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
