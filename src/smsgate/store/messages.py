"""Reading outbound messages back (CLI listing, status queries)."""

from sqlalchemy import select

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
            return [Message(*row) for row in await conn.execute(query)]

    async def get(self, realm_id: int, message_id: str) -> Message | None:
        query = select(*_COLUMNS).where(
            s.messages.c.realm_id == realm_id, s.messages.c.id == message_id
        )
        async with self._db.reader.connect() as conn:
            row = (await conn.execute(query)).first()
        return Message(*row) if row else None

    async def count_by_status(self) -> dict[str, int]:
        """Message counts per status over all realms (for metrics and tests)."""
        from sqlalchemy import func

        query = select(s.messages.c.status, func.count()).group_by(s.messages.c.status)
        async with self._db.reader.connect() as conn:
            return {status: int(n) for status, n in await conn.execute(query)}
