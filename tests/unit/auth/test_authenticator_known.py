"""`Authenticator.known`, the hot path's answer without a coroutine: whenever it answers, it is
what `authenticate` would have answered, with the same effects (lookups, argon2 runs, guard);
when it does not, `authenticate` is awaited and behaves as if `known` had never run."""

import asyncio
from dataclasses import dataclass

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from smsgate.auth.authenticator import Authenticator, RealmCredential
from smsgate.constants import AUTH_CACHE_TTL_SECONDS
from tests.unit.auth.support import (
    CLIENT,
    CREDENTIAL_TTL,
    PASSWORD,
    CountingHasher,
    FakeClock,
    FakeStore,
)

_NEW_PASSWORD = "a-new-one"
# a request (realm, password), a step of the clock (seconds), or a password change
_REQUESTS = st.sampled_from(
    [
        ("acme", PASSWORD),
        ("acme", _NEW_PASSWORD),
        ("acme", PASSWORD + "x"),
        ("acme", None),
        ("acme", ""),
        ("nosuch", PASSWORD),
    ]
)
_STEPS = st.sampled_from([0.0, CREDENTIAL_TTL / 2, CREDENTIAL_TTL, AUTH_CACHE_TTL_SECONDS])
_OPS = st.lists(st.one_of(_REQUESTS, _STEPS, st.just("change")), max_size=12)


@dataclass
class _Side:
    store: FakeStore
    clock: FakeClock
    hasher: CountingHasher
    auth: Authenticator


def _side(store: FakeStore) -> _Side:
    clock, hasher = FakeClock(), CountingHasher()
    auth = Authenticator(store.lookup, credential_ttl=CREDENTIAL_TTL, hasher=hasher, clock=clock)
    return _Side(store, clock, hasher, auth)


def _seen(credential: RealmCredential | None) -> object:
    return None if credential is None else (credential.realm_id, credential.version)


async def _run(ops: list[object]) -> None:
    plain_store, fast_store = FakeStore(), FakeStore()
    plain_store.add("acme", PASSWORD)
    fast_store.realms = dict(plain_store.realms)
    plain, fast = _side(plain_store), _side(fast_store)
    for op in ops:
        if op == "change":
            old = plain_store.realms["acme"]
            plain_store.add("acme", _NEW_PASSWORD, version=old.version + 1)
            fast_store.realms = dict(plain_store.realms)
        elif isinstance(op, float):
            plain.clock.advance(op)
            fast.clock.advance(op)
        else:
            assert isinstance(op, tuple)
            realm, password = op
            expected = await plain.auth.authenticate(realm, password, CLIENT)
            got = fast.auth.known(realm, password, CLIENT)
            if got is None:
                got = await fast.auth.authenticate(realm, password, CLIENT)
            assert _seen(got) == _seen(expected)
        for _ in range(5):  # background refreshes
            await asyncio.sleep(0)
        assert plain_store.lookups == fast_store.lookups
        assert plain.hasher.verifications == fast.hasher.verifications
        assert len(plain.auth._verified) == len(fast.auth._verified)
        assert repr(plain.auth) == repr(fast.auth)


@settings(max_examples=200, deadline=None)
@given(_OPS)
def test_known_then_authenticate_is_authenticate(ops: list[object]) -> None:
    wrong = sum(1 for op in ops if isinstance(op, tuple) and op[1] and op != ("acme", PASSWORD))
    assume(wrong <= 4)  # within the free attempts: no guard delay (its sleeps are real time)
    asyncio.run(_run(ops))


async def test_known_answers_a_verified_request_and_nothing_else(
    auth: Authenticator, store: FakeStore
) -> None:
    assert auth.known("acme", PASSWORD, CLIENT) is None  # not looked up yet
    assert await auth.authenticate("acme", PASSWORD, CLIENT) == store.realms["acme"]
    assert auth.known("acme", PASSWORD, CLIENT) == store.realms["acme"]
    assert auth.known("acme", PASSWORD + "x", CLIENT) is None
    assert auth.known("acme", None, CLIENT) is None
    assert auth.known("nosuch", PASSWORD, CLIENT) is None
