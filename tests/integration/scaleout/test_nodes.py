"""Nodes, heartbeats and the reaper: a dead dispatcher's messages are sent by the others."""

import asyncio
import time
from collections.abc import Awaitable, Callable

import pytest
from sqlalchemy import insert, update

from smsgate.bootstrap import ensure_schema
from smsgate.delivery.membership import Membership, new_node_id
from smsgate.domain.node import ROLE_API, ROLE_DISPATCH, NodeIdentity
from smsgate.store import schema as s
from smsgate.store.database import Database
from smsgate.store.migrate import current_revision, head_revision
from smsgate.store.nodes import NodeStore
from tests.integration.scaleout.conftest import (
    NodeFactory,
    add_realm,
    age_heartbeat,
    queue_messages,
    statuses,
)
from tests.support.waiting import eventually, scaled

pytestmark = pytest.mark.postgres


def test_node_ids_are_unique_per_process_start() -> None:
    assert len({new_node_id() for _ in range(100)}) == 100
    assert len(new_node_id()) <= 64


async def test_register_heartbeat_alive_deregister(pg: Database) -> None:
    registry = NodeStore(pg)
    api = NodeIdentity("api-1", ROLE_API, "h", 1)
    dispatcher = NodeIdentity("disp-1", ROLE_DISPATCH, "h", 2)
    await registry.register(api)
    await registry.register(dispatcher)
    assert await registry.heartbeat(api)
    assert await registry.alive(15.0) == {ROLE_API: 1, ROLE_DISPATCH: 1}
    await age_heartbeat(pg, "api-1", 20.0)
    assert await registry.alive(15.0) == {ROLE_DISPATCH: 1}
    await registry.deregister("disp-1")
    assert await registry.alive(15.0) == {}


async def test_a_dead_nodes_sending_messages_are_queued_again_and_sent_by_another(
    pg: Database, postgres_url: str, nodes: NodeFactory
) -> None:
    realm_id = await add_realm(pg)
    ids = await queue_messages(pg, realm_id, 10, parts=2)
    a, b = await nodes(postgres_url, "node-a"), await nodes(postgres_url, "node-b")
    claimed, _ = await a.queue.claim_next(6)
    assert len(claimed) == 6
    # a got the SMSC's answer for part 1 of its first message, then died.
    async with pg.write_engine.begin() as conn:
        await conn.execute(
            insert(s.message_parts).values(
                message_id=ids[0],
                part_no=1,
                connection="c",
                smsc_message_id="abc",
                status="sent",
                updated_at=0,
            )
        )

    assert (await b.nodes.reap(15.0)).requeued == 0  # a is alive: nothing to take over
    await age_heartbeat(pg, "node-a", 16.0)
    reaped = await b.nodes.reap(15.0)
    assert (reaped.dead, reaped.requeued) == (["node-a"], 6)
    assert {v for k, v in (await statuses(pg)).items()} == {("queued", None)}

    again, _ = await b.queue.claim_next(100)
    assert [m.id for m in again] == ids  # every one, in order
    done = {m.id: m.done_parts for m in again}
    assert done[ids[0]] == {1}  # only the part without an SMSC id is sent again
    assert all(done[i] == frozenset() for i in ids[1:])


async def test_the_reaper_leaves_live_nodes_alone_and_takes_orphans(
    pg: Database, postgres_url: str, nodes: NodeFactory
) -> None:
    realm_id = await add_realm(pg)
    ids = await queue_messages(pg, realm_id, 4)
    a, b = await nodes(postgres_url, "node-a"), await nodes(postgres_url, "node-b")
    await a.queue.claim(ids[:2])
    async with pg.write_engine.begin() as conn:  # `sending` with no owner (claimed before 0002)
        await conn.execute(
            update(s.messages).where(s.messages.c.id.in_(ids[2:])).values(status="sending")
        )
    assert (await b.nodes.reap(15.0)).requeued == 2
    final = await statuses(pg)
    assert [final[i] for i in ids] == [
        ("sending", "node-a"),
        ("sending", "node-a"),
        ("queued", None),
        ("queued", None),
    ]


