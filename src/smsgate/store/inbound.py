"""The inbound transaction: an MO, its parts, the opt-out it asks for and the reply, at once.

`services.inbound` decides what an MO means; this runs it as ONE transaction on the writer
engine, so the MO, the opt-out list, its ledger, the queued reply and the webhook events (a
`message.inbound`, an `optout.changed`) are committed together
(or not at all) before the deliver_sm is acknowledged.
"""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from smsgate.domain.inbound import InboundRow, MoPart
from smsgate.domain.model import Message
from smsgate.domain.webhook import inbound_data
from smsgate.store import schema as s
from smsgate.store.database import Database
from smsgate.store.inbound_parts import add_part
from smsgate.store.messages import message_values
from smsgate.store.optouts import OptOutStore
from smsgate.store.transactions import EngineTx
from smsgate.store.webhook_outbox import enqueue_inbound


class InboundStore:
    """`services.inbound.InboundPort` on the database."""

    def __init__(self, db: Database, optouts: OptOutStore) -> None:
        self._db = db
        self._optouts = optouts

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator["InboundTransaction"]:
        async with self._db.write_engine.begin() as conn:
            yield InboundTransaction(conn, self._optouts)


class InboundTransaction:
    """`services.inbound.InboundTx` inside one database transaction."""

    def __init__(self, conn: AsyncConnection, optouts: OptOutStore) -> None:
        self._conn = conn
        self._optouts = optouts

    async def add_part(self, part: MoPart, now: float) -> str | None:
        return await add_part(self._conn, part, now)

    async def insert_inbound(self, row: InboundRow) -> int | None:
        result = await self._conn.execute(
            insert(s.inbound_messages).values(
                realm_id=row.realm_id,
                connection=row.connection,
                sender_code=row.sender_code,
                phone=row.phone,
                text=row.text,
                keyword=row.keyword,
                received_at=row.received_at,
            )
        )
        key = result.inserted_primary_key
        inbound_id = int(key[0]) if key else None
        if inbound_id is not None and row.realm_id is not None:  # the webhook event, in here
            data = inbound_data(
                inbound_id=inbound_id,
                phone=row.phone,
                sender_code=row.sender_code,
                text=row.text,
                keyword=row.keyword,
                received_at=row.received_at,
            )
            realm_id = row.realm_id
            await self._conn.run_sync(
                lambda sync: enqueue_inbound(EngineTx(sync), realm_id, data, row.received_at)
            )
        return inbound_id

    async def opt_out(
        self, realm_id: int, phone: str, code: str, *, source: str, evidence: int | None
    ) -> None:
        await self._optouts.add(
            realm_id, phone, code, source=source, inbound_id=evidence, conn=self._conn
        )

    async def opt_in(
        self, realm_id: int, phone: str, code: str, *, source: str, evidence: int | None
    ) -> None:
        await self._optouts.remove(
            realm_id, phone, code, source=source, inbound_id=evidence, conn=self._conn
        )

    async def queue(self, message: Message) -> None:
        await self._conn.execute(insert(s.messages).values(**message_values(message)))
