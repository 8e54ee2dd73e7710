"""SMPP bind slots through leases: acquire, renew, expire, take over, share, never exceed.

Lease expiry is a matter of time passing: tests age leases in the database, and move the lease
manager's own clock forward, instead of waiting for time to pass (which a loaded machine turns
into a race with the renewals under test).
"""

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
from sqlalchemy import update

from smsgate.config import SmppConnectionConfig
from smsgate.delivery import leases as leases_module
from smsgate.delivery.leases import LeaseManager, fair_share
from smsgate.delivery.link import Link, LinkNotHeld
from smsgate.domain.node import ROLE_DISPATCH, NodeIdentity
from smsgate.smpp.pdu import DeliverSm
from smsgate.store import schema as s
from smsgate.store.database import Database
from smsgate.store.leases import LeaseStore
from smsgate.store.nodes import NodeStore
from tests.integration.scaleout.conftest import CountingSMSC, age_heartbeat

CONNECTION = "carrier"


def store(db: Database, owner: str, lease_seconds: float = 10.0) -> LeaseStore:
    return LeaseStore(db, owner, lease_seconds=lease_seconds)


@pytest.mark.parametrize(
    ("binds", "dispatchers", "share"),
    [(1, 1, 1), (4, 1, 4), (4, 2, 2), (5, 2, 3), (2, 3, 1), (3, 0, 3), (10, 4, 3)],
)
def test_fair_share(binds: int, dispatchers: int, share: int) -> None:
    assert fair_share(binds, dispatchers) == share


async def test_acquire_renew_release(any_db: Database) -> None:
    a, b = store(any_db, "a"), store(any_db, "b")
    assert await a.acquire(CONNECTION, 3, 2) == {0, 1}
    assert await b.acquire(CONNECTION, 3, 2) == {2}  # only what is free
    assert await b.acquire(CONNECTION, 3, 1) == frozenset()
    assert await a.renew(CONNECTION, 3) == {0, 1}
    assert await a.holders(CONNECTION) == {0: "a", 1: "a", 2: "b"}
    await a.release(CONNECTION, [1])
    assert await b.acquire(CONNECTION, 3, 1) == {1}
    await b.release_all()
    assert await a.holders(CONNECTION) == {0: "a", 1: None, 2: None}
    assert await b.renew(CONNECTION, 3) == frozenset()


async def test_slots_beyond_binds_are_never_handed_out(any_db: Database) -> None:
    a = store(any_db, "a")
    assert await a.acquire(CONNECTION, 4, 4) == {0, 1, 2, 3}
    await a.release_all()
    assert await a.acquire(CONNECTION, 2, 4) == {0, 1}  # binds lowered in the config
    assert await a.renew(CONNECTION, 1) == {0}


async def age_leases(db: Database, seconds: float) -> None:
    """Make every lease end `seconds` earlier (as if that much time had passed)."""
    async with db.write_engine.begin() as conn:
        await conn.execute(
            update(s.smpp_binds).values(lease_until=s.smpp_binds.c.lease_until - seconds)
        )


async def test_an_expired_lease_is_lost_to_the_next_taker(any_db: Database) -> None:
    a, b = store(any_db, "a", lease_seconds=10), store(any_db, "b")
    assert await a.acquire(CONNECTION, 1, 1) == {0}
    assert await b.acquire(CONNECTION, 1, 1) == frozenset()
    await age_leases(any_db, 11)  # the lease runs out
    assert await b.acquire(CONNECTION, 1, 1) == {0}
    assert await a.renew(CONNECTION, 1) == frozenset()  # a learns that it lost it


async def test_renewing_keeps_the_lease(any_db: Database) -> None:
    a, b = store(any_db, "a", lease_seconds=10), store(any_db, "b")
    assert await a.acquire(CONNECTION, 1, 1) == {0}
    for _ in range(3):  # 18 s in all, longer than one lease
        await age_leases(any_db, 6)
        assert await a.renew(CONNECTION, 1) == {0}
        assert await b.acquire(CONNECTION, 1, 1) == frozenset()


async def test_a_dead_nodes_slots_are_freed_by_the_reaper_at_once(any_db: Database) -> None:
    """Takeover does not wait for the leases to expire: the reaper frees them with the node."""
    registry = NodeStore(any_db)
    for name in ("a", "b"):
        await registry.register(NodeIdentity(name, ROLE_DISPATCH, "host", 1))
    a, b = store(any_db, "a", lease_seconds=3600), store(any_db, "b")
    assert await a.acquire(CONNECTION, 2, 2) == {0, 1}
    assert (await registry.reap(15.0)).freed_slots == 0  # a is alive
    await age_heartbeat(any_db, "a", 20.0)
    reaped = await registry.reap(15.0)
    assert (reaped.dead, reaped.freed_slots) == (["a"], 2)
    assert await b.acquire(CONNECTION, 2, 2) == {0, 1}


