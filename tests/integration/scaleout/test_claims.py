"""Claims by several dispatchers on one database: each message exactly once, none skipped."""

import asyncio
from collections import Counter

import pytest
from sqlalchemy import insert

from smsgate.store import schema as s
from smsgate.store.database import Database
from smsgate.store.queue import QueueStore
from tests.integration.scaleout.conftest import (
    Node,
    NodeFactory,
    add_realm,
    queue_messages,
    statuses,
)
from tests.support.waiting import scaled

pytestmark = pytest.mark.postgres


async def drain(node: Node, batch: int, log: list[str]) -> None:
    """Claim until the queue is empty, yielding between claims like a busy dispatcher."""
    while True:
        claimed, opted_out = await node.queue.claim_next(batch)
        assert not opted_out
        if not claimed:
            return
        log.extend(m.id for m in claimed)
        await asyncio.sleep(0)


async def test_two_dispatchers_claim_2000_messages_each_exactly_once(
    pg: Database, postgres_url: str, nodes: NodeFactory
) -> None:
    realm_id = await add_realm(pg)
    ids = await queue_messages(pg, realm_id, 2000)
    a, b = await nodes(postgres_url, "node-a"), await nodes(postgres_url, "node-b")
    got_a: list[str] = []
    got_b: list[str] = []
    # Several concurrent claimers per node too: more contention than two processes would have.
    await asyncio.gather(
        *(drain(a, 37, got_a) for _ in range(3)), *(drain(b, 41, got_b) for _ in range(3))
    )
    counts = Counter(got_a + got_b)
    assert set(counts) == set(ids)  # none skipped
    assert max(counts.values()) == 1  # none twice
    assert got_a and got_b  # both really took part
    final = await statuses(pg)
    assert all(final[i] == ("sending", "node-a") for i in got_a)
    assert all(final[i] == ("sending", "node-b") for i in got_b)


async def test_handoff_claims_and_polling_claims_never_overlap(
    pg: Database, postgres_url: str, nodes: NodeFactory
) -> None:
    """One node claims its own hand-off ids while the other polls with SKIP LOCKED."""
    realm_id = await add_realm(pg)
    ids = await queue_messages(pg, realm_id, 600)
    a, b = await nodes(postgres_url, "node-a"), await nodes(postgres_url, "node-b")
    by_handoff: list[str] = []
    by_poll: list[str] = []

    async def handoff() -> None:
        for start in range(0, len(ids), 50):
            claimed, _ = await a.queue.claim(ids[start : start + 50])
            by_handoff.extend(m.id for m in claimed)
            await asyncio.sleep(0)

    await asyncio.gather(handoff(), drain(b, 25, by_poll))
    await drain(b, 25, by_poll)  # what the hand-off found taken is not queued any more
    counts = Counter(by_handoff + by_poll)
    assert set(counts) == set(ids)
    assert max(counts.values()) == 1


async def test_claims_come_oldest_first(
    pg: Database, postgres_url: str, nodes: NodeFactory
) -> None:
    realm_id = await add_realm(pg)
    ids = await queue_messages(pg, realm_id, 30)
    a = await nodes(postgres_url, "node-a")
    claimed, _ = await a.queue.claim_next(10)
    assert [m.id for m in claimed] == ids[:10]


async def test_a_row_locked_by_another_transaction_is_skipped_not_waited_for(
    pg: Database, postgres_url: str, nodes: NodeFactory
) -> None:
    realm_id = await add_realm(pg)
    ids = await queue_messages(pg, realm_id, 5)
    a = await nodes(postgres_url, "node-a")
    async with pg.write_engine.connect() as conn:
        await conn.begin()
        await conn.exec_driver_sql(f"SELECT id FROM messages WHERE id = '{ids[0]}' FOR UPDATE")
        async with asyncio.timeout(scaled(30)):  # would block forever without SKIP LOCKED
            claimed, _ = await a.queue.claim_next(10)
        await conn.rollback()
    assert [m.id for m in claimed] == ids[1:]
    claimed, _ = await a.queue.claim_next(10)
    assert [m.id for m in claimed] == ids[:1]  # skipped, never lost


async def test_a_node_that_is_not_registered_claims_nothing(
    pg: Database, postgres_url: str, nodes: NodeFactory
) -> None:
    """A node declared dead (row deleted) must not claim until its heartbeat registers it
    again: the reaper would queue what it claims again at once."""
    realm_id = await add_realm(pg)
    ids = await queue_messages(pg, realm_id, 3)
    a = await nodes(postgres_url, "node-a")
    await a.nodes.deregister("node-a")
    assert await a.queue.claim_next(10) == ([], [])
    assert await a.queue.claim(ids) == ([], [])
    assert not await a.nodes.heartbeat(a.identity)  # learns it was gone; registers again
    claimed, _ = await a.queue.claim_next(10)
    assert [m.id for m in claimed] == ids


async def test_messages_of_a_connection_without_binds_here_are_left_to_others(
    pg: Database, postgres_url: str, nodes: NodeFactory
) -> None:
    """`unheld`: the route is the sender code's connection, else the default connection."""
    realm_id = await add_realm(pg)
    async with pg.write_engine.begin() as conn:
        await conn.execute(
            insert(s.sender_codes),
            [
                {"realm_id": realm_id, "code": "111", "connection": "east", "created_at": 0},
                {"realm_id": realm_id, "code": "222", "connection": "west", "created_at": 0},
            ],
        )
    east = await queue_messages(pg, realm_id, 3, sender="111")
    west = await queue_messages(pg, realm_id, 3, sender="222")
    default = await queue_messages(pg, realm_id, 3)  # SENDER has no connection: default
    a = await nodes(postgres_url, "node-a")
    queue = QueueStore(a.db, a.hot, owner="node-a", default_route="west")
    claimed, _ = await queue.claim_next(100, unheld=["west"])
    assert {m.id for m in claimed} == set(east)
    claimed, _ = await queue.claim(west + default, unheld=["west"])
    assert claimed == []
    claimed, _ = await queue.claim_next(100, unheld=["east"])
    assert {m.id for m in claimed} == set(west + default)


async def test_opt_outs_are_read_again_at_claim(
    pg: Database, postgres_url: str, nodes: NodeFactory
) -> None:
    realm_id = await add_realm(pg)
    ids = await queue_messages(pg, realm_id, 2)
    async with pg.write_engine.begin() as conn:
        phone = await conn.exec_driver_sql(f"SELECT phone FROM messages WHERE id = '{ids[0]}'")
        await conn.execute(
            insert(s.opt_outs).values(
                realm_id=realm_id, phone=phone.scalar_one(), source="cli", created_at=0
            )
        )
    a = await nodes(postgres_url, "node-a")
    claimed, opted_out = await a.queue.claim_next(10)
    assert [m.id for m in claimed] == ids[1:]
    assert opted_out == ids[:1]
    assert (await statuses(pg))[ids[0]][0] == "failed"


async def test_release_gives_back_only_this_nodes_messages(
    pg: Database, postgres_url: str, nodes: NodeFactory
) -> None:
    realm_id = await add_realm(pg)
    ids = await queue_messages(pg, realm_id, 4)
    a, b = await nodes(postgres_url, "node-a"), await nodes(postgres_url, "node-b")
    await a.queue.claim(ids[:2])
    await b.queue.claim(ids[2:])
    await a.queue.release(ids)  # a's stale view: ids[2:] are b's now
    final = await statuses(pg)
    assert [final[i] for i in ids] == [
        ("queued", None),
        ("queued", None),
        ("sending", "node-b"),
        ("sending", "node-b"),
    ]
