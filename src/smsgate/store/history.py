"""Reading messages back for the JSON API: pages of outbound and inbound messages, one
message with its events. Every query is scoped to one realm.

Pages are newest first and keyed by id (`before`: the last id of the previous page), not by
offset: a page stays right while new messages arrive, and each one is an index range scan
(`ix_messages_realm_id_id`, `ix_inbound_messages_realm_id_received_at`).
"""

from sqlalchemy import select

from smsgate.domain.history import InboundFilter, MessageFilter
from smsgate.domain.message_events import MessageEvent
from smsgate.domain.model import InboundMessage, Message
from smsgate.store import schema as s
from smsgate.store.database import Database
from smsgate.store.message_events import events_of
from smsgate.store.messages import MessageStore

_m = s.messages
_i = s.inbound_messages
# the columns of a `Message` (not the dispatcher's own: owner, claimed_at, attempts)
_MESSAGE_COLUMNS = [
    _m.c[name]
    for name in (
        "id",
        "realm_id",
        "sender_code",
        "phone",
        "text",
        "encoding",
        "parts",
        "status",
        "error",
        "created_at",
        "updated_at",
        "kind",
        "client_ref",
        "validity_seconds",
    )
]


class HistoryStore:
    """The queries behind `services.history`."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self._messages = MessageStore(db)

    async def message(self, realm_id: int, message_id: str) -> Message | None:
        return await self._messages.get(realm_id, message_id)

    async def events(self, message_id: str) -> list[MessageEvent]:
        return await events_of(self._db, message_id)

    async def messages(
        self, realm_id: int, where: MessageFilter, limit: int, before: str | None
    ) -> list[Message]:
        """Up to `limit` of the realm's messages matching `where`, newest first, with ids
        below `before` when given."""
        query = select(*_MESSAGE_COLUMNS).where(_m.c.realm_id == realm_id)
        if where.to is not None:
            query = query.where(_m.c.phone == where.to)
        if where.status is not None:
            query = query.where(_m.c.status == where.status)
        if where.since is not None:
            query = query.where(_m.c.created_at >= where.since)
        if where.until is not None:
            query = query.where(_m.c.created_at < where.until)
        if before is not None:
            query = query.where(_m.c.id < before)
        query = query.order_by(_m.c.id.desc()).limit(limit)
        async with self._db.reader.connect() as conn:
            return [Message(**row._mapping) for row in await conn.execute(query)]

    async def inbound(
        self, realm_id: int, where: InboundFilter, limit: int, before: int | None
    ) -> list[InboundMessage]:
        """Up to `limit` of the realm's inbound messages matching `where`, newest first."""
        query = select(
            _i.c.id,
            _i.c.realm_id,
            _i.c.sender_code,
            _i.c.phone,
            _i.c.text,
            _i.c.keyword,
            _i.c.received_at,
        ).where(_i.c.realm_id == realm_id)
        if where.phone is not None:
            query = query.where(_i.c.phone == where.phone)
        if where.sender_code is not None:
            query = query.where(_i.c.sender_code == where.sender_code)
        if where.since is not None:
            query = query.where(_i.c.received_at >= where.since)
        if before is not None:
            query = query.where(_i.c.id < before)
        query = query.order_by(_i.c.id.desc()).limit(limit)
        async with self._db.reader.connect() as conn:
            return [InboundMessage(**row._mapping) for row in await conn.execute(query)]