@pytest.mark.postgres
async def test_racing_acquirers_never_share_a_slot(
    postgres_url: str, pg: Database, databases: Callable[[str], Awaitable[Database]]
) -> None:
    stores = [store(await databases(postgres_url), f"n{i}") for i in range(6)]
    for _ in range(5):
        won = await asyncio.gather(*(st.acquire(CONNECTION, 4, 4) for st in stores))
        taken = [slot for slots in won for slot in slots]
        assert sorted(taken) == [0, 1, 2, 3]  # every slot once, none twice
        holders = await stores[0].holders(CONNECTION)
        assert all(slot in won[int(str(owner)[1:])] for slot, owner in holders.items())
        await asyncio.gather(*(st.release_all() for st in stores))


# --------------------------------------------------------------------- with real SMPP links


class ManagerClock:
    """Stands in for the `time` module in `delivery.leases`: the LeaseManager's monotonic
    clock, `offset` seconds ahead of the real one."""

    def __init__(self) -> None:
        self.offset = 0.0

    def monotonic(self) -> float:
        return time.monotonic() + self.offset


async def _no_deliveries(_connection: str, _pdu: DeliverSm) -> int | None:
    return None


@pytest.fixture
async def links(smsc: CountingSMSC) -> AsyncIterator[Callable[[int], Link]]:
    made: list[Link] = []

    def make(binds: int) -> Link:
        config = SmppConnectionConfig(
            name=CONNECTION,
            host="127.0.0.1",
            port=smsc.port,
            system_id="gw",
            password="pw",
            binds=binds,
            max_tps=100,
            reconnect_initial=0.05,
            reconnect_max=0.2,
        )
        link = Link(config, _no_deliveries, leased=True)
        made.append(link)
        return link

    yield make
    for link in made:
        await link.stop(1.0)


async def test_dispatchers_share_the_binds_and_never_exceed_them(
    any_db: Database, smsc: CountingSMSC, links: Callable[[int], Link]
) -> None:
    link_a, link_b = links(2), links(2)
    a = LeaseManager(store(any_db, "a"), [link_a], unbind_timeout=1.0)
    b = LeaseManager(store(any_db, "b"), [link_b], unbind_timeout=1.0)

    await a.tick(1)  # alone: every slot, at the account's full rate
    await smsc.wait_for("bound", 2)
    assert (link_a.slots, link_a.bucket.rate) == ({0, 1}, 100)

    await b.tick(2)  # a newcomer: nothing free yet
    assert link_b.slots == frozenset()
    with pytest.raises(LinkNotHeld):
        await link_b.session()

    await a.tick(2)  # a gives back down to its share, unbinding BEFORE freeing the row
    assert smsc.counters["unbind"] == 1
    assert (link_a.slots, link_a.bucket.rate) == ({0}, 50)

    await b.tick(2)
    await smsc.wait_for("bound", 3)
    await link_b.wait_bound()
    assert (link_b.slots, link_b.bucket.rate) == ({1}, 50)
    assert await a.store.holders(CONNECTION) == {0: "a", 1: "b"}
    assert smsc.max_bound == 2  # never binds + 1, not even during the hand-over


async def test_a_link_unbinds_a_slot_whose_lease_it_lost(
    any_db: Database, smsc: CountingSMSC, links: Callable[[int], Link]
) -> None:
    link = links(1)
    manager = LeaseManager(store(any_db, "a"), [link], unbind_timeout=1.0)
    await manager.tick(1)
    await link.wait_bound()
    async with any_db.write_engine.begin() as conn:  # someone else holds it now
        await conn.execute(update(s.smpp_binds).values(owner="thief", lease_until=1e12))
    await manager.tick(1)
    await smsc.wait_for("unbind", 1)
    assert link.slots == frozenset()
    assert link.bound_sessions == 0
    with pytest.raises(LinkNotHeld):
        await link.session()


async def test_a_dispatcher_that_cannot_renew_unbinds_before_its_lease_ends(
    any_db: Database,
    smsc: CountingSMSC,
    links: Callable[[int], Link],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    clock = ManagerClock()
    monkeypatch.setattr(leases_module, "time", clock)
    link = links(1)
    leases = store(any_db, "a", lease_seconds=10)
    manager = LeaseManager(leases, [link], unbind_timeout=1.0)
    await manager.tick(1)
    await link.wait_bound()

    async def database_down(_connection: str, _binds: int) -> frozenset[int]:
        raise OSError("connection refused")

    monkeypatch.setattr(leases, "renew", database_down)
    clock.offset = 5.0
    await manager.tick(1)  # the lease is still good: keep the session
    assert link.slots == {0}
    clock.offset = 10.0  # ... until it would have run out
    await manager.tick(1)
    assert link.slots == frozenset()
    await smsc.wait_for("unbind", 1)
