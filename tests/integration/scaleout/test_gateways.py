"""Two dispatching gateways in one process on one PostgreSQL database, and the NOTIFY wake-up.

Each gateway is built exactly as `smsgate serve` builds one (bootstrap.build), with its own
engines, node id, bind leases and listener; only the process is shared. Process death is the
subject of tests/e2e/test_scaleout.py.
"""

import asyncio
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from sqlalchemy import func, select

from smsgate.bootstrap import Gateway, build
from smsgate.config import GatewayConfig, SmppConnectionConfig
from smsgate.domain.model import Message
from smsgate.ids import new_message_id
from smsgate.settings import Settings
from smsgate.smpp.reconnect import Backoff
from smsgate.store import schema as s
from smsgate.store.database import Database, open_database
from smsgate.store.leases import LeaseStore
from smsgate.store.notify import QueueListener, notify_queued
from smsgate.store.transactions import TransactionRunner, Tx
from tests.integration.scaleout.conftest import SENDER, CountingSMSC, add_realm, queue_messages
from tests.support.waiting import eventually, scaled

pytestmark = pytest.mark.postgres

CONNECTION = "carrier"


GatewayMaker = Callable[..., Awaitable[Gateway]]


@pytest.fixture
async def gateways(
    postgres_url: str, smsc: CountingSMSC, tmp_path: Any
) -> AsyncIterator[GatewayMaker]:
    made: list[Gateway] = []

    async def make(name: str, *, binds: int = 2, **settings: Any) -> Gateway:
        config = GatewayConfig(
            smpp=(
                SmppConnectionConfig(
                    name=CONNECTION,
                    host="127.0.0.1",
                    port=smsc.port,
                    system_id="gw",
                    password="pw",
                    binds=binds,
                    window=10,
                    default=True,
                    reconnect_initial=0.05,
                    reconnect_max=0.5,
                ),
            )
        )
        values: dict[str, Any] = {
            "data_dir": tmp_path,
            "database_url": postgres_url,
            "dispatch": True,
            "node_id": name,
            "node_timeout": 10.0,  # no node dies here: leases must outlast a loaded machine
            "heartbeat_interval": 0.2,
            "poll_interval": 0.2,
        }
        values.update(settings)
        gateway = build(Settings(**values), config)
        made.append(gateway)
        await gateway.start()
        return gateway

    yield make
    for gateway in reversed(made):
        await gateway.stop()


def texts(smsc: CountingSMSC) -> Counter[str]:
    return Counter(pdu.short_message.decode() for pdu in smsc.submitted)


async def owners(db: Database) -> Counter[str | None]:
    async with db.reader.connect() as conn:
        rows = await conn.execute(
            select(s.messages.c.owner, func.count()).group_by(s.messages.c.owner)
        )
        return Counter({owner: n for owner, n in rows})


async def test_two_dispatchers_share_the_binds_and_send_every_message_once(
    gateways: GatewayMaker, smsc: CountingSMSC, postgres_url: str
) -> None:
    a = await gateways("node-a", dispatch_batch=20)  # small claims: both get some
    b = await gateways("node-b", dispatch_batch=20)
    leases = LeaseStore(a.db, "observer", lease_seconds=1)

    async def one_slot_each() -> bool:
        return sorted((await leases.holders(CONNECTION)).values(), key=str) == [
            "node-a",
            "node-b",
        ]

    await eventually(one_slot_each, timeout=30, what="one bind slot each")
    realm_id = await add_realm(a.db)
    # Queued by "another API process": straight into the table, then NOTIFY.
    ids = await queue_messages(a.db, realm_id, 400)
    hot = TransactionRunner(a.db)
    try:
        await hot.run(notify_queued)
    finally:
        await hot.close()
    await smsc.wait_for_submits(400, timeout=scaled(60))
    await a.statuses.flush()
    await b.statuses.flush()

    assert texts(smsc) == Counter({f"m{i}": 1 for i in range(len(ids))})
    by_owner = await owners(a.db)
    assert set(by_owner) == {"node-a", "node-b"} and sum(by_owner.values()) == 400
    assert smsc.max_bound == 2


async def test_a_dispatcher_without_a_bind_leaves_its_messages_to_the_one_with_it(
    gateways: GatewayMaker, smsc: CountingSMSC
) -> None:
    """binds = 1: B holds nothing, so what B's own API accepts is sent by A."""
    a = await gateways("node-a", binds=1)
    await smsc.wait_for("bound", 1)
    b = await gateways("node-b", binds=1)
    assert b.dispatcher is not None and not b.dispatcher.links[CONNECTION].held
    realm_id = await add_realm(b.db)
    now = time.time()
    for i in range(20):
        message = Message(
            id=new_message_id(),
            realm_id=realm_id,
            sender_code=SENDER,
            phone=f"1206555{i:04d}",
            text=f"b{i}",
            encoding="gsm7",
            parts=1,
            created_at=now,
        )
        await b.accepter.accept(message)  # hands off to B's dispatcher, which must pass
    await smsc.wait_for_submits(20, timeout=scaled(60))
    await a.statuses.flush()
    assert texts(smsc) == Counter({f"b{i}": 1 for i in range(20)})
    assert await owners(a.db) == Counter({"node-a": 20})
    assert smsc.max_bound == 1


async def test_the_listener_is_woken_by_committed_notifications_only(postgres_url: str) -> None:
    db = open_database(postgres_url)
    hot = TransactionRunner(db)
    wakes = 0
    changed = asyncio.Event()

    def woken() -> None:
        nonlocal wakes
        wakes += 1
        changed.set()

    async def wakes_reach(n: int) -> None:
        async with asyncio.timeout(scaled(30)):
            while wakes < n:
                changed.clear()
                await changed.wait()

    def rolled_back(tx: Tx) -> None:
        notify_queued(tx)
        raise RuntimeError("rollback")

    listener = QueueListener(postgres_url, woken, backoff=Backoff(0.5, 10.0))
    await listener.start()
    try:
        await listener.wait_listening()
        await wakes_reach(1)  # (re)connecting always wakes once: notifications may be lost
        with pytest.raises(RuntimeError):
            await hot.run(rolled_back)
        await hot.run(notify_queued)
        await wakes_reach(2)
        await hot.run(notify_queued)
        await wakes_reach(3)  # the rolled-back one would have arrived before these
        assert wakes == 3
    finally:
        await listener.stop()
        await hot.close()
        await db.dispose()
