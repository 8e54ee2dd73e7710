"""The status recorder (group commit of submit results and receipts) over a fake store port."""

import asyncio
from collections.abc import AsyncIterator

import pytest

from smsgate.domain.delivery_events import MessageFailed, PartSent, ReceiptIn, StatusEvent, Sweep
from smsgate.domain.receipt import ReceiptState
from smsgate.services.statuses import StatusRecorder


class FakeStatusStore:
    """Records each batch; fails the next `failures` writes; parks receipts of unknown ids."""

    def __init__(self) -> None:
        self.batches: list[list[StatusEvent]] = []
        self.failures = 0
        self.known: set[str] = set()

    async def write(self, events: list[StatusEvent]) -> int:
        await asyncio.sleep(0)  # a real write yields to the loop
        if self.failures:
            self.failures -= 1
            raise OSError("disk full")
        self.batches.append(list(events))
        self.known |= {e.smsc_id for e in events if isinstance(e, PartSent)}
        return sum(1 for e in events if isinstance(e, ReceiptIn) and e.smsc_id not in self.known)

    @property
    def written(self) -> list[StatusEvent]:
        return [e for batch in self.batches for e in batch]


@pytest.fixture
async def recorder() -> AsyncIterator[tuple[StatusRecorder, FakeStatusStore]]:
    store = FakeStatusStore()
    statuses = StatusRecorder(store, sweep_seconds=3600, retry_delay=0)
    await statuses.start()
    yield statuses, store
    await statuses.stop()


def sent(message_id: str, smsc_id: str) -> PartSent:
    return PartSent(message_id, 1, "c1", smsc_id, last=True)


async def test_events_are_written_in_order_and_flush_waits_for_them(
    recorder: tuple[StatusRecorder, FakeStatusStore],
) -> None:
    statuses, store = recorder
    statuses.part_sent(sent("m1", "a1"))
    statuses.message_failed("m2", "ESME_RINVDSTADR")
    statuses.part_sent(sent("m3", "a3"))
    await statuses.flush()
    assert store.written == [
        sent("m1", "a1"),
        MessageFailed("m2", "ESME_RINVDSTADR"),
        sent("m3", "a3"),
    ]
    assert len(store.batches) == 1  # queued together: one transaction


async def test_a_receipt_is_answered_only_once_written(
    recorder: tuple[StatusRecorder, FakeStatusStore],
) -> None:
    statuses, store = recorder
    receipt = ReceiptIn("c1", "a1", ReceiptState.DELIVERED, None)
    future = statuses.store_receipt(receipt)
    assert not future.done()
    await future
    assert store.written == [receipt]


async def test_a_part_sent_just_before_its_receipt_is_written_first(
    recorder: tuple[StatusRecorder, FakeStatusStore],
) -> None:
    statuses, store = recorder
    receipt = statuses.store_receipt(ReceiptIn("c1", "b7", ReceiptState.DELIVERED, None))
    statuses.part_sent(sent("m1", "b7"))  # its submit_sm_resp was read in the same segment
    await receipt
    assert [type(e) for e in store.written] == [PartSent, ReceiptIn]


async def test_a_failed_write_refuses_receipts_and_keeps_submit_results(
    recorder: tuple[StatusRecorder, FakeStatusStore],
) -> None:
    statuses, store = recorder
    store.failures = 1
    receipt = statuses.store_receipt(ReceiptIn("c1", "zz", ReceiptState.DELIVERED, None))
    statuses.part_sent(sent("m1", "a1"))  # both in the batch that fails
    with pytest.raises(OSError, match="disk full"):
        await receipt  # the SMSC is told to send it again
    await statuses.flush()
    assert store.written == [sent("m1", "a1")]  # written again, or m1 would stay `sending`


async def test_stopping_with_a_write_failing_fails_every_waiter() -> None:
    store = FakeStatusStore()
    statuses = StatusRecorder(store, sweep_seconds=3600, retry_delay=0)
    await statuses.start()
    store.failures = 10
    receipt = statuses.store_receipt(ReceiptIn("c1", "a1", ReceiptState.DELIVERED, None))
    await asyncio.sleep(0)  # queued behind the callbacks already scheduled
    await statuses.stop()
    with pytest.raises(OSError):
        await receipt
    assert store.written == []


async def test_the_sweep_matches_parked_receipts_again() -> None:
    store = FakeStatusStore()
    statuses = StatusRecorder(store, sweep_seconds=0.01, retry_delay=0)
    await statuses.start()
    try:
        async with asyncio.timeout(10):
            while not any(isinstance(e, Sweep) for e in store.written):
                await statuses.flush()
    finally:
        await statuses.stop()
