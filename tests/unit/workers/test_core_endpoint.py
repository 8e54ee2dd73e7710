"""The core's end of a worker link: one RESULTS frame per ACCEPT frame, sent once every
message of it has its outcome, whatever the order and whatever the outcome."""

from typing import Any

from smsgate.domain.model import NewMessage
from smsgate.store.accept import Outcome, Waiter
from smsgate.store.errors import StoreUnavailable
from smsgate.workers import wire
from smsgate.workers.core_endpoint import CoreEndpoint
from smsgate.workers.frames import FrameReader, encode


class HeldAccepter:
    """Keeps the waiters, so the test decides when and how each message ends."""

    def __init__(self, refuse_after: int | None = None) -> None:
        self.waiters: list[Waiter] = []
        self._refuse_after = refuse_after

    def submit_to(self, message: NewMessage, waiter: Waiter) -> None:
        if self._refuse_after is not None and len(self.waiters) >= self._refuse_after:
            raise StoreUnavailable("the gateway is shutting down")
        self.waiters.append(waiter)


class Transport:
    def __init__(self) -> None:
        self.frames: list[Any] = []
        self._reader = FrameReader()

    def write(self, data: bytes) -> None:
        self.frames.extend(self._reader.feed(data))

    def is_closing(self) -> bool:
        return False


def _frame(seqs: list[int]) -> bytes:
    rows = []
    for seq in seqs:
        message = NewMessage(
            id=f"id{seq}", realm_id=1, sender_code="1001", phone="1206555", text="hi",
            encoding="gsm7", parts=1, created_at=0.0,
        )  # fmt: skip
        rows.append(wire.message_fields(seq, message))
    return encode((wire.ACCEPT, rows))


def _endpoint(accepter: HeldAccepter) -> tuple[CoreEndpoint, Transport]:
    endpoint = CoreEndpoint(accepter, lambda: b"")  # type: ignore[arg-type]
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
