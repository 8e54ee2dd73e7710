"""/v1 opt-outs over `services.optouts` and in-memory fakes: phones normalised, scopes of the
realm's own sender codes, and the refusal codes of the JSON API."""

import pytest

from smsgate.domain.submission import Refusal
from smsgate.services.api_optouts import ApiOptOuts
from smsgate.services.optouts import OptOuts
from smsgate.services.senders import Senders
from tests.fakes.stores import MemoryOptOuts, MemoryRealms


@pytest.fixture
async def realms() -> MemoryRealms:
    realms = MemoryRealms()
    await realms.add_realm("a", "hash")
    await realms.add_realm("b", "hash")
    await realms.add_sender("a", "55501")
    await realms.add_sender("b", "66601")
    return realms


@pytest.fixture
def store() -> MemoryOptOuts:
    return MemoryOptOuts()


@pytest.fixture
def optouts(store: MemoryOptOuts, realms: MemoryRealms) -> ApiOptOuts:
    senders = Senders(realms, default_region="US")
    return ApiOptOuts(OptOuts(store, senders, default_region="US"))


async def test_add_normalises_and_records_the_api_as_source(
    optouts: ApiOptOuts, store: MemoryOptOuts
) -> None:
    resource, added = await optouts.add("a", "+12065551212", None)
    assert added and resource["phone"] == "12065551212" and resource["sender_code"] is None
    assert store.ledger == [(1, "12065551212", "", "out", "api")]
    _, again = await optouts.add("a", "2065551212", None)
    assert not again
    scoped, _ = await optouts.add("a", "2065551212", "55501")
    assert scoped["sender_code"] == "55501"
    assert [o["sender_code"] for o in await optouts.list("a", "12065551212")] == [None, "55501"]


async def test_another_realms_sender_code_and_opt_outs_are_not_ours(
    optouts: ApiOptOuts, store: MemoryOptOuts
) -> None:
    with pytest.raises(Refusal) as refused:
        await optouts.add("a", "2065551212", "66601")
    assert refused.value.code == "unknown_sender_code"
    await store.add(2, "12065551212", "66601", source="cli")
    assert await optouts.list("a") == []
    with pytest.raises(Refusal) as missing:
        await optouts.remove("a", "2065551212", "66601")
    assert missing.value.code == "not_found"
    assert len(await store.list(2)) == 1


async def test_remove_exactly_that_scope(optouts: ApiOptOuts) -> None:
    await optouts.add("a", "2065551212", "55501")
    with pytest.raises(Refusal):
        await optouts.remove("a", "2065551212", None)  # no realm-wide one
    await optouts.remove("a", "2065551212", "55501")
    assert await optouts.list("a") == []


@pytest.mark.parametrize("phone", ["phone", "", "1" * 16])
async def test_bad_phones(optouts: ApiOptOuts, phone: str) -> None:
    for call in (optouts.add("a", phone, None), optouts.remove("a", phone, None)):
        with pytest.raises(Refusal) as refused:
            await call
        assert refused.value.code == "invalid_phone"
