"""The console's throughput: per-second rates from running totals, over a bounded window."""

from hypothesis import given
from hypothesis import strategies as st

from smsgate.services.console_rates import RateSampler, Totals


class Source:
    def __init__(self) -> None:
        self.now = 100.0
        self.totals: Totals = (0.0, 0.0, 0.0, 0.0)

    def clock(self) -> float:
        return self.now

    def read(self) -> Totals:
        return self.totals


def test_rates_are_differences_per_second() -> None:
    source = Source()
    sampler = RateSampler(source.read, clock=source.clock, interval=1.0, window=3600)
    sampler.sample()
    source.now, source.totals = 102.0, (10.0, 4.0, 2.0, 1.0)
    sampler.sample()
    source.now, source.totals = 103.0, (13.0, 4.0, 2.0, 1.0)
    sampler.sample()
    assert sampler.rates() == {
        "t": [102.0, 103.0],
        "accepted": [5.0, 3.0],
        "submitted": [2.0, 0.0],
        "delivered": [1.0, 0.0],
        "failed": [0.5, 0.0],
    }


def test_no_samples_no_points() -> None:
    assert RateSampler(Source().read).rates()["t"] == []


@given(st.integers(min_value=2, max_value=50))
def test_the_window_bounds_the_points(samples: int) -> None:
    source = Source()
    sampler = RateSampler(source.read, clock=source.clock, interval=1.0, window=10)
    for n in range(samples):
        source.now = 100.0 + n
        source.totals = (float(n), 0.0, 0.0, 0.0)
        sampler.sample()
    rates = sampler.rates()
    assert len(rates["t"]) == min(samples - 1, 10)
    assert set(rates["accepted"]) == {1.0}


def test_a_counter_reset_is_no_negative_rate() -> None:
    source = Source()
    sampler = RateSampler(source.read, clock=source.clock)
    source.totals = (10.0, 10.0, 10.0, 10.0)
    sampler.sample()
    source.now, source.totals = 101.0, (0.0, 0.0, 0.0, 0.0)
    sampler.sample()
    assert sampler.rates()["accepted"] == [0.0]


async def test_start_and_stop() -> None:
    source = Source()
    sampler = RateSampler(source.read, clock=source.clock, interval=3600)
    sampler.start()
    sampler.start()  # once
    await sampler.stop()
    await sampler.stop()
    assert sampler.rates()["t"] == []  # one sample (at start): no interval yet
