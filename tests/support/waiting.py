"""Waiting for a condition that has no event to await: a row in a database, a file another
process writes, a process table. The suite's one polling helper.

Whatever CAN be awaited is awaited instead (a future, `Counters.wait_for`, a server's output
line); `eventually` is for state that lives on the other side of a process or database boundary.

Deadlines are generous bounds for a busy 2-core machine (other tests, other processes), never
an estimate of how long things take: a passing run only waits as long as the condition needs.
`SMSGATE_TEST_TIMEOUT_SCALE` multiplies every deadline (`scaled`) for machines slower still.
"""

import asyncio
import os
import time
from collections.abc import Awaitable, Callable
from typing import Final

TIMEOUT_SCALE: Final = float(os.environ.get("SMSGATE_TEST_TIMEOUT_SCALE", "1"))
FIRST_INTERVAL: Final = 0.01  # seconds between the first checks ...
MAX_INTERVAL: Final = 0.2  # ... doubling up to this, so a long wait costs few queries


def scaled(seconds: float) -> float:
    """A deadline of `seconds` on this machine (see the module docstring)."""
    return seconds * TIMEOUT_SCALE


async def eventually(
    check: Callable[[], Awaitable[bool]],
    *,
    timeout: float,
    what: str,
    describe: Callable[[], str] | None = None,
) -> None:
    """Return once `await check()` is true; AssertionError after `scaled(timeout)` seconds,
    naming `what` and adding `describe()` (logs, the state seen last) when given."""
    limit = scaled(timeout)
    deadline = time.monotonic() + limit
    interval = FIRST_INTERVAL
    while not await check():
        if time.monotonic() >= deadline:
            detail = f"\n{describe()}" if describe is not None else ""
            raise AssertionError(f"{what}: not within {limit:g}s{detail}")
        await asyncio.sleep(interval)
        interval = min(interval * 2, MAX_INTERVAL)
