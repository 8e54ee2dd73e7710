"""Exponential backoff with jitter."""

import random

import pytest

from smsgate.smpp.reconnect import Backoff


def test_delays_grow_within_jitter_bounds_and_cap() -> None:
    backoff = Backoff(1.0, 10.0, rng=random.Random(7))
    steps = [1.0, 2.0, 4.0, 8.0, 10.0, 10.0, 10.0]
    for step in steps:
        delay = backoff.next_delay()
        assert step / 2 <= delay <= step
    assert backoff.attempts == len(steps)


def test_reset_starts_again_and_jitter_spreads() -> None:
    backoff = Backoff(0.5, 60.0)
    for _ in range(20):
        backoff.next_delay()
    backoff.reset()
    assert backoff.next_delay() <= 0.5
    delays = {Backoff(1.0, 60.0).next_delay() for _ in range(20)}
    assert len(delays) > 1


def test_many_attempts_do_not_overflow() -> None:
    backoff = Backoff(0.1, 30.0)
    for _ in range(5000):
        assert backoff.next_delay() <= 30.0


@pytest.mark.parametrize(("initial", "maximum"), [(0.0, 1.0), (2.0, 1.0), (-1.0, 1.0)])
def test_invalid_arguments(initial: float, maximum: float) -> None:
    with pytest.raises(ValueError):
        Backoff(initial, maximum)
