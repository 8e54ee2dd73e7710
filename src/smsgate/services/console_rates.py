"""Throughput for the console's live chart: accepted, submitted, delivered and failed per second.

Sampled from this process's own counters (metrics.py) once a second and kept for an hour, so
the chart costs the database nothing. A process sees what it does itself: the API process's
accepted messages, its dispatcher's submits and receipts; with several gateway processes on
one PostgreSQL, each console shows its own process (Prometheus sums them all).
"""

import asyncio
import contextlib
import itertools
import time
from collections import deque
from collections.abc import Callable
from typing import Final

SERIES: Final = ("accepted", "submitted", "delivered", "failed")
WINDOW_SECONDS: Final = 3600  # the chart's last hour
INTERVAL_SECONDS: Final = 1.0

Totals = tuple[float, float, float, float]  # running totals, in SERIES order


class RateSampler:
    """Keeps (time, totals) samples and turns them into per-second rates."""

    def __init__(
        self,
        read: Callable[[], Totals],
        *,
        interval: float = INTERVAL_SECONDS,
        window: float = WINDOW_SECONDS,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._read = read
        self._interval = interval
        self._clock = clock
        self._samples: deque[tuple[float, Totals]] = deque(maxlen=int(window / interval) + 1)
        self._task: asyncio.Task[None] | None = None

    def sample(self) -> None:
        self._samples.append((self._clock(), self._read()))

    def start(self) -> None:
        if self._task is None:
            self.sample()
            self._task = asyncio.create_task(self._run(), name="console rate sampler")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self._interval)
            self.sample()

    def rates(self) -> dict[str, list[float]]:
        """`t` (epoch seconds, end of each interval) and each series' rate per second."""
        out: dict[str, list[float]] = {"t": [], **{name: [] for name in SERIES}}
        samples = list(self._samples)
        for (t0, before), (t1, after) in itertools.pairwise(samples):
            elapsed = t1 - t0
            if elapsed <= 0:
                continue
            out["t"].append(round(t1, 3))
            for name, b, a in zip(SERIES, before, after, strict=True):
                out[name].append(round(max(0.0, a - b) / elapsed, 3))
        return out
