"""TokenBucket with a fake clock: no real time passes, `asyncio.sleep` advances the clock."""

import asyncio
from collections.abc import Iterator
from types import SimpleNamespace

import pytest

from smsgate.delivery import throttle
from smsgate.delivery.throttle import TokenBucket


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += max(seconds, 1e-6)  # a real sleep always lets some time pass
        await asyncio.sleep(0)  # still a scheduling point, like the real one


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeClock]:
    fake = FakeClock()
    # only the throttle module's view of asyncio is replaced, not the event loop's
    monkeypatch.setattr(throttle, "asyncio", SimpleNamespace(sleep=fake.sleep, Lock=asyncio.Lock))
    yield fake


def max_in_window(stamps: list[float], window: float = 1.0) -> int:
    """The most timestamps inside any half-open interval [t, t + window)."""
    best, start = 0, 0
    for end, stamp in enumerate(stamps):
        while stamp - stamps[start] >= window - 1e-9:
            start += 1
        best = max(best, end - start + 1)
    return best


def test_negative_rate_is_refused() -> None:
    with pytest.raises(ValueError, match="rate"):
        TokenBucket(-1)


async def test_zero_rate_is_unlimited(clock: FakeClock) -> None:
    bucket = TokenBucket(0, clock=clock)
    assert bucket.unlimited
    for _ in range(10_000):
        assert bucket.try_acquire()
        await bucket.acquire()
    assert bucket.delay() == 0.0
    assert clock.sleeps == []


def test_first_token_is_free_then_one_per_interval(clock: FakeClock) -> None:
    bucket = TokenBucket(20, clock=clock)
    assert bucket.try_acquire()
    assert not bucket.try_acquire()
    assert bucket.delay() == pytest.approx(0.05)
    clock.now += 0.049
    assert not bucket.try_acquire()
    clock.now += 0.0011
    assert bucket.try_acquire()
    assert not bucket.try_acquire()


def test_idle_time_does_not_bank_more_than_the_burst(clock: FakeClock) -> None:
    bucket = TokenBucket(20, clock=clock)
    clock.now += 3600
    taken = 0
    while bucket.try_acquire():
        taken += 1
    assert taken == 1  # a pause must not let a whole second's worth through at once


def test_high_rates_get_a_small_burst(clock: FakeClock) -> None:
    bucket = TokenBucket(1000, clock=clock)
    assert bucket.capacity == pytest.approx(20)  # 1/50 s worth: absorbs timer jitter
    assert TokenBucket(5, clock=clock).capacity == 1.0
    assert TokenBucket(5, burst=3, clock=clock).capacity == 3


@pytest.mark.parametrize("rate", [1, 20, 49, 500])
async def test_any_one_second_window_holds_at_most_rate_plus_burst(
    clock: FakeClock, rate: float
) -> None:
    bucket = TokenBucket(rate, clock=clock)
    stamps: list[float] = []
    for _ in range(int(rate * 5)):
        await bucket.acquire()
        stamps.append(clock.now)
    assert max_in_window(stamps) <= rate + bucket.capacity
    # and the rate itself is reached: 5 s worth of tokens take about 5 s
    assert stamps[-1] - stamps[0] == pytest.approx(5 - bucket.capacity / rate, abs=1 / rate)


async def test_acquire_waits_exactly_the_missing_fraction(clock: FakeClock) -> None:
    bucket = TokenBucket(10, clock=clock)
    await bucket.acquire()
    clock.now += 0.04
    await bucket.acquire()
    assert clock.sleeps == [pytest.approx(0.06)]


async def test_waiters_are_served_in_arrival_order(clock: FakeClock) -> None:
    bucket = TokenBucket(10, clock=clock)
    order: list[int] = []

    async def take(i: int) -> None:
        await bucket.acquire()
        order.append(i)

    await asyncio.gather(*(take(i) for i in range(8)))
    assert order == list(range(8))
    assert clock.now == pytest.approx(1000.7)  # 1 free + 7 x 0.1 s


async def test_try_acquire_does_not_jump_the_queue(clock: FakeClock) -> None:
    bucket = TokenBucket(10, clock=clock)
    assert bucket.try_acquire()
    waiter = asyncio.ensure_future(bucket.acquire())
    await asyncio.sleep(0)  # the waiter holds the lock and sleeps
    clock.now += 0.5
    assert not bucket.try_acquire()  # a token is there, but someone is waiting for it
    await waiter
