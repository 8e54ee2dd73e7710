"""Batched status writes for the delivery path (the dispatcher's group commit).

Submit responses and delivery receipts arrive by the thousand per second; writing each one in
its own transaction would make the disk the bottleneck. They are queued here and written
together, in order, one transaction per batch:

1. parts the SMSC accepted (`message_parts` rows with the SMSC id), and messages whose last part
   was accepted become `sent`; failed submits make their message `failed`;
2. receipts parked earlier for the SMSC ids just stored are taken out of `pending_receipts`;
3. receipts are matched to parts by (connection, SMSC id in any of its spellings); a receipt with
   no part yet is parked, never dropped; messages whose parts all have final receipts are rolled
   up (`domain.model.rollup`).

Submit results are fire-and-forget (a crash before the write leaves the message `sending`, and it
is sent again: at-least-once). Receipts are awaited, so the SMSC gets deliver_sm_resp only after
the receipt is on disk.
"""

import asyncio
import logging
import time
from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import and_, bindparam, delete, insert, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncConnection

from smsgate.domain.model import Status, rollup
from smsgate.domain.receipt import ReceiptState, message_id_variants, normalise_message_id
from smsgate.metrics import RECEIPTS
from smsgate.store import schema as s
from smsgate.store.database import Database

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class PartSent:
    message_id: str
    part_no: int
    connection: str
    smsc_id: str
    last: bool  # every part of the message has now been accepted


@dataclass(frozen=True, slots=True)
class MessageFailed:
    message_id: str
    error: str


@dataclass(frozen=True, slots=True)
class ReceiptIn:
    connection: str
    smsc_id: str
    state: ReceiptState
    error: str | None


_Event = PartSent | MessageFailed | ReceiptIn


_Waiter = asyncio.Future[None] | None
RETRY_DELAY_SECONDS = 0.5  # pause before writing a failed batch again (database down)


