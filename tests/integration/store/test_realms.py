"""Realms and their sender codes."""

from collections.abc import Awaitable, Callable

import pytest

from smsgate.auth.passwords import verify_password
from smsgate.bootstrap import Gateway
from smsgate.store.errors import AlreadyExists, NotFound
from tests.conftest import CHEAP_HASHER


async def test_add_realm_and_read_its_credential(
    gateway: Gateway, add_realm: Callable[..., Awaitable[int]]
) -> None:
    realm_id = await add_realm(gateway, "acme", "s3cret")
    assert await gateway.realms.realm_id("acme") == realm_id
    credential = await gateway.realms.credential("acme")
    assert credential is not None
    assert (credential.realm_id, credential.name, credential.version) == (realm_id, "acme", 1)
    assert verify_password(credential.password_hash, "s3cret", hasher=CHEAP_HASHER)
    assert "s3cret" not in credential.password_hash
    assert "argon2" not in repr(credential)  # the hash stays out of repr


async def test_unknown_realm(gateway: Gateway) -> None:
    assert await gateway.realms.credential("nope") is None
    with pytest.raises(NotFound, match="realm nope not found"):
        await gateway.realms.realm_id("nope")
    with pytest.raises(NotFound, match="realm nope not found"):
        await gateway.realms.set_password("nope", "hash")


async def test_duplicate_realm_is_refused_and_keeps_the_first(
    gateway: Gateway, add_realm: Callable[..., Awaitable[int]]
) -> None:
    first = await add_realm(gateway, "acme", "one")
    with pytest.raises(AlreadyExists, match="realm acme already exists"):
        await add_realm(gateway, "acme", "two")
    credential = await gateway.realms.credential("acme")
    assert credential is not None and credential.realm_id == first
    assert verify_password(credential.password_hash, "one", hasher=CHEAP_HASHER)
    assert [r.name for r in await gateway.realms.list_realms()] == ["acme"]


async def test_set_password_replaces_hash_and_bumps_version(
    gateway: Gateway, add_realm: Callable[..., Awaitable[int]]
) -> None:
    await add_realm(gateway, "acme", "one")
    await add_realm(gateway, "other", "x")
    for expected_version, password in ((2, "two"), (3, "three")):
        await gateway.realms.set_password("acme", CHEAP_HASHER.hash(password))
        credential = await gateway.realms.credential("acme")
        assert credential is not None and credential.version == expected_version
        assert verify_password(credential.password_hash, password, hasher=CHEAP_HASHER)
        assert not verify_password(credential.password_hash, "one", hasher=CHEAP_HASHER)
    other = await gateway.realms.credential("other")
    assert other is not None and other.version == 1  # only the named realm changed


async def test_list_realms_sorted(
    gateway: Gateway, add_realm: Callable[..., Awaitable[int]]
) -> None:
    for name in ("zeta", "alpha", "mid"):
        await add_realm(gateway, name)
    assert [r.name for r in await gateway.realms.list_realms()] == ["alpha", "mid", "zeta"]


async def test_sender_codes_are_unique_across_realms(
    gateway: Gateway,
    add_realm: Callable[..., Awaitable[int]],
    add_sender: Callable[..., Awaitable[None]],
) -> None:
    a = await add_realm(gateway, "a")
    await add_realm(gateway, "b")
    await add_sender(gateway, "a", "55501", connection="c1", max_tps=1.5)
    with pytest.raises(AlreadyExists, match="sender code 55501 is already in use"):
        await add_sender(gateway, "b", "55501")
    with pytest.raises(AlreadyExists):
        await add_sender(gateway, "a", "55501")
    sender = await gateway.realms.sender("55501")
    assert sender is not None
    assert (sender.realm_id, sender.code, sender.connection, sender.max_tps) == (
        a,
        "55501",
        "c1",
        1.5,
    )
    assert await gateway.realms.list_senders("b") == []


async def test_list_senders_is_realm_scoped(
    gateway: Gateway,
    add_realm: Callable[..., Awaitable[int]],
    add_sender: Callable[..., Awaitable[None]],
) -> None:
    a = await add_realm(gateway, "a")
    b = await add_realm(gateway, "b")
    for code in ("300", "100", "200"):
        await add_sender(gateway, "a", code)
    await add_sender(gateway, "b", "999")
    listed_a = await gateway.realms.list_senders("a")
    assert [s.code for s in listed_a] == ["100", "200", "300"]
    assert {s.realm_id for s in listed_a} == {a}
    assert [(s.code, s.realm_id) for s in await gateway.realms.list_senders("b")] == [("999", b)]
    assert [s.code for s in await gateway.realms.all_senders()] == ["100", "200", "300", "999"]
    assert await gateway.realms.sender("404") is None
    with pytest.raises(NotFound):
        await gateway.realms.list_senders("c")
    with pytest.raises(NotFound):
        await add_sender(gateway, "c", "777")


async def test_remove_sender_only_from_its_own_realm(
    gateway: Gateway,
    add_realm: Callable[..., Awaitable[int]],
    add_sender: Callable[..., Awaitable[None]],
) -> None:
    await add_realm(gateway, "a")
    await add_realm(gateway, "b")
    await add_sender(gateway, "a", "100")
    with pytest.raises(NotFound, match="sender code 100 not found in realm b"):
        await gateway.realms.remove_sender("b", "100")
    assert await gateway.realms.sender("100") is not None
    await gateway.realms.remove_sender("a", "100")
    assert await gateway.realms.sender("100") is None
    await add_sender(gateway, "b", "100")  # a removed code can be given to another realm
    assert [s.code for s in await gateway.realms.list_senders("b")] == ["100"]
