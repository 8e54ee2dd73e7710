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
(`delivery.intake.LocalIntake.recover`) and none of this runs.
"""

import asyncio
import logging
import os
import secrets
import socket
from collections.abc import Awaitable, Callable
from typing import Protocol

from smsgate.domain.node import DISPATCH_ROLES, ROLE_DISPATCH, ROLES, NodeIdentity, Reaped
from smsgate.metrics import (
    NODES_ALIVE,
    NODES_FENCED,
    QUEUE_OLDEST_AGE,
    REQUEUED_FROM_DEAD_NODES,
)

__all__ = ["ROLE_DISPATCH", "Membership", "NodeRegistry", "new_node_id", "this_process"]

log = logging.getLogger(__name__)


def new_node_id() -> str:
    """host-pid-random: readable in `nodes`, and never reused by a restarted process."""
    host = socket.gethostname().split(".")[0][:40] or "node"
    return f"{host}-{os.getpid()}-{secrets.token_hex(3)}"


def this_process(role: str, node_id: str | None = None) -> NodeIdentity:
    """This process as a node of `role` (its id: `node_id`, or a new one)."""
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}")
    return NodeIdentity(node_id or new_node_id(), role, socket.gethostname()[:255], os.getpid())


class NodeRegistry(Protocol):
    """The `nodes` table as membership uses it (`store.nodes.NodeStore`)."""

    async def register(self, node: NodeIdentity) -> None: ...

    async def heartbeat(self, node: NodeIdentity) -> bool: ...

    async def deregister(self, node_id: str) -> None: ...

    async def reap(self, node_timeout: float) -> Reaped: ...

    async def oldest_queued_age(self) -> float: ...


class Membership:
    """This process's row in `nodes`: registration, heartbeat and, for a dispatcher, the
    periodic coordination (reaper, live-dispatcher count, bind leases)."""

    def __init__(
        self,
        store: NodeRegistry,
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
