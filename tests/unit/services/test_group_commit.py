"""The group commit over an in-memory store: batches, outcomes after the commit only, the
dispatcher hand-off, and failures that tell nobody SUCCESS."""

import asyncio
import time
from collections.abc import Sequence

import pytest

from smsgate.domain.model import Message, Outcome, Status
from smsgate.services.group_commit import Accepter
from smsgate.store.errors import StoreUnavailable
from tests.fakes.stores import MemoryAccept


def message(n: int, phone: str = "12065551212") -> Message:
    return Message(f"m{n}", 1, "55501", phone, "hi", "gsm7", 1, time.time())


class Gated(MemoryAccept):
    """Holds each commit until the test opens the gate."""

    def __init__(self) -> None:
        super().__init__()
        self.gate = asyncio.Event()
        self.entered = asyncio.Event()

    async def insert(self, batch: list[Message], status: Status) -> tuple[list[Message], set[str]]:
        self.entered.set()
        await self.gate.wait()
        return await super().insert(batch, status)


class Handoff:
    def __init__(self, room: bool) -> None:
        self.room = room
        self.reserved = 0
        self.taken: list[tuple[list[str], int]] = []

    def reserve(self, count: int) -> bool:
        if self.room:
            self.reserved += count
        return self.room

    def unreserve(self, count: int) -> None:
        self.reserved -= count

    def take(self, messages: Sequence[Message], reserved: int) -> None:
        self.taken.append(([m.id for m in messages], reserved))
        self.reserved -= reserved


async def test_requests_that_wait_together_commit_together() -> None:
    store = Gated()
    accepter = Accepter(store)
    await accepter.start()
    first = accepter.submit(message(0))
    await store.entered.wait()  # the first commit is in flight; the rest queue up behind it
    rest = [accepter.submit(message(n)) for n in range(1, 5)]
    assert not first.done()  # no outcome before the commit
    store.gate.set()
    assert await asyncio.gather(first, *rest) == [Outcome.ACCEPTED] * 5
    await accepter.stop()
    assert store.batches == [["m0"], ["m1", "m2", "m3", "m4"]]


async def test_opted_out_messages_are_refused_and_the_rest_stored() -> None:
    store = MemoryAccept()
    await store.optouts.add(1, "12065550000", "55501", source="mo")
    accepter = Accepter(store)
    await accepter.start()
    outcomes = await asyncio.gather(
        accepter.accept(message(0, "12065550000")), accepter.accept(message(1))
    )
    await accepter.stop()
    assert outcomes == [Outcome.OPTED_OUT, Outcome.ACCEPTED]
    assert list(store.messages) == ["m1"]


async def test_a_failed_commit_fails_every_waiter() -> None:
    store = MemoryAccept()
    store.fail = OSError("disk I/O error")
    handoff = Handoff(room=True)
    accepter = Accepter(store, handoff=handoff)
    await accepter.start()
    results = await asyncio.gather(
        *(accepter.accept(message(n)) for n in range(3)), return_exceptions=True
    )
    await accepter.stop()
    assert all(isinstance(r, StoreUnavailable) for r in results)
    assert handoff.reserved == 0 and handoff.taken == []  # the reservation was given back


@pytest.mark.parametrize("room", [True, False])
async def test_the_dispatcher_takes_a_batch_claimed_when_it_has_room(room: bool) -> None:
    store = MemoryAccept()
    handoff = Handoff(room)
    polled: list[list[str]] = []
    accepter = Accepter(
        store, handoff=handoff, on_committed=lambda ms: polled.append([m.id for m in ms])
    )
    await accepter.start()
    assert await accepter.accept(message(0)) is Outcome.ACCEPTED
    await accepter.stop()
    if room:
        assert store.messages["m0"][1] is Status.SENDING
        assert (handoff.taken, polled) == ([(["m0"], 1)], [])
    else:
        assert store.messages["m0"][1] is Status.QUEUED
        assert (handoff.taken, polled) == ([], [["m0"]])


async def test_a_failing_hand_off_still_answers_accepted() -> None:
    def broken(_: Sequence[Message]) -> None:
        raise RuntimeError("lanes full")

    accepter = Accepter(MemoryAccept(), on_committed=broken)
    await accepter.start()
    assert await accepter.accept(message(0)) is Outcome.ACCEPTED  # committed: polling finds it
    await accepter.stop()


async def test_no_new_messages_once_stopping() -> None:
    accepter = Accepter(MemoryAccept())
    with pytest.raises(StoreUnavailable):
        accepter.submit(message(0))
