"""Fixtures shared by the auth tests."""

import pytest

from smsgate.auth.authenticator import Authenticator
from tests.unit.auth.support import CREDENTIAL_TTL, PASSWORD, CountingHasher, FakeClock, FakeStore


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def store() -> FakeStore:
    store = FakeStore()
    store.add("acme", PASSWORD)
    return store


@pytest.fixture
def hasher() -> CountingHasher:
    return CountingHasher()


@pytest.fixture
def auth(store: FakeStore, hasher: CountingHasher, clock: FakeClock) -> Authenticator:
    return Authenticator(store.lookup, credential_ttl=CREDENTIAL_TTL, hasher=hasher, clock=clock)
