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
from typing import Any

from smsgate.constants import PARKED_SWEEP_BATCH, PARKED_SWEEP_SECONDS, PARKED_TTL_SECONDS
from smsgate.domain.model import Status, rollup
from smsgate.domain.receipt import ReceiptState, message_id_variants, normalise_message_id
from smsgate.metrics import RECEIPTS, RECEIPTS_PARKED
from smsgate.store.batcher import Batcher
from smsgate.store.database import Database
from smsgate.store.hot_writer import HotWriter, Tx
from smsgate.store.rawsql import Query, positional

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
    received_at: float | None = None  # set when it comes back from `pending_receipts`


@dataclass(frozen=True, slots=True)
class Sweep:
    """Match parked receipts again: their part may have been stored by another node, in a
    transaction that could not see the receipt being parked."""


_Event = PartSent | MessageFailed | ReceiptIn | Sweep


# One child per state, made once: `labels()` per receipt cost ~1 µs (and every state shows,
# at 0, from the start).
_RECEIPTS_BY_STATE = {state: RECEIPTS.labels(state.value) for state in ReceiptState}
_Waiter = asyncio.Future[None] | None
RETRY_DELAY_SECONDS = 0.5  # pause before writing a failed batch again (database down)


_Item = tuple[_Event | None, _Waiter]  # event None: a flush marker


class StatusWriter(Batcher[_Item]):
    """Collects delivery events and writes them in batches; see the module docstring."""

    name = "smsgate-status-writer"

    def __init__(
        self, db: Database, *, max_batch: int = 5000, writer: HotWriter | None = None
    ) -> None:
        super().__init__(max_batch=max_batch)
        self._hot = writer if writer is not None else HotWriter(db)
        self._sweeper: asyncio.Task[None] | None = None

    async def start(self) -> None:
        await super().start()
        self._sweeper = asyncio.create_task(self._sweep_every(PARKED_SWEEP_SECONDS))

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
        self.put((event, None))

    def message_failed(self, message_id: str, error: str) -> None:
        self.put((MessageFailed(message_id, error), None))

    async def receipt(self, event: ReceiptIn) -> None:
        """Queue a receipt and wait until it is committed (raises if the write failed)."""
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
            parked = await self._write(events) if events else 0
        except Exception as exc:
            log.error("status write of %d events failed, will retry: %s", len(events), exc)
            # Receipts are refused (the SMSC is told to resend them); submit results are kept
            # and written again, or their messages would stay `sending`.
            _fail(batch, exc)
            if self._closing:  # left `sending`: sent again after the restart
                log.error("stopping with %d status events unwritten", len(self._items))
                _fail(self._items, exc)
                self._items.clear()
                return
            self._items[:0] = [(e, None) for e, w in batch if e is not None and w is None]
            await asyncio.sleep(RETRY_DELAY_SECONDS)
            return
        if parked:
            RECEIPTS_PARKED.inc(parked)
        for _, waiter in batch:
            if waiter is not None and not waiter.done():
                waiter.set_result(None)

    async def _write(self, events: list[_Event]) -> int:
        return await self._hot.run(lambda tx: _write_events(tx, events, time.time()))


def _fail(items: list[_Item], exc: Exception) -> None:
    for _, waiter in items:
        if waiter is not None and not waiter.done():
            waiter.set_exception(exc)


_FAIL_MESSAGE = "UPDATE messages SET status = {}, error = {}, updated_at = {} WHERE id = {}"


def _write_events(tx: Tx, events: list[_Event], now: float) -> int:
    """The status transaction: sent parts, failed messages, parked and new receipts. Returns
    how many receipts it parked (matched no part)."""
    sent = [e for e in events if isinstance(e, PartSent)]
    failed = [e for e in events if isinstance(e, MessageFailed)]
    receipts = [e for e in events if isinstance(e, ReceiptIn)]
    if any(isinstance(e, Sweep) for e in events):
        receipts = _take_parked(tx, now) + receipts
    if sent:
        _record_sent(tx, sent, now)
        receipts = _unpark(tx, sent) + receipts
    if failed:
        tx.execute_many(
            positional(tx.postgres, _FAIL_MESSAGE),
            [(Status.FAILED.value, e.error[:255], now, e.message_id) for e in failed],
        )
    return _apply_receipts(tx, receipts, now) if receipts else 0


