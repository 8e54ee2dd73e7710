"""`/readyz`: may this process be sent traffic?

Ready means both:
- the store is writable: a real write commits (`store/probe.py`) within
  `READINESS_PROBE_TIMEOUT_SECONDS`; a read would pass on a full disk or a read-only database;
- with SMPP connections in this process (a dispatcher), at least one session is bound
  (`services/status.binds_problem`; a standby dispatcher that holds no bind slot is ready).

`/healthz` stays liveness only (the process answers). One check runs at a time, and its answer
serves every caller for `READINESS_CACHE_SECONDS`: `/readyz` needs no password, so a flood of
it must not become a flood of writes.
"""

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from smsgate.constants import READINESS_CACHE_SECONDS, READINESS_PROBE_TIMEOUT_SECONDS
from smsgate.services.status import ConnectionState, binds_problem

MAX_REASON_CHARS = 200  # a reason is one line; a driver's error text can be long


@dataclass(frozen=True, slots=True)
class Readiness:
    ready: bool
    reason: str  # "ready", or why not (one line)


READY = Readiness(True, "ready")


def one_line(error: BaseException) -> str:
    """An exception as one short line (a driver's message, without its SQL and traceback)."""
    original = getattr(error, "orig", None) or error  # SQLAlchemy wraps the driver's error
    lines = str(original).strip().splitlines()
    text = lines[0] if lines else type(original).__name__
    return text[:MAX_REASON_CHARS]


class ReadinessCheck:
    """Answers `check()` for this process; see the module docstring."""

    def __init__(
        self,
        probe: Callable[[], Awaitable[None]],
        connections: Callable[[], list[ConnectionState]] | None = None,
        *,
        timeout: float = READINESS_PROBE_TIMEOUT_SECONDS,
        cache_seconds: float = READINESS_CACHE_SECONDS,
    ) -> None:
        """`probe` commits a write or raises; `connections` gives this process's SMPP
        connections (None: it has none, e.g. an API-only process)."""
        self._probe = probe
        self._connections = connections
        self._timeout = timeout
        self._cache_seconds = cache_seconds
        self._last: tuple[float, Readiness] | None = None
        self._running: asyncio.Future[Readiness] | None = None

    async def check(self) -> Readiness:
        last = self._last
        if last is not None and time.monotonic() - last[0] < self._cache_seconds:
            return last[1]
        if self._running is None:
            self._running = asyncio.ensure_future(self._check())
        running = self._running
        try:
            return await asyncio.shield(running)  # a caller that goes away cancels only itself
        finally:
            if running.done() and self._running is running:
                self._running = None

    async def _check(self) -> Readiness:
        result = await self._evaluate()
        self._last = (time.monotonic(), result)
        return result

    async def _evaluate(self) -> Readiness:
        try:
            async with asyncio.timeout(self._timeout):
                await self._probe()
        except TimeoutError:
            return Readiness(False, f"store not writable: no commit within {self._timeout:g}s")
        except Exception as exc:  # whatever the store raised: it could not commit
            return Readiness(False, f"store not writable: {one_line(exc)}")
        if self._connections is not None:
            problem = binds_problem(self._connections())
            if problem is not None:
                return Readiness(False, problem)
        return READY
