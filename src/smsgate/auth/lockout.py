"""`Lockout`: refuse a realm or client address after too many wrong passwords.

A key (the authenticator uses `("realm", name)` and `("addr", client_ip)`) is locked for
`LOCKOUT_SECONDS` once it collects `LOCKOUT_THRESHOLD` failures within a sliding window of
`LOCKOUT_WINDOW_SECONDS`. While locked, further failures are ignored (they neither extend the
lock nor count towards the next one), and when the lock ends counting starts from zero.

Memory is bounded because keys are attacker-chosen (rotating source addresses, made-up realm
names):

* only the last `threshold` failure times of a key are kept;
* keys are ordered by their latest failure, and before a new key is added the oldest keys whose
  window has passed and whose lock (if any) has ended are pruned;
* at most `max_keys` keys are tracked; when a burst of distinct keys fills the table inside one
  window, the least recently failing key is forgotten. Under such a flood a forgotten key loses
  its count (or its lock): bounded memory wins over perfect accounting, and the default of
  100 000 keys (a few hundred bytes each) needs that many distinct failing keys within a window.

Note the trade-off of per-realm locking: anyone who knows a realm name can lock it out by
sending wrong passwords. The gateway accepts that (the address lock alone cannot stop a
distributed guesser); operators see it in the logs and metrics.

Not thread-safe: use it from one event loop.
"""

import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Final

from smsgate.constants import LOCKOUT_SECONDS, LOCKOUT_THRESHOLD, LOCKOUT_WINDOW_SECONDS

LockoutKey = tuple[str, str]
"""`("realm", name)` or `("addr", client_address)`."""

DEFAULT_MAX_KEYS: Final = 100_000


class _Failures:
    """Recent failure times of one key (oldest first) and the end of its lock."""

    __slots__ = ("locked_until", "times")

    def __init__(self) -> None:
        self.times: list[float] = []
        self.locked_until = 0.0


class Lockout:
    """Sliding-window failure counter with temporary locks, bounded in memory."""

    __slots__ = ("_clock", "_keys", "_lock_seconds", "_max_keys", "_threshold", "_window")

    def __init__(
        self,
        *,
        threshold: int = LOCKOUT_THRESHOLD,
        window: float = LOCKOUT_WINDOW_SECONDS,
        lock_seconds: float = LOCKOUT_SECONDS,
        max_keys: int = DEFAULT_MAX_KEYS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if threshold < 1 or max_keys < 1:
            raise ValueError("threshold and max_keys must be at least 1")
        if window <= 0 or lock_seconds <= 0:
            raise ValueError("window and lock_seconds must be positive")
        self._threshold = threshold
        self._window = window
        self._lock_seconds = lock_seconds
        self._max_keys = max_keys
        self._clock = clock
        # Ordered by latest recorded failure, oldest first.
        self._keys: OrderedDict[LockoutKey, _Failures] = OrderedDict()

    def is_locked(self, key: LockoutKey) -> bool:
        """Whether `key` is locked now. One dict lookup for a key with no recent failures."""
        failures = self._keys.get(key)
        return failures is not None and self._clock() < failures.locked_until

    def record_failure(self, key: LockoutKey) -> bool:
        """Count a wrong password for `key`; return True if this failure locked it."""
        now = self._clock()
        failures = self._keys.get(key)
        if failures is None:
            self._make_room(now)
            failures = self._keys[key] = _Failures()
        elif now < failures.locked_until:
            return False
        else:
            self._keys.move_to_end(key)
        times = failures.times
        times.append(now)
        horizon = now - self._window
        while times[0] <= horizon:  # the newest time (now) always survives
            del times[0]
        if len(times) < self._threshold:
            return False
        times.clear()
        failures.locked_until = now + self._lock_seconds
        return True

    def record_success(self, key: LockoutKey) -> None:
        """Forget the failures of `key` after a correct password. An active lock stays."""
        failures = self._keys.get(key)
        if failures is not None and self._clock() >= failures.locked_until:
            del self._keys[key]

    def prune(self) -> int:
        """Drop the oldest keys whose window has passed and whose lock has ended; return count."""
        return self._prune(self._clock())

    def __len__(self) -> int:
        return len(self._keys)

    def __repr__(self) -> str:
        return (
            f"Lockout(keys={len(self._keys)}, threshold={self._threshold}, "
            f"window={self._window}, lock_seconds={self._lock_seconds})"
        )

    def _prune(self, now: float) -> int:
        horizon = now - self._window
        pruned = 0
        while self._keys:
            failures = next(iter(self._keys.values()))
            if now < failures.locked_until or (failures.times and failures.times[-1] > horizon):
                break
            self._keys.popitem(last=False)
            pruned += 1
        return pruned

    def _make_room(self, now: float) -> None:
        self._prune(now)
        while len(self._keys) >= self._max_keys:
            self._keys.popitem(last=False)
