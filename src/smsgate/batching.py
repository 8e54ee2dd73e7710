"""The loop behind group commit and batched status writes.

Callers `put` items and return (or wait on a future they put in the item); one background task
takes everything that is waiting, up to `max_batch`, and hands it to `process` in one go. No
timer: while one batch is being written the next one fills up, so batches grow with load and a
lone item waits for one write. `stop()` processes what is still waiting, then ends the task.

With `in_flight` > 1, the next batch is handed to `process` while earlier ones are still being
written (their `process` calls run as tasks, started in order). The write path then always has
the next batch waiting instead of learning of it one event-loop round trip after each commit.

Why no `asyncio.Event` and `asyncio.Semaphore`: under a light load every message is a batch of
its own, and both batchers of a message's path (the accept, the status write) wake, wait and
take a slot once per message. Only the loop ever waits here, so one future it parks on (set by
`put`, or by a batch that frees a slot) does what the Event and the Semaphore did, without their
Python-level bookkeeping (waiter deques, `locked()`'s generator, a wrapper coroutine per batch).
"""

import asyncio
from typing import Generic, TypeVar

T = TypeVar("T")


class Batcher(Generic[T]):
    """Subclasses implement `process`; `name` names the background task."""

    name = "smsgate-batcher"

    def __init__(self, *, max_batch: int, in_flight: int = 1) -> None:
        self._max_batch = max_batch
        self._in_flight = in_flight
        self._free = in_flight  # slots for `process` tasks not taken
        self._tasks: set[asyncio.Task[None]] = set()
        self._items: list[T] = []
        # what the loop waits on, when it waits: items to take, or a slot to take them into
        self._parked: asyncio.Future[None] | None = None
        self._for_slot = False  # parked until a `process` task ends
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
        self._wake()
        if self._task is not None:
            await self._task
            self._task = None

    def put(self, item: T) -> None:
        self._items.append(item)
        parked = self._parked
        if parked is not None:  # `_wake`, inline: this runs for every item
            self._parked = None
            if not parked.done():
                parked.set_result(None)

    async def process(self, batch: list[T]) -> None:
        """Write one batch. It may put items back at the front of `self._items` to retry."""
        raise NotImplementedError

    def _wake(self) -> None:
        parked = self._parked
        if parked is not None:
            self._parked = None
            if not parked.done():
                parked.set_result(None)

    async def _park(self) -> None:
        """Wait until `_wake` (a `put`, a freed slot, `stop`)."""
        parked = self._parked = asyncio.get_running_loop().create_future()
        try:
            await parked
        finally:
            if self._parked is parked:  # cancelled: nobody woke it
                self._parked = None

    async def _run(self) -> None:
        while True:
            while self._items:
                if self._in_flight == 1:
                    batch = self._take()
                    await self.process(batch)
                    continue
                if not self._free:  # only this loop takes items: they are still there
                    self._for_slot = True
                    while not self._free:
                        await self._park()
                    self._for_slot = False
                self._free -= 1
                task = asyncio.create_task(self.process(self._take()))
                self._tasks.add(task)
                task.add_done_callback(self._finished)
            if self._closing:
                await asyncio.gather(*self._tasks)
                if not self._items:
                    return
                continue
            await self._park()

    def _take(self) -> list[T]:
        batch = self._items[: self._max_batch]
        del self._items[: self._max_batch]
        return batch

    def _finished(self, task: "asyncio.Task[None]") -> None:
        """A `process` task is done: its slot is free."""
        self._tasks.discard(task)
        self._free += 1
        if self._for_slot:  # else the loop waits for items (or runs): nothing to wake
            self._wake()
