"""Recording inbound (MO) messages over an in-memory fake of the inbound transaction."""

import itertools
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace

import pytest

from smsgate.domain.inbound import InboundRow, MoPart
from smsgate.domain.keywords import DEFAULT_HELP_REPLY, DEFAULT_STOP_REPLY
from smsgate.domain.model import Message, SenderCode
from smsgate.services.inbound import InboundService, source_phone

CODE = "12345"
SENDER = SenderCode(realm_id=7, code=CODE, connection=None, max_tps=None, start_reply="back")


@dataclass
class FakeInboundStore:
    """Commits a transaction's effects only when its block ends without raising."""

    rows: list[InboundRow] = field(default_factory=list)
    optouts: set[tuple[int, str, str]] = field(default_factory=set)
    ledger: list[tuple[str, str, str, int | None]] = field(default_factory=list)
    queued: list[Message] = field(default_factory=list)
    parts: dict[tuple[str, int], dict[int, str]] = field(default_factory=dict)
    fail_commit: bool = False

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator["FakeTx"]:
        tx = FakeTx(self)
        yield tx
        if self.fail_commit:
            raise OSError("disk full")
        tx.commit()


class FakeTx:
    def __init__(self, store: FakeInboundStore) -> None:
        self.store = store
        self.rows: list[InboundRow] = []
        self.changes: list[tuple[str, int, str, str, str, int | None]] = []
        self.queued: list[Message] = []

    async def add_part(self, part: MoPart, now: float) -> str | None:
        got = self.store.parts.setdefault((part.source, part.ref), {})
        got[part.seq] = part.text
        if len(got) < part.total:
            return None
        del self.store.parts[(part.source, part.ref)]
        return "".join(got[n] for n in sorted(got))

    async def insert_inbound(self, row: InboundRow) -> int | None:
        self.rows.append(row)
        return len(self.store.rows) + len(self.rows)

    async def opt_out(
        self, realm_id: int, phone: str, code: str, *, source: str, evidence: int | None
    ) -> None:
        self.changes.append(("out", realm_id, phone, code, source, evidence))

    async def opt_in(
        self, realm_id: int, phone: str, code: str, *, source: str, evidence: int | None
    ) -> None:
        self.changes.append(("in", realm_id, phone, code, source, evidence))

    async def queue(self, message: Message) -> None:
        self.queued.append(message)

    def commit(self) -> None:
        self.store.rows += self.rows
        self.store.queued += self.queued
        for change, realm_id, phone, code, source, evidence in self.changes:
            if change == "out":
                self.store.optouts.add((realm_id, phone, code))
            else:
                self.store.optouts.discard((realm_id, phone, code))
            self.store.ledger.append((change, phone, source, evidence))


class FakeSenders:
    async def get(self, code: str) -> SenderCode | None:
        return SENDER if code.lstrip("+") == CODE else None


@dataclass
class Setup:
    store: FakeInboundStore
    service: InboundService
    replies: list[Message]


@pytest.fixture
def setup() -> Setup:
    store = FakeInboundStore()
    replies: list[Message] = []

    def on_reply(messages: Sequence[Message]) -> None:
        replies.extend(messages)

    ids = itertools.count(1)
    service = InboundService(
        store,
        FakeSenders(),
        default_region="US",
        on_reply=on_reply,
        new_id=lambda: f"reply-{next(ids)}",
        clock=lambda: 1000.0,
    )
    return Setup(store, service, replies)


async def test_stop_opts_out_with_the_mo_as_evidence_and_queues_the_reply(setup: Setup) -> None:
    await setup.service.record("c1", "2065550123", CODE, "stop")
    [row] = setup.store.rows
    assert (row.realm_id, row.phone, row.keyword, row.received_at) == (
        7,
        "12065550123",
        "stop",
        1000.0,
    )
    assert setup.store.optouts == {(7, "12065550123", CODE)}
    assert setup.store.ledger == [("out", "12065550123", "mo", 1)]
    [reply] = setup.store.queued
    assert (reply.id, reply.kind, reply.text, reply.phone, reply.realm_id) == (
        "reply-1",
        "reply",
        DEFAULT_STOP_REPLY,
        "12065550123",
        7,
    )
    assert setup.replies == [reply]  # handed to the dispatcher once committed


async def test_start_opts_back_in_with_the_sender_codes_own_reply(setup: Setup) -> None:
    await setup.service.record("c1", "2065550123", CODE, "STOP")
    await setup.service.record("c1", "2065550123", CODE, "START")
    assert setup.store.optouts == set()
    assert [r.text for r in setup.replies] == [DEFAULT_STOP_REPLY, "back"]


async def test_help_is_answered_without_touching_the_opt_outs(setup: Setup) -> None:
    await setup.service.record("c1", "2065550123", CODE, "help")
    assert setup.store.ledger == []
    assert [r.text for r in setup.replies] == [DEFAULT_HELP_REPLY]


async def test_an_alphanumeric_source_is_stored_but_never_opted_out_or_answered(
    setup: Setup,
) -> None:
    await setup.service.record("c1", "ACME", CODE, "STOP")
    [row] = setup.store.rows
    assert (row.phone, row.keyword) == ("ACME", "none")
    assert setup.store.optouts == set() and setup.replies == []


async def test_an_mo_to_an_unknown_sender_code_is_stored_without_a_realm(setup: Setup) -> None:
    await setup.service.record("c1", "2065550123", "99999", "STOP")
    [row] = setup.store.rows
    assert (row.realm_id, row.sender_code, row.keyword) == (None, "99999", "none")
    assert setup.store.optouts == set() and setup.replies == []


async def test_parts_make_one_message_once_the_set_is_complete(setup: Setup) -> None:
    first = MoPart("c1", "2065550123", CODE, 9, 2, 2, "OP")
    await setup.service.record("c1", "2065550123", CODE, first)
    assert setup.store.rows == []  # kept, acknowledged, waiting for its other part
    await setup.service.record("c1", "2065550123", CODE, replace(first, seq=1, text="ST"))
    assert [(r.text, r.keyword) for r in setup.store.rows] == [("STOP", "stop")]
    assert setup.store.optouts == {(7, "12065550123", CODE)}


async def test_nothing_is_replied_when_the_transaction_fails(setup: Setup) -> None:
    setup.store.fail_commit = True
    with pytest.raises(OSError):
        await setup.service.record("c1", "2065550123", CODE, "STOP")
    assert setup.store.rows == [] and setup.store.optouts == set() and setup.replies == []


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("2065550123", ("12065550123", True)),
        ("+12065550123", ("12065550123", True)),
        ("ACME", ("ACME", False)),
        ("²³¹", None),
        ("not a phone", None),
    ],
)
def test_source_phone(source: str, expected: tuple[str, bool] | None) -> None:
    assert source_phone(source, "US") == expected


async def test_a_source_that_is_neither_is_refused(setup: Setup) -> None:
    assert not setup.service.accepts_source("²³¹")
    with pytest.raises(ValueError):
        await setup.service.record("c1", "²³¹", CODE, "STOP")
    assert setup.store.rows == []
