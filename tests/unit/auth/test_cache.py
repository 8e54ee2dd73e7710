"""`VerifiedCredentials`: hits, misses, TTL, versions, size bound and keyed fingerprints."""

import pytest

from smsgate.auth.cache import VerifiedCredentials
from smsgate.constants import AUTH_CACHE_MAX_ENTRIES, AUTH_CACHE_TTL_SECONDS
from tests.unit.auth.support import FakeClock

PASSWORD = "s3cret-Pa55word"


@pytest.fixture
def cache(clock: FakeClock) -> VerifiedCredentials:
    return VerifiedCredentials(ttl=60.0, max_entries=100, clock=clock)


def test_miss_before_put_and_hit_after(cache: VerifiedCredentials) -> None:
    assert cache.get("acme", PASSWORD, 1) is False
    cache.put("acme", PASSWORD, 1)
    assert cache.get("acme", PASSWORD, 1) is True


@pytest.mark.parametrize(
    ("realm", "password", "version"),
    [
        ("acme", "s3cret-Pa55wore", 1),  # other password
        ("acme", "", 1),
        ("acmf", PASSWORD, 1),  # other realm
        ("acme", PASSWORD, 2),  # password changed: new version
        ("acme", PASSWORD, 0),
    ],
)
def test_only_the_exact_triple_hits(
    cache: VerifiedCredentials, realm: str, password: str, version: int
) -> None:
    cache.put("acme", PASSWORD, 1)
    assert cache.get(realm, password, version) is False


def test_entry_expires_after_ttl(cache: VerifiedCredentials, clock: FakeClock) -> None:
    cache.put("acme", PASSWORD, 1)
    clock.advance(59.9)
    assert cache.get("acme", PASSWORD, 1) is True
    clock.advance(0.1)
    assert cache.get("acme", PASSWORD, 1) is False
    assert len(cache) == 0  # the expired entry was dropped, not just hidden


def test_hits_do_not_extend_the_ttl(cache: VerifiedCredentials, clock: FakeClock) -> None:
    cache.put("acme", PASSWORD, 1)
    for _ in range(5):
        clock.advance(15.0)
        cache.get("acme", PASSWORD, 1)
    assert cache.get("acme", PASSWORD, 1) is False


def test_size_is_bounded_and_the_oldest_entry_goes_first(clock: FakeClock) -> None:
    cache = VerifiedCredentials(ttl=60.0, max_entries=3, clock=clock)
    for n in range(4):
        cache.put(f"realm{n}", PASSWORD, 1)
    assert len(cache) == 3
    assert cache.get("realm0", PASSWORD, 1) is False
    assert all(cache.get(f"realm{n}", PASSWORD, 1) for n in (1, 2, 3))


def test_put_again_renews_an_entry(clock: FakeClock) -> None:
    cache = VerifiedCredentials(ttl=60.0, max_entries=3, clock=clock)
    for realm in ("a", "b", "c"):
        cache.put(realm, PASSWORD, 1)
    clock.advance(30.0)
    cache.put("a", PASSWORD, 1)  # verified again: youngest now
    cache.put("d", PASSWORD, 1)
    assert cache.get("b", PASSWORD, 1) is False
    clock.advance(45.0)  # 75 s after the first put of "a", 45 s after the second
    assert cache.get("a", PASSWORD, 1) is True
    assert len(cache) == 3


def test_invalidate_realm_drops_only_that_realm(cache: VerifiedCredentials) -> None:
    cache.put("acme", PASSWORD, 1)
    cache.put("acme", "other-password", 1)
    cache.put("acme", PASSWORD, 2)
    cache.put("globex", PASSWORD, 1)
    assert cache.invalidate_realm("acme") == 3
    assert cache.get("acme", PASSWORD, 2) is False
    assert cache.get("globex", PASSWORD, 1) is True
    assert cache.invalidate_realm("acme") == 0


def test_clear(cache: VerifiedCredentials) -> None:
    cache.put("acme", PASSWORD, 1)
    cache.clear()
    assert cache.get("acme", PASSWORD, 1) is False


def test_fingerprint_is_keyed_per_instance(cache: VerifiedCredentials) -> None:
    other = VerifiedCredentials()
    mine = cache.fingerprint("acme", PASSWORD, 1)
    assert len(mine) == 32
    assert mine == cache.fingerprint("acme", PASSWORD, 1)
    assert mine != other.fingerprint("acme", PASSWORD, 1)
    assert PASSWORD.encode() not in mine


@pytest.mark.parametrize(
    ("left", "right"),
    [
        (("ab", "c", 1), ("a", "bc", 1)),
        (("a", "1:x", 1), ("a", "x", 11)),
        (("a", "2:x", 1), ("a", "x", 12)),
        (("a:", "x", 1), ("a", ":x", 1)),
    ],
)
def test_fingerprint_encoding_is_unambiguous(
    cache: VerifiedCredentials, left: tuple[str, str, int], right: tuple[str, str, int]
) -> None:
    assert cache.fingerprint(*left) != cache.fingerprint(*right)


def test_odd_strings_do_not_raise(cache: VerifiedCredentials) -> None:
    odd = "\udcff\x00é"  # a lone surrogate (surrogateescape), a NUL, non-ASCII
    cache.put(odd, odd, -1)
    assert cache.get(odd, odd, -1) is True


def test_repr_does_not_show_the_password(cache: VerifiedCredentials) -> None:
    cache.put("acme", PASSWORD, 1)
    assert PASSWORD not in repr(cache)
    assert "entries=1" in repr(cache)


def test_defaults_come_from_constants(clock: FakeClock) -> None:
    cache = VerifiedCredentials(clock=clock)
    cache.put("acme", PASSWORD, 1)
    clock.advance(AUTH_CACHE_TTL_SECONDS - 0.001)
    assert cache.get("acme", PASSWORD, 1) is True
    clock.advance(0.001)
    assert cache.get("acme", PASSWORD, 1) is False
    for n in range(AUTH_CACHE_MAX_ENTRIES + 5):
        cache.put(str(n), PASSWORD, 1)
    assert len(cache) == AUTH_CACHE_MAX_ENTRIES


@pytest.mark.parametrize(("ttl", "max_entries"), [(0.0, 1), (-1.0, 1), (1.0, 0)])
def test_rejects_nonsense_limits(ttl: float, max_entries: int) -> None:
    with pytest.raises(ValueError, match="must be"):
        VerifiedCredentials(ttl=ttl, max_entries=max_entries)
