"""`GuessGuard`: what the authenticator does about wrong passwords (ADR 0008).

Nobody is locked out. A password check is an attempt of two keys, `(realm, client address)`
and the client address alone (`throttle.py`): after their free attempts, each key's next
attempt must wait its turn, a delay that doubles up to a cap. A realm under attack from many
addresses raises an alert (`alerts.py`) but keeps working for every address that has not
failed, and a password known to be right (the verified cache) is never delayed at all.

Waiting is an `asyncio.sleep` of that request only: the loop and every other request go on.
It is bounded so that an attacker cannot hold the server with sleeping requests: one request
per key may wait at a time, and at most `max_delayed` in all; any other request that would
have to wait is answered at once with the usual failure, its password unchecked and
uncounted. So parallel guessing buys nothing: a key gets one check per delay however many
connections ask.
"""

import asyncio
import time
from collections.abc import Awaitable, Callable, Hashable

from smsgate.auth.alerts import RealmAlerts
from smsgate.auth.throttle import Throttle
from smsgate.constants import (
    AUTH_FREE_ATTEMPTS_PER_ADDRESS,
    AUTH_FREE_ATTEMPTS_PER_PAIR,
    AUTH_MAX_DELAYED_REQUESTS,
)
from smsgate.metrics import AUTH_FAILURES, AUTH_THROTTLED

_DELAYED = AUTH_THROTTLED.labels("delayed")
_REFUSED = AUTH_THROTTLED.labels("refused")


class GuessGuard:
    """Throttles per (realm, address) and per address, and per-realm alerts. One loop."""

    def __init__(
        self,
        *,
        pairs: Throttle | None = None,
        addresses: Throttle | None = None,
        alerts: RealmAlerts | None = None,
        max_delayed: int = AUTH_MAX_DELAYED_REQUESTS,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.pairs = pairs or Throttle(free=AUTH_FREE_ATTEMPTS_PER_PAIR, clock=clock)
        self.addresses = addresses or Throttle(free=AUTH_FREE_ATTEMPTS_PER_ADDRESS, clock=clock)
        self.alerts = alerts or RealmAlerts(clock=clock)
        self._max_delayed = max_delayed
        self._sleep = sleep
        self._waiting: set[Hashable] = set()  # keys with a request waiting its turn
        self.delayed_now = 0  # requests waiting their turn

    async def admit(self, realm: str, client: str | None) -> bool:
        """Wait until this request's keys may be checked, and count the attempt; False if it
        must not wait (its key already has a waiter, or too many are waiting)."""
        pair = ("pair", realm, client or "")
        keys: tuple[Hashable, ...] = (pair,) if client is None else (pair, ("address", client))
        wait = max(self.pairs.wait(pair), self.addresses.wait(client) if client else 0.0)
        if wait > 0:
            if self.delayed_now >= self._max_delayed or not self._waiting.isdisjoint(keys):
                _REFUSED.inc()
                return False
            self._waiting.update(keys)
            self.delayed_now += 1
            try:
                await self._sleep(wait)
            finally:
                self._waiting.difference_update(keys)
                self.delayed_now -= 1
            _DELAYED.inc()
        self.pairs.attempt(pair)
        if client is not None:
            self.addresses.attempt(client)
        return True

    def failed(self, realm: str, *, known: bool) -> None:
        """A checked password was wrong (or the realm does not exist)."""
        AUTH_FAILURES.inc()
        self.alerts.failure(realm, known=known)

    def succeeded(self, realm: str, client: str | None, *, admitted: bool = True) -> None:
        """A right password (`admitted`: counted by `admit`, not known from the cache): the
        pair starts again from zero, and the address takes back this attempt only: one valid
        credential must not reset an address that guesses at other realms."""
        self.pairs.forget(("pair", realm, client or ""))
        if admitted and client is not None:
            self.addresses.undo(client)

    def __repr__(self) -> str:
        return (
            f"GuessGuard(pairs={self.pairs!r}, addresses={self.addresses!r}, "
            f"delayed_now={self.delayed_now})"
        )
