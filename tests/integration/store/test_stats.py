"""The counts of `smsgate status` on the real databases: the queue by status, messages made
since a time (found by id), inbound STOPs since a time, nodes and bind leases."""

import time
from collections.abc import Awaitable, Callable

from sqlalchemy import insert

from smsgate.bootstrap import Gateway
from smsgate.domain.binds import BindLease
from smsgate.ids import id_floor
from smsgate.store import schema as s
from smsgate.store.stats import StatsStore


def message_row(realm_id: int, made_at: float, status: str, n: int) -> dict[str, object]:
    # an id made at `made_at`: its time prefix, then any random part
    return {
        "id": id_floor(made_at)[:10] + f"{n:016d}",
        "realm_id": realm_id,
        "sender_code": "1001",
        "phone": f"1206555{n:04d}",
        "text": "hi",
        "encoding": "gsm7",
        "parts": 1,
        "status": status,
        "created_at": made_at,
        "updated_at": made_at,
    }


async def test_counts(gateway: Gateway, add_realm: Callable[..., Awaitable[int]]) -> None:
    realm = await add_realm(gateway, "stats")
    now = time.time()
    rows = [
        message_row(realm, now - 7200, "delivered", 1),  # two hours ago: before both windows
        message_row(realm, now - 1800, "delivered", 2),
        message_row(realm, now - 1700, "queued", 3),
        message_row(realm, now - 30, "sending", 4),
        message_row(realm, now - 20, "failed", 5),
        message_row(realm, now - 10, "queued", 6),
    ]
    stats = StatsStore(gateway.db)
    ours = await stats.nodes_alive(now - 15)  # on PostgreSQL, the test's gateway is a node
    inbound = {"realm_id": realm, "connection": "c", "sender_code": "1001", "phone": "1206"}
    async with gateway.db.write_engine.begin() as conn:
        await conn.execute(insert(s.messages), rows)
        await conn.execute(
            insert(s.inbound_messages),
            [
                {**inbound, "text": "STOP", "keyword": "stop", "received_at": now - 100},
                {**inbound, "text": "STOP", "keyword": "stop", "received_at": now - 90_000},
                {**inbound, "text": "hi", "keyword": "none", "received_at": now - 50},
            ],
        )
        await conn.execute(
            insert(s.smpp_binds),
            [
                {"connection": "c", "slot": 0, "owner": "n1", "lease_until": now + 10},
                {"connection": "c", "slot": 1, "owner": None, "lease_until": 0.0},
            ],
        )
        await conn.execute(
            insert(s.nodes),
            [
                {"node_id": "n1", "role": "all", "hostname": "h", "pid": 1,
                 "started_at": now, "heartbeat_at": now},
                {"node_id": "n2", "role": "api", "hostname": "h", "pid": 2,
                 "started_at": now, "heartbeat_at": now - 600},
            ],
        )  # fmt: skip
    assert await stats.queue_depth() == {"queued": 2, "sending": 1}
    assert await stats.made_since(now - 60) == {"sending": 1, "failed": 1, "queued": 1}
    assert await stats.made_since(now - 3600) == {
        "delivered": 1, "queued": 2, "sending": 1, "failed": 1,
    }  # fmt: skip
    assert await stats.inbound_stops_since(now - 3600) == 1
    assert await stats.nodes_alive(now - 15) == {**ours, "all": 1}  # n2 is silent
    assert await stats.bind_leases() == [
        BindLease("c", 0, "n1", now + 10),
        BindLease("c", 1, None, 0.0),
    ]
