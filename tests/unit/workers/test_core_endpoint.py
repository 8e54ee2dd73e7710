"""The core's end of a worker link: one RESULTS frame per ACCEPT frame, sent once every
message of it has its outcome, whatever the order and whatever the outcome; READY and OPT_OUT
frames answered by a task each."""

import asyncio
from typing import Any

from smsgate.domain.model import Message, Outcome
from smsgate.services.group_commit import Waiter
from smsgate.services.readiness import Readiness
from smsgate.store.errors import StoreUnavailable
from smsgate.workers import wire
from smsgate.workers.core_endpoint import CoreEndpoint
from smsgate.workers.frames import FrameReader, encode
from tests.fakes.stores import MemoryOptOuts


class HeldAccepter:
    """Keeps the waiters, so the test decides when and how each message ends."""

    def __init__(self, refuse_after: int | None = None) -> None:
        self.waiters: list[Waiter] = []
        self._refuse_after = refuse_after

    def submit_to(self, message: Message, waiter: Waiter) -> None:
        if self._refuse_after is not None and len(self.waiters) >= self._refuse_after:
            raise StoreUnavailable("the gateway is shutting down")
        self.waiters.append(waiter)


class Transport:
    def __init__(self) -> None:
        self.frames: list[Any] = []
        self._reader = FrameReader()
        self.written = asyncio.Event()

    def write(self, data: bytes) -> None:
        self.frames.extend(self._reader.feed(data))
        self.written.set()

    def is_closing(self) -> bool:
        return False


def _frame(seqs: list[int]) -> bytes:
    rows = []
    for seq in seqs:
        message = Message(
            id=f"id{seq}", realm_id=1, sender_code="1001", phone="1206555", text="hi",
            encoding="gsm7", parts=1, created_at=0.0,
        )  # fmt: skip
        rows.append(wire.message_fields(seq, message))
    return encode((wire.ACCEPT, rows))


async def _not_ready() -> Readiness:
    return Readiness(False, "store not writable: disk full")


def _endpoint(
    accepter: HeldAccepter, optouts: MemoryOptOuts | None = None
) -> tuple[CoreEndpoint, Transport]:
    endpoint = CoreEndpoint(
        accepter,  # type: ignore[arg-type]
        lambda: b"",
        _not_ready,
        optouts or MemoryOptOuts(),
    )
    transport = Transport()
    endpoint.connection_made(transport)  # type: ignore[arg-type]
    return endpoint, transport


async def test_the_results_leave_together_once_the_last_is_known() -> None:
    accepter = HeldAccepter()
    endpoint, transport = _endpoint(accepter)
    endpoint.data_received(_frame([7, 8, 9]))
    first, second, third = accepter.waiters
    third.set_result(Outcome.OPTED_OUT)
    first.set_exception(StoreUnavailable("commit failed"))
    assert transport.frames == []  # one still open
    assert not second.done() and third.done()
    second.set_result(Outcome.ACCEPTED)
    second.set_result(Outcome.OPTED_OUT)  # a second answer changes nothing
    assert transport.frames == [
        (wire.RESULTS, [(9, wire.CODES[Outcome.OPTED_OUT]), (7, wire.UNAVAILABLE),
                        (8, wire.CODES[Outcome.ACCEPTED])]),
    ]  # fmt: skip


async def test_messages_refused_at_once_are_unavailable() -> None:
    accepter = HeldAccepter(refuse_after=1)
    endpoint, transport = _endpoint(accepter)
    endpoint.data_received(_frame([1, 2, 3]))
    assert transport.frames == []
    accepter.waiters[0].set_result(Outcome.ACCEPTED)
    accepted = wire.CODES[Outcome.ACCEPTED]
    assert transport.frames == [
        (wire.RESULTS, [(2, wire.UNAVAILABLE), (3, wire.UNAVAILABLE), (1, accepted)]),
    ]


async def test_an_empty_frame_gets_an_empty_answer() -> None:
    endpoint, transport = _endpoint(HeldAccepter())
    endpoint.data_received(encode((wire.ACCEPT, [])))
    assert transport.frames == [(wire.RESULTS, [])]


async def test_a_ready_frame_is_answered_with_the_cores_readiness() -> None:
    endpoint, transport = _endpoint(HeldAccepter())
    endpoint.data_received(encode((wire.READY, 5)))
    await asyncio.wait_for(transport.written.wait(), timeout=10)  # answered by a task
    assert transport.frames == [(wire.READY, 5, False, "store not writable: disk full")]


async def test_an_opt_out_frame_is_answered_after_the_store_has_it() -> None:
    optouts = MemoryOptOuts()
    endpoint, transport = _endpoint(HeldAccepter(), optouts)
    for seq in (3, 4):  # the second time, it is there already
        transport.written.clear()
        endpoint.data_received(encode((wire.OPT_OUT, seq, 1, "12065551212", "1001", "api")))
        await asyncio.wait_for(transport.written.wait(), timeout=10)  # answered by a task
    assert transport.frames == [(wire.OPT_OUT, 3, wire.ADDED), (wire.OPT_OUT, 4, wire.ALREADY)]
    assert optouts.ledger == [(1, "12065551212", "1001", "out", "api")] * 2


async def test_an_opt_out_the_store_cannot_take_is_unavailable() -> None:
    optouts = MemoryOptOuts()
    optouts.fail = StoreUnavailable("disk full")
    endpoint, transport = _endpoint(HeldAccepter(), optouts)
    endpoint.data_received(encode((wire.OPT_OUT, 9, 1, "12065551212", "1001", "api")))
    await asyncio.wait_for(transport.written.wait(), timeout=10)
    assert transport.frames == [(wire.OPT_OUT, 9, wire.UNAVAILABLE)]
