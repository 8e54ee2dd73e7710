"""Exponential backoff with jitter: the dispatcher's reconnects, the simulator's redeliveries.

Delays double from `initial` up to `maximum`. Each delay is drawn uniformly from the upper
half of the current step ("equal jitter"): never shorter than half the step, so a flapping
SMSC is not hammered, and spread out, so many connections that dropped together do not
reconnect in lock-step. Call `reset()` after a connection has been bound (and stable).
"""

import random


class Backoff:
    """`next_delay()` returns the seconds to wait before the next attempt."""

    def __init__(
        self,
        initial: float = 0.5,
        maximum: float = 60.0,
        *,
        factor: float = 2.0,
        rng: random.Random | None = None,
    ) -> None:
        if initial <= 0 or maximum < initial or factor < 1:
            raise ValueError("need 0 < initial <= maximum and factor >= 1")
        self.initial = initial
        self.maximum = maximum
        self.factor = factor
        self.attempts = 0
        self._rng = rng or random.Random()

    def next_delay(self) -> float:
        """The delay before the next attempt; grows with every call until `reset()`."""
        delay = self.delay(self.attempts)
        self.attempts += 1
        return delay

    def delay(self, attempt: int) -> float:
        """The delay before attempt `attempt` + 1 (0: the first retry), without counting it:
        for callers that keep the count themselves (one per receipt to redeliver)."""
        step = min(self.maximum, self.initial * self.factor ** min(attempt, 64))
        return step / 2 + self._rng.uniform(0, step / 2)

    def reset(self) -> None:
        """Start again from `initial` (after a successful connection)."""
        self.attempts = 0
