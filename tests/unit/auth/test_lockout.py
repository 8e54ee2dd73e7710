"""`Lockout`: threshold, sliding window, lock expiry and bounded memory."""

import pytest

from smsgate.auth.lockout import Lockout, LockoutKey
from smsgate.constants import LOCKOUT_SECONDS, LOCKOUT_THRESHOLD, LOCKOUT_WINDOW_SECONDS
from tests.unit.auth.support import FakeClock

KEYS: list[LockoutKey] = [("realm", "acme"), ("addr", "203.0.113.7")]


@pytest.fixture
def lockout(clock: FakeClock) -> Lockout:
    """The production limits, on a fake clock."""
    return Lockout(clock=clock)


def fail(lockout: Lockout, key: LockoutKey, times: int) -> list[bool]:
    return [lockout.record_failure(key) for _ in range(times)]


@pytest.mark.parametrize("key", KEYS)
def test_locks_at_the_threshold(lockout: Lockout, key: LockoutKey) -> None:
    assert fail(lockout, key, LOCKOUT_THRESHOLD - 1) == [False] * (LOCKOUT_THRESHOLD - 1)
    assert lockout.is_locked(key) is False
    assert lockout.record_failure(key) is True
    assert lockout.is_locked(key) is True


@pytest.mark.parametrize("key", KEYS)
def test_lock_ends_after_lockout_seconds(
    lockout: Lockout, clock: FakeClock, key: LockoutKey
) -> None:
    fail(lockout, key, LOCKOUT_THRESHOLD)
    clock.advance(LOCKOUT_SECONDS - 0.5)
    assert lockout.is_locked(key) is True
    clock.advance(0.5)
    assert lockout.is_locked(key) is False
    lockout.record_failure(key)  # counting starts again from zero
    assert lockout.is_locked(key) is False


@pytest.mark.parametrize("key", KEYS)
def test_failures_outside_the_window_do_not_count(
    lockout: Lockout, clock: FakeClock, key: LockoutKey
) -> None:
    fail(lockout, key, LOCKOUT_THRESHOLD - 1)
    clock.advance(LOCKOUT_WINDOW_SECONDS)
    assert lockout.record_failure(key) is False
    assert lockout.is_locked(key) is False


def test_window_slides(clock: FakeClock) -> None:
    lockout = Lockout(threshold=3, window=10.0, lock_seconds=100.0, clock=clock)
    key = KEYS[0]
    lockout.record_failure(key)  # t=0
    clock.advance(5.0)
    lockout.record_failure(key)  # t=5
    clock.advance(5.0)
    assert lockout.record_failure(key) is False  # t=10: the t=0 failure has left the window
    clock.advance(4.0)
    assert lockout.record_failure(key) is True  # t=14: 5, 10 and 14 are within 10 s


def test_keys_are_independent(lockout: Lockout) -> None:
    fail(lockout, ("realm", "acme"), LOCKOUT_THRESHOLD)
    assert lockout.is_locked(("realm", "acme")) is True
    assert lockout.is_locked(("realm", "globex")) is False
    assert lockout.is_locked(("addr", "acme")) is False


def test_success_resets_the_count(lockout: Lockout) -> None:
    key = KEYS[0]
    fail(lockout, key, LOCKOUT_THRESHOLD - 1)
    lockout.record_success(key)
    assert fail(lockout, key, LOCKOUT_THRESHOLD - 1) == [False] * (LOCKOUT_THRESHOLD - 1)
    assert lockout.is_locked(key) is False


def test_success_does_not_lift_an_active_lock(lockout: Lockout) -> None:
    key = KEYS[0]
    fail(lockout, key, LOCKOUT_THRESHOLD)
    lockout.record_success(key)
    assert lockout.is_locked(key) is True


def test_failures_while_locked_do_not_extend_the_lock(lockout: Lockout, clock: FakeClock) -> None:
    key = KEYS[1]
    fail(lockout, key, LOCKOUT_THRESHOLD)
    clock.advance(LOCKOUT_SECONDS - 1.0)
    assert fail(lockout, key, 3 * LOCKOUT_THRESHOLD) == [False] * (3 * LOCKOUT_THRESHOLD)
    clock.advance(1.0)
    assert lockout.is_locked(key) is False


def test_prune_forgets_quiet_keys(lockout: Lockout, clock: FakeClock) -> None:
    for n in range(50):
        lockout.record_failure(("addr", f"10.0.0.{n}"))
    fail(lockout, ("realm", "acme"), LOCKOUT_THRESHOLD)
    assert len(lockout) == 51
    clock.advance(LOCKOUT_WINDOW_SECONDS)
    assert lockout.prune() == 50  # the locked realm stays
    assert lockout.is_locked(("realm", "acme")) is True
    clock.advance(LOCKOUT_SECONDS)
    assert lockout.prune() == 1
    assert len(lockout) == 0


def test_new_keys_prune_quiet_ones(lockout: Lockout, clock: FakeClock) -> None:
    for n in range(50):
        lockout.record_failure(("addr", f"10.0.0.{n}"))
    clock.advance(LOCKOUT_WINDOW_SECONDS)
    lockout.record_failure(("addr", "192.0.2.1"))
    assert len(lockout) == 1


def test_rotating_addresses_cannot_grow_memory_past_max_keys(clock: FakeClock) -> None:
    lockout = Lockout(max_keys=100, clock=clock)
    for n in range(10_000):
        lockout.record_failure(("addr", f"addr-{n}"))
        assert len(lockout) <= 100
    assert len(lockout) == 100
    # The most recently failing keys are the ones kept.
    fail(lockout, ("addr", "addr-9999"), LOCKOUT_THRESHOLD - 1)
    assert lockout.is_locked(("addr", "addr-9999")) is True


def test_failures_spread_wider_than_the_window_never_lock(
    lockout: Lockout, clock: FakeClock
) -> None:
    key = KEYS[0]
    for _ in range(100):  # spread out so it never locks
        lockout.record_failure(key)
        clock.advance(LOCKOUT_WINDOW_SECONDS / (LOCKOUT_THRESHOLD - 2))
    assert lockout.is_locked(key) is False
    assert len(lockout) == 1


def test_custom_limits(clock: FakeClock) -> None:
    lockout = Lockout(threshold=2, window=5.0, lock_seconds=7.0, clock=clock)
    assert fail(lockout, KEYS[0], 2) == [False, True]
    clock.advance(7.0)
    assert lockout.is_locked(KEYS[0]) is False


def test_repr(lockout: Lockout) -> None:
    lockout.record_failure(KEYS[0])
    assert "keys=1" in repr(lockout)


@pytest.mark.parametrize(
    "kwargs",
    [{"threshold": 0}, {"max_keys": 0}, {"window": 0.0}, {"lock_seconds": -1.0}],
)
def test_rejects_nonsense_limits(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError, match="must be"):
        Lockout(**kwargs)  # type: ignore[arg-type]
