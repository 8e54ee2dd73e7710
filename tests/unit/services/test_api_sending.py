"""/v1 sending: its rules and codes, the record it makes, Idempotency-Key replays and
conflicts, over the group commit on an in-memory store."""

import asyncio
import itertools
from collections.abc import AsyncIterator, Callable
from types import SimpleNamespace

import pytest

from smsgate.domain.model import Message, Outcome, SenderCode
from smsgate.domain.submission import Refusal, SendRequest
from smsgate.services.api_sending import ApiSending
from smsgate.services.group_commit import Accepter
from smsgate.store.errors import StoreUnavailable
from tests.fakes.stores import MemoryAccept

MINE = SenderCode(realm_id=1, code="55501", connection=None, max_tps=None)
THEIRS = SenderCode(realm_id=2, code="66601", connection=None, max_tps=None)


class Senders:
    async def get(self, code: str) -> SenderCode | None:
        return {s.code: s for s in (MINE, THEIRS)}.get(code)


class Raising:
    async def accept(self, message: Message) -> Outcome:
        raise StoreUnavailable("database is locked")


def ids() -> Callable[[], str]:
    counter = itertools.count(1)
    return lambda: f"01J{next(counter):023d}"


@pytest.fixture
async def store() -> MemoryAccept:
    return MemoryAccept()


@pytest.fixture
async def sending(store: MemoryAccept) -> AsyncIterator[ApiSending]:
    accepter = Accepter(store)
    await accepter.start()
    keys = SimpleNamespace(get=store.get_key)
    messages = SimpleNamespace(get=store.get_message)
    try:
        yield ApiSending(
            Senders(), accepter, keys, messages, region="US", new_id=ids(), clock=lambda: 1000.0
        )
    finally:
        await accepter.stop()


def request(**changes: object) -> SendRequest:
    fields: dict[str, object] = {"to": "+12065551212", "sender_code": "55501"}
    fields.update({"text": "hello"}, **changes)
    return SendRequest(**fields)  # type: ignore[arg-type]


async def test_a_valid_request_is_stored_with_what_the_client_asked_for(
    sending: ApiSending, store: MemoryAccept
) -> None:
    sent = await sending.send(1, request(client_ref="r-1", validity_seconds=600, text="x" * 400))
    stored, _ = store.messages[sent.message["id"]]
    assert (stored.phone, stored.parts, stored.client_ref, stored.validity_seconds) == (
        "12065551212",
        3,
        "r-1",
        600,
    )
    assert sent.message["created_at"] == "1970-01-01T00:16:40.000Z" and not sent.replayed


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"to": "2065551212x"}, "invalid_phone"),
        ({"sender_code": "66601"}, "unknown_sender_code"),  # another realm's
        ({"sender_code": "99999"}, "unknown_sender_code"),  # nobody's
        ({"sender_code": " "}, "unknown_sender_code"),
        ({"text": "  "}, "text_empty"),
        ({"text": "a\x00b"}, "text_invalid"),
        ({"text": "x" * 1601}, "text_too_long"),
        ({"client_ref": "x" * 65}, "invalid_client_ref"),
        ({"validity_seconds": 59}, "invalid_validity"),
        ({"validity_seconds": 7 * 86400 + 1}, "invalid_validity"),
    ],
)
async def test_refusals_have_stable_codes_and_store_nothing(
    sending: ApiSending, store: MemoryAccept, changes: dict[str, object], code: str
) -> None:
    with pytest.raises(Refusal) as refused:
        await sending.send(1, request(**changes))
    assert refused.value.code == code
    assert store.messages == {}


async def test_opted_out(sending: ApiSending, store: MemoryAccept) -> None:
    await store.optouts.add(1, "12065551212", source="cli")
    with pytest.raises(Refusal) as refused:
        await sending.send(1, request(), "key-1")
    assert refused.value.code == "opted_out"
    assert store.keys == {}  # a refusal claims no key: a later retry may succeed


async def test_same_key_same_body_replays_other_body_conflicts(
    sending: ApiSending, store: MemoryAccept
) -> None:
    first = await sending.send(1, request(), "key-1")
    again = await sending.send(1, request(), "key-1")
    assert again.replayed and again.message["id"] == first.message["id"]
    with pytest.raises(Refusal) as conflict:
        await sending.send(1, request(text="other"), "key-1")
    assert conflict.value.code == "idempotency_conflict"
    assert len(store.messages) == 1


async def test_concurrent_requests_with_one_key_make_one_message(
    sending: ApiSending, store: MemoryAccept
) -> None:
    results = await asyncio.gather(*(sending.send(1, request(), "burst") for _ in range(20)))
    assert len({r.message["id"] for r in results}) == 1
    assert sum(not r.replayed for r in results) == 1
    assert len(store.messages) == 1


@pytest.mark.parametrize("key", ["", "x" * 256, "caf\u00e9", "tab\there"])
async def test_malformed_keys_are_refused(sending: ApiSending, key: str) -> None:
    with pytest.raises(Refusal) as refused:
        await sending.send(1, request(), key)
    assert refused.value.code == "invalid_idempotency_key"


async def test_store_unavailable_is_unavailable(store: MemoryAccept) -> None:
    keys = SimpleNamespace(get=store.get_key)
    messages = SimpleNamespace(get=store.get_message)
    sending = ApiSending(Senders(), Raising(), keys, messages, region="US", new_id=ids())
    with pytest.raises(Refusal) as refused:
        await sending.send(1, request())
    assert refused.value.code == "unavailable"


def test_cost_refuses_what_cannot_be_sent() -> None:
    assert ApiSending.cost("hi").parts == 1
    with pytest.raises(Refusal) as refused:
        ApiSending.cost("x" * 1601)
    assert refused.value.code == "text_too_long"