async def test_a_node_declared_dead_registers_again_at_its_next_heartbeat(
    pg: Database, postgres_url: str, nodes: NodeFactory
) -> None:
    a, b = await nodes(postgres_url, "node-a"), await nodes(postgres_url, "node-b")
    await age_heartbeat(pg, "node-a", 16.0)
    assert (await b.nodes.reap(15.0)).dead == ["node-a"]
    assert not await a.nodes.heartbeat(a.identity)  # fenced: it learns, and comes back
    assert await a.nodes.heartbeat(a.identity)
    assert await b.nodes.alive(15.0) == {ROLE_DISPATCH: 2}


async def test_membership_detects_a_silent_node_within_timeout_plus_two_heartbeats(
    pg: Database, postgres_url: str, nodes: NodeFactory
) -> None:
    """Real time, short timeouts: B sees A die, reaps it and counts one dispatcher left."""
    timeout, interval = 2.0, 0.2
    crashed = await nodes(postgres_url, "node-a")  # never heard of after its last heartbeat
    b = await nodes(postgres_url, "node-b")
    seen: list[int] = []
    alone = asyncio.Event()

    async def coordinate(live: int) -> None:
        seen.append(live)
        if live == 1:
            alone.set()

    membership = Membership(
        b.nodes,
        b.identity,
        node_timeout=timeout,
        heartbeat_interval=interval,
        coordinate=coordinate,
    )
    last_heard = time.monotonic()
    await crashed.nodes.heartbeat(crashed.identity)
    await membership.start()
    try:
        # The deadline is the bound under test, with room for a loaded machine.
        async with asyncio.timeout(scaled(timeout + 2 * interval + 3.0)):
            await alone.wait()
        took = time.monotonic() - last_heard
    finally:
        await membership.stop()
    assert seen[0] == 2  # a counted while its heartbeat was fresh
    assert took >= timeout * 0.9  # not before its heartbeat was `timeout` old
    # Counted dead means reaped in the same pass: a's row is gone; b deregistered on stop.
    assert await b.nodes.alive(60.0) == {}
    assert crashed.identity.node_id != b.identity.node_id


async def test_membership_heartbeats_keep_a_node_alive(
    pg: Database, postgres_url: str, nodes: NodeFactory
) -> None:
    """A node that looks silent for twice the timeout is alive again at its next heartbeat
    (its heartbeat is aged in the database instead of waiting for time to pass)."""
    timeout, interval = 10.0, 0.5
    a = await nodes(postgres_url, "node-a")
    observer = NodeStore(pg)  # another process's view
    membership = Membership(a.nodes, a.identity, node_timeout=timeout, heartbeat_interval=interval)

    async def alive_again() -> bool:
        return await observer.alive(timeout) == {ROLE_DISPATCH: 1}

    await membership.start()
    try:
        for _ in range(3):
            await age_heartbeat(pg, "node-a", 2 * timeout)
            await eventually(alive_again, timeout=30, what="a heartbeat after the silence")
            assert (await observer.reap(timeout)).dead == []
    finally:
        await membership.stop()
    assert await observer.alive(60.0) == {}  # a graceful stop removes the row at once


async def test_nodes_starting_together_on_an_empty_database_create_the_schema_once(
    postgres_url: str, databases: Callable[[str], Awaitable[Database]]
) -> None:
    """Several processes started at once: one creates the schema, the others wait for it
    (without the advisory lock the losers crash in CREATE TABLE)."""
    engines = [await databases(postgres_url) for _ in range(4)]
    await asyncio.gather(*(ensure_schema(db) for db in engines))
    assert {await current_revision(db) for db in engines} == {head_revision()}
