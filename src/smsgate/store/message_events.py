"""Message events (domain/message_events.py): written inside the transactions that change
messages, read back in order for one message.

`record_events` takes the open hot transaction (`Tx`) of the accept, claim or status write
that causes the events, so a message's history and its status commit together or not at all.
"""

from collections.abc import Sequence
from typing import Any, Final

from sqlalchemy import select

from smsgate.domain.message_events import EventType, MessageEvent
from smsgate.store import schema as s
from smsgate.store.database import Database
from smsgate.store.transactions import Tx

_COLUMNS = (
    "message_id, type, part_no, smsc_message_id, smpp_status, stat, err, done_date, error, "
    "created_at"
)
_t = s.message_events


def _cut(value: str | None, length: int) -> str | None:
    """At most the column's `length` (an SMSC's value may be longer than any sane one, and a
    value PostgreSQL refused would fail the whole status batch, again and again)."""
    return value[:length] if value is not None else None


def _row(e: MessageEvent) -> tuple[Any, ...]:
    return (
        e.message_id,
        e.type.value,
        e.part,
        _cut(e.smsc_message_id, 65),
        e.smpp_status,
        e.stat,
        _cut(e.err, 64),
        _cut(e.done_date, 32),
        _cut(e.error, 255),
        e.at,
    )


def record_events(tx: Tx, events: Sequence[MessageEvent]) -> None:
    """Insert `events` in the transaction `tx` (nothing when there are none)."""
    if events:
        tx.insert_rows(f"INSERT INTO message_events ({_COLUMNS})", [_row(e) for e in events])


# The delivery path writes an event per sent part and per receipt, thousands a second: those
# rows are built as tuples of their own columns only (no `MessageEvent` each, no NULL columns
# passed): measured, that took what the events add to a status batch from 7 to 4 µs a message.
_SUBMITTED = (
    "INSERT INTO message_events (message_id, type, part_no, smsc_message_id, smpp_status, "
    "created_at)"
)
_RECEIPT = (
    "INSERT INTO message_events (message_id, type, part_no, smsc_message_id, stat, err, "
    "done_date, created_at)"
)


_SUBMITTED_TYPE: Final = EventType.SUBMITTED.value
_RECEIPT_TYPE: Final = EventType.RECEIPT.value


def record_submitted(tx: Tx, parts: Sequence[tuple[str, int, str]], now: float) -> None:
    """`submitted` events of (message id, part, SMSC message id): each accepted (status 0)."""
    if parts:
        kind = _SUBMITTED_TYPE
        tx.insert_rows(_SUBMITTED, [(m, kind, p, smsc[:65], 0, now) for m, p, smsc in parts])


def record_receipts(
    tx: Tx, receipts: Sequence[tuple[str, int, str, str, str | None, str | None]], now: float
) -> None:
    """`receipt` events of (message id, part, SMSC message id, stat, err, done date)."""
    if receipts:
        kind = _RECEIPT_TYPE
        tx.insert_rows(
            _RECEIPT,
            [
                (m, kind, p, smsc[:65], stat, _cut(err, 64), _cut(done, 32), now)
                for m, p, smsc, stat, err, done in receipts
            ],
        )


def event_values(e: MessageEvent) -> dict[str, Any]:
    """The columns of `e`'s row, for an insert through SQLAlchemy Core."""
    return dict(zip(_COLUMNS.split(", "), _row(e), strict=True))


async def events_of(db: Database, message_id: str) -> list[MessageEvent]:
    """A message's events, oldest first (the caller has checked the message's realm)."""
    query = select(_t).where(_t.c.message_id == message_id).order_by(_t.c.id)
    async with db.reader.connect() as conn:
        rows = [row._mapping for row in await conn.execute(query)]
    return [
        MessageEvent(
            message_id=r["message_id"],
            type=EventType(r["type"]),
            at=r["created_at"],
            part=r["part_no"],
            smsc_message_id=r["smsc_message_id"],
            smpp_status=r["smpp_status"],
            stat=r["stat"],
            err=r["err"],
            done_date=r["done_date"],
            error=r["error"],
        )
        for r in rows
    ]
