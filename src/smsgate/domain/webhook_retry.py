"""When a webhook delivery is tried again, when it is given up, when an endpoint is failing.

Quick retries first (a receiver restarting, a deploy), then backoff: 5 s, 30 s, 2 min, 10 min,
30 min, then hourly, each with up to WEBHOOK_RETRY_JITTER of random spread so a receiver that
comes back is not hit by every delivery at the same second. A delivery that fails is retried
as long as the failure came less than WEBHOOK_RETRY_WINDOW_SECONDS (24 h) after the event was
created, so the last attempt is made at least a day after the event (and at most about an
hour after that). An endpoint whose deliveries have failed without one
success for WEBHOOK_FAILING_AFTER_SECONDS (a day) is "failing" (metric + log; still tried).
Pure functions: the random draw is an argument.
"""

from typing import Final

from smsgate.constants import (
    WEBHOOK_FAILING_AFTER_SECONDS,
    WEBHOOK_RETRY_JITTER,
    WEBHOOK_RETRY_WINDOW_SECONDS,
)

# Delay before attempt n+1 after n failed attempts (n = 1, 2, ...); the last one repeats.
SCHEDULE: Final = (5.0, 30.0, 120.0, 600.0, 1800.0, 3600.0)


def base_delay(failed_attempts: int) -> float:
    """The delay (before jitter) after `failed_attempts` (>= 1) failures."""
    if failed_attempts < 1:
        raise ValueError("failed_attempts must be at least 1")
    return SCHEDULE[min(failed_attempts, len(SCHEDULE)) - 1]


def retry_delay(failed_attempts: int, draw: float) -> float:
    """The delay after `failed_attempts` failures, spread by `draw` in [0, 1): between the
    base delay and (1 + WEBHOOK_RETRY_JITTER) times it."""
    if not 0.0 <= draw < 1.0:
        raise ValueError("draw must be in [0, 1)")
    return base_delay(failed_attempts) * (1.0 + WEBHOOK_RETRY_JITTER * draw)


def next_attempt_at(
    created_at: float, failed_attempts: int, now: float, draw: float
) -> float | None:
    """When to try again after the failure at `now`, or None: the retry window (from the
    event's `created_at`) is over and the delivery has failed for good."""
    if now >= created_at + WEBHOOK_RETRY_WINDOW_SECONDS:
        return None
    return now + retry_delay(failed_attempts, draw)


def is_failing(failing_since: float | None, now: float) -> bool:
    """Whether an endpoint failing (without a success) since `failing_since` is "failing"."""
    return failing_since is not None and now - failing_since >= WEBHOOK_FAILING_AFTER_SECONDS
