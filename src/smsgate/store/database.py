"""Engines for the configured database, with the settings that make a commit durable.

SQLite runs in WAL mode with `synchronous=FULL`, so a committed transaction has reached the disk
before the commit returns. All writes go through one connection that opens its transactions
with `BEGIN IMMEDIATE`: SQLite allows one writer at a time, and taking the write lock up front
turns lock upgrades (which fail at once with SQLITE_BUSY) into ordinary waits on `busy_timeout`.
Reads use a separate pool and never block the writer (WAL). On PostgreSQL both are one engine.
"""

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool

from smsgate.constants import SQLITE_BUSY_TIMEOUT_MS


@dataclass(frozen=True, slots=True)
class Database:
    """The writer engine (serialised on SQLite) and the reader engine."""

    url: str
    writer: AsyncEngine
    reader: AsyncEngine

    @property
    def is_sqlite(self) -> bool:
        return self.url.startswith("sqlite")

    async def dispose(self) -> None:
        await self.writer.dispose()
        if self.reader is not self.writer:
            await self.reader.dispose()


def _sqlite_pragmas(immediate: bool) -> Any:
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy (not the driver) decide when transactions begin.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    def on_begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return on_connect, on_begin


def _sqlite_engine(url: str, *, immediate: bool, pool_size: int) -> AsyncEngine:
    engine = create_async_engine(url, pool_size=pool_size, max_overflow=0)
    on_connect, on_begin = _sqlite_pragmas(immediate)
    event.listen(engine.sync_engine, "connect", on_connect)
    event.listen(engine.sync_engine, "begin", on_begin)
    return engine


def open_database(url: str, *, pool_size: int = 10, null_pool: bool = False) -> Database:
    """Create the engines for `url` (creating a SQLite file's directory if needed)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        writer = _sqlite_engine(url, immediate=True, pool_size=1)
        reader = _sqlite_engine(url, immediate=False, pool_size=pool_size)
        return Database(url=url, writer=writer, reader=reader)
    if null_pool:
        engine = create_async_engine(url, poolclass=NullPool)
    else:
        engine = create_async_engine(url, pool_size=pool_size, max_overflow=pool_size)
    return Database(url=url, writer=engine, reader=engine)
