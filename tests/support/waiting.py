"""Waiting for a condition that has no event to await: a row in a database, a file another
process writes, a process table. The suite's one polling helper.

Whatever CAN be awaited is awaited instead (a future, `Counters.wait_for`, a server's output
line); `eventually` is for state that lives on the other side of a process or database boundary.

Deadlines are generous bounds for a busy 2-core machine (other tests, other processes), never
an estimate of how long things take: a passing run only waits as long as the condition needs.
`SMSGATE_TEST_TIMEOUT_SCALE` multiplies every deadline (`scaled`) for machines slower still.

Bulk work (thousands of messages) has no honest total deadline: its duration is the machine's
throughput times the work, and a loaded machine's throughput is anyone's guess. Such waits pass
`progress` (a count of work done) and fail only when it stands still for `timeout` (a stall),
never because the whole took long: `eventually(..., progress=...)`, `progressing(work, ...)`.
"""

import asyncio
import contextlib
import os
import time
from collections.abc import Awaitable, Callable
from typing import Final, TypeVar

TIMEOUT_SCALE: Final = float(os.environ.get("SMSGATE_TEST_TIMEOUT_SCALE", "1"))
FIRST_INTERVAL: Final = 0.01  # seconds between the first checks ...
MAX_INTERVAL: Final = 0.2  # ... doubling up to this, so a long wait costs few queries

T = TypeVar("T")


def scaled(seconds: float) -> float:
    """A deadline of `seconds` on this machine (see the module docstring)."""
    return seconds * TIMEOUT_SCALE


async def eventually(
    check: Callable[[], Awaitable[bool]],
    *,
    timeout: float,
    what: str,
    describe: Callable[[], str] | None = None,
    progress: Callable[[], Awaitable[object]] | None = None,
) -> None:
    """Return once `await check()` is true; AssertionError after `scaled(timeout)` seconds,
    naming `what` and adding `describe()` (logs, the state seen last) when given.

    With `progress`, `timeout` counts from the last change of `await progress()` (messages
    sent, rows written): the wait fails only when nothing moved for that long."""
    limit = scaled(timeout)
    deadline = time.monotonic() + limit
    seen = None if progress is None else await progress()
    interval = FIRST_INTERVAL
    while not await check():
        if progress is not None and (now := await progress()) != seen:
            seen, deadline = now, time.monotonic() + limit
        if time.monotonic() >= deadline:
            stalled = "" if progress is None else f" of no progress (at {seen})"
            detail = f"\n{describe()}" if describe is not None else ""
            raise AssertionError(f"{what}: not within {limit:g}s{stalled}{detail}")
        await asyncio.sleep(interval)
        interval = min(interval * 2, MAX_INTERVAL)


async def progressing(
    work: Awaitable[T],
    *,
    progress: Callable[[], Awaitable[object]],
    stall: float,
    what: str,
    describe: Callable[[], str] | None = None,
) -> T:
    """Await `work` (bulk work that reports `progress`, a count); AssertionError, `work`
    cancelled, once the count has not moved for `scaled(stall)` seconds."""
    task = asyncio.ensure_future(work)

    async def done() -> bool:
        return task.done()

    try:
        await eventually(done, timeout=stall, what=what, describe=describe, progress=progress)
    except BaseException:
        task.cancel()
        with contextlib.suppress(BaseException):  # the failure to report is the stall
            await task
        raise
    return task.result()
