"""Wrong passwords slow their sender down and nobody is locked out (ADR 0007): the
authenticator with its `GuessGuard` on virtual time, so minutes of attack take no time."""

import asyncio
import logging
from collections import Counter
from collections.abc import Awaitable, Callable
from typing import TypeVar

import pytest
from prometheus_client import REGISTRY

from smsgate.auth.authenticator import Authenticator
from smsgate.auth.cache import VerifiedCredentials
from smsgate.auth.guard import GuessGuard
from smsgate.constants import (
    AUTH_FREE_ATTEMPTS_PER_ADDRESS,
    AUTH_FREE_ATTEMPTS_PER_PAIR,
)
from tests.unit.auth.support import (
    CLIENT,
    PASSWORD,
    CountingHasher,
    FakeStore,
    VirtualTime,
    cheap_hasher,
)

REAL_CLIENT = "198.51.100.200"
T = TypeVar("T")


def throttled(outcome: str) -> float:
    value = REGISTRY.get_sample_value("smsgate_auth_throttled_total", {"outcome": outcome})
    return value or 0.0


def make_auth(
    store: FakeStore,
    time: VirtualTime,
    *,
    hasher: CountingHasher | None = None,
    cache: bool = True,
    max_delayed: int = 1000,
) -> Authenticator:
    guard = GuessGuard(clock=time, sleep=time.sleep, max_delayed=max_delayed)
    # without the cache every right password is checked (and admitted) again
    verified = VerifiedCredentials(ttl=300.0 if cache else 1e-9, clock=time)
    return Authenticator(
        store.lookup,
        guard=guard,
        verified=verified,
        hasher=hasher or cheap_hasher(),
        clock=time,
    )


async def until(condition: Callable[[], bool]) -> None:
    """Let the loop run until `condition` holds (a request reaching its wait, say)."""
    async with asyncio.timeout(10):
        while not condition():  # noqa: ASYNC110 (nothing to wait on: a task's progress)
            await asyncio.sleep(0)


async def settled(request: Awaitable[T]) -> T:
    """A request that must not wait for virtual time (argon2 runs in real threads)."""
    async with asyncio.timeout(10):
        return await request


@pytest.mark.parametrize("cache", [True, False], ids=["verified cache", "every password checked"])
async def test_an_attack_from_50_addresses_leaves_the_real_client_alone(
    store: FakeStore, caplog: pytest.LogCaptureFixture, cache: bool
) -> None:
    """100 wrong passwords a minute from 50 addresses for 10 minutes, while the real client
    sends every 3 seconds: every one of its requests succeeds at once, never delayed."""
    time = VirtualTime()
    auth = make_auth(store, time, cache=cache)
    attackers = [f"203.0.113.{n}" for n in range(50)]
    guesses: list[asyncio.Task[object]] = []
    start = time.now
    delayed, refused = throttled("delayed"), throttled("refused")
    with caplog.at_level(logging.WARNING, "smsgate.auth.alerts"):
        for step in range(1000):  # one guess every 0.6 s, round robin over the addresses
            address = attackers[step % len(attackers)]
            guesses.append(asyncio.create_task(auth.authenticate("acme", f"g{step}", address)))
            if step % 5 == 0:
                real = asyncio.create_task(auth.authenticate("acme", PASSWORD, REAL_CLIENT))
                assert await settled(real) is not None, f"refused at {time.now - start:.1f}s"
            await time.advance_to(start + 0.6 * (step + 1))
        results = await time.finish(guesses)
    assert results == [None] * len(guesses)  # no guess got in, and every answer was the same
    # The attackers paid: each address had its free guesses, then one per growing delay
    # (some waited their turn, the ones sent meanwhile were refused unchecked) ...
    checked = Counter(auth._guard.pairs.count(("pair", "acme", a)) for a in attackers)
    assert max(checked) < 20  # of the 20 each address sent
    assert throttled("delayed") - delayed >= 50 and throttled("refused") - refused >= 50
    # ... and the operator heard about it, at most once a minute (failures are counted when
    # their argon2 run ends, in real time: how many minutes they fall in varies); the realm
    # was never locked.
    alerts = caplog.text.count("realm 'acme': 10 wrong passwords within 60 s")
    assert 1 <= alerts <= (time.now - start) / 60 + 1


async def test_a_fast_guesser_gets_about_one_check_a_minute(store: FakeStore) -> None:
    time = VirtualTime()
    hasher = CountingHasher()
    auth = make_auth(store, time, hasher=hasher)
    start = time.now
    guesses = []
    for step in range(1000):  # 100 a minute from one address, for 10 minutes
        guesses.append(asyncio.create_task(auth.authenticate("acme", f"g{step}", CLIENT)))
        await time.advance_to(start + 0.6 * (step + 1))
    assert await time.finish(guesses) == [None] * 1000
    # 5 free, then waits of 1, 2, 4, 8, 16, 32 s, then one a minute: about 20 in 10 minutes
    assert hasher.verifications <= 22


