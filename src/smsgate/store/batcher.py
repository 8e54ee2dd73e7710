"""The loop behind group commit and batched status writes.

Callers `put` items and return (or wait on a future they put in the item); one background task
takes everything that is waiting, up to `max_batch`, and hands it to `process` in one go. No
timer: while one batch is being written the next one fills up, so batches grow with load and a
lone item waits for one write. `stop()` processes what is still waiting, then ends the task.
"""

import asyncio
from typing import Generic, TypeVar

T = TypeVar("T")


class Batcher(Generic[T]):
    """Subclasses implement `process`; `name` names the background task."""

    name = "smsgate-batcher"

    def __init__(self, *, max_batch: int) -> None:
        self._max_batch = max_batch
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
                batch = self._items[: self._max_batch]
                del self._items[: self._max_batch]
                await self.process(batch)
            if self._closing:
                return
