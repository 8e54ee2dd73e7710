"""Message history retention: messages finished `SMSGATE_MESSAGE_RETENTION_DAYS` ago are
deleted with their parts and events, so the store does not grow by every message for ever.

Which messages go is `domain.retention`'s rule (never one still queued or sending). A process
that dispatches runs a pass at start and then every `MESSAGE_PRUNE_EVERY_SECONDS`: through the
messages oldest first from a cursor, `MESSAGE_PRUNE_BATCH` at a time, one short transaction
each (store/message_retention.py), so the delivery path's transactions go on between them. A
failed transaction ends the pass (the next one starts over); several dispatchers on one
PostgreSQL database may each run passes, which delete each row once. Retention 0 keeps
everything.
"""

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from typing import Protocol

from smsgate.constants import MESSAGE_PRUNE_BATCH, MESSAGE_PRUNE_EVERY_SECONDS
from smsgate.domain.retention import forgotten_before

log = logging.getLogger(__name__)


class Prunes(Protocol):
    async def prune(self, before: float, after: str, limit: int) -> tuple[int, str | None]:
        """One transaction: see store/message_retention.prune."""
        ...


class MessageRetention:
    """Runs the passes from `start` until `stop` (see the module docstring)."""

    def __init__(
        self,
        store: Prunes,
        retention_days: int,
        *,
        clock: Callable[[], float] = time.time,
        every: float = MESSAGE_PRUNE_EVERY_SECONDS,
        batch: int = MESSAGE_PRUNE_BATCH,
    ) -> None:
        self._store = store
        self._days = retention_days
        self._clock = clock
        self._every = every
        self._batch = batch
        self._task: asyncio.Task[None] | None = None
        self.passes = 0  # passes finished, for tests and logs

    def start(self) -> None:
        if self._days > 0 and self._task is None:
            self._task = asyncio.create_task(self._run(), name="smsgate-message-retention")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _run(self) -> None:
        while True:  # until `stop` cancels it
            await self.run_pass()
            await asyncio.sleep(self._every)

    async def run_pass(self) -> int:
        """One pass over the messages; returns how many it deleted."""
        before = forgotten_before(self._clock(), self._days)
        if before is None:
            return 0
        deleted = 0
        cursor: str | None = ""
        while cursor is not None:
            try:
                count, cursor = await self._store.prune(before, cursor, self._batch)
            except Exception as exc:  # database down: the next pass starts over
                log.warning("cannot delete messages past their retention: %s", exc)
                break
            deleted += count
            await asyncio.sleep(0)  # the delivery path's work goes on between transactions
        self.passes += 1
        if deleted:
            log.info("deleted %d messages past their %d-day retention", deleted, self._days)
        return deleted