async def test_a_burst_of_right_requests_is_one_attempt(store: FakeStore) -> None:
    """A client's first requests after a restart (nothing cached yet) arrive together: they
    share one check and count as one attempt, however many they are."""
    time = VirtualTime()
    hasher = CountingHasher()
    auth = make_auth(store, time, hasher=hasher)
    burst = [asyncio.create_task(auth.authenticate("acme", PASSWORD, CLIENT)) for _ in range(50)]
    assert all(await settled(asyncio.gather(*burst)))
    assert (time.slept, hasher.verifications) == ([], 1)
    assert auth._guard.addresses.count(CLIENT) == 0


async def test_an_address_that_failed_waits_and_the_next_one_does_not(store: FakeStore) -> None:
    time = VirtualTime()
    auth = make_auth(store, time)
    for n in range(AUTH_FREE_ATTEMPTS_PER_PAIR):  # free: no waiting
        assert await settled(auth.authenticate("acme", f"g{n}", CLIENT)) is None
    assert time.slept == []
    late = asyncio.create_task(auth.authenticate("acme", PASSWORD, CLIENT))
    await until(lambda: time.sleeping == 1)  # the guessing address waits, right password or not
    other = asyncio.create_task(auth.authenticate("acme", PASSWORD, "192.0.2.99"))
    assert await settled(other) is not None  # another address does not
    await time.advance_to(time.now + 1.0)
    assert await settled(late) is not None
    assert time.slept == [1.0]


async def test_a_key_gets_one_waiter_and_the_rest_are_refused_unchecked(store: FakeStore) -> None:
    time = VirtualTime()
    hasher = CountingHasher()
    auth = make_auth(store, time, hasher=hasher)
    for n in range(AUTH_FREE_ATTEMPTS_PER_PAIR):
        await settled(auth.authenticate("acme", f"g{n}", CLIENT))
    checks, refused = hasher.verifications, throttled("refused")
    burst = [asyncio.create_task(auth.authenticate("acme", f"b{n}", CLIENT)) for n in range(50)]
    await until(lambda: sum(t.done() for t in burst) == 49)  # at once, without a check
    assert time.sleeping == 1
    assert hasher.verifications == checks and throttled("refused") - refused == 49
    assert await time.finish(burst) == [None] * 50
    assert hasher.verifications == checks + 1  # the one that waited its turn


async def test_the_number_of_waiting_requests_is_capped(store: FakeStore) -> None:
    time = VirtualTime()
    auth = make_auth(store, time, max_delayed=3)
    addresses = [f"203.0.113.{n}" for n in range(5)]
    for address in addresses:
        for n in range(AUTH_FREE_ATTEMPTS_PER_PAIR):
            await settled(auth.authenticate("acme", f"g{n}", address))
    waiting = [asyncio.create_task(auth.authenticate("acme", "x", a)) for a in addresses]
    await until(lambda: sum(t.done() for t in waiting) == 2)  # over the cap: answered at once
    assert time.sleeping == 3
    assert await time.finish(waiting) == [None] * 5
    assert time.sleeping == 0


async def test_guessing_across_realms_from_one_address_is_slowed_down(store: FakeStore) -> None:
    time = VirtualTime()
    auth = make_auth(store, time)
    for n in range(AUTH_FREE_ATTEMPTS_PER_ADDRESS):  # one guess per made-up realm: no pair waits
        await settled(auth.authenticate(f"realm-{n}", "x", CLIENT))
    assert time.slept == []
    spray = asyncio.create_task(auth.authenticate("realm-next", "x", CLIENT))
    await until(lambda: time.sleeping == 1)
    await time.advance_to(time.now + 1.0)
    assert await settled(spray) is None


async def test_a_right_password_does_not_reset_the_address_count(store: FakeStore) -> None:
    time = VirtualTime()
    auth = make_auth(store, time, cache=False)
    guard = auth._guard
    for n in range(3):
        await settled(auth.authenticate(f"realm-{n}", "x", CLIENT))
        await settled(auth.authenticate("acme", "wrong", CLIENT))
    assert await settled(auth.authenticate("acme", PASSWORD, CLIENT))
    assert guard.pairs.count(("pair", "acme", CLIENT)) == 0  # the pair starts again
    assert guard.addresses.count(CLIENT) == 6  # the address keeps its 6 wrong ones


async def test_unknown_realm_and_wrong_password_wait_and_count_alike(store: FakeStore) -> None:
    """The same waits, the same checks, the same answers: nothing tells a guesser whether
    the realm exists."""
    seen = []
    for realm in ("acme", "no-such-realm"):
        time = VirtualTime()
        hasher = CountingHasher()
        auth = make_auth(store, time, hasher=hasher)
        answers = []
        for n in range(AUTH_FREE_ATTEMPTS_PER_PAIR + 4):
            task = asyncio.create_task(auth.authenticate(realm, f"g{n}", CLIENT))
            await time.settle(task)  # done, or waiting its turn
            await time.wake_next()
            answers.append(await settled(task))
        seen.append((answers, time.slept, hasher.verifications))
    assert seen[0] == seen[1]
    assert seen[0][1] == [1.0, 2.0, 4.0, 8.0]
