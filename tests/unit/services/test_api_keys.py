"""The API key service over in-memory fakes of its ports."""

import dataclasses

import pytest

from smsgate.domain.api_key import ApiKey, format_key, hash_key
from smsgate.services.api_keys import ApiKeys, KeyOwner
from smsgate.store.errors import AlreadyExists, NotFound

REALMS = {"acme": 1, "beta": 2}


class FakeRealms:
    async def realm_id(self, name: str) -> int:
        if name not in REALMS:
            raise NotFound(f"realm {name} not found")
        return REALMS[name]


class FakeKeys:
    def __init__(self) -> None:
        self.rows: dict[str, ApiKey] = {}
        self.touched: list[tuple[str, float]] = []
        self.fail_touch = False

    async def insert(self, key: ApiKey) -> None:
        if key.id in self.rows:
            raise AlreadyExists(key.id)
        self.rows[key.id] = key

    async def get(self, key_id: str) -> tuple[ApiKey, str] | None:
        key = self.rows.get(key_id)
        if key is None:
            return None
        return key, next(name for name, id_ in REALMS.items() if id_ == key.realm_id)

    async def list(self, realm_id: int) -> list[ApiKey]:
        return [k for k in self.rows.values() if k.realm_id == realm_id]

    async def revoke(self, realm_id: int, key_id: str, now: float) -> bool:
        key = self.rows.get(key_id)
        if key is None or key.realm_id != realm_id:
            return False
        if key.revoked_at is None:
            self.rows[key_id] = dataclasses.replace(key, revoked_at=now)
        return True

    async def touch(self, key_id: str, now: float) -> None:
        if self.fail_touch:
            raise OSError("disk full")
        self.touched.append((key_id, now))
        self.rows[key_id] = dataclasses.replace(self.rows[key_id], last_used_at=now)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def keys() -> FakeKeys:
    return FakeKeys()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def service(keys: FakeKeys, clock: Clock) -> ApiKeys:
    return ApiKeys(keys, FakeRealms(), clock=clock)


async def test_create_returns_the_key_once_and_stores_only_its_hash(
    service: ApiKeys, keys: FakeKeys
) -> None:
    created = await service.create("acme", " ci ")
    key = created.key
    assert created.plaintext.startswith(f"sg_{key.id}_")
    assert (key.realm_id, key.name, key.created_at, key.revoked_at) == (1, "ci", 1000.0, None)
    assert keys.rows[key.id].key_hash == hash_key(created.plaintext)
    assert created.plaintext not in repr(created) + repr(keys.rows)
    assert created.plaintext.startswith(key.prefix) and len(key.prefix) < len(created.plaintext)


async def test_authenticate_gives_the_realm_of_the_key(service: ApiKeys) -> None:
    a = await service.create("acme")
    b = await service.create("beta")
    assert await service.authenticate(a.plaintext) == KeyOwner(1, "acme", a.key.id)
    assert await service.authenticate(b.plaintext) == KeyOwner(2, "beta", b.key.id)
    assert await service.authenticate(f" {a.plaintext}\n") == KeyOwner(1, "acme", a.key.id)


async def test_wrong_unknown_and_malformed_keys_are_refused(service: ApiKeys) -> None:
    created = await service.create("acme")
    wrong_secret = format_key(created.key.id, "A" * 43)
    unknown_id = format_key("ffffffffffff", created.plaintext.split("_", 2)[2])
    for bad in (None, "", "secret", wrong_secret, unknown_id, created.plaintext[:-1]):
        assert await service.authenticate(bad) is None, bad


async def test_revoked_key_is_refused_at_once(service: ApiKeys, keys: FakeKeys) -> None:
    created = await service.create("acme")
    await service.revoke("acme", created.key.id)
    assert await service.authenticate(created.plaintext) is None
    first = keys.rows[created.key.id].revoked_at
    await service.revoke("acme", created.key.id)  # again: no error, first time kept
    assert keys.rows[created.key.id].revoked_at == first == 1000.0


async def test_another_realms_key_is_not_found(service: ApiKeys) -> None:
    created = await service.create("acme")
    with pytest.raises(NotFound, match=f"API key {created.key.id} not found in realm beta"):
        await service.revoke("beta", created.key.id)
    with pytest.raises(NotFound, match="API key 000000000000 not found in realm acme"):
        await service.revoke("acme", "000000000000")
    assert await service.authenticate(created.plaintext) is not None  # still active


async def test_unknown_realm_is_not_found(service: ApiKeys) -> None:
    for call in (service.create("nope"), service.list("nope"), service.revoke("nope", "x")):
        with pytest.raises(NotFound, match="realm nope not found"):
            await call


async def test_list_shows_only_the_realms_keys(service: ApiKeys) -> None:
    mine = [await service.create("acme", name=f"k{n}") for n in range(3)]
    await service.create("beta")
    assert [k.id for k in await service.list("acme")] == [c.key.id for c in mine]


@pytest.mark.parametrize("name", ["x" * 65, "tab\there", "line\nbreak"])
async def test_bad_names_are_refused(service: ApiKeys, name: str) -> None:
    with pytest.raises(ValueError, match="printable and at most 64 characters"):
        await service.create("acme", name)


async def test_a_taken_id_is_drawn_again(keys: FakeKeys, clock: Clock) -> None:
    ids = iter(["aaaaaaaaaaaa", "aaaaaaaaaaaa", "bbbbbbbbbbbb"])
    service = ApiKeys(keys, FakeRealms(), clock=clock, new_id=lambda: next(ids))
    first = await service.create("acme")
    second = await service.create("acme")
    assert (first.key.id, second.key.id) == ("aaaaaaaaaaaa", "bbbbbbbbbbbb")


async def test_last_use_is_written_at_most_once_a_minute(
    service: ApiKeys, keys: FakeKeys, clock: Clock
) -> None:
    created = await service.create("acme")
    for step in (0.0, 30.0, 29.0, 1.0, 10.0):  # t = 1000, 1030, 1059, 1060, 1070
        clock.now += step
        assert await service.authenticate(created.plaintext) is not None
    assert keys.touched == [(created.key.id, 1000.0), (created.key.id, 1060.0)]


async def test_a_failed_last_use_write_does_not_refuse_the_key(
    service: ApiKeys, keys: FakeKeys, caplog: pytest.LogCaptureFixture
) -> None:
    created = await service.create("acme")
    keys.fail_touch = True
    assert await service.authenticate(created.plaintext) is not None
    assert "cannot record the use of API key" in caplog.text
    assert created.plaintext not in caplog.text
