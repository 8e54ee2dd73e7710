"""The dispatcher's intakes over an in-memory fake of the queue in the store."""

import asyncio
from collections.abc import Collection, Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smsgate.delivery.intake import LocalIntake, SharedIntake
from smsgate.domain.model import Message

DEADLINE = 10.0  # seconds: generous on a busy machine; the tests never wait that long if green


def message(n: int) -> Message:
    return Message(f"m{n:03}", 1, "123", "12065550123", "hi", "gsm7", 1, created_at=0.0)


class FakeQueue:
    """Queued rows by id; claims move them out; `failures` fail the next claims."""

    def __init__(self, *queued: Message) -> None:
        self.queued = {m.id: m for m in queued}
        self.claims: list[list[str] | int] = []
        self.failures = 0
        self.recovered = 0

    async def queued_ids(self, limit: int) -> list[str]:
        return sorted(self.queued)[:limit]

    def _take(self, ids: Sequence[str]) -> tuple[list[Message], list[str]]:
        if self.failures:
            self.failures -= 1
            raise OSError("database down")
        return [self.queued.pop(i) for i in sorted(ids) if i in self.queued], []

    async def claim(
        self, ids: Sequence[str], *, unheld: Collection[str] = ()
    ) -> tuple[list[Message], list[str]]:
        self.claims.append(list(ids))
        return self._take(ids)

    async def claim_next(
        self, limit: int, *, unheld: Collection[str] = ()
    ) -> tuple[list[Message], list[str]]:
        self.claims.append(limit)
        return self._take(sorted(self.queued)[:limit])

    async def recover(self) -> int:
        self.recovered += 1
        return 3

    async def release(self, ids: Sequence[str]) -> None:
        pass


def nothing_unheld() -> Collection[str]:
    return ()


async def next_ids(intake: LocalIntake | SharedIntake, limit: int = 10) -> list[str]:
    async with asyncio.timeout(DEADLINE):
        return [m.id for m, _ in await intake.next_batch(limit, nothing_unheld)]


async def test_local_claims_what_was_handed_over_by_id() -> None:
    queue = FakeQueue(*(message(n) for n in range(5)))
    intake = LocalIntake(queue, poll_interval=3600)
    intake._next_poll = float("inf")  # no poll: only the hand-off brings messages
    intake.enqueue([message(3), message(1)])
    assert await next_ids(intake) == ["m001", "m003"]
    assert queue.claims == [["m003", "m001"]]


async def test_local_polls_for_queued_rows_at_start_and_claims_in_batches() -> None:
    queue = FakeQueue(*(message(n) for n in range(5)))
    intake = LocalIntake(queue, poll_interval=3600)
    assert await next_ids(intake, limit=3) == ["m000", "m001", "m002"]
    assert await next_ids(intake, limit=3) == ["m003", "m004"]  # a backlog: at once


async def test_local_returns_what_was_taken_claimed_without_a_claim() -> None:
    queue = FakeQueue()
    intake = LocalIntake(queue, poll_interval=3600)
    assert intake.reserve(2, room=2)
    assert not intake.reserve(1, room=2)  # no room left
    intake.take([message(1), message(2)], reserved=2)
    assert intake.reserved == 0
    assert not intake.reserve(1, room=2)  # taken, not yet returned, still takes room
    assert await next_ids(intake) == ["m001", "m002"]
    assert queue.claims == []


async def test_local_gives_back_what_was_taken_but_not_returned() -> None:
    intake = LocalIntake(FakeQueue(), poll_interval=3600)
    assert intake.reserve(1, room=10)
    intake.take([message(7)], reserved=1)
    assert intake.untaken() == ["m007"]
    assert intake.untaken() == []


async def test_local_waits_for_a_hand_off_and_stops_when_closed() -> None:
    queue = FakeQueue()
    intake = LocalIntake(queue, poll_interval=3600)
    waiting = asyncio.create_task(next_ids(intake))
    await asyncio.sleep(0)
    queue.queued["m009"] = message(9)
    intake.enqueue([message(9)])
    assert await waiting == ["m009"]
    closed = asyncio.create_task(next_ids(intake))
    await asyncio.sleep(0)
    intake.close()
    assert await closed == []
    assert not intake.reserve(1, room=10)  # closed: nothing more inserted claimed


async def test_local_keeps_going_after_a_failed_claim() -> None:
    queue = FakeQueue(message(1))
    queue.failures = 1
    intake = LocalIntake(queue, poll_interval=0.01)
    assert await next_ids(intake) == ["m001"]  # the poll finds it again


async def test_local_recovers_at_start() -> None:
    queue = FakeQueue()
    assert await LocalIntake(queue).recover() == 3 and queue.recovered == 1


async def test_shared_claims_the_oldest_with_skip_locked_when_woken() -> None:
    queue = FakeQueue()
    intake = SharedIntake(queue, poll_interval=3600)
    waiting = asyncio.create_task(next_ids(intake, limit=2))
    await asyncio.sleep(0)
    for n in (4, 2, 3):
        queue.queued[f"m{n:03}"] = message(n)
    intake.wake()  # NOTIFY from an API process
    assert await waiting == ["m002", "m003"]
    intake.enqueue([message(4)])  # this process's own commit: claimed like the others
    assert await next_ids(intake, limit=2) == ["m004"]
    assert all(isinstance(c, int) for c in queue.claims)  # never by id


async def test_shared_takes_nothing_claimed_and_recovers_nothing() -> None:
    queue = FakeQueue()
    intake = SharedIntake(queue, poll_interval=3600)
    assert not intake.reserve(1, room=10)
    assert await intake.recover() == 0 and queue.recovered == 0
    assert intake.untaken() == []
    with pytest.raises(RuntimeError):
        intake.take([message(1)], reserved=1)
    intake.close()
    assert await next_ids(intake) == []


@settings(max_examples=50, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from(["enqueue", "take", "lost"]), st.integers(1, 4)), max_size=12
    )
)
async def test_local_returns_every_message_exactly_once(ops: list[tuple[str, int]]) -> None:
    """However messages arrive (handed over, taken claimed, or lost from memory and left to the
    poll), each comes out of the intake once: a full hand-off buffer loses nothing."""
    queue = FakeQueue()
    intake = LocalIntake(queue, poll_interval=3600, max_handoff=3)
    numbers = iter(range(1000))
    expected: set[str] = set()
    for op, count in ops:
        batch = [message(next(numbers)) for _ in range(count)]
        expected |= {m.id for m in batch}
        if op == "take":  # inserted already claimed: never in the queue
            assert intake.reserve(count, room=1000)
            intake.take(batch, reserved=count)
            continue
        queue.queued.update((m.id, m) for m in batch)
        if op == "enqueue":
            intake.enqueue(batch)
    seen: list[str] = []
    while len(seen) < len(expected):
        seen += await next_ids(intake, limit=5)
    assert sorted(seen) == sorted(expected)  # each once
    assert queue.queued == {}
