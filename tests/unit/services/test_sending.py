"""Accepting a message: validation in the documented order, the record made, the refusal
reasons, over a fake sender lookup and the group commit on an in-memory store."""

import itertools
from collections.abc import AsyncIterator

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smsgate.domain import send
from smsgate.domain.encoding import segment
from smsgate.domain.model import Message, Outcome, SenderCode, Status
from smsgate.services.group_commit import Accepter
from smsgate.services.sending import Accepted, Cause, Refused, Sending
from smsgate.store.errors import StoreUnavailable
from tests.fakes.stores import MemoryAccept

SENDER = SenderCode(realm_id=1, code="55501", connection=None, max_tps=None)
OTHER = SenderCode(realm_id=2, code="55502", connection=None, max_tps=None)


class Senders:
    def __init__(self) -> None:
        self.asked: list[str] = []

    async def get(self, code: str) -> SenderCode | None:
        self.asked.append(code)
        return {s.code: s for s in (SENDER, OTHER)}.get(code)


class Raising:
    async def accept(self, message: Message) -> Outcome:
        raise StoreUnavailable("database is locked")


def args(**changes: str | None) -> send.SendArgs:
    fields: dict[str, str | None] = {
        "command": "smssendmessagetophone",
        "phone": "2065551212",
        "sender_code": "55501",
        "message_text": "hello",
    }
    fields.update(changes)
    return send.SendArgs(**fields)


@pytest.fixture
async def store() -> MemoryAccept:
    return MemoryAccept()


@pytest.fixture
async def sending(store: MemoryAccept) -> AsyncIterator[Sending]:
    accepter = Accepter(store)
    await accepter.start()
    ids = (f"id{n}" for n in itertools.count())
    try:
        yield Sending(Senders(), accepter, default_region="US", new_id=lambda: next(ids))
    finally:
        await accepter.stop()


async def test_a_valid_request_is_stored_normalised_and_segmented(
    sending: Sending, store: MemoryAccept
) -> None:
    accepted = await sending.send(1, args(phone=" 2065551212", message_text="héllo 😀"))
    assert isinstance(accepted, Accepted)
    message = accepted.message
    assert accepted.sender.code == "55501"
    assert (message.id, message.realm_id, message.sender_code) == ("id0", 1, "55501")
    assert (message.phone, message.text, message.encoding, message.parts) == (
        "12065551212",
        "héllo 😀",
        "ucs2",
        1,
    )
    assert store.messages == {"id0": (message, Status.QUEUED)}


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"command": "nope"}, "Unsupported command nope"),
        ({"sender_code": " "}, send.SENDER_REQUIRED),
        ({"sender_code": "55502"}, "Sender code 55502 not found in realm"),  # another realm's
        ({"sender_code": "999"}, "Sender code 999 not found in realm"),
        ({"message_text": "  "}, send.TEXT_EMPTY),
        ({"message_text": "a\x00b"}, send.TEXT_CONTROL),
        ({"message_text": "x" * 1601}, send.TEXT_TOO_LONG),
    ],
)
async def test_bad_requests_are_refused_and_nothing_is_stored(
    sending: Sending, store: MemoryAccept, changes: dict[str, str], reason: str
) -> None:
    assert await sending.send(1, args(**changes)) == Refused(reason, Cause.BAD_REQUEST)
    assert store.messages == {}


async def test_an_opted_out_phone_is_refused_with_the_phone_as_given(
    sending: Sending, store: MemoryAccept
) -> None:
    await store.optouts.add(1, "12065551212", "", source="cli")
    result = await sending.send(1, args())
    assert result == Refused("Phone 2065551212 has opted out of sender code 55501", Cause.OPTED_OUT)
    assert store.messages == {}


async def test_a_failed_commit_is_unavailable_never_accepted(
    sending: Sending, store: MemoryAccept
) -> None:
    store.fail = OSError("disk full")
    result = await sending.send(1, args())
    assert result == Refused(send.TEMPORARILY_UNAVAILABLE, Cause.UNAVAILABLE)


async def test_an_unreachable_commit_is_unavailable() -> None:
    sending = Sending(Senders(), Raising(), default_region="US", new_id=lambda: "x")
    assert (await sending.send(1, args())).cause is Cause.UNAVAILABLE  # type: ignore[union-attr]


async def test_send_text_applies_the_same_rules(sending: Sending) -> None:
    assert isinstance(await sending.send_text(1, "2065551212", "55501", "hi"), Accepted)
    refused = await sending.send_text(1, "2065551212", "55502", "hi")
    assert refused == Refused("Sender code 55502 not found in realm", Cause.BAD_REQUEST)


async def test_no_sender_lookup_without_a_sender_code() -> None:
    senders = Senders()
    sending = Sending(senders, Raising(), default_region="US", new_id=lambda: "x")
    await sending.send(1, args(sender_code=None))
    assert senders.asked == []


@given(text=st.text(min_size=1, max_size=400).filter(lambda t: t.strip()))
def test_the_record_counts_the_parts_the_text_needs(text: str) -> None:
    valid = send.Valid(phone="2065551212", sender=SENDER, text=text)
    sending = Sending(Senders(), Raising(), default_region="US", new_id=lambda: "x")
    message = sending.message(1, valid)
    cut = segment(text)
    assert (message.encoding, message.parts, message.text) == (cut.encoding.value, cut.count, text)
