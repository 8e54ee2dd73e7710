"""Which gateway processes are alive, and what happens to the work of one that died.

On PostgreSQL several processes share the queue (docs/adr/0004). Each one registers a row in
`nodes` and renews its `heartbeat_at` every `heartbeat_interval`; a dispatcher claims messages
under its node id (`messages.owner`). A node whose heartbeat is older than `node_timeout` is
dead. Every live dispatcher, every heartbeat, runs the reaper: in one transaction it deletes
dead nodes' rows, frees their SMPP bind slots, and queues again every `sending` message whose
owner is not a registered node. Those are sent again (only parts without an SMSC id): delivery
stays at-least-once, and a message is never stranded by a crash.

Times are the DATABASE clock (`db_now`), so nodes' clocks may disagree; only the database's must
be steady. A node that was paused longer than `node_timeout` (and so declared dead) finds its
row gone at its next heartbeat: it registers again (counted in `smsgate_node_fenced`) and keeps
going; what it was sending may then be sent twice, never lost.

On SQLite there is a single dispatcher; it queues every `sending` message again at start
(`QueueStore.recover`) and none of this runs.
"""

import asyncio
import logging
import os
import secrets
import socket
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from sqlalchemy import Double, cast, delete, func, literal, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.elements import ColumnElement

from smsgate.domain.model import Status
from smsgate.metrics import (
    NODES_ALIVE,
    NODES_FENCED,
    QUEUE_OLDEST_AGE,
    REQUEUED_FROM_DEAD_NODES,
)
from smsgate.store import schema as s
from smsgate.store.database import Database

log = logging.getLogger(__name__)

ROLE_API = "api"  # serve --no-dispatch
ROLE_DISPATCH = "dispatch"  # smsgate dispatch
ROLE_ALL = "all"  # serve: API and dispatcher
ROLES = (ROLE_API, ROLE_DISPATCH, ROLE_ALL)
DISPATCH_ROLES = (ROLE_DISPATCH, ROLE_ALL)


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


def new_node_id() -> str:
    """host-pid-random: readable in `nodes`, and never reused by a restarted process."""
    host = socket.gethostname().split(".")[0][:40] or "node"
    return f"{host}-{os.getpid()}-{secrets.token_hex(3)}"


@dataclass(frozen=True, slots=True)
class NodeIdentity:
    node_id: str
    role: str
    hostname: str
    pid: int

    @classmethod
    def this_process(cls, role: str, node_id: str | None = None) -> "NodeIdentity":
        if role not in ROLES:
            raise ValueError(f"unknown role {role!r}")
        return cls(node_id or new_node_id(), role, socket.gethostname()[:255], os.getpid())


@dataclass(frozen=True, slots=True)
class Reaped:
    dead: list[str]  # node ids whose rows were deleted
    requeued: int  # `sending` messages queued again
    freed_slots: int  # SMPP bind slots released
    alive: dict[str, int]  # the nodes left, by role: every one of them counts as alive


