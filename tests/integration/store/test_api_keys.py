"""API keys on SQLite and PostgreSQL: the service over the real store."""

from collections.abc import Awaitable, Callable

import pytest
from sqlalchemy import select

from smsgate.bootstrap import Gateway
from smsgate.domain.api_key import hash_key
from smsgate.services.api_keys import ApiKeys, KeyOwner
from smsgate.store import schema as s
from smsgate.store.api_keys import ApiKeyStore
from smsgate.store.errors import NotFound

AddRealm = Callable[..., Awaitable[int]]


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


async def test_create_authenticate_list_revoke(gateway: Gateway, add_realm: AddRealm) -> None:
    acme = await add_realm(gateway, "acme")
    beta = await add_realm(gateway, "beta")
    clock = Clock()
    service = ApiKeys(ApiKeyStore(gateway.db), gateway.realms, clock=clock)
    first = await service.create("acme", "ci")
    clock.now += 1  # listed oldest first
    second = await service.create("acme")
    other = await service.create("beta", "theirs")

    async with gateway.db.reader.connect() as conn:
        rows = {r.id: r for r in await conn.execute(select(s.api_keys))}
    assert rows[first.key.id].key_hash == hash_key(first.plaintext)
    assert all(first.plaintext not in str(tuple(r)) for r in rows.values())

    assert await service.authenticate(first.plaintext) == KeyOwner(acme, "acme", first.key.id)
    assert await service.authenticate(other.plaintext) == KeyOwner(beta, "beta", other.key.id)
    listed = await service.list("acme")
    assert [(k.id, k.name, k.last_used_at) for k in listed] == [
        (first.key.id, "ci", clock.now),  # just used
        (second.key.id, "", None),
    ]

    with pytest.raises(NotFound, match=f"API key {other.key.id} not found in realm acme"):
        await service.revoke("acme", other.key.id)  # another realm's key
    clock.now = 1_000_010.0
    await service.revoke("acme", first.key.id)
    clock.now += 5
    await service.revoke("acme", first.key.id)  # idempotent: the first time stays
    assert await service.authenticate(first.plaintext) is None
    assert await service.authenticate(second.plaintext) is not None
    assert await service.authenticate(other.plaintext) is not None
    revoked = {k.id: k.revoked_at for k in await service.list("acme")}
    assert revoked == {first.key.id: 1_000_010.0, second.key.id: None}


async def test_the_gateway_wires_the_service(gateway: Gateway, add_realm: AddRealm) -> None:
    await add_realm(gateway, "acme")
    created = await gateway.api_keys.create("acme")
    owner = await gateway.api_keys.authenticate(created.plaintext)
    assert owner is not None and owner.realm == "acme"
    with pytest.raises(NotFound, match="realm nope not found"):
        await gateway.api_keys.create("nope")


async def test_a_realms_keys_go_with_it(gateway: Gateway, add_realm: AddRealm) -> None:
    await add_realm(gateway, "acme")
    created = await gateway.api_keys.create("acme")
    async with gateway.db.write_engine.begin() as conn:
        await conn.execute(s.realms.delete().where(s.realms.c.name == "acme"))
    assert await gateway.api_keys.authenticate(created.plaintext) is None
    async with gateway.db.reader.connect() as conn:
        assert (await conn.execute(select(s.api_keys))).all() == []
