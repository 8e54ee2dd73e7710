"""`Authenticator`: right and wrong passwords, caching, invalidation (throttling: test_guard)."""

import asyncio
from dataclasses import replace

import pytest

from smsgate.auth.authenticator import Authenticator, RealmCredential
from smsgate.auth.cache import VerifiedCredentials
from smsgate.auth.guard import GuessGuard
from smsgate.constants import AUTH_CACHE_TTL_SECONDS, AUTH_FREE_ATTEMPTS_PER_PAIR
from tests.unit.auth.support import (
    CLIENT,
    CREDENTIAL_TTL,
    PASSWORD,
    CountingHasher,
    FakeClock,
    FakeStore,
    cheap_hasher,
)


async def test_right_password_returns_the_credential(auth: Authenticator, store: FakeStore) -> None:
    assert await auth.authenticate("acme", PASSWORD, CLIENT) == store.realms["acme"]


async def test_unknown_realm_and_wrong_password_look_the_same(
    auth: Authenticator, hasher: CountingHasher
) -> None:
    assert await auth.authenticate("acme", PASSWORD + "x", CLIENT) is None
    assert hasher.verifications == 1
    assert await auth.authenticate("nosuch", PASSWORD, CLIENT) is None
    assert hasher.verifications == 2  # a dummy hash was verified: same cost as a real one


@pytest.mark.parametrize("password", [None, ""])
async def test_missing_password_fails_unchecked_and_uncounted(
    auth: Authenticator, hasher: CountingHasher, password: str | None
) -> None:
    for _ in range(3 * AUTH_FREE_ATTEMPTS_PER_PAIR):
        assert await auth.authenticate("acme", password, CLIENT) is None
    assert hasher.verifications == 0
    assert await auth.authenticate("acme", PASSWORD, CLIENT) is not None  # no delay earned


async def test_cache_hit_awaits_neither_lookup_nor_argon2(
    auth: Authenticator, store: FakeStore, hasher: CountingHasher, clock: FakeClock
) -> None:
    await auth.authenticate("acme", PASSWORD, CLIENT)
    assert (len(store.lookups), hasher.verifications) == (1, 1)
    for _ in range(10):
        clock.advance(CREDENTIAL_TTL / 20)
        assert await auth.authenticate("acme", PASSWORD, CLIENT) is not None
    assert (len(store.lookups), hasher.verifications) == (1, 1)


async def settle() -> None:
    """Let a background credential refresh finish (the fake store needs no real time)."""
    for _ in range(5):
        await asyncio.sleep(0)


async def expire_and_refresh(auth: Authenticator, clock: FakeClock) -> None:
    """Expire acme's entry; one request (answered from it) starts the refresh; let it finish."""
    clock.advance(CREDENTIAL_TTL)
    await auth.authenticate("acme", PASSWORD, CLIENT)
    await settle()


async def test_credential_refresh_reuses_the_verified_cache(
    auth: Authenticator, store: FakeStore, hasher: CountingHasher, clock: FakeClock
) -> None:
    await auth.authenticate("acme", PASSWORD, CLIENT)
    clock.advance(CREDENTIAL_TTL)
    assert await auth.authenticate("acme", PASSWORD, CLIENT) is not None
    await settle()
    assert await auth.authenticate("acme", PASSWORD, CLIENT) is not None
    assert (len(store.lookups), hasher.verifications) == (2, 1)
    clock.advance(AUTH_CACHE_TTL_SECONDS)
    assert await auth.authenticate("acme", PASSWORD, CLIENT) is not None
    await settle()
    assert (len(store.lookups), hasher.verifications) == (3, 2)


async def test_password_change_with_new_version_takes_effect_after_refresh(
    auth: Authenticator, store: FakeStore, clock: FakeClock
) -> None:
    await auth.authenticate("acme", PASSWORD, CLIENT)
    store.add("acme", "brand-new-password", version=2)
    clock.advance(CREDENTIAL_TTL)
    # the expired entry answers once more while the refresh runs in the background
    assert await auth.authenticate("acme", PASSWORD, CLIENT) is not None
    await settle()
    assert await auth.authenticate("acme", PASSWORD, CLIENT) is None
    credential = await auth.authenticate("acme", "brand-new-password", CLIENT)
    assert credential is not None
    assert credential.version == 2


async def test_changed_hash_under_the_same_version_still_invalidates(
    auth: Authenticator, store: FakeStore, clock: FakeClock
) -> None:
    await auth.authenticate("acme", PASSWORD, CLIENT)
    store.add("acme", "brand-new-password", version=1)
    await expire_and_refresh(auth, clock)
    assert await auth.authenticate("acme", PASSWORD, CLIENT) is None


