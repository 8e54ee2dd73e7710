"""The `nodes` table: which gateway processes are alive, and the reaper of dead ones' work.

On PostgreSQL several processes share the queue (docs/adr/0004). Each one registers a row in
`nodes` and renews its `heartbeat_at` (`delivery.membership` drives it). A node whose heartbeat
is older than the node timeout is dead; the reaper deletes dead nodes' rows, frees their SMPP
bind slots and queues again every `sending` message whose owner is not a registered node, all
in one transaction.

Times are the DATABASE clock (`db_now`), so nodes' clocks may disagree; only the database's must
be steady. On SQLite there is a single dispatcher and none of this runs.
"""

import time
from collections.abc import Callable

from sqlalchemy import Double, cast, delete, func, literal, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.elements import ColumnElement

from smsgate.domain.model import Status
from smsgate.domain.node import NodeIdentity, Reaped
from smsgate.store import schema as s
from smsgate.store.database import Database


def db_now(conn: AsyncConnection) -> ColumnElement[float]:
    """Now, in epoch seconds, by the database's clock (PostgreSQL); SQLite has one node, so its
    own clock is the only one."""
    if conn.dialect.name == "postgresql":
        return cast(func.extract("epoch", func.clock_timestamp()), Double)
    return literal(time.time(), Double)


def dialect_insert(conn: AsyncConnection) -> Callable[..., "postgresql.Insert"]:
    """INSERT with ON CONFLICT support for the connection's dialect."""
    if conn.dialect.name == "postgresql":
        return postgresql.insert
    return sqlite.insert  # type: ignore[return-value]  # same builder API


class NodeStore:
    """The `nodes` table and the reaper."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def register(self, node: NodeIdentity) -> None:
        async with self._db.write_engine.begin() as conn:
            await self._register(conn, node)

    @staticmethod
    async def _register(conn: AsyncConnection, node: NodeIdentity) -> None:
        now = db_now(conn)
        stmt = dialect_insert(conn)(s.nodes).values(
            node_id=node.node_id,
            role=node.role,
            hostname=node.hostname,
            pid=node.pid,
            started_at=now,
            heartbeat_at=now,
        )
        await conn.execute(
            stmt.on_conflict_do_update(
                index_elements=[s.nodes.c.node_id], set_={"heartbeat_at": now}
            )
        )

    async def heartbeat(self, node: NodeIdentity) -> bool:
        """Renew the heartbeat. False if the row was gone (this node had been declared dead);
        it is registered again."""
        async with self._db.write_engine.begin() as conn:
            result = await conn.execute(
                update(s.nodes)
                .where(s.nodes.c.node_id == node.node_id)
                .values(heartbeat_at=db_now(conn))
            )
            if result.rowcount:
                return True
            await self._register(conn, node)
            return False

    async def deregister(self, node_id: str) -> None:
        async with self._db.write_engine.begin() as conn:
            await conn.execute(delete(s.nodes).where(s.nodes.c.node_id == node_id))

    async def reap(self, node_timeout: float) -> Reaped:
        """Delete dead nodes; free their bind slots; queue again every `sending` message whose
        owner is not a registered node (a dead one, or none at all); count the nodes left.

        Those left are the live ones, counted in the same transaction: a node is either reaped
        or counted alive. (Counted apart, by a later clock reading, a node could go past the
        timeout in between: counted dead, yet its row, its slots and its messages still there
        until the next pass.)"""
        async with self._db.write_engine.begin() as conn:
            dead = list(
                (
                    await conn.execute(
                        delete(s.nodes)
                        .where(s.nodes.c.heartbeat_at < db_now(conn) - node_timeout)
                        .returning(s.nodes.c.node_id)
                    )
                ).scalars()
            )
            registered = select(s.nodes.c.node_id)
            freed = await conn.execute(
                update(s.smpp_binds)
                .where(s.smpp_binds.c.owner.is_not(None), s.smpp_binds.c.owner.not_in(registered))
                .values(owner=None, lease_until=0.0)
            )
            requeued = await conn.execute(
                update(s.messages)
                .where(
                    s.messages.c.status == Status.SENDING.value,
                    or_(s.messages.c.owner.is_(None), s.messages.c.owner.not_in(registered)),
                )
                .values(
                    status=Status.QUEUED.value, owner=None, claimed_at=None, updated_at=time.time()
                )
            )
            left = await conn.execute(select(s.nodes.c.role, func.count()).group_by(s.nodes.c.role))
            alive = {role: int(n) for role, n in left}
        return Reaped(dead, int(requeued.rowcount or 0), int(freed.rowcount or 0), alive)

    async def alive(self, node_timeout: float) -> dict[str, int]:
        """Live nodes by role."""
        async with self._db.write_engine.connect() as conn:
            rows = await conn.execute(
                select(s.nodes.c.role, func.count())
                .where(s.nodes.c.heartbeat_at >= db_now(conn) - node_timeout)
                .group_by(s.nodes.c.role)
            )
            return {role: int(n) for role, n in rows}

    async def oldest_queued_age(self) -> float:
        """Seconds the oldest queued message has waited (0 when none); index-only, cheap."""
        async with self._db.reader.connect() as conn:
            created = await conn.scalar(
                select(s.messages.c.created_at)
                .where(s.messages.c.status == Status.QUEUED.value)
                .order_by(s.messages.c.id)
                .limit(1)
            )
        return max(0.0, time.time() - created) if created is not None else 0.0
