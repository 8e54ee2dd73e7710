"""Message history: realm scoping, pages and cursors, over an in-memory history store."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smsgate.domain.history import InboundFilter, MessageFilter
from smsgate.domain.message_events import MessageEvent, failed
from smsgate.domain.model import InboundMessage, Message
from smsgate.domain.submission import Refusal
from smsgate.services.history import History, decode_cursor, encode_cursor


def message(n: int, realm_id: int = 1, phone: str = "12065551212") -> Message:
    return Message(
        id=f"01J{n:023d}",
        realm_id=realm_id,
        sender_code="55501",
        phone=phone,
        text=f"m{n}",
        encoding="gsm7",
        parts=1,
        created_at=float(n),
    )


class MemoryHistory:
    def __init__(self, messages: list[Message], inbound: list[InboundMessage]) -> None:
        self._messages = messages
        self._inbound = inbound

    async def message(self, realm_id: int, message_id: str) -> Message | None:
        return next(
            (m for m in self._messages if (m.realm_id, m.id) == (realm_id, message_id)), None
        )

    async def events(self, message_id: str) -> list[MessageEvent]:
        return [failed(message_id, 5.0, "no route")]

    async def messages(
        self, realm_id: int, where: MessageFilter, limit: int, before: str | None
    ) -> list[Message]:
        rows = [
            m
            for m in self._messages
            if m.realm_id == realm_id
            and (where.to is None or m.phone == where.to)
            and (before is None or m.id < before)
        ]
        return sorted(rows, key=lambda m: m.id, reverse=True)[:limit]

    async def inbound(
        self, realm_id: int, where: InboundFilter, limit: int, before: int | None
    ) -> list[InboundMessage]:
        rows = [
            m for m in self._inbound if m.realm_id == realm_id and (before is None or m.id < before)
        ]
        return sorted(rows, key=lambda m: m.id, reverse=True)[:limit]


MESSAGES = [message(n, realm_id=1 + n % 2) for n in range(1, 12)]
INBOUND = [InboundMessage(n, 1, "55501", "12065550000", f"i{n}", "none", 0.0) for n in range(5)]


@pytest.fixture
def history() -> History:
    return History(MemoryHistory(MESSAGES, INBOUND), region="US")


async def test_another_realms_message_is_not_found(history: History) -> None:
    events = (await history.message(2, MESSAGES[0].id))["events"]
    assert [e["type"] for e in events] == ["accepted", "failed"]  # accepted: the row itself
    assert events[0]["at"] == "1970-01-01T00:00:01.000Z"
    with pytest.raises(Refusal) as refused:
        await history.message(1, MESSAGES[0].id)
    assert refused.value.code == "not_found"


@pytest.mark.parametrize("limit", [1, 2, 3, 5, 6])
async def test_pages_cover_the_realm_once_newest_first(history: History, limit: int) -> None:
    seen: list[str] = []
    cursor = None
    while True:
        page = await history.messages(1, limit=limit, cursor=cursor)
        seen += [m["id"] for m in page.data]
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert seen == sorted((m.id for m in MESSAGES if m.realm_id == 1), reverse=True)


async def test_inbound_pages(history: History) -> None:
    first = await history.inbound(1, limit=3)
    rest = await history.inbound(1, limit=3, cursor=first.next_cursor)
    assert [m["id"] for m in first.data + rest.data] == [4, 3, 2, 1, 0]
    assert rest.next_cursor is None and first.data[0]["keyword"] == ""


@pytest.mark.parametrize("cursor", ["", "bm9uc2Vuc2U", "!!!", encode_cursor("i", 3)])
async def test_foreign_cursors_are_refused(history: History, cursor: str) -> None:
    with pytest.raises(Refusal) as refused:
        await history.messages(1, limit=2, cursor=cursor)
    assert refused.value.code == "invalid_cursor"


async def test_bad_limits_and_phones(history: History) -> None:
    for limit in (0, 501):
        with pytest.raises(Refusal):
            await history.messages(1, limit=limit)
    with pytest.raises(Refusal) as refused:
        await history.messages(1, to="not a phone", limit=5)
    assert refused.value.code == "invalid_phone"


@given(st.text(alphabet=st.characters(codec="ascii"), min_size=1, max_size=40))
def test_cursors_read_back(last: str) -> None:
    assert decode_cursor("m", encode_cursor("m", last)) == last