def _record_sent(tx: Tx, sent: list[PartSent], now: float) -> None:
    tx.insert_rows(
        "INSERT INTO message_parts (message_id, part_no, connection, smsc_message_id, status, "
        "updated_at)",
        [
            (
                e.message_id,
                e.part_no,
                e.connection,
                normalise_message_id(e.smsc_id),
                Status.SENT.value,
                now,
            )
            for e in sent
        ],
        # The same part sent twice (at-least-once: a resend after a takeover) keeps its first
        # record instead of failing the whole batch.
        "ON CONFLICT (message_id, part_no) DO NOTHING",
    )
    done = [e.message_id for e in sent if e.last]
    if done:
        q = Query(tx.postgres)
        tx.execute(
            f"UPDATE messages SET status = {q.param(Status.SENT.value)}, "
            f"updated_at = {q.param(now)} WHERE id {q.in_(done)} "
            f"AND status = {q.param(Status.SENDING.value)}",
            q.params,
        )


def _unpark(tx: Tx, sent: list[PartSent]) -> list[ReceiptIn]:
    """Receipts that arrived before these parts' submit_sm_resp was stored."""
    # Nearly always none are parked: one probe of the empty table instead of every spelling
    # of every id. (A receipt another node parks after the probe is the sweep's, as it would
    # be after the full query too.)
    if not tx.fetch("SELECT 1 FROM pending_receipts LIMIT 1"):
        return []
    # A receipt is parked under its own spelling of the id (decimal, say) and the part is
    # stored under the submit_sm_resp's (hex): look for every spelling.
    keys = {(e.connection, v) for e in sent for v in message_id_variants(e.smsc_id)}
    q = Query(tx.postgres)
    rows = tx.fetch(
        "SELECT id, connection, smsc_message_id, state, error, received_at FROM pending_receipts "
        f"WHERE {_by_connection_and_id(q, keys)}",
        q.params,
    )
    return _unparked(tx, [r for r in rows if (r[1], r[2]) in keys])


def _by_connection_and_id(q: Query, keys: set[tuple[str, str]], prefix: str = "") -> str:
    """A WHERE condition for rows with any of these (connection, SMSC id) pairs that the
    (connection, smsc_message_id) indexes can answer: with the SMSC id alone they cannot, and
    the database scanned every part ever sent. It also admits pairs that cross (connection of
    one key, id of another), which the callers drop by matching the exact pairs."""
    connections = q.in_({connection for connection, _ in keys})
    return (
        f"{prefix}connection {connections} "
        f"AND {prefix}smsc_message_id {q.in_({mid for _, mid in keys})}"
    )


def _take_parked(tx: Tx, now: float) -> list[ReceiptIn]:
    """Parked receipts to match again (`Sweep`); those parked too long are dropped."""
    q = Query(tx.postgres)
    expired = tx.execute(
        f"DELETE FROM pending_receipts WHERE received_at < {q.param(now - PARKED_TTL_SECONDS)}",
        q.params,
    )
    if expired:
        log.warning(
            "dropped %d receipts that matched no message in %ds", expired, PARKED_TTL_SECONDS
        )
    rows = tx.fetch(
        "SELECT id, connection, smsc_message_id, state, error, received_at FROM pending_receipts "
        f"ORDER BY id LIMIT {PARKED_SWEEP_BATCH}"
    )
    return _unparked(tx, rows)


def _unparked(tx: Tx, rows: list[tuple[Any, ...]]) -> list[ReceiptIn]:
    """Take `rows` out of `pending_receipts` as receipts (re-parked if they still match nothing)."""
    if not rows:
        return []
    q = Query(tx.postgres)
    tx.execute(f"DELETE FROM pending_receipts WHERE id {q.in_([r[0] for r in rows])}", q.params)
    return [ReceiptIn(r[1], r[2], ReceiptState(r[3]), r[4], r[5]) for r in rows]


