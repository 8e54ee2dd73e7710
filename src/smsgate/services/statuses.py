"""Record what the delivery path learns: submit results and delivery receipts (group commit).

Submit responses and delivery receipts arrive by the thousand per second; writing each one in
its own transaction would make the disk the bottleneck. They are queued here and written
together, in order, one transaction per batch (`store.statuses` says what that transaction
does).

Submit results are fire-and-forget (a crash before the write leaves the message `sending`, and it
is sent again: at-least-once). Receipts are awaited, so the SMSC gets deliver_sm_resp only after
the receipt is on disk. When a batch cannot be written (database down), its receipts are refused
(the SMSC is told to resend them) and its submit results are kept and written again, or their
messages would stay `sending`.
"""

import asyncio
import logging
from typing import Protocol

from smsgate.batching import Batcher
from smsgate.constants import PARKED_SWEEP_SECONDS
from smsgate.domain.delivery_events import MessageFailed, PartSent, ReceiptIn, StatusEvent, Sweep
from smsgate.domain.receipt import ReceiptState
from smsgate.metrics import RECEIPTS, RECEIPTS_PARKED

log = logging.getLogger(__name__)

# One child per state, made once: `labels()` per receipt cost ~1 µs (and every state shows,
# at 0, from the start).
_RECEIPTS_BY_STATE = {state: RECEIPTS.labels(state.value) for state in ReceiptState}
RETRY_DELAY_SECONDS = 0.5  # pause before writing a failed batch again (database down)

_Waiter = asyncio.Future[None] | None
_Item = tuple[StatusEvent | None, _Waiter]  # event None: a flush marker


class StatusPort(Protocol):
    """Where batches go (`store.statuses.StatusStore`)."""

    async def write(self, events: list[StatusEvent]) -> int:
        """Write `events` in one transaction; returns how many receipts matched no part yet."""
        ...


class StatusRecorder(Batcher[_Item]):
    """Collects delivery events and writes them in batches; see the module docstring."""

    name = "smsgate-status-recorder"

    def __init__(
        self,
        port: StatusPort,
        *,
        max_batch: int = 5000,
        sweep_seconds: float = PARKED_SWEEP_SECONDS,
        retry_delay: float = RETRY_DELAY_SECONDS,
    ) -> None:
        super().__init__(max_batch=max_batch)
        self._port = port
        self._sweep_seconds = sweep_seconds
        self._retry_delay = retry_delay
        self._sweeper: asyncio.Task[None] | None = None

    async def start(self) -> None:
        await super().start()
        self._sweeper = asyncio.create_task(self._sweep_every(self._sweep_seconds))

    async def stop(self) -> None:
        if self._sweeper is not None:
            self._sweeper.cancel()
            await asyncio.gather(self._sweeper, return_exceptions=True)
        await super().stop()

    async def _sweep_every(self, seconds: float) -> None:
        while True:
            await asyncio.sleep(seconds)
            self.put((Sweep(), None))

    def part_sent(self, event: PartSent) -> None:
        """Record that the SMSC accepted a part (not awaited: at-least-once covers a crash)."""
        self.put((event, None))

    def message_failed(self, message_id: str, error: str, smpp_status: int | None = None) -> None:
        """Record that a message failed for good (`smpp_status`: the SMSC's refusal)."""
        self.put((MessageFailed(message_id, error, smpp_status), None))

    async def receipt(self, event: ReceiptIn) -> None:
        """Record a receipt and wait until it is committed (raises if the write failed)."""
        await self.store_receipt(event)

    def store_receipt(self, event: ReceiptIn) -> "asyncio.Future[None]":
        """`receipt` without the coroutine: the future of its commit (for the SMPP session,
        which answers the deliver_sm from its done callback instead of a task per receipt).

        The receipt is queued one loop step later, behind the callbacks already scheduled: a
        submit_sm_resp read just before it (often in the same TCP segment) has its `PartSent`
        queued by such a callback, and a receipt written before its part would be parked."""
        _RECEIPTS_BY_STATE[event.state].inc()
        loop = asyncio.get_running_loop()
        future: asyncio.Future[None] = loop.create_future()
        loop.call_soon(self.put, (event, future))
        return future

    async def flush(self) -> None:
        """Wait until everything queued so far is written."""
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.put((None, future))
        await future

    async def process(self, batch: list[_Item]) -> None:
        events = [event for event, _ in batch if event is not None]
        try:
            parked = await self._port.write(events) if events else 0
        except Exception as exc:
            log.error("status write of %d events failed, will retry: %s", len(events), exc)
            _fail(batch, exc)
            if self._closing:  # left `sending`: sent again after the restart
                log.error("stopping with %d status events unwritten", len(self._items))
                _fail(self._items, exc)
                self._items.clear()
                return
            self._items[:0] = [(e, None) for e, w in batch if e is not None and w is None]
            await asyncio.sleep(self._retry_delay)
            return
        if parked:
            RECEIPTS_PARKED.inc(parked)
        for _, waiter in batch:
            if waiter is not None and not waiter.done():
                waiter.set_result(None)


def _fail(items: list[_Item], exc: Exception) -> None:
    for _, waiter in items:
        if waiter is not None and not waiter.done():
            waiter.set_exception(exc)
