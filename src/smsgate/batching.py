"""The loop behind group commit and batched status writes.

Callers `put` items and return (or wait on a future they put in the item); one background task
takes everything that is waiting, up to `max_batch`, and hands it to `process` in one go. No
timer: while one batch is being written the next one fills up, so batches grow with load and a
lone item waits for one write. `stop()` processes what is still waiting, then ends the task.

With `in_flight` > 1, the next batch is handed to `process` while earlier ones are still being
written (their `process` calls run as tasks, started in order). The write path then always has
the next batch waiting instead of learning of it one event-loop round trip after each commit.
"""

import asyncio
from typing import Generic, TypeVar

T = TypeVar("T")


class Batcher(Generic[T]):
    """Subclasses implement `process`; `name` names the background task."""

    name = "smsgate-batcher"

    def __init__(self, *, max_batch: int, in_flight: int = 1) -> None:
        self._max_batch = max_batch
        self._slots = asyncio.Semaphore(in_flight)
        self._in_flight = in_flight
        self._tasks: set[asyncio.Task[None]] = set()
        self._items: list[T] = []
        self._wakeup = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._closing = False

    @property
    def running(self) -> bool:
        return self._task is not None and not self._closing

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name=self.name)

    async def stop(self) -> None:
        """Process what is waiting, then stop."""
        self._closing = True
        self._wakeup.set()
        if self._task is not None:
            await self._task
            self._task = None

    def put(self, item: T) -> None:
        self._items.append(item)
        self._wakeup.set()

    async def process(self, batch: list[T]) -> None:
        """Write one batch. It may put items back at the front of `self._items` to retry."""
        raise NotImplementedError

    async def _run(self) -> None:
        while True:
            await self._wakeup.wait()
            self._wakeup.clear()
            while self._items:
                if self._in_flight == 1:
                    batch = self._take()
                    await self.process(batch)
                    continue
                await self._slots.acquire()  # only this loop takes items: they are still there
                task = asyncio.create_task(self._process_in_slot(self._take()))
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)
            if self._closing:
                await asyncio.gather(*self._tasks)
                if not self._items:
                    return

    def _take(self) -> list[T]:
        batch = self._items[: self._max_batch]
        del self._items[: self._max_batch]
        return batch

    async def _process_in_slot(self, batch: list[T]) -> None:
        try:
            await self.process(batch)
        finally:
            self._slots.release()