async def test_deleted_realm_is_refused_after_refresh(
    auth: Authenticator, store: FakeStore, clock: FakeClock
) -> None:
    await auth.authenticate("acme", PASSWORD, CLIENT)
    del store.realms["acme"]
    await expire_and_refresh(auth, clock)
    assert await auth.authenticate("acme", PASSWORD, CLIENT) is None


async def test_invalidate_makes_an_in_process_change_immediate(
    auth: Authenticator, store: FakeStore
) -> None:
    await auth.authenticate("acme", PASSWORD, CLIENT)
    store.add("acme", "brand-new-password", version=2)
    auth.invalidate("acme")
    assert await auth.authenticate("acme", PASSWORD, CLIENT) is None
    assert await auth.authenticate("acme", "brand-new-password", CLIENT) is not None


async def test_unknown_realms_are_remembered_for_the_credential_ttl(
    auth: Authenticator, store: FakeStore, clock: FakeClock
) -> None:
    await auth.authenticate("nosuch", PASSWORD, CLIENT)
    await auth.authenticate("nosuch", PASSWORD, "192.0.2.1")
    assert store.lookups == ["nosuch"]
    store.add("nosuch", PASSWORD)
    clock.advance(CREDENTIAL_TTL)
    assert await auth.authenticate("nosuch", PASSWORD, "192.0.2.2") is None  # the stale answer
    await settle()
    assert await auth.authenticate("nosuch", PASSWORD, "192.0.2.3") is not None


async def test_a_realm_with_many_wrong_passwords_still_serves_its_client(
    auth: Authenticator, store: FakeStore, hasher: CountingHasher
) -> None:
    for n in range(50):  # from many addresses: no address has failed much
        assert await auth.authenticate("acme", f"guess-{n}", f"192.0.2.{n}") is None
    assert await auth.authenticate("acme", PASSWORD, CLIENT) == store.realms["acme"]
    auth.invalidate("acme")  # and when the password must be checked again
    assert await auth.authenticate("acme", PASSWORD, "192.0.2.200") == store.realms["acme"]


async def test_without_client_address_the_pair_counts_with_no_address(
    auth: Authenticator,
) -> None:
    for _ in range(AUTH_FREE_ATTEMPTS_PER_PAIR):
        await auth.authenticate("nosuch", "x", None)
    assert await auth.authenticate("acme", PASSWORD, None) is not None


async def test_lookup_errors_propagate_and_are_not_failures(clock: FakeClock) -> None:
    async def broken(name: str) -> RealmCredential | None:
        raise ConnectionError("database down")

    guard = GuessGuard(clock=clock)
    auth = Authenticator(broken, guard=guard, hasher=cheap_hasher(), clock=clock)
    with pytest.raises(ConnectionError):
        await auth.authenticate("acme", PASSWORD, CLIENT)
    assert (len(guard.pairs), len(guard.addresses), len(guard.alerts)) == (0, 0, 0)


async def test_a_failed_background_refresh_keeps_the_credential(
    store: FakeStore, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    down = False

    async def lookup(name: str) -> RealmCredential | None:
        if down:
            raise ConnectionError("database down")
        return await store.lookup(name)

    store.add("acme", PASSWORD)
    auth = Authenticator(lookup, hasher=cheap_hasher(), clock=clock)
    assert await auth.authenticate("acme", PASSWORD, CLIENT) is not None
    down = True
    clock.advance(CREDENTIAL_TTL)
    assert await auth.authenticate("acme", PASSWORD, CLIENT) is not None
    await settle()
    assert "realm credential refresh failed: database down" in caplog.text
    down = False
    assert await auth.authenticate("acme", PASSWORD, CLIENT) is not None  # retries
    await settle()
    assert store.lookups == ["acme", "acme"]


async def test_password_never_appears_in_a_repr(
    auth: Authenticator, store: FakeStore, clock: FakeClock
) -> None:
    verified = VerifiedCredentials(clock=clock)
    guard = GuessGuard(clock=clock)
    mine = Authenticator(store.lookup, verified=verified, guard=guard, hasher=cheap_hasher())
    credential = await mine.authenticate("acme", PASSWORD, CLIENT)
    await mine.authenticate("acme", PASSWORD + "-wrong", CLIENT)
    assert credential is not None
    for thing in (mine, verified, guard, credential):
        assert PASSWORD not in repr(thing)
    assert credential.password_hash not in repr(credential)
    assert "acme" in repr(credential)


def test_credential_is_frozen() -> None:
    credential = RealmCredential(realm_id=1, name="acme", password_hash="h", version=1)
    with pytest.raises(AttributeError):
        credential.version = 2  # type: ignore[misc]
    assert replace(credential, version=2).version == 2
