"""A `collections.Counter` whose counts can be awaited, so tests never sleep-and-poll."""

import asyncio
from collections import Counter
from typing import Final

# How long a wait lasts by default: a bound for a loaded machine (shared CI, parallel tests),
# not an estimate; the events awaited come within milliseconds.
WAIT_TIMEOUT: Final = 30.0


class Counters(Counter[str]):
    """`bump(key)` increments; `await wait_for(key, n)` returns once `key` reaches `n`."""

    def __init__(self) -> None:
        super().__init__()
        self._waiters: dict[str, list[tuple[int, asyncio.Future[None]]]] = {}

    def bump(self, key: str) -> None:
        value = self[key] + 1
        self[key] = value
        waiters = self._waiters.get(key)
        if waiters:
            for entry in [w for w in waiters if w[0] <= value]:
                waiters.remove(entry)
                if not entry[1].done():
                    entry[1].set_result(None)

    async def wait_for(self, key: str, n: int, timeout: float = WAIT_TIMEOUT) -> None:
        """Return once `key` reaches `n`; TimeoutError (saying where it got) after `timeout`."""
        if self[key] >= n:
            return
        entry = (n, asyncio.get_running_loop().create_future())
        waiters = self._waiters.setdefault(key, [])
        waiters.append(entry)
        try:
            async with asyncio.timeout(timeout):
                await entry[1]
        except TimeoutError:
            raise TimeoutError(f"{key}={self[key]}, waited for {n}") from None
        finally:
            if entry in waiters:
                waiters.remove(entry)
