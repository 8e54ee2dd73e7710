"""`RealmAlerts`: tell the operator when one realm collects many wrong passwords.

Wrong passwords are slowed down per client address (`throttle.py`); a guesser spread over
many addresses is slowed down per address only, and locking the realm would lock its
legitimate user out too (ADR 0008). So a realm with `threshold` wrong passwords within
`window` seconds, from any number of addresses, raises an alert instead: one WARNING line
and `smsgate_auth_realm_alerts_total` (no realm label: /metrics would list realm names to
anyone who can reach it), at most once per window per realm.

Bounded like the throttle: at most `threshold` times per realm, realms ordered by their
latest failure, idle ones pruned, at most `max_realms` kept.
"""

import logging
import time
from collections import OrderedDict
from collections.abc import Callable

from smsgate.auth.throttle import DEFAULT_MAX_KEYS
from smsgate.constants import AUTH_ALERT_FAILURES, AUTH_ALERT_WINDOW_SECONDS
from smsgate.metrics import AUTH_REALM_ALERTS

log = logging.getLogger(__name__)


class _Failures:
    __slots__ = ("alerted_at", "times")

    def __init__(self) -> None:
        self.times: list[float] = []  # the latest, oldest first, at most `threshold`
        self.alerted_at = float("-inf")


class RealmAlerts:
    """Counts wrong passwords per realm over a sliding window; alerts at the threshold."""

    __slots__ = ("_clock", "_max_realms", "_realms", "_threshold", "_window")

    def __init__(
        self,
        *,
        threshold: int = AUTH_ALERT_FAILURES,
        window: float = AUTH_ALERT_WINDOW_SECONDS,
        max_realms: int = DEFAULT_MAX_KEYS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if threshold < 1 or window <= 0 or max_realms < 1:
            raise ValueError("threshold and max_realms must be at least 1, window positive")
        self._threshold = threshold
        self._window = window
        self._max_realms = max_realms
        self._clock = clock
        self._realms: OrderedDict[str, _Failures] = OrderedDict()

    def failure(self, realm: str, *, known: bool) -> bool:
        """Count a wrong password for `realm`; True if it raised an alert."""
        now = self._clock()
        failures = self._realms.get(realm)
        if failures is None:
            self._make_room(now)
            failures = self._realms[realm] = _Failures()
        else:
            self._realms.move_to_end(realm)
        times = failures.times
        times.append(now)
        if len(times) > self._threshold:
            del times[0]
        if (
            len(times) < self._threshold
            or now - times[0] > self._window
            or now - failures.alerted_at < self._window
        ):
            return False
        failures.alerted_at = now
        AUTH_REALM_ALERTS.inc()
        log.warning(
            "realm %r%s: %d wrong passwords within %.0f s; the addresses that sent them are "
            "slowed down, the realm is not locked",
            realm[:64],
            "" if known else " (no such realm)",
            self._threshold,
            self._window,
            extra={"realm": realm[:64]},
        )
        return True

    def __len__(self) -> int:
        return len(self._realms)

    def _make_room(self, now: float) -> None:
        horizon = now - self._window
        while self._realms:
            oldest = next(iter(self._realms.values()))
            if oldest.times[-1] > horizon or now - oldest.alerted_at < self._window:
                break
            self._realms.popitem(last=False)
        while len(self._realms) >= self._max_realms:
            self._realms.popitem(last=False)
