"""Token buckets for messages-per-second limits (per connection, per sender code).

`acquire()` waits exactly as long as the rate requires: no polling and no sleep when a token is
available. A rate of 0 means unlimited. The burst is a fiftieth of a second's worth of tokens
(at least 1): enough to absorb timer jitter at high rates, small enough that any one-second
window holds at most rate + burst messages (rate + 1 below 50 per second, within 2% above).
A burst of a whole second's worth would let 2 x rate through in the first second after a pause,
which is what a carrier's per-second limit throttles.
"""

import asyncio
import time
from collections.abc import Callable

BURST_FRACTION = 50  # the default burst is 1/50 s worth of tokens


class TokenBucket:
    """A rate limiter shared by every coroutine that sends through one link or sender code."""

    def __init__(
        self,
        rate: float,
        *,
        burst: float | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if rate < 0:
            raise ValueError("rate must be >= 0")
        self.rate = rate
        self.capacity = burst if burst is not None else max(1.0, rate / BURST_FRACTION)
        self._tokens = self.capacity
        self._clock = clock
        self._stamp = clock()
        self._lock = asyncio.Lock()  # waiters are served in arrival order

    @property
    def unlimited(self) -> bool:
        return self.rate == 0

    def _refill(self) -> None:
        now = self._clock()
        self._tokens = min(self.capacity, self._tokens + (now - self._stamp) * self.rate)
        self._stamp = now

    def try_acquire(self) -> bool:
        """Take a token if one is available now."""
        if not self.rate:  # unlimited (without the property: twice per part sent)
            return True
        self._refill()
        if self._tokens >= 1.0 and not self._lock.locked():
            self._tokens -= 1.0
            return True
        return False

    def delay(self) -> float:
        """Seconds until a token will be available (0 if one is available now)."""
        if self.unlimited:
            return 0.0
        self._refill()
        return max(0.0, (1.0 - self._tokens) / self.rate)

    async def acquire(self) -> None:
        """Wait for and take one token."""
        if self.try_acquire():
            return
        async with self._lock:
            while True:
                self._refill()
                if self._tokens >= 1.0:
                    self._tokens -= 1.0
                    return
                await asyncio.sleep((1.0 - self._tokens) / self.rate)
