"""Reading outbound messages back (CLI listing, status queries)."""

import time
from typing import Any

from sqlalchemy import RowMapping, select

from smsgate.domain.model import Message
from smsgate.store import schema as s
from smsgate.store.database import Database

_COLUMNS = (
    s.messages.c.id,
    s.messages.c.realm_id,
    s.messages.c.sender_code,
    s.messages.c.phone,
    s.messages.c.text,
    s.messages.c.encoding,
    s.messages.c.parts,
    s.messages.c.status,
    s.messages.c.error,
    s.messages.c.created_at,
    s.messages.c.updated_at,
    s.messages.c.kind,
    s.messages.c.client_ref,
    s.messages.c.validity_seconds,
)


class MessageStore:
    """Queries over stored messages, always scoped to one realm."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def list(
        self,
        realm_id: int,
        *,
        phone: str | None = None,
        status: str | None = None,
        limit: int = 50,
    ) -> list[Message]:
        """Newest first."""
        query = select(*_COLUMNS).where(s.messages.c.realm_id == realm_id)
        if phone is not None:
            query = query.where(s.messages.c.phone == phone)
        if status is not None:
            query = query.where(s.messages.c.status == status)
        query = query.order_by(s.messages.c.id.desc()).limit(limit)
        async with self._db.reader.connect() as conn:
            return [_message(row._mapping) for row in await conn.execute(query)]

    async def get(self, realm_id: int, message_id: str) -> Message | None:
        query = select(*_COLUMNS).where(
            s.messages.c.realm_id == realm_id, s.messages.c.id == message_id
        )
        async with self._db.reader.connect() as conn:
            row = (await conn.execute(query)).first()
        return _message(row._mapping) if row else None

    async def count_by_status(self) -> dict[str, int]:
        """Message counts per status over all realms (for metrics and tests)."""
        from sqlalchemy import func

        query = select(s.messages.c.status, func.count()).group_by(s.messages.c.status)
        async with self._db.reader.connect() as conn:
            return {status: int(n) for status, n in await conn.execute(query)}


def _message(row: RowMapping) -> Message:
    return Message(**row)


def message_values(m: Message) -> dict[str, Any]:
    """The columns of a new `messages` row for `m` (updated now unless it says when)."""
    return {
        "id": m.id,
        "realm_id": m.realm_id,
        "sender_code": m.sender_code,
        "phone": m.phone,
        "text": m.text,
        "encoding": m.encoding,
        "parts": m.parts,
        "kind": m.kind,
        "status": m.status,
        "error": m.error,
        "created_at": m.created_at,
        "updated_at": m.updated_at if m.updated_at is not None else time.time(),
    }
