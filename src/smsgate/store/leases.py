"""The `smpp_binds` rows: leases on an SMSC account's bind slots, shared by several dispatchers.

Each slot 0..binds-1 of a connection is a row; a dispatcher holds a slot while `owner` is its
node id and `lease_until` (the database clock) is in the future. Acquiring is one conditional
UPDATE (`owner IS NULL OR lease_until < now`, SKIP LOCKED on PostgreSQL), so two dispatchers can
never both win a slot. The policy (fair shares, unbind before release) is `delivery.leases`.
"""

from collections.abc import Iterable

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from smsgate.store import schema as s
from smsgate.store.database import Database
from smsgate.store.nodes import db_now, dialect_insert


class LeaseStore:
    """The `smpp_binds` rows of one owner (this node)."""

    def __init__(self, db: Database, owner: str, *, lease_seconds: float) -> None:
        self._db = db
        self.owner = owner
        self.lease_seconds = lease_seconds

    async def renew(self, connection: str, binds: int) -> frozenset[int]:
        """Extend every lease this owner holds on `connection`; returns those slots. Creates
        the slot rows on first use."""
        async with self._db.write_engine.begin() as conn:
            await self._ensure_slots(conn, connection, binds)
            t = s.smpp_binds.c
            rows = await conn.execute(
                update(s.smpp_binds)
                .where(t.connection == connection, t.owner == self.owner, t.slot < binds)
                .values(lease_until=db_now(conn) + self.lease_seconds)
                .returning(t.slot)
            )
            return frozenset(rows.scalars())

    async def acquire(self, connection: str, binds: int, count: int) -> frozenset[int]:
        """Take up to `count` free or expired slots of `connection`; returns those taken."""
        if count <= 0:
            return frozenset()
        async with self._db.write_engine.begin() as conn:
            await self._ensure_slots(conn, connection, binds)
            t = s.smpp_binds.c
            now = db_now(conn)
            free = or_(t.owner.is_(None), t.lease_until < now)
            # MATERIALIZED: the locking pick runs once. As a plain `IN (SELECT ... LIMIT n FOR
            # UPDATE SKIP LOCKED)` PostgreSQL may run it again per row and take more than n.
            pick = (
                select(t.slot)
                .where(t.connection == connection, t.slot < binds, free)
                .order_by(t.slot)
                .limit(count)
                .with_for_update(skip_locked=True)
                .cte("picked")
                .prefix_with("MATERIALIZED")
            )
            rows = await conn.execute(
                update(s.smpp_binds)
                .where(t.connection == connection, t.slot.in_(select(pick.c.slot)), free)
                .values(owner=self.owner, lease_until=now + self.lease_seconds)
                .returning(t.slot)
            )
            return frozenset(rows.scalars())

    async def release(self, connection: str, slots: Iterable[int]) -> None:
        slots = list(slots)
        if not slots:
            return
        async with self._db.write_engine.begin() as conn:
            t = s.smpp_binds.c
            await conn.execute(
                update(s.smpp_binds)
                .where(t.connection == connection, t.owner == self.owner, t.slot.in_(slots))
                .values(owner=None, lease_until=0.0)
            )

    async def release_all(self) -> None:
        async with self._db.write_engine.begin() as conn:
            await conn.execute(
                update(s.smpp_binds)
                .where(s.smpp_binds.c.owner == self.owner)
                .values(owner=None, lease_until=0.0)
            )

    async def holders(self, connection: str) -> dict[int, str | None]:
        """slot -> owner with an unexpired lease (None: free), for monitoring and tests."""
        async with self._db.write_engine.connect() as conn:
            t = s.smpp_binds.c
            rows = await conn.execute(
                select(t.slot, t.owner, t.lease_until >= db_now(conn))
                .where(t.connection == connection)
                .order_by(t.slot)
            )
            return {slot: owner if live else None for slot, owner, live in rows}

    @staticmethod
    async def _ensure_slots(conn: AsyncConnection, connection: str, binds: int) -> None:
        stmt = dialect_insert(conn)(s.smpp_binds).values(
            [
                {"connection": connection, "slot": slot, "owner": None, "lease_until": 0.0}
                for slot in range(binds)
            ]
        )
        await conn.execute(stmt.on_conflict_do_nothing())
