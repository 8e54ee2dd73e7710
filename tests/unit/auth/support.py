"""Test doubles for the auth tests: a settable clock, cheap argon2 hashers, a realm store."""

import asyncio
import heapq
import itertools
import threading
from collections.abc import Iterable
from typing import Any, TypeVar

from argon2 import PasswordHasher

from smsgate.auth.authenticator import RealmCredential
from smsgate.auth.passwords import hash_password

PASSWORD = "Tr0ub4dor-and-3-more"
CLIENT = "198.51.100.4"
CREDENTIAL_TTL = 5.0
T = TypeVar("T")


class FakeClock:
    """A monotonic clock that moves only when told to."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class VirtualTime(FakeClock):
    """A clock, and an `asyncio.sleep` on it: sleepers wake only when `advance_to` passes
    their deadline, in deadline order. Records every requested sleep."""

    def __init__(self, start: float = 1000.0) -> None:
        super().__init__(start)
        self.slept: list[float] = []
        self._sleepers: list[tuple[float, int, asyncio.Future[None]]] = []
        self._order = itertools.count()
        self._new_sleeper = asyncio.Event()

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        wake: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._sleepers, (self.now + seconds, next(self._order), wake))
        self._new_sleeper.set()
        await wake

    async def settle(self, task: "asyncio.Task[Any]") -> None:
        """Wait (in real time) until `task` is done or goes to sleep on this clock."""
        self._new_sleeper.clear()
        sleeper = asyncio.ensure_future(self._new_sleeper.wait())
        async with asyncio.timeout(10):
            await asyncio.wait({task, sleeper}, return_when=asyncio.FIRST_COMPLETED)
        sleeper.cancel()

    async def finish(self, tasks: "Iterable[asyncio.Task[T]]") -> list[T]:
        """Run `tasks` to their end, moving the clock to each sleeper's deadline whenever
        nothing else can make progress (argon2 runs in real threads meanwhile)."""
        tasks = list(tasks)
        pending: set[asyncio.Future[Any]] = set(tasks)
        async with asyncio.timeout(30):
            while pending:
                if self.sleeping:
                    await self.wake_next()
                self._new_sleeper.clear()
                sleeper = asyncio.ensure_future(self._new_sleeper.wait())
                _, pending = await asyncio.wait(
                    pending | {sleeper}, return_when=asyncio.FIRST_COMPLETED
                )
                sleeper.cancel()
                pending.discard(sleeper)
        return [task.result() for task in tasks]

    @property
    def sleeping(self) -> int:
        return sum(not wake.done() for _, _, wake in self._sleepers)

    async def wake_next(self) -> None:
        """Move the clock to the earliest sleeper's deadline, and wake it."""
        if self._sleepers:
            await self.advance_to(self._sleepers[0][0])

    async def advance_to(self, when: float) -> None:
        """Move the clock to `when`, waking each sleeper at its deadline on the way."""
        while self._sleepers and self._sleepers[0][0] <= when:
            deadline, _, wake = heapq.heappop(self._sleepers)
            self.now = max(self.now, deadline)
            if not wake.done():
                wake.set_result(None)
                await asyncio.sleep(0)  # the sleeper takes its turn at this moment
        self.now = max(self.now, when)


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