class NodeStore:
    """The `nodes` table and the reaper."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def register(self, node: NodeIdentity) -> None:
        async with self._db.writer.begin() as conn:
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
        async with self._db.writer.begin() as conn:
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
        async with self._db.writer.begin() as conn:
            await conn.execute(delete(s.nodes).where(s.nodes.c.node_id == node_id))

    async def reap(self, node_timeout: float) -> Reaped:
        """Delete dead nodes; free their bind slots; queue again every `sending` message whose
        owner is not a registered node (a dead one, or none at all); count the nodes left.

        Those left are the live ones, counted in the same transaction: a node is either reaped
        or counted alive. (Counted apart, by a later clock reading, a node could go past the
        timeout in between: counted dead, yet its row, its slots and its messages still there
        until the next pass.)"""
        async with self._db.writer.begin() as conn:
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
        async with self._db.writer.connect() as conn:
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


class Membership:
    """This process's row in `nodes`: registration, heartbeat and, for a dispatcher, the
    periodic coordination (reaper, live-dispatcher count, bind leases)."""

    def __init__(
        self,
        store: NodeStore,
        node: NodeIdentity,
        *,
        node_timeout: float,
        heartbeat_interval: float,
        coordinate: Callable[[int], Awaitable[None]] | None = None,
    ) -> None:
        """`coordinate(live_dispatchers)` runs after every reaper pass (dispatchers only)."""
        self.store = store
        self.node = node
        self.node_timeout = node_timeout
        self.interval = heartbeat_interval
        self._coordinate_hook = coordinate
        self.live_dispatchers = 1
        self._heartbeat_task: asyncio.Task[None] | None = None
        self._coordinator_task: asyncio.Task[None] | None = None
        self._registered = False

    @property
    def is_dispatcher(self) -> bool:
        return self.node.role in DISPATCH_ROLES

    async def start(self) -> None:
        """Register, and for a dispatcher run one coordination pass before returning (so binds
        are being opened and orphaned messages are queued again before claiming starts)."""
        await self.store.register(self.node)
        self._registered = True
        log.info("node %s registered (role %s)", self.node.node_id, self.node.role)
        self._heartbeat_task = asyncio.create_task(self._heartbeats(), name="smsgate-heartbeat")
        if self.is_dispatcher:
            await self.coordinate()
            self._coordinator_task = asyncio.create_task(
                self._coordinator(), name="smsgate-coordinator"
            )

    async def stop_coordinating(self) -> None:
        """Stop reaping and lease management (before the dispatcher stops); heartbeats go on,
        so that nobody takes this node for dead while it finishes."""
        await _cancel(self._coordinator_task)
        self._coordinator_task = None

    async def stop(self) -> None:
        """Stop heartbeats and delete this node's row: anything it left `sending` is queued
        again by the next reaper pass of another dispatcher."""
        await self.stop_coordinating()
        await _cancel(self._heartbeat_task)
        self._heartbeat_task = None
        if self._registered:
            self._registered = False
            try:
                await self.store.deregister(self.node.node_id)
            except Exception as exc:  # the row then expires like a dead node's
                log.warning("node %s: cannot deregister: %s", self.node.node_id, exc)

    async def _heartbeats(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            try:
                async with asyncio.timeout(self.interval * 2):
                    fresh = await self.store.heartbeat(self.node)
            except Exception as exc:
                log.warning("node %s: heartbeat failed: %s", self.node.node_id, exc)
                continue
            if not fresh:
                NODES_FENCED.inc()
                log.error(
                    "node %s had been declared dead (no heartbeat for %.0fs); its messages were "
                    "queued again and may be sent twice; registered again",
                    self.node.node_id,
                    self.node_timeout,
                )

    async def _coordinator(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            await self.coordinate()

    async def coordinate(self) -> None:
        """One pass: reap dead nodes, count live dispatchers, then the `coordinate` hook."""
        try:
            async with asyncio.timeout(max(self.interval * 2, 1.0)):
                reaped = await self.store.reap(self.node_timeout)
                QUEUE_OLDEST_AGE.set(await self.store.oldest_queued_age())
        except Exception as exc:
            log.warning("node %s: reaper pass failed: %s", self.node.node_id, exc)
        else:
            if reaped.dead:
                log.warning(
                    "nodes %s are dead (no heartbeat for %.0fs): freed %d bind slots",
                    ", ".join(reaped.dead),
                    self.node_timeout,
                    reaped.freed_slots,
                )
            if reaped.requeued:
                REQUEUED_FROM_DEAD_NODES.inc(reaped.requeued)
                log.warning(
                    "queued %d messages again that dead nodes were sending", reaped.requeued
                )
            for role in ROLES:
                NODES_ALIVE.labels(role).set(reaped.alive.get(role, 0))
            self.live_dispatchers = max(1, sum(reaped.alive.get(r, 0) for r in DISPATCH_ROLES))
        if self._coordinate_hook is not None:
            await self._coordinate_hook(self.live_dispatchers)


async def _cancel(task: asyncio.Task[None] | None) -> None:
    if task is not None:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
