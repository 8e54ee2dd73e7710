"""The webhook retry schedule: quick first, then hourly, with jitter, for at least a day."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smsgate.constants import (
    WEBHOOK_FAILING_AFTER_SECONDS,
    WEBHOOK_RETRY_JITTER,
    WEBHOOK_RETRY_WINDOW_SECONDS,
)
from smsgate.domain.webhook_retry import (
    base_delay,
    is_failing,
    next_attempt_at,
    retry_delay,
)

DAY = 24 * 3600.0


def test_the_schedule_of_the_issue() -> None:
    assert [base_delay(n) for n in range(1, 9)] == [5, 30, 120, 600, 1800, 3600, 3600, 3600]


def test_bad_arguments() -> None:
    with pytest.raises(ValueError):
        base_delay(0)
    with pytest.raises(ValueError):
        retry_delay(1, 1.0)


@given(st.integers(min_value=1, max_value=1000), st.floats(min_value=0, max_value=0.999999))
def test_jitter_spreads_later_never_earlier(failed: int, draw: float) -> None:
    delay = retry_delay(failed, draw)
    assert base_delay(failed) <= delay <= base_delay(failed) * (1 + WEBHOOK_RETRY_JITTER)


@given(st.lists(st.floats(min_value=0, max_value=0.999999), min_size=1, max_size=60))
def test_retries_go_on_for_at_least_a_day_and_then_stop(draws: list[float]) -> None:
    created = 1_000_000.0
    now, failed = created, 0
    while True:
        failed += 1
        at = next_attempt_at(created, failed, now, draws[failed % len(draws)])
        if at is None:
            break
        assert at > now
        now = at
    assert WEBHOOK_RETRY_WINDOW_SECONDS >= DAY
    # the last attempt is made a day after the event at least, an hour and its jitter at most
    assert now >= created + DAY
    assert now <= created + WEBHOOK_RETRY_WINDOW_SECONDS + 3600 * (1 + WEBHOOK_RETRY_JITTER)
    assert 25 <= failed <= 40


def test_failing_after_a_day_without_success() -> None:
    assert not is_failing(None, 10**9)
    assert not is_failing(1000.0, 1000.0 + WEBHOOK_FAILING_AFTER_SECONDS - 1)
    assert is_failing(1000.0, 1000.0 + WEBHOOK_FAILING_AFTER_SECONDS)
