"""The sender-code cache: one lookup per code per TTL, stale-while-revalidate, shared misses."""

import asyncio

import pytest

from smsgate.domain.model import SenderCode
from smsgate.store.directory import SenderDirectory
from tests.unit.auth.support import FakeClock

TTL = 5.0


class FakeRealms:
    """Sender codes by code; counts lookups; `gate` (when set) holds every lookup."""

    def __init__(self) -> None:
        self.codes: dict[str, SenderCode] = {"12345": SenderCode(1, "12345", None, None)}
        self.lookups = 0
        self.gate: asyncio.Event | None = None
        self.fail = False

    async def sender(self, code: str) -> SenderCode | None:
        self.lookups += 1
        if self.gate is not None:
            await self.gate.wait()
        if self.fail:
            raise OSError("database is gone")
        return self.codes.get(code)


@pytest.fixture
def realms() -> FakeRealms:
    return FakeRealms()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def directory(realms: FakeRealms, clock: FakeClock) -> SenderDirectory:
    return SenderDirectory(realms, ttl=TTL, clock=clock)


async def settle() -> None:
    """Let background refreshes run to completion (they need no real time)."""
    for _ in range(5):
        await asyncio.sleep(0)


async def test_one_lookup_per_ttl(directory: SenderDirectory, realms: FakeRealms) -> None:
    for _ in range(10):
        assert (await directory.get("12345")) == realms.codes["12345"]
    assert await directory.get("999") is None  # absence is cached too
    assert await directory.get("999") is None
    assert realms.lookups == 2


async def test_concurrent_misses_share_one_lookup(
    directory: SenderDirectory, realms: FakeRealms
) -> None:
    realms.gate = asyncio.Event()
    waiting = [asyncio.ensure_future(directory.get("12345")) for _ in range(20)]
    await settle()
    realms.gate.set()
    assert set(await asyncio.gather(*waiting)) == {realms.codes["12345"]}
    assert realms.lookups == 1


async def test_an_expired_entry_is_served_while_one_refresh_runs(
    directory: SenderDirectory, realms: FakeRealms, clock: FakeClock
) -> None:
    old = await directory.get("12345")
    realms.codes["12345"] = new = SenderCode(1, "12345", "other-smsc", 10.0)
    clock.advance(TTL)
    realms.gate = asyncio.Event()
    for _ in range(20):  # none of these waits for the database
        assert await directory.get("12345") == old
    await settle()
    assert realms.lookups == 2  # the first lookup and ONE refresh
    realms.gate.set()
    await settle()
    assert await directory.get("12345") == new
    assert realms.lookups == 2


async def test_a_removed_code_is_gone_after_the_refresh(
    directory: SenderDirectory, realms: FakeRealms, clock: FakeClock
) -> None:
    await directory.get("12345")
    del realms.codes["12345"]
    clock.advance(TTL)
    await directory.get("12345")  # stale, starts the refresh
    await settle()
    assert await directory.get("12345") is None


async def test_a_failed_refresh_keeps_the_entry_and_is_retried(
    directory: SenderDirectory, realms: FakeRealms, clock: FakeClock
) -> None:
    old = await directory.get("12345")
    clock.advance(TTL)
    realms.fail = True
    assert await directory.get("12345") == old
    await settle()
    realms.fail = False
    assert await directory.get("12345") == old  # still expired: a new refresh starts
    await settle()
    assert realms.lookups == 3


async def test_a_failed_first_lookup_reaches_every_caller(
    directory: SenderDirectory, realms: FakeRealms
) -> None:
    realms.fail = True
    with pytest.raises(OSError):
        await directory.get("12345")
    realms.fail = False
    assert await directory.get("12345") is not None


async def test_invalidate_forces_a_lookup(directory: SenderDirectory, realms: FakeRealms) -> None:
    await directory.get("12345")
    directory.invalidate("12345")
    await directory.get("12345")
    directory.invalidate()
    await directory.get("12345")
    assert realms.lookups == 3


@pytest.mark.parametrize("written", ["+120162701555", " 120162701555", "20162701555"])
async def test_a_code_is_found_under_another_spelling_and_cached_as_written(
    directory: SenderDirectory, realms: FakeRealms, written: str
) -> None:
    long_code = SenderCode(2, "120162701555", None, None)
    realms.codes[long_code.code] = long_code
    assert await directory.get(written) == long_code
    lookups = realms.lookups
    assert await directory.get(written) == long_code
    assert realms.lookups == lookups  # the spelling as written is cached


async def test_cached_answers_as_get_without_a_lookup_of_its_own(
    directory: SenderDirectory, realms: FakeRealms, clock: FakeClock
) -> None:
    assert directory.cached("12345") is None  # not cached: nothing looked up
    await settle()
    assert realms.lookups == 0
    found = await directory.get("12345")
    assert await directory.get("999") is None
    entry, absent = directory.cached("12345"), directory.cached("999")
    assert entry is not None and entry[0] == found
    assert absent is not None and absent[0] is None  # absence is cached too
    clock.advance(TTL)
    realms.codes["12345"] = new = SenderCode(1, "12345", "other-smsc", 10.0)
    for _ in range(5):  # expired: served, and ONE refresh in the background, as by `get`
        entry = directory.cached("12345")
        assert entry is not None and entry[0] == found
    await settle()
    assert realms.lookups == 3
    entry = directory.cached("12345")
    assert entry is not None and entry[0] == new
