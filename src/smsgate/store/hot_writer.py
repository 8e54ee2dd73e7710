"""Whole transactions in one hop: the write path of group commit, claims and status writes.

aiosqlite runs every statement on its own thread and hands each result back through the event
loop; a transaction of four statements is eight thread hops, each waiting for the GIL while the
loop is busy serving requests. Under load that, not the disk, limited throughput (profiled: the
loop thread idle, p50 latency of tens of ms while fsync takes 0.2 ms). So a hot transaction is
written as ONE plain function over a small `Tx` interface, and:

- on SQLite it runs on a dedicated thread that owns one stdlib `sqlite3` connection (WAL,
  `synchronous=FULL`, `BEGIN IMMEDIATE`): one hop per transaction, and the GIL is released
  while SQLite works and syncs;
- on PostgreSQL it runs through SQLAlchemy's `run_sync` on the asyncpg engine (asyncpg is
  native asyncio, so there are no thread hops to save).

Statements are plain SQL built with `rawsql.Query`, so the same function serves both.
"""

import asyncio
import sqlite3
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Protocol, TypeVar

from sqlalchemy import Connection
from sqlalchemy.engine import make_url

from smsgate.constants import SQLITE_BUSY_TIMEOUT_MS
from smsgate.store.database import Database

T = TypeVar("T")


class Tx(Protocol):
    """What a hot transaction body may do."""

    postgres: bool

    def fetch(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]: ...

    def execute(self, sql: str, params: Sequence[Any] = ()) -> int: ...

    def execute_many(self, sql: str, rows: list[tuple[Any, ...]]) -> None: ...


class _SqliteTx:
    postgres = False

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    def fetch(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        return self._conn.execute(sql, params).fetchall()

    def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        return self._conn.execute(sql, params).rowcount

    def execute_many(self, sql: str, rows: list[tuple[Any, ...]]) -> None:
        if rows:
            self._conn.executemany(sql, rows)


class EngineTx:
    """A Tx over a SQLAlchemy (sync-facing) connection, e.g. inside `AsyncConnection.run_sync`."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        self.postgres = conn.dialect.name == "postgresql"

    def fetch(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        return [tuple(row) for row in self._conn.exec_driver_sql(sql, tuple(params))]

    def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        return int(self._conn.exec_driver_sql(sql, tuple(params)).rowcount)

    def execute_many(self, sql: str, rows: list[tuple[Any, ...]]) -> None:
        if rows:
            self._conn.exec_driver_sql(sql, rows)


class HotWriter:
    """Runs `fn(tx)` as one committed transaction; raises (and rolls back) if it fails."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self._executor: ThreadPoolExecutor | None = None
        self._sqlite: sqlite3.Connection | None = None
        self._path: str | None = None
        if db.is_sqlite:
            self._path = make_url(db.url).database or ":memory:"
            self._executor = ThreadPoolExecutor(1, thread_name_prefix="smsgate-sqlite-writer")

    async def run(self, fn: Callable[[Tx], T]) -> T:
        if self._executor is None:
            async with self._db.writer.begin() as conn:
                return await conn.run_sync(lambda sync: fn(EngineTx(sync)))
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, self._transaction, fn)

    def _connect(self) -> sqlite3.Connection:
        assert self._path is not None
        conn = sqlite3.connect(
            self._path,
            isolation_level=None,
            check_same_thread=False,
            timeout=SQLITE_BUSY_TIMEOUT_MS / 1000,
        )
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")
        conn.execute("PRAGMA foreign_keys=ON")
        return conn

    def _transaction(self, fn: Callable[[Tx], T]) -> T:
        if self._sqlite is None:
            self._sqlite = self._connect()
        conn = self._sqlite
        conn.execute("BEGIN IMMEDIATE")
        try:
            result = fn(_SqliteTx(conn))
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        return result

    async def close(self) -> None:
        if self._executor is None:
            return
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(self._executor, self._close)
        self._executor.shutdown(wait=True)
        self._executor = None

    def _close(self) -> None:
        if self._sqlite is not None:
            self._sqlite.close()
            self._sqlite = None
