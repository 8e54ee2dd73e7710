"""The batch loop behind group commit: batches grow while one is written; with `in_flight` > 1
the next batch starts before the previous one is done, in order; stop() drains everything."""

import asyncio

from smsgate.batching import Batcher


class Recording(Batcher[int]):
    """Records batches; each `process` waits until the test releases it."""

    def __init__(self, *, max_batch: int = 100, in_flight: int = 1) -> None:
        super().__init__(max_batch=max_batch, in_flight=in_flight)
        self.started: list[list[int]] = []
        self.finished: list[list[int]] = []
        self.release = asyncio.Event()

    async def process(self, batch: list[int]) -> None:
        self.started.append(batch)
        await self.release.wait()
        self.finished.append(batch)


async def settle() -> None:
    for _ in range(10):
        await asyncio.sleep(0)


async def test_items_that_wait_during_a_write_form_the_next_batch() -> None:
    batcher = Recording()
    await batcher.start()
    batcher.put(1)
    await settle()
    for item in (2, 3, 4):
        batcher.put(item)
    await settle()
    assert batcher.started == [[1]]  # one in flight: 2, 3, 4 wait for it
    batcher.release.set()
    await batcher.stop()
    assert batcher.finished == [[1], [2, 3, 4]]


async def test_two_in_flight_starts_the_next_batch_early_and_in_order() -> None:
    batcher = Recording(in_flight=2)
    await batcher.start()
    batcher.put(1)
    await settle()
    batcher.put(2)
    await settle()
    batcher.put(3)
    await settle()
    assert batcher.started == [[1], [2]]  # the third waits for a free slot
    batcher.release.set()
    await settle()
    assert batcher.started == [[1], [2], [3]]
    await batcher.stop()
    assert batcher.finished == [[1], [2], [3]]


async def test_max_batch_bounds_a_batch_and_stop_drains() -> None:
    batcher = Recording(max_batch=2, in_flight=2)
    batcher.release.set()
    await batcher.start()
    for item in range(5):
        batcher.put(item)
    await batcher.stop()
    assert batcher.finished == [[0, 1], [2, 3], [4]]
    assert not batcher.running
