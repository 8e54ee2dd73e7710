"""SQLite settings that make SUCCESS mean "on disk": WAL, a synced commit, one writer.

Both write paths are checked: the SQLAlchemy writer engine (admin writes, synchronous=FULL) and
the hot writer's own connection (group commit, claims, status writes: synchronous=NORMAL, its
WAL synced by the writer's syncer before any result is out; tests/integration/store/
test_sqlite_writer.py).
"""

import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from smsgate.constants import SQLITE_BUSY_TIMEOUT_MS
from smsgate.store.database import Database, open_database
from smsgate.store.transactions import TransactionRunner, Tx


@pytest.fixture
async def sqlite_db(tmp_path: Path) -> AsyncIterator[tuple[Database, Path]]:
    path = tmp_path / "nested" / "smsgate.db"  # the directory is created on open
    db = open_database(f"sqlite+aiosqlite:///{path}")
    try:
        yield db, path
    finally:
        await db.dispose()


async def _pragma(engine: AsyncEngine, name: str) -> object:
    async with engine.connect() as conn:
        return (await conn.exec_driver_sql(f"PRAGMA {name}")).scalar()


@pytest.mark.parametrize("engine", ["write_engine", "reader"])
async def test_pragmas_in_effect(sqlite_db: tuple[Database, Path], engine: str) -> None:
    db, path = sqlite_db
    target = getattr(db, engine)
    assert await _pragma(target, "journal_mode") == "wal"
    assert await _pragma(target, "synchronous") == 2  # FULL
    assert await _pragma(target, "busy_timeout") == SQLITE_BUSY_TIMEOUT_MS
    assert await _pragma(target, "foreign_keys") == 1
    assert path.exists()
    assert db.is_sqlite and db.write_engine is not db.reader


async def test_writer_takes_the_write_lock_when_its_transaction_begins(
    sqlite_db: tuple[Database, Path],
) -> None:
    """BEGIN IMMEDIATE: a second writer is refused before the first has written anything."""
    db, path = sqlite_db
    other = sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        async with db.write_engine.begin():
            with pytest.raises(sqlite3.OperationalError, match="locked"):
                other.execute("BEGIN IMMEDIATE")
        other.execute("BEGIN IMMEDIATE")  # released at commit
        other.execute("ROLLBACK")
    finally:
        other.close()


async def test_readers_do_not_block_on_the_writer(sqlite_db: tuple[Database, Path]) -> None:
    db, _ = sqlite_db
    async with db.write_engine.begin() as conn:
        await conn.exec_driver_sql("CREATE TABLE t (x INTEGER)")
    async with db.write_engine.begin() as conn:
        await conn.exec_driver_sql("INSERT INTO t VALUES (1)")
        async with db.reader.connect() as reader:  # WAL: the reader sees the last commit
            assert (await reader.exec_driver_sql("SELECT count(*) FROM t")).scalar() == 0
    async with db.reader.connect() as reader:
        assert (await reader.exec_driver_sql("SELECT count(*) FROM t")).scalar() == 1


@pytest.fixture
async def hot(sqlite_db: tuple[Database, Path]) -> AsyncIterator[TransactionRunner]:
    writer = TransactionRunner(sqlite_db[0])
    try:
        yield writer
    finally:
        await writer.close()


async def test_hot_writer_connection_is_durable(hot: TransactionRunner) -> None:
    """The connection that commits accepted messages: WAL, and synchronous=NORMAL because the
    write thread syncs the WAL itself after each COMMIT (store/sqlite_writer.py)."""

    def pragmas(tx: Tx) -> list[object]:
        names = ("journal_mode", "synchronous", "busy_timeout", "foreign_keys")
        return [tx.fetch(f"PRAGMA {name}")[0][0] for name in names]

    assert await hot.run(pragmas) == ["wal", 1, SQLITE_BUSY_TIMEOUT_MS, 1]


async def test_hot_writer_holds_the_write_lock_for_its_whole_transaction(
    sqlite_db: tuple[Database, Path], hot: TransactionRunner
) -> None:
    _, path = sqlite_db

    def try_to_write(tx: Tx) -> str:
        other = sqlite3.connect(path, timeout=0, isolation_level=None)
        try:
            other.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            return str(exc)
        finally:
            other.close()
        return "not locked"

    assert "locked" in await hot.run(try_to_write)


async def test_hot_writer_rolls_back_a_failed_transaction(
    sqlite_db: tuple[Database, Path], hot: TransactionRunner
) -> None:
    db, _ = sqlite_db
    await hot.run(lambda tx: tx.execute("CREATE TABLE t (x INTEGER PRIMARY KEY)"))

    def insert_then_fail(tx: Tx) -> None:
        tx.execute("INSERT INTO t VALUES (1)")
        tx.execute("INSERT INTO t VALUES (1)")  # primary key clash

    with pytest.raises(sqlite3.IntegrityError):
        await hot.run(insert_then_fail)
    assert await hot.run(lambda tx: tx.fetch("SELECT count(*) FROM t")) == [(0,)]
    await hot.run(lambda tx: tx.execute("INSERT INTO t VALUES (2)"))  # usable afterwards
    async with db.reader.connect() as conn:
        assert (await conn.exec_driver_sql("SELECT x FROM t")).scalars().all() == [2]
