"""Realms, sender codes and message queries over in-memory fakes of their stores."""

import time

import pytest

from smsgate.domain.model import Message
from smsgate.services.errors import AlreadyExists, InvalidInput, NotFound
from smsgate.services.messages import Messages
from smsgate.services.realms import Realms
from smsgate.services.senders import Senders
from tests.fakes.stores import MemoryRealms


def fake_hash(password: str) -> str:
    return f"hashed:{password}"


@pytest.fixture
def store() -> MemoryRealms:
    return MemoryRealms()


@pytest.fixture
def realms(store: MemoryRealms) -> Realms:
    return Realms(store, hasher=fake_hash, generate=lambda: "generated-pw")


@pytest.fixture
def senders(store: MemoryRealms) -> Senders:
    return Senders(store, default_region="US")


async def test_a_realm_stores_only_the_hash_of_its_password(
    realms: Realms, store: MemoryRealms
) -> None:
    assert (await realms.add("acme", "s3cret")).generated is None
    assert store.realms["acme"][1] == "hashed:s3cret"
    generated = await realms.add("beta")
    assert generated.generated == "generated-pw" and "generated" not in repr(generated)
    assert store.realms["beta"][1] == "hashed:generated-pw"
    assert [r.name for r in await realms.list()] == ["acme", "beta"]


@pytest.mark.parametrize(
    ("name", "password"),
    [("", "pw"), (" acme", "pw"), ("acme", ""), ("a" * 65, "pw"), ("ac\nme", "pw")],
)
async def test_bad_names_and_empty_passwords_are_refused(
    realms: Realms, store: MemoryRealms, name: str, password: str
) -> None:
    with pytest.raises(InvalidInput):
        await realms.add(name, password)
    assert store.realms == {}


async def test_passwords_change_and_unknown_realms_are_not_found(
    realms: Realms, store: MemoryRealms
) -> None:
    await realms.add("acme", "old")
    await realms.set_password("acme", "new")
    assert store.realms["acme"][1] == "hashed:new"
    with pytest.raises(NotFound):
        await realms.set_password("nope", "x")
    with pytest.raises(AlreadyExists):
        await realms.add("acme", "again")


async def test_sender_codes_are_stored_in_one_spelling_and_found_in_any(
    realms: Realms, senders: Senders
) -> None:
    await realms.add("acme", "pw")
    assert await senders.add("acme", "+1 201 627 0155".replace(" ", "")) == "12016270155"
    assert await senders.add("acme", "55501", replies={"stop_reply": "bye"}) == "55501"
    found = await senders.find("2016270155")
    assert found is not None and found.code == "12016270155"
    assert (await senders.of_realm("acme", "55501")).stop_reply == "bye"
    assert await senders.update("acme", "2016270155", max_tps=1.0) == "12016270155"
    assert [(s.code, s.max_tps) for s in await senders.list("acme")] == [
        ("12016270155", 1.0),
        ("55501", None),
    ]
    assert await senders.remove("acme", "+12016270155") == "12016270155"
    assert [s.code for s in await senders.list("acme")] == ["55501"]


async def test_sender_code_rules(realms: Realms, senders: Senders) -> None:
    await realms.add("acme", "pw")
    await realms.add("beta", "pw")
    await senders.add("beta", "55502")
    with pytest.raises(InvalidInput, match="letters and digits"):
        await senders.add("acme", "55-01")
    with pytest.raises(InvalidInput, match="--stop-reply must be 1 to"):
        await senders.add("acme", "55501", replies={"stop_reply": " "})
    with pytest.raises(InvalidInput, match="nothing to change"):
        await senders.update("acme", "55502")
    for connection in ("", "c" * 65, "tab\there"):
        with pytest.raises(InvalidInput, match="connection name"):
            await senders.add("acme", "55501", connection=connection)
        with pytest.raises(InvalidInput, match="connection name"):
            await senders.update("beta", "55502", connection=connection)
    with pytest.raises(InvalidInput, match="sender code 55502 not found in realm acme"):
        await senders.remove("acme", "55502")  # another realm's code looks like no code
    with pytest.raises(AlreadyExists):
        await senders.add("acme", "55502")


class MemoryMessages:
    def __init__(self, messages: list[Message]) -> None:
        self.messages = messages

    async def list(
        self, realm_id: int, *, phone: str | None = None, status: str | None = None, limit: int = 50
    ) -> list[Message]:
        found = [
            m
            for m in reversed(self.messages)
            if m.realm_id == realm_id
            and (phone is None or m.phone == phone)
            and (status is None or m.status == status)
        ]
        return found[:limit]

    async def get(self, realm_id: int, message_id: str) -> Message | None:
        return next(
            (m for m in self.messages if (m.realm_id, m.id) == (realm_id, message_id)), None
        )


async def test_messages_are_queried_within_their_realm(realms: Realms, store: MemoryRealms) -> None:
    await realms.add("acme", "pw")
    await realms.add("beta", "pw")
    now = time.time()
    rows = [
        Message("a1", 1, "55501", "12065551212", "x", "gsm7", 1, now),
        Message("a2", 1, "55501", "12065551313", "y", "gsm7", 1, now, status="sent"),
        Message("b1", 2, "55502", "12065551212", "z", "gsm7", 1, now),
    ]
    messages = Messages(MemoryMessages(rows), store, default_region="US")
    assert [m.id for m in await messages.list("acme")] == ["a2", "a1"]
    assert [m.id for m in await messages.list("acme", phone="+1 2065551212".replace(" ", ""))] == [
        "a1"
    ]
    assert [m.id for m in await messages.list("acme", status="sent")] == ["a2"]
    assert (await messages.get("beta", "b1")).text == "z"
    with pytest.raises(NotFound, match="message b1 not found in realm acme"):
        await messages.get("acme", "b1")
    with pytest.raises(InvalidInput, match="unknown status nope; one of queued"):
        await messages.list("acme", status="nope")
    with pytest.raises(InvalidInput):
        await messages.list("acme", phone="not a phone")
