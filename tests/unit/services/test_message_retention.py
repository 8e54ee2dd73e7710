"""The retention passes over a fake store: a pass follows the cursor to its end, a failed
transaction ends it (logged) and the next pass starts over, passes repeat, `stop` ends the
task at once, and retention 0 runs nothing."""

import asyncio
import logging

import pytest

from smsgate.domain.retention import DAY_SECONDS
from smsgate.services.message_retention import MessageRetention
from tests.support.waiting import eventually

NOW = 1_000_000_000.0


class Store:
    """Answers prune calls from a script: (deleted, next cursor) or an exception."""

    def __init__(self, *answers: tuple[int, str | None] | Exception) -> None:
        self.answers = list(answers)
        self.calls: list[tuple[float, str, int]] = []
        self.called = asyncio.Event()

    async def prune(self, before: float, after: str, limit: int) -> tuple[int, str | None]:
        self.calls.append((before, after, limit))
        self.called.set()
        answer = self.answers.pop(0) if self.answers else (0, None)
        if isinstance(answer, Exception):
            raise answer
        return answer


async def test_a_pass_follows_the_cursor_to_its_end() -> None:
    store = Store((2, "m2"), (2, "m4"), (1, None))
    retention = MessageRetention(store, 90, clock=lambda: NOW, batch=2)
    assert await retention.run_pass() == 5
    before = NOW - 90 * DAY_SECONDS
    assert store.calls == [(before, "", 2), (before, "m2", 2), (before, "m4", 2)]


async def test_a_failed_transaction_ends_the_pass_and_the_next_starts_over(
    caplog: pytest.LogCaptureFixture,
) -> None:
    store = Store((2, "m2"), RuntimeError("database is locked"), (1, None))
    retention = MessageRetention(store, 30, clock=lambda: NOW, batch=2)
    with caplog.at_level(logging.WARNING):
        assert await retention.run_pass() == 2
    assert "database is locked" in caplog.text
    assert await retention.run_pass() == 1
    assert [after for _, after, _ in store.calls] == ["", "m2", ""]


async def test_passes_repeat_until_stop() -> None:
    store = Store()
    retention = MessageRetention(store, 1, clock=lambda: NOW, every=0.01)
    retention.start()

    async def three() -> bool:
        return retention.passes >= 3

    try:
        await eventually(three, timeout=10, what="three passes")
    finally:
        await retention.stop()
    done = retention.passes
    await asyncio.sleep(0)
    assert retention.passes == done  # no pass after stop


async def test_stop_does_not_wait_for_the_next_pass() -> None:
    store = Store()
    retention = MessageRetention(store, 1, clock=lambda: NOW, every=3600.0)
    retention.start()
    await asyncio.wait_for(store.called.wait(), 10)  # the pass at start
    await asyncio.wait_for(retention.stop(), 5)


async def test_retention_zero_runs_nothing() -> None:
    store = Store()
    retention = MessageRetention(store, 0, clock=lambda: NOW)
    retention.start()
    assert await retention.run_pass() == 0
    await retention.stop()
    assert store.calls == []
