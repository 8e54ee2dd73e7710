"""Whole transactions in one hop: the write path of group commit, claims and status writes.

aiosqlite runs every statement on its own thread and hands each result back through the event
loop; a transaction of four statements is eight thread hops, each waiting for the GIL while the
loop is busy serving requests. Under load that, not the disk, limited throughput (profiled: the
loop thread idle, p50 latency of tens of ms while fsync takes 0.2 ms). So a hot transaction is
written as ONE plain function over a small `Tx` interface, and:

- on SQLite it runs on a dedicated thread that owns one stdlib `sqlite3` connection (WAL),
  together with every other hot transaction waiting at that moment, in one commit
  (`store/sqlite_writer.py`): one hop per round, and the WAL synced behind the writer;
- on PostgreSQL it runs through SQLAlchemy's `run_sync` on the asyncpg engine (asyncpg is
  native asyncio, so there are no thread hops to save).

Statements are plain SQL built with `rawsql.Query`, so the same function serves both.
"""

import sqlite3
from collections.abc import Callable, Sequence
from typing import Any, Protocol, TypeVar

from sqlalchemy import Connection
from sqlalchemy.engine import make_url

from smsgate.constants import SQLITE_INSERT_CHUNK_ROWS
from smsgate.store.database import Database
from smsgate.store.rawsql import row_placeholders
from smsgate.store.sqlite_writer import SqliteWriteThread

T = TypeVar("T")


class Tx(Protocol):
    """What a hot transaction body may do."""

    postgres: bool

    def fetch(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]: ...

    def execute(self, sql: str, params: Sequence[Any] = ()) -> int: ...

    def execute_many(self, sql: str, rows: list[tuple[Any, ...]]) -> None: ...

    def insert_rows(self, head: str, rows: list[tuple[Any, ...]], tail: str = "") -> None:
        """`{head} VALUES (row), (row), ... {tail}`: e.g. head `INSERT INTO t (a, b)`."""


# the one-row INSERT of each (head, tail, columns): heads and tails are the code's literals
_ONE_ROW: dict[tuple[str, str, int], str] = {}


def _insert_sql(head: str, tail: str, columns: int, rows: int) -> str:
    """`{head} VALUES (?, ...), ... {tail}`. A batch of one row (every batch when requests
    come one at a time) takes its statement, made once, and the hash the statement cache
    looks it up by, computed once, instead of building both again."""
    if rows == 1:
        key = (head, tail, columns)
        sql = _ONE_ROW.get(key)
        if sql is None:
            sql = _ONE_ROW[key] = f"{head} VALUES {row_placeholders(False, columns)} {tail}"
        return sql
    values = ", ".join([row_placeholders(False, columns)] * rows)
    return f"{head} VALUES {values} {tail}"


class _SqliteTx:
    """A Tx over the writer thread's connection. One per connection, made once: every
    statement runs on its one cursor (`Connection.execute` makes a cursor per statement), and
    each leaves it reset (a SELECT is read to its end), so COMMIT finds none in progress."""

    postgres = False

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self._cursor = conn.cursor()

    def fetch(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        return self._cursor.execute(sql, params).fetchall()

    def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        return self._cursor.execute(sql, params).rowcount

    def execute_many(self, sql: str, rows: list[tuple[Any, ...]]) -> None:
        if rows:
            self._cursor.executemany(sql, rows)

    def insert_rows(self, head: str, rows: list[tuple[Any, ...]], tail: str = "") -> None:
        # One multi-row statement instead of executemany: the sqlite3 module releases and
        # re-takes the GIL at every step, and each of those waits for the busy event loop.
        step = SQLITE_INSERT_CHUNK_ROWS
        for start in range(0, len(rows), step):
            chunk = rows[start : start + step]
            sql = _insert_sql(head, tail, len(chunk[0]), len(chunk))
            self._cursor.execute(
                sql, chunk[0] if len(chunk) == 1 else [v for r in chunk for v in r]
            )


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

    def insert_rows(self, head: str, rows: list[tuple[Any, ...]], tail: str = "") -> None:
        if rows:  # asyncpg's executemany: one prepared statement, rows pipelined
            placeholders = row_placeholders(self.postgres, len(rows[0]))
            self._conn.exec_driver_sql(f"{head} VALUES {placeholders} {tail}", rows)


class TransactionRunner:
    """Runs `fn(tx)` as one committed transaction; raises (and rolls back) if it fails.
    (`HotWriter` before issue 15: it runs transactions, it is no writer of its own.)"""

    def __init__(self, db: Database) -> None:
        self._db = db
        self._sqlite: SqliteWriteThread | None = None
        if db.is_sqlite:
            self._sqlite = SqliteWriteThread(make_url(db.url).database or ":memory:")
        self._tx: _SqliteTx | None = None  # the write thread's, for its connection

    def _sqlite_tx(self, conn: sqlite3.Connection) -> _SqliteTx:
        """The Tx of `conn`, made at its first transaction (on the write thread: the only
        caller). The thread keeps one connection for its life."""
        tx = self._tx
        if tx is None or tx.conn is not conn:
            tx = self._tx = _SqliteTx(conn)
        return tx

    async def run(self, fn: Callable[[Tx], T]) -> T:
        if self._sqlite is None:
            async with self._db.write_engine.begin() as conn:
                return await conn.run_sync(lambda sync: fn(EngineTx(sync)))
        return await self._sqlite.run(lambda conn: fn(self._sqlite_tx(conn)))

    async def close(self) -> None:
        if self._sqlite is not None:
            await self._sqlite.close()
