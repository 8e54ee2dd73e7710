"""Readiness: a write that commits, and (with connections) a bound session; one check at a
time, its answer reused for a moment."""

import asyncio

import pytest

from smsgate.services.readiness import READY, Readiness, ReadinessCheck, one_line
from smsgate.services.status import ConnectionState


def state(name: str, *, bound: int, slots: int = 1, leased: bool = False) -> ConnectionState:
    return ConnectionState(
        name=name, binds=max(slots, 1), slots_held=slots, bound=bound, window=10,
        in_flight=0, throttled=False, leased=leased,
    )  # fmt: skip


class Probe:
    def __init__(self, error: Exception | None = None) -> None:
        self.error = error
        self.calls = 0
        self.release = asyncio.Event()
        self.release.set()

    async def __call__(self) -> None:
        self.calls += 1
        await self.release.wait()
        if self.error is not None:
            raise self.error


async def test_a_committed_write_and_no_connections_is_ready() -> None:
    assert await ReadinessCheck(Probe()).check() == READY


async def test_a_failed_write_is_not_ready_with_the_stores_reason() -> None:
    probe = Probe(OSError("database or disk is full\nSQL: INSERT ..."))
    answer = await ReadinessCheck(probe).check()
    assert answer == Readiness(False, "store not writable: database or disk is full")


async def test_a_write_that_does_not_commit_in_time_is_not_ready() -> None:
    probe = Probe()
    probe.release.clear()  # never commits
    answer = await ReadinessCheck(probe, timeout=0.05).check()
    assert answer == Readiness(False, "store not writable: no commit within 0.05s")


@pytest.mark.parametrize(
    ("states", "ready"),
    [
        ([state("a", bound=0), state("b", bound=1)], True),  # one bind up is enough
        ([state("a", bound=0), state("b", bound=0)], False),
        ([state("a", bound=0, slots=0, leased=True)], True),  # a standby dispatcher
        ([state("a", bound=0, slots=0, leased=True), state("b", bound=0)], False),
        ([], True),
    ],
)
async def test_with_connections_one_bound_session_is_needed(
    states: list[ConnectionState], ready: bool
) -> None:
    answer = await ReadinessCheck(Probe(), lambda: states).check()
    assert answer.ready is ready
    if not ready:
        assert answer.reason.startswith("no SMPP bind up (")
        assert "b" in answer.reason


async def test_the_binds_are_looked_at_only_once_the_store_is_writable() -> None:
    down = [state("a", bound=0)]
    answer = await ReadinessCheck(Probe(OSError("read-only")), lambda: down).check()
    assert answer.reason == "store not writable: read-only"


async def test_concurrent_checks_share_one_probe_and_the_answer_is_reused() -> None:
    probe = Probe()
    probe.release.clear()
    check = ReadinessCheck(probe, cache_seconds=60)
    waiting = [asyncio.ensure_future(check.check()) for _ in range(5)]
    await asyncio.sleep(0)
    probe.release.set()
    assert await asyncio.gather(*waiting) == [READY] * 5
    assert await check.check() == READY
    assert probe.calls == 1


async def test_without_a_cache_every_check_probes_again() -> None:
    probe = Probe()
    check = ReadinessCheck(probe, cache_seconds=0)
    await check.check()
    probe.error = OSError("disk I/O error")
    assert not (await check.check()).ready
    assert probe.calls == 2


async def test_a_caller_that_goes_away_does_not_cancel_the_others() -> None:
    probe = Probe()
    probe.release.clear()
    check = ReadinessCheck(probe)
    first = asyncio.ensure_future(check.check())
    second = asyncio.ensure_future(check.check())
    await asyncio.sleep(0)
    first.cancel()
    probe.release.set()
    assert await second == READY


def test_one_line_prefers_the_drivers_error_and_keeps_the_first_line() -> None:
    class Wrapped(Exception):
        orig = PermissionError("attempt to write a readonly database\nmore")

    assert one_line(Wrapped("(sqlite3.OperationalError) ...")) == (
        "attempt to write a readonly database"
    )
    assert one_line(ValueError("")) == "ValueError"
    assert len(one_line(ValueError("x" * 1000))) == 200
