"""The status transaction of the delivery path: submit results and receipts, a batch at a time.

One transaction per batch (`services.statuses` collects them), in order:

1. parts the SMSC accepted (`message_parts` rows with the SMSC id), and messages whose last part
   was accepted become `sent`; failed submits make their message `failed`;
2. receipts parked earlier for the SMSC ids just stored are taken out of `pending_receipts`;
3. receipts are matched to parts by (connection, SMSC id in any of its spellings); a receipt with
   no part yet is parked, never dropped; messages whose parts all have final receipts are rolled
   up (`domain.model.rollup`).

A `Sweep` matches parked receipts again (their part may have been stored by another node, in a
transaction that could not see the receipt being parked) and drops those parked too long.
"""

import logging
import time
from collections import defaultdict
from typing import Any, Final

from smsgate.constants import PARKED_SWEEP_BATCH, PARKED_TTL_SECONDS
from smsgate.domain import message_events as history
from smsgate.domain.delivery_events import MessageFailed, PartSent, ReceiptIn, StatusEvent, Sweep
from smsgate.domain.model import Status, rollup
from smsgate.domain.receipt import ReceiptState, message_id_variants, normalise_message_id
from smsgate.domain.webhook import EventType
from smsgate.store.message_events import record_events, record_receipts, record_submitted
from smsgate.store.rawsql import Query, positional
from smsgate.store.transactions import TransactionRunner, Tx
from smsgate.store.webhook_outbox import enqueue_message_status, subscribed_realms

log = logging.getLogger(__name__)

RECEIPT_ERROR_CHARS = 64  # pending_receipts.error (message_parts.error and events: more)
SMSC_ID_CHARS = 65  # pending_receipts.smsc_message_id, message_parts.smsc_message_id


class StatusStore:
    """Writes batches of delivery events (`services.statuses.StatusPort`)."""

    def __init__(self, transactions: TransactionRunner) -> None:
        self._transactions = transactions

    async def write(self, events: list[StatusEvent]) -> int:
        """Write `events` in one transaction; returns how many receipts were parked."""
        return await self._transactions.run(lambda tx: write_events(tx, events, time.time()))


# Column values looked up once: an enum member's `.value` is a Python-level property, read
# several times per receipt otherwise.
_SENT: Final = Status.SENT.value
_SENDING: Final = Status.SENDING.value
_FAILED: Final = Status.FAILED.value
_STATE: Final = {state: state.value for state in ReceiptState}


def _one_part_status(state: ReceiptState) -> str | None:
    """The status a one-part message takes from a receipt (None: it stays `sent`)."""
    status = rollup([state.value], 1)
    return None if status is Status.SENT else status.value


_ONE_PART_STATUS: Final = {state: _one_part_status(state) for state in ReceiptState}

_FAIL_MESSAGE = "UPDATE messages SET status = {}, error = {}, updated_at = {} WHERE id = {}"


def write_events(tx: Tx, events: list[StatusEvent], now: float) -> int:
    """The status transaction: sent parts, failed messages, parked and new receipts, and the
    `message.status` webhook events of the messages it changed. Returns how many receipts it
    parked (matched no part)."""
    # one pass over the batch (a receipt and a sent part, typically), not one per kind
    sent: list[PartSent] = []
    failed: list[MessageFailed] = []
    receipts: list[ReceiptIn] = []
    sweep = False
    for e in events:
        if isinstance(e, ReceiptIn):
            receipts.append(e)
        elif isinstance(e, PartSent):
            sent.append(e)
        elif isinstance(e, MessageFailed):
            failed.append(e)
        elif isinstance(e, Sweep):
            sweep = True
    if sweep:
        receipts = _take_parked(tx, now) + receipts
    if sent:
        _record_sent(tx, sent, now)
        receipts = _unpark(tx, sent) + receipts
    if failed:
        tx.execute_many(
            positional(tx.postgres, _FAIL_MESSAGE),
            [(_FAILED, e.error[:255], now, e.message_id) for e in failed],
        )
        record_events(
            tx, [history.failed(e.message_id, now, e.error, e.smpp_status) for e in failed]
        )
    # webhook events in this transaction (a crash loses neither), one per change: `sent`
    # before the receipts of the same batch make it `delivered`
    ended = {e.message_id for e in sent if e.last}
    if failed:
        ended.update(e.message_id for e in failed)
    changed: set[str] = set()
    realms = subscribed_realms(tx, EventType.MESSAGE_STATUS) if ended or receipts else set()
    enqueue_message_status(tx, ended, now, realms)
    parked = _apply_receipts(tx, receipts, now, changed) if receipts else 0
    enqueue_message_status(tx, changed, now, realms)
    return parked


