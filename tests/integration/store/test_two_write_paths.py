"""ADR 0009: on SQLite two write paths share the file (the transaction runner's write thread
and the SQLAlchemy write engine); each waits for the other's transaction instead of failing,
and both commit durably."""

import asyncio
import threading
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from smsgate.store.database import Database, open_database
from smsgate.store.transactions import TransactionRunner, Tx

DEADLINE = 30.0  # seconds; far below SQLITE_BUSY_TIMEOUT_MS, far above a busy machine's step
PENDING = 0.3  # seconds: how long a blocked write is watched to stay blocked


@pytest.fixture
async def paths(tmp_path: Path) -> AsyncIterator[tuple[Database, TransactionRunner]]:
    db = open_database(f"sqlite+aiosqlite:///{tmp_path / 'smsgate.db'}")
    runner = TransactionRunner(db)
    await runner.run(lambda tx: tx.execute("CREATE TABLE t (x INTEGER PRIMARY KEY)"))
    try:
        yield db, runner
    finally:
        await runner.close()
        await db.dispose()


async def rows(db: Database) -> list[int]:
    async with db.reader.connect() as conn:
        return list((await conn.exec_driver_sql("SELECT x FROM t ORDER BY x")).scalars())


async def test_the_write_thread_waits_for_an_engine_transaction(
    paths: tuple[Database, TransactionRunner],
) -> None:
    """An admin or MO transaction holds the write lock: hot writes (accepts, claims, status
    writes) wait behind it, and go through once it commits."""
    db, runner = paths
    async with db.write_engine.begin() as conn:  # BEGIN IMMEDIATE: the write lock from here on
        await conn.exec_driver_sql("INSERT INTO t VALUES (1)")
        hot = asyncio.create_task(runner.run(lambda tx: tx.execute("INSERT INTO t VALUES (2)")))
        done, _ = await asyncio.wait([hot], timeout=PENDING)
        assert not done  # waiting on busy_timeout, not refused with SQLITE_BUSY
    async with asyncio.timeout(DEADLINE):
        assert await hot == 1
    assert await rows(db) == [1, 2]


async def test_an_engine_transaction_waits_for_the_write_thread(
    paths: tuple[Database, TransactionRunner],
) -> None:
    db, runner = paths
    inside, release = threading.Event(), threading.Event()

    def held(tx: Tx) -> int:
        tx.execute("INSERT INTO t VALUES (1)")
        inside.set()
        release.wait(DEADLINE)  # the write thread holds the lock until the test lets go
        return 1

    hot = asyncio.create_task(runner.run(held))
    async with asyncio.timeout(DEADLINE):
        await asyncio.to_thread(inside.wait, DEADLINE)

    async def admin_write() -> None:
        async with db.write_engine.begin() as conn:
            await conn.exec_driver_sql("INSERT INTO t VALUES (2)")

    admin = asyncio.create_task(admin_write())
    done, _ = await asyncio.wait([admin], timeout=PENDING)
    assert not done
    release.set()
    async with asyncio.timeout(DEADLINE):
        await asyncio.gather(hot, admin)
    assert await rows(db) == [1, 2]