class StatusWriter:
    """Collects delivery events and writes them in batches; see the module docstring."""

    def __init__(self, db: Database, *, max_batch: int = 5000) -> None:
        self._db = db
        self._max_batch = max_batch
        self._queue: list[tuple[_Event | None, _Waiter]] = []  # None event: a flush marker
        self._wakeup = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._closing = False

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="smsgate-status-writer")

    async def stop(self) -> None:
        """Write everything still queued, then stop."""
        self._closing = True
        self._wakeup.set()
        if self._task is not None:
            await self._task
            self._task = None

    def part_sent(self, event: PartSent) -> None:
        self._queue.append((event, None))
        self._wakeup.set()

    def message_failed(self, message_id: str, error: str) -> None:
        self._queue.append((MessageFailed(message_id, error), None))
        self._wakeup.set()

    async def receipt(self, event: ReceiptIn) -> None:
        """Queue a receipt and wait until it is committed (raises if the write failed)."""
        await self._wait_for(event)

    async def flush(self) -> None:
        """Wait until everything queued so far is written."""
        await self._wait_for(None)

    async def _wait_for(self, event: _Event | None) -> None:
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._queue.append((event, future))
        self._wakeup.set()
        await future

    async def _run(self) -> None:
        while True:
            await self._wakeup.wait()
            self._wakeup.clear()
            while self._queue:
                batch = self._queue[: self._max_batch]
                del self._queue[: self._max_batch]
                events = [event for event, _ in batch if event is not None]
                try:
                    if events:
                        await self._write(events)
                except Exception as exc:
                    log.error("status write of %d events failed, will retry: %s", len(events), exc)
                    # Receipts are refused (the SMSC is told to resend them); submit results
                    # are kept and written again, or the messages would stay `sending`.
                    for _, waiter in batch:
                        if waiter is not None and not waiter.done():
                            waiter.set_exception(exc)
                    if self._closing:  # left `sending`: sent again after the restart
                        log.error("stopping with %d status events unwritten", len(self._queue))
                        for _, waiter in self._queue:
                            if waiter is not None and not waiter.done():
                                waiter.set_exception(exc)
                        self._queue.clear()
                        return
                    self._queue[:0] = [(e, None) for e, w in batch if e is not None and w is None]
                    await asyncio.sleep(RETRY_DELAY_SECONDS)
                    continue
                for _, waiter in batch:
                    if waiter is not None and not waiter.done():
                        waiter.set_result(None)
            if self._closing:
                return

    async def _write(self, events: list[_Event]) -> None:
        now = time.time()
        sent = [e for e in events if isinstance(e, PartSent)]
        failed = [e for e in events if isinstance(e, MessageFailed)]
        receipts = [e for e in events if isinstance(e, ReceiptIn)]
        async with self._db.writer.begin() as conn:
            if sent:
                await conn.execute(
                    insert(s.message_parts),
                    [
                        {
                            "message_id": e.message_id,
                            "part_no": e.part_no,
                            "connection": e.connection,
                            "smsc_message_id": normalise_message_id(e.smsc_id),
                            "status": Status.SENT.value,
                            "updated_at": now,
                        }
                        for e in sent
                    ],
                )
                done = [e.message_id for e in sent if e.last]
                if done:
                    await conn.execute(
                        update(s.messages)
                        .where(
                            and_(
                                s.messages.c.id.in_(done),
                                s.messages.c.status == Status.SENDING.value,
                            )
                        )
                        .values(status=Status.SENT.value, updated_at=now)
                    )
                receipts = await self._unpark(conn, sent) + receipts
            if failed:
                await conn.execute(
                    update(s.messages)
                    .where(s.messages.c.id == bindparam("mid"))
                    .values(status=Status.FAILED.value, error=bindparam("err"), updated_at=now),
                    [{"mid": e.message_id, "err": e.error[:255]} for e in failed],
                )
            if receipts:
                await self._apply_receipts(conn, receipts, now)

    @staticmethod
    async def _unpark(conn: AsyncConnection, sent: list[PartSent]) -> list[ReceiptIn]:
        """Receipts that arrived before these parts' submit_sm_resp was stored."""
        keys = {(e.connection, normalise_message_id(e.smsc_id)) for e in sent}
        rows = (
            await conn.execute(
                select(
                    s.pending_receipts.c.id,
                    s.pending_receipts.c.connection,
                    s.pending_receipts.c.smsc_message_id,
                    s.pending_receipts.c.state,
                    s.pending_receipts.c.error,
                ).where(
                    tuple_(
                        s.pending_receipts.c.connection, s.pending_receipts.c.smsc_message_id
                    ).in_(keys)
                )
            )
        ).all()
        if not rows:
            return []
        await conn.execute(
            delete(s.pending_receipts).where(s.pending_receipts.c.id.in_([r.id for r in rows]))
        )
        return [
            ReceiptIn(r.connection, r.smsc_message_id, ReceiptState(r.state), r.error) for r in rows
        ]

    @staticmethod
    async def _apply_receipts(conn: AsyncConnection, receipts: list[ReceiptIn], now: float) -> None:
        variants = {
            (r.connection, variant) for r in receipts for variant in message_id_variants(r.smsc_id)
        }
        rows = (
            await conn.execute(
                select(
                    s.message_parts.c.message_id,
                    s.message_parts.c.part_no,
                    s.message_parts.c.connection,
                    s.message_parts.c.smsc_message_id,
                ).where(
                    tuple_(s.message_parts.c.connection, s.message_parts.c.smsc_message_id).in_(
                        variants
                    )
                )
            )
        ).all()
        parts = {(r.connection, r.smsc_message_id): (r.message_id, r.part_no) for r in rows}
        updates: list[dict[str, object]] = []
        parked: list[dict[str, object]] = []
        for receipt in receipts:
            RECEIPTS.labels(receipt.state.value).inc()
            found = next(
                (
                    parts[(receipt.connection, v)]
                    for v in message_id_variants(receipt.smsc_id)
                    if (receipt.connection, v) in parts
                ),
                None,
            )
            if found is None:
                parked.append(
                    {
                        "connection": receipt.connection,
                        "smsc_message_id": normalise_message_id(receipt.smsc_id),
                        "state": receipt.state.value,
                        "error": receipt.error,
                        "received_at": now,
                    }
                )
            else:
                updates.append(
                    {
                        "mid": found[0],
                        "pno": found[1],
                        "st": receipt.state.value,
                        "err": receipt.error,
                        "at": now,
                    }
                )
        if parked:
            await conn.execute(insert(s.pending_receipts), parked)
        if not updates:
            return
        await conn.execute(
            update(s.message_parts)
            .where(
                and_(
                    s.message_parts.c.message_id == bindparam("mid"),
                    s.message_parts.c.part_no == bindparam("pno"),
                )
            )
            .values(status=bindparam("st"), error=bindparam("err"), updated_at=bindparam("at")),
            updates,
        )
        await _roll_up(conn, {str(u["mid"]) for u in updates}, now)


async def _roll_up(conn: AsyncConnection, message_ids: set[str], now: float) -> None:
    """Give each message the status its parts' receipts add up to."""
    rows = await conn.execute(
        select(s.message_parts.c.message_id, s.message_parts.c.status, s.messages.c.parts)
        .join(s.messages, s.messages.c.id == s.message_parts.c.message_id)
        .where(s.message_parts.c.message_id.in_(message_ids))
    )
    states: dict[str, list[str]] = defaultdict(list)
    totals: dict[str, int] = {}
    for message_id, state, total in rows:
        states[message_id].append(state)
        totals[message_id] = total
    by_status: dict[Status, list[str]] = defaultdict(list)
    for message_id, part_states in states.items():
        status = rollup(part_states, totals[message_id])
        if status is not Status.SENT:
            by_status[status].append(message_id)
    for status, ids in by_status.items():
        await conn.execute(
            update(s.messages)
            .where(and_(s.messages.c.id.in_(ids), s.messages.c.status != Status.FAILED.value))
            .values(status=status.value, updated_at=now)
        )