def _record_sent(tx: Tx, sent: list[PartSent], now: float) -> None:
    tx.insert_rows(
        "INSERT INTO message_parts (message_id, part_no, connection, smsc_message_id, status, "
        "updated_at)",
        [
            (
                e.message_id,
                e.part_no,
                e.connection,
                normalise_message_id(e.smsc_id)[:SMSC_ID_CHARS],
                _SENT,
                now,
            )
            for e in sent
        ],
        # The same part sent twice (at-least-once: a resend after a takeover) keeps its first
        # record instead of failing the whole batch.
        "ON CONFLICT (message_id, part_no) DO NOTHING",
    )
    record_submitted(tx, [(e.message_id, e.part_no, e.smsc_id) for e in sent], now)
    done = [e.message_id for e in sent if e.last]
    if done:
        q = Query(tx.postgres)
        tx.execute(
            f"UPDATE messages SET status = {q.param(_SENT)}, "
            f"updated_at = {q.param(now)} WHERE id {q.in_(done)} "
            f"AND status = {q.param(_SENDING)}",
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


def _apply_receipts(tx: Tx, receipts: list[ReceiptIn], now: float, changed: set[str]) -> int:
    """Match receipts to their parts and write them; park the rest. Returns how many parked;
    adds the messages given a new status to `changed`."""
    # every spelling of each receipt's id, worked out once for the query and the matching
    variants = [message_id_variants(r.smsc_id) for r in receipts]
    keys = {(r.connection, v) for r, vs in zip(receipts, variants, strict=True) for v in vs}
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
    events: list[tuple[str, int, str, str, str | None, str | None]] = []
    for receipt, spellings in zip(receipts, variants, strict=True):
        found = None
        for v in spellings:  # a loop, not next() over a generator: one receipt each
            found = parts.get((receipt.connection, v))
            if found is not None:
                break
        # An SMSC's `err:` may be any length: cut to the narrowest column it goes to, since a
        # value PostgreSQL refused would fail this whole batch, and every retry of it.
        error = receipt.error[:RECEIPT_ERROR_CHARS] if receipt.error else receipt.error
        state = _STATE[receipt.state]
        if found is None:
            parked.append(
                (
                    receipt.connection,
                    normalise_message_id(receipt.smsc_id)[:SMSC_ID_CHARS],
                    state,
                    error,
                    receipt.received_at or now,
                )
            )
            continue
        message_id, part_no, total = found
        part_states[(message_id, part_no)] = (state, error)
        events.append(
            (
                message_id,
                part_no,
                receipt.smsc_id,
                state,
                error,
                receipt.done_date,
            )
        )
        if total == 1:
            status = _ONE_PART_STATUS[receipt.state]
            if status is not None:
                single[message_id] = status
        else:
            multi.add(message_id)
    if parked:
        tx.insert_rows(
            "INSERT INTO pending_receipts (connection, smsc_message_id, state, error, received_at)",
            parked,
        )
    record_receipts(tx, events, now)
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
    changed.update(single)
    if multi:
        changed.update(_roll_up(tx, multi, now))
    return len(parked)


def _roll_up(tx: Tx, message_ids: set[str], now: float) -> set[str]:
    """Give each multipart message the status its parts' receipts add up to; returns those
    with a final status now."""
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
    return set(updates)


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
            f"WHERE id {q.in_(message_ids)} AND status != {q.param(_FAILED)}",
            q.params,
        )
