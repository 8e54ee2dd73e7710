"""`Throttle`: per-key attempt counts, and the delay they earn before the next attempt.

A key is `(realm, client address)` or a client address (`guard.py`). Its first `free`
attempts go through at once; after attempt n >= free the next one may be checked only
`base * 2^(n - free)` seconds later, at most `cap`. So a guesser pays a growing delay per
guess, and nobody else pays anything: there is no lock for a third party to trigger.

An attempt is counted when it is let through to the password check, before the result is
known (`attempt`), so that concurrent guesses cannot all slip through at the same count; a
right password takes its own attempt back (`undo`) or clears the key (`forget`). A key with no
attempt for `forget_after` seconds starts again from zero.

Memory is bounded because keys are attacker-chosen (rotating source addresses, made-up realm
names): keys are ordered by their latest attempt, keys idle for `forget_after` are pruned from
the old end before a new key is added, and at most `max_keys` are kept; under a flood of
distinct keys the least recently used is forgotten (it loses its count: bounded memory wins
over perfect accounting; 100,000 keys are a few tens of MB).

Not thread-safe: use it from one event loop.
"""

import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Final

from smsgate.constants import (
    AUTH_DELAY_BASE_SECONDS,
    AUTH_DELAY_CAP_SECONDS,
    AUTH_FORGET_AFTER_SECONDS,
)

DEFAULT_MAX_KEYS: Final = 100_000


class _Attempts:
    __slots__ = ("count", "last", "next_at")

    def __init__(self) -> None:
        self.count = 0
        self.last = 0.0  # time of the latest attempt
        self.next_at = 0.0  # the next attempt may be checked from then on


class Throttle:
    """Attempt counts per key with an exponential, capped delay between attempts."""

    __slots__ = ("_base", "_cap", "_clock", "_forget_after", "_free", "_keys", "_max_keys")

    def __init__(
        self,
        *,
        free: int,
        base: float = AUTH_DELAY_BASE_SECONDS,
        cap: float = AUTH_DELAY_CAP_SECONDS,
        forget_after: float = AUTH_FORGET_AFTER_SECONDS,
        max_keys: int = DEFAULT_MAX_KEYS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if free < 0 or max_keys < 1:
            raise ValueError("free must be at least 0 and max_keys at least 1")
        if base <= 0 or cap < base or forget_after <= cap:
            raise ValueError("need 0 < base <= cap < forget_after")
        self._free = free
        self._base = base
        self._cap = cap
        self._forget_after = forget_after
        self._max_keys = max_keys
        self._clock = clock
        self._keys: OrderedDict[Hashable, _Attempts] = OrderedDict()  # oldest attempt first

    def delay_after(self, count: int) -> float:
        """The wait that `count` attempts earn before the next one."""
        if count < self._free:
            return 0.0
        return min(self._cap, self._base * 2.0 ** min(count - self._free, 60))

    def wait(self, key: Hashable) -> float:
        """Seconds before the next attempt of `key` may be checked (0: now). One dict lookup
        for a key without attempts."""
        attempts = self._keys.get(key)
        if attempts is None:
            return 0.0
        now = self._clock()
        if now - attempts.last >= self._forget_after:
            del self._keys[key]
            return 0.0
        return max(0.0, attempts.next_at - now)

    def attempt(self, key: Hashable) -> None:
        """Count an attempt of `key` that is being checked now."""
        now = self._clock()
        attempts = self._keys.get(key)
        if attempts is None:
            self._make_room(now)
            attempts = self._keys[key] = _Attempts()
        else:
            self._keys.move_to_end(key)
            if now - attempts.last >= self._forget_after:
                attempts.count = 0
        attempts.count += 1
        attempts.last = now
        attempts.next_at = now + self.delay_after(attempts.count)

    def undo(self, key: Hashable) -> None:
        """The attempt just counted for `key` had the right password: take it back (an earlier
        attempt's delay, if any, stays)."""
        attempts = self._keys.get(key)
        if attempts is not None:
            attempts.count -= 1
            if attempts.count <= 0:
                del self._keys[key]

    def forget(self, key: Hashable) -> None:
        """`key` starts again from zero."""
        self._keys.pop(key, None)

    def count(self, key: Hashable) -> int:
        """Attempts of `key` not forgotten yet."""
        attempts = self._keys.get(key)
        return 0 if attempts is None else attempts.count

    def __len__(self) -> int:
        return len(self._keys)

    def __repr__(self) -> str:
        return f"Throttle(keys={len(self._keys)}, free={self._free}, cap={self._cap})"

    def _make_room(self, now: float) -> None:
        horizon = now - self._forget_after
        while self._keys and next(iter(self._keys.values())).last <= horizon:
            self._keys.popitem(last=False)
        while len(self._keys) >= self._max_keys:
            self._keys.popitem(last=False)
