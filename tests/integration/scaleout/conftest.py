"""Fixtures for the scale-out tests: migrated databases, queued rows, registered nodes.

Every store object a test makes is disposed at teardown (filterwarnings=error would turn a
leaked connection into a failure of some later test).
"""

import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from sqlalchemy import insert, select, update

from smsgate.auth.passwords import hash_password
from smsgate.domain.node import ROLE_DISPATCH, NodeIdentity
from smsgate.ids import new_message_id
from smsgate.smpp.simulator import SmscSimulator
from smsgate.store import schema as s
from smsgate.store.database import Database, open_database
from smsgate.store.migrate import upgrade
from smsgate.store.nodes import NodeStore
from smsgate.store.queue import QueueStore
from smsgate.store.realms import RealmStore
from smsgate.store.transactions import TransactionRunner
from tests.conftest import CHEAP_HASHER

SENDER = "12065550100"


class CountingSMSC(SmscSimulator):
    """Remembers the most sessions it ever had bound at once."""

    max_bound = 0

    def count(self, key: str) -> None:
        super().count(key)
        if key == "bound":
            bound = sum(1 for x in self.sessions if x.bind_id is not None and x.is_open)
            self.max_bound = max(self.max_bound, bound)


@pytest.fixture
async def smsc() -> AsyncIterator[CountingSMSC]:
    sim = CountingSMSC()
    await sim.start()
    try:
        yield sim
    finally:
        await sim.stop()


async def migrated(url: str) -> Database:
    db = open_database(url)
    await upgrade(db)
    return db


@pytest.fixture
async def databases() -> AsyncIterator[Callable[[str], Awaitable[Database]]]:
    """`await databases(url)`: another engine set on a database (as another process has)."""
    opened: list[Database] = []

    async def open_one(url: str) -> Database:
        db = open_database(url)
        opened.append(db)
        return db

    yield open_one
    for db in opened:
        await db.dispose()


@pytest.fixture
async def pg(postgres_url: str) -> AsyncIterator[Database]:
    """A migrated, empty PostgreSQL database."""
    db = await migrated(postgres_url)
    try:
        yield db
    finally:
        await db.dispose()


@pytest.fixture
async def any_db(database_url: str) -> AsyncIterator[Database]:
    """A migrated, empty database: SQLite, then PostgreSQL."""
    db = await migrated(database_url)
    try:
        yield db
    finally:
        await db.dispose()


async def add_realm(db: Database, name: str = "acme") -> int:
    realms = RealmStore(db)
    realm_id = await realms.add_realm(name, hash_password("secret", hasher=CHEAP_HASHER))
    await realms.add_sender(name, SENDER)
    return realm_id


async def queue_messages(
    db: Database, realm_id: int, n: int, *, parts: int = 1, sender: str = SENDER
) -> list[str]:
    """Insert `n` queued messages (ids in arrival order)."""
    now = time.time()
    ids = [new_message_id() for _ in range(n)]
    rows: list[dict[str, Any]] = [
        {
            "id": message_id,
            "realm_id": realm_id,
            "sender_code": sender,
            "phone": f"1206{i:07d}",
            "text": f"m{i}",
            "encoding": "gsm7",
            "parts": parts,
            "status": "queued",
            "created_at": now,
            "updated_at": now,
        }
        for i, message_id in enumerate(ids)
    ]
    async with db.write_engine.begin() as conn:
        for start in range(0, len(rows), 500):
            await conn.execute(insert(s.messages), rows[start : start + 500])
    return ids


async def statuses(db: Database) -> dict[str, tuple[str, str | None]]:
    """id -> (status, owner)."""
    async with db.reader.connect() as conn:
        rows = await conn.execute(select(s.messages.c.id, s.messages.c.status, s.messages.c.owner))
        return {r.id: (r.status, r.owner) for r in rows}


async def age_heartbeat(db: Database, node_id: str, seconds: float) -> None:
    """Make a node's last heartbeat `seconds` older (as if it had been silent that long)."""
    async with db.write_engine.begin() as conn:
        await conn.execute(
            update(s.nodes)
            .where(s.nodes.c.node_id == node_id)
            .values(heartbeat_at=s.nodes.c.heartbeat_at - seconds)
        )


class Node:
    """One simulated dispatcher process: its own engines, node row and queue store."""

    def __init__(self, db: Database, name: str) -> None:
        self.db = db
        self.identity = NodeIdentity(name, ROLE_DISPATCH, "testhost", 1)
        self.nodes = NodeStore(db)
        self.hot = TransactionRunner(db)
        self.queue = QueueStore(db, self.hot, owner=name)

    async def register(self) -> "Node":
        await self.nodes.register(self.identity)
        return self

    async def close(self) -> None:
        await self.hot.close()
        await self.db.dispose()


NodeFactory = Callable[[str, str], Awaitable[Node]]


@pytest.fixture
async def nodes() -> AsyncIterator[NodeFactory]:
    """`await nodes(url, name)`: a registered Node with its own connection pool."""
    made: list[Node] = []

    async def make(url: str, name: str) -> Node:
        node = Node(open_database(url), name)
        made.append(node)
        return await node.register()

    yield make
    for node in made:
        await node.close()
