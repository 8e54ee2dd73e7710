"""The store side of the delivery path: claiming queued messages and recovering after a crash.

The store is the source of truth for the queue. A message moves `queued -> sending` when a
dispatcher claims it (in one UPDATE per batch, guarded by `status = 'queued'`, so a message is
never claimed twice), and the opt-out list is read again in that same transaction: a STOP that
arrived after the message was accepted wins, and the message ends `failed` / `opted out`.
"""

import time
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import and_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from smsgate.domain.model import Status
from smsgate.store import schema as s
from smsgate.store.database import Database
from smsgate.store.optouts import blocked_pairs

OPTED_OUT_ERROR = "opted out"


@dataclass(frozen=True, slots=True)
class Outbound:
    """A claimed message with what the dispatcher needs to submit it."""

    id: str
    realm_id: int
    sender_code: str
    phone: str
    text: str
    encoding: str
    parts: int
    kind: str
    done_parts: frozenset[int] = frozenset()  # parts already accepted by the SMSC (after a crash)


_CLAIM_COLUMNS = (
    s.messages.c.id,
    s.messages.c.realm_id,
    s.messages.c.sender_code,
    s.messages.c.phone,
    s.messages.c.text,
    s.messages.c.encoding,
    s.messages.c.parts,
    s.messages.c.kind,
)


class QueueStore:
    """Claims, recovery and the queued-message backlog."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def queued_ids(self, limit: int) -> list[str]:
        """The oldest queued messages (the polling fallback and the backlog after a restart)."""
        async with self._db.reader.connect() as conn:
            rows = await conn.execute(
                select(s.messages.c.id)
                .where(s.messages.c.status == Status.QUEUED.value)
                .order_by(s.messages.c.id)
                .limit(limit)
            )
            return [row[0] for row in rows]

    async def claim(self, ids: Sequence[str]) -> tuple[list[Outbound], list[str]]:
        """Move `ids` from queued to sending. Returns (claimed, opted_out): messages someone else
        claimed already, or that are no longer queued, are in neither list."""
        if not ids:
            return [], []
        now = time.time()
        async with self._db.writer.begin() as conn:
            rows = (
                await conn.execute(
                    update(s.messages)
                    .where(and_(s.messages.c.id.in_(ids), s.messages.c.status == Status.QUEUED))
                    .values(
                        status=Status.SENDING.value,
                        attempts=s.messages.c.attempts + 1,
                        updated_at=now,
                    )
                    .returning(*_CLAIM_COLUMNS)
                )
            ).all()
            if not rows:
                return [], []
            blocked = await blocked_pairs(
                conn, ((r.realm_id, r.sender_code, r.phone) for r in rows if r.kind == "api")
            )
            opted_out = [
                r.id
                for r in rows
                if r.kind == "api" and (r.realm_id, r.sender_code, r.phone) in blocked
            ]
            if opted_out:
                await conn.execute(
                    update(s.messages)
                    .where(s.messages.c.id.in_(opted_out))
                    .values(status=Status.FAILED.value, error=OPTED_OUT_ERROR, updated_at=now)
                )
            done = await self._done_parts(conn, [r.id for r in rows if r.parts > 1])
        refused = set(opted_out)
        claimed = [
            Outbound(
                id=r.id,
                realm_id=r.realm_id,
                sender_code=r.sender_code,
                phone=r.phone,
                text=r.text,
                encoding=r.encoding,
                parts=r.parts,
                kind=r.kind,
                done_parts=done.get(r.id, frozenset()),
            )
            for r in sorted(rows, key=lambda r: r.id)
            if r.id not in refused
        ]
        return claimed, opted_out

    @staticmethod
    async def _done_parts(conn: AsyncConnection, ids: list[str]) -> dict[str, frozenset[int]]:
        if not ids:
            return {}

        rows = await conn.execute(
            select(s.message_parts.c.message_id, s.message_parts.c.part_no).where(
                s.message_parts.c.message_id.in_(ids),
                s.message_parts.c.smsc_message_id.is_not(None),
            )
        )
        done: dict[str, set[int]] = {}
        for message_id, part_no in rows:
            done.setdefault(message_id, set()).add(part_no)
        return {k: frozenset(v) for k, v in done.items()}

    async def recover(self) -> int:
        """After a crash: every message left `sending` goes back to `queued` (at-least-once:
        the SMSC may have it already). Returns how many. Only for a single dispatcher; several
        dispatchers reclaim through leases instead."""
        async with self._db.writer.begin() as conn:
            result = await conn.execute(
                update(s.messages)
                .where(s.messages.c.status == Status.SENDING.value)
                .values(status=Status.QUEUED.value, updated_at=time.time())
            )
        return int(result.rowcount or 0)

    async def release(self, ids: Sequence[str]) -> None:
        """Give claimed messages back to the queue (graceful shutdown before they were sent)."""
        if not ids:
            return
        async with self._db.writer.begin() as conn:
            await conn.execute(
                update(s.messages)
                .where(and_(s.messages.c.id.in_(ids), s.messages.c.status == Status.SENDING.value))
                .values(status=Status.QUEUED.value, updated_at=time.time())
            )
