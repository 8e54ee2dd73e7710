"""`Throttle`: free attempts, a doubling delay with a cap, undo/forget, bounded memory."""

import pytest

from smsgate.auth.throttle import Throttle
from smsgate.constants import AUTH_DELAY_CAP_SECONDS, AUTH_FORGET_AFTER_SECONDS
from tests.unit.auth.support import FakeClock

KEY = ("pair", "acme", "203.0.113.7")


@pytest.fixture
def throttle(clock: FakeClock) -> Throttle:
    return Throttle(free=3, base=1.0, cap=8.0, forget_after=100.0, clock=clock)


def test_free_attempts_then_a_doubling_delay_up_to_the_cap(
    throttle: Throttle, clock: FakeClock
) -> None:
    waits = []
    for _ in range(9):
        waits.append(throttle.wait(KEY))
        clock.advance(waits[-1])  # wait its turn, then try
        throttle.attempt(KEY)
    assert waits == [0, 0, 0, 1, 2, 4, 8, 8, 8]
    assert throttle.wait(("pair", "acme", "other address")) == 0


def test_the_wait_runs_down_with_time(throttle: Throttle, clock: FakeClock) -> None:
    for _ in range(4):
        throttle.attempt(KEY)
    assert throttle.wait(KEY) == 2.0
    clock.advance(1.5)
    assert throttle.wait(KEY) == 0.5
    clock.advance(0.5)
    assert throttle.wait(KEY) == 0.0


def test_undo_takes_back_one_attempt_and_forget_all(throttle: Throttle) -> None:
    for _ in range(5):
        throttle.attempt(KEY)
    throttle.undo(KEY)
    assert throttle.count(KEY) == 4
    throttle.forget(KEY)
    assert (throttle.count(KEY), throttle.wait(KEY), len(throttle)) == (0, 0.0, 0)
    throttle.attempt(KEY)
    throttle.undo(KEY)
    assert len(throttle) == 0  # a key back at zero takes no memory


def test_a_quiet_key_starts_again(throttle: Throttle, clock: FakeClock) -> None:
    for _ in range(6):
        throttle.attempt(KEY)
    clock.advance(100.0)
    assert throttle.wait(KEY) == 0.0
    throttle.attempt(KEY)
    assert throttle.count(KEY) == 1


def test_memory_is_bounded_and_quiet_keys_go_first(clock: FakeClock) -> None:
    throttle = Throttle(free=1, base=1.0, cap=2.0, forget_after=10.0, max_keys=3, clock=clock)
    throttle.attempt("old")
    clock.advance(10.0)
    throttle.attempt("a")
    assert len(throttle) == 1  # "old" was quiet long enough: pruned before adding
    throttle.attempt("b")
    throttle.attempt("c")
    throttle.attempt("d")  # full: the least recently attempted key goes
    assert len(throttle) == 3 and throttle.count("a") == 0 and throttle.count("d") == 1


def test_the_production_delay_stays_below_the_forget_period() -> None:
    throttle = Throttle(free=0)
    assert throttle.delay_after(1000) == AUTH_DELAY_CAP_SECONDS < AUTH_FORGET_AFTER_SECONDS


@pytest.mark.parametrize(
    "options",
    [{"free": -1}, {"free": 1, "max_keys": 0}, {"free": 1, "base": 0}, {"free": 1, "cap": 0.5}],
)
def test_bad_parameters(options: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        Throttle(**options)  # type: ignore[arg-type]
