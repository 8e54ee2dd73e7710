"""Counts for `smsgate status` (services/status_report.py): queue depth, recent messages,
inbound STOPs, the webhook backlog, and on PostgreSQL the nodes and bind leases.

Each query is cheap on a large table: the queue counts read the partial indexes of `queued`
and `sending` messages (migration 0003); recent messages are found by id, since ids are
ULIDs that start with their time (`ids.id_floor`), so `id >= floor` is a range of the primary
key and no time index is needed on the hot path's table. Inbound messages are few. The
webhook backlog is the console's count (store/console_webhooks.py: its definition and index).
"""

from sqlalchemy import func, select

from smsgate.domain.binds import BindLease
from smsgate.domain.keywords import Keyword
from smsgate.domain.model import Status
from smsgate.ids import id_floor
from smsgate.store import schema as s
from smsgate.store.console_webhooks import backlog_count
from smsgate.store.database import Database

QUEUE_STATUSES = (Status.QUEUED, Status.SENDING)  # a message still to be sent


class StatsStore:
    """Read-only counts over the whole database (every realm)."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def queue_depth(self) -> dict[str, int]:
        """Messages waiting to be sent, by status (each count reads one partial index)."""
        depth = {}
        async with self._db.reader.connect() as conn:
            for status in QUEUE_STATUSES:
                query = select(func.count()).where(s.messages.c.status == status.value)
                depth[status.value] = int((await conn.execute(query)).scalar_one())
        return depth

    async def made_since(self, since: float) -> dict[str, int]:
        """Messages accepted since `since` (epoch seconds), by their status now."""
        query = (
            select(s.messages.c.status, func.count())
            .where(s.messages.c.id >= id_floor(since))
            .group_by(s.messages.c.status)
        )
        async with self._db.reader.connect() as conn:
            return {status: int(n) for status, n in await conn.execute(query)}

    async def inbound_stops_since(self, since: float) -> int:
        query = select(func.count()).where(
            s.inbound_messages.c.keyword == Keyword.STOP.value,
            s.inbound_messages.c.received_at >= since,
        )
        async with self._db.reader.connect() as conn:
            return int((await conn.execute(query)).scalar_one())

    async def nodes_alive(self, since: float) -> dict[str, int]:
        """Gateway processes by role with a heartbeat since `since` (PostgreSQL; SQLite: {})."""
        query = (
            select(s.nodes.c.role, func.count())
            .where(s.nodes.c.heartbeat_at >= since)
            .group_by(s.nodes.c.role)
        )
        async with self._db.reader.connect() as conn:
            return {role: int(n) for role, n in await conn.execute(query)}

    async def bind_leases(self) -> list[BindLease]:
        """Every bind slot's lease row (PostgreSQL; SQLite: none)."""
        t = s.smpp_binds
        query = select(t.c.connection, t.c.slot, t.c.owner, t.c.lease_until).order_by(
            t.c.connection, t.c.slot
        )
        async with self._db.reader.connect() as conn:
            return [BindLease(*row) for row in await conn.execute(query)]

    async def webhook_backlog(self) -> int:
        """Webhook deliveries still to make, every realm's (pending: new or retrying)."""
        async with self._db.reader.connect() as conn:
            return int(await conn.scalar(backlog_count()) or 0)