def _apply_receipts(tx: Tx, receipts: list[ReceiptIn], now: float) -> int:
    """Match receipts to their parts and write them; park the rest. Returns how many parked."""
    keys = {(r.connection, v) for r in receipts for v in message_id_variants(r.smsc_id)}
    q = Query(tx.postgres)
    rows = tx.fetch(
        "SELECT p.message_id, p.part_no, p.connection, p.smsc_message_id, m.parts "
        "FROM message_parts p JOIN messages m ON m.id = p.message_id "
        f"WHERE {_by_connection_and_id(q, keys, 'p.')}",
        q.params,
    )
    parts = {(r[2], r[3]): (r[0], r[1], r[4]) for r in rows}
    # The last receipt of each part wins, and for a one-part message, which takes the
    # receipt's state directly, its last final state; written one UPDATE per group of equal
    # values, not one per receipt.
    part_states: dict[tuple[str, int], tuple[str, str | None]] = {}
    single: dict[str, str] = {}
    multi: set[str] = set()
    parked: list[tuple[object, ...]] = []
    for receipt in receipts:
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
                (
                    receipt.connection,
                    normalise_message_id(receipt.smsc_id),
                    receipt.state.value,
                    receipt.error,
                    receipt.received_at or now,
                )
            )
            continue
        message_id, part_no, total = found
        part_states[(message_id, part_no)] = (receipt.state.value, receipt.error)
        if total == 1:
            status = rollup([receipt.state.value], 1)
            if status is not Status.SENT:
                single[message_id] = status.value
        else:
            multi.add(message_id)
    tx.insert_rows(
        "INSERT INTO pending_receipts (connection, smsc_message_id, state, error, received_at)",
        parked,
    )
    part_updates: dict[tuple[str, str | None, int], list[str]] = defaultdict(list)
    for (message_id, part_no), (state, error) in part_states.items():
        part_updates[(state, error, part_no)].append(message_id)
    for (state, error, part_no), message_ids in part_updates.items():
        q = Query(tx.postgres)
        tx.execute(
            f"UPDATE message_parts SET status = {q.param(state)}, error = {q.param(error)}, "
            f"updated_at = {q.param(now)} WHERE part_no = {q.param(part_no)} "
            f"AND message_id {q.in_(message_ids)}",
            q.params,
        )
    _set_statuses(tx, single, now)
    if multi:
        _roll_up(tx, multi, now)
    return len(parked)


def _roll_up(tx: Tx, message_ids: set[str], now: float) -> None:
    """Give each multipart message the status its parts' receipts add up to."""
    q = Query(tx.postgres)
    rows = tx.fetch(
        "SELECT p.message_id, p.status, m.parts FROM message_parts p "
        f"JOIN messages m ON m.id = p.message_id WHERE p.message_id {q.in_(message_ids)}",
        q.params,
    )
    states: dict[str, list[str]] = defaultdict(list)
    totals: dict[str, int] = {}
    for message_id, state, total in rows:
        states[message_id].append(state)
        totals[message_id] = total
    updates: dict[str, str] = {}
    for message_id, part_states in states.items():
        status = rollup(part_states, totals[message_id])
        if status is not Status.SENT:
            updates[message_id] = status.value
    _set_statuses(tx, updates, now)


def _set_statuses(tx: Tx, statuses: dict[str, str], now: float) -> None:
    """Give messages their new status (message id -> status), one UPDATE per status; a
    `failed` message stays failed."""
    by_status: dict[str, list[str]] = defaultdict(list)
    for message_id, status in statuses.items():
        by_status[status].append(message_id)
    for status, message_ids in by_status.items():
        q = Query(tx.postgres)
        tx.execute(
            f"UPDATE messages SET status = {q.param(status)}, updated_at = {q.param(now)} "
            f"WHERE id {q.in_(message_ids)} AND status != {q.param(Status.FAILED.value)}",
            q.params,
        )
