"""`Authenticator` under concurrency: argon2 off the loop, shared checks, a hashing limit."""

import asyncio
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, TypeVar

import pytest

from smsgate.auth.authenticator import Authenticator
from tests.unit.auth.support import CLIENT, PASSWORD, CountingHasher, FakeStore

_T = TypeVar("_T")


async def test_argon2_runs_off_the_event_loop_thread(
    auth: Authenticator, hasher: CountingHasher
) -> None:
    await auth.authenticate("acme", PASSWORD, CLIENT)
    await auth.authenticate("nosuch", PASSWORD, CLIENT)
    assert len(hasher.verify_threads) == 2
    assert threading.get_ident() not in hasher.verify_threads


async def test_warm_up_makes_the_dummy_hash_off_the_loop(store: FakeStore) -> None:
    made_on: list[int] = []

    class RecordingHasher(CountingHasher):
        def hash(self, password: str | bytes, *, salt: bytes | None = None) -> str:
            made_on.append(threading.get_ident())
            return super().hash(password, salt=salt)

    auth = Authenticator(store.lookup, hasher=RecordingHasher())
    await auth.warm_up()
    await auth.warm_up()
    await auth.authenticate("nosuch", PASSWORD, CLIENT)
    assert len(made_on) == 1
    assert made_on[0] != threading.get_ident()


async def test_concurrent_identical_checks_share_one_lookup_and_one_verification(
    auth: Authenticator, store: FakeStore, hasher: CountingHasher
) -> None:
    results = await asyncio.gather(
        *(auth.authenticate("acme", PASSWORD, f"192.0.2.{n}") for n in range(20))
    )
    assert all(result == store.realms["acme"] for result in results)
    assert (len(store.lookups), hasher.verifications) == (1, 1)


class GatedHasher(CountingHasher):
    """Verification blocks until the test opens the gate."""

    def __init__(self) -> None:
        super().__init__()
        self.gate = threading.Event()

    def verify(self, hash: str | bytes, password: str | bytes) -> bool:  # type: ignore[override]
        if not self.gate.wait(timeout=5.0):
            raise TimeoutError("test gate never opened")
        return super().verify(hash, password)


class CountingExecutor(ThreadPoolExecutor):
    def __init__(self) -> None:
        super().__init__(max_workers=4)
        self.submitted = 0

    def submit(self, fn: Callable[..., _T], /, *args: Any, **kwargs: Any) -> Future[_T]:
        self.submitted += 1
        return super().submit(fn, *args, **kwargs)


async def test_concurrent_verifications_are_limited(store: FakeStore) -> None:
    hasher = GatedHasher()
    with CountingExecutor() as executor:
        auth = Authenticator(
            store.lookup, hasher=hasher, executor=executor, max_concurrent_hashes=1
        )
        tasks = [
            asyncio.create_task(auth.authenticate("acme", password, CLIENT))
            for password in (PASSWORD, "wrong-1", "wrong-2")
        ]
        for _ in range(50):  # let every task run up to the semaphore or the executor
            await asyncio.sleep(0)
        assert executor.submitted == 1
        hasher.gate.set()
        results = await asyncio.gather(*tasks)
    assert executor.submitted == 3
    assert results == [store.realms["acme"], None, None]


async def test_a_cancelled_caller_does_not_cancel_the_shared_check(store: FakeStore) -> None:
    hasher = GatedHasher()
    auth = Authenticator(store.lookup, hasher=hasher)
    first = asyncio.create_task(auth.authenticate("acme", PASSWORD, CLIENT))
    second = asyncio.create_task(auth.authenticate("acme", PASSWORD, CLIENT))
    for _ in range(20):
        await asyncio.sleep(0)
    first.cancel()
    hasher.gate.set()
    assert await second == store.realms["acme"]
    with pytest.raises(asyncio.CancelledError):
        await first
    assert hasher.verifications == 1
