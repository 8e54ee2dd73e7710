"""Engines for the configured database, with the settings that make a commit durable.

SQLite runs in WAL mode with `synchronous=FULL`, so a committed transaction has reached the disk
before the commit returns. All writes go through one connection that opens its transactions
with `BEGIN IMMEDIATE`: SQLite allows one writer at a time, and taking the write lock up front
turns lock upgrades (which fail at once with SQLITE_BUSY) into ordinary waits on `busy_timeout`.
Reads use a separate pool and never block the writer (WAL). On PostgreSQL both are one engine.

Before any engine exists, a SQLite file's directory is created if needed and checked: a
directory that cannot be created, or in which no file can be written (a read-only mount, no
permission), raises `DataDirUnusable` with one line naming the directory and the reason, which
every command prints as its error; otherwise SQLite would fail later with a bare "unable to
open database file".
"""

import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool

from smsgate.constants import SQLITE_BUSY_TIMEOUT_MS
from smsgate.store.errors import DataDirUnusable


@dataclass(frozen=True, slots=True)
class Database:
    """The write engine (serialised on SQLite) and the reader engine.

    The write engine carries the rare writes (admin, the CLI, MO transactions); the hot path
    writes through `store.transactions.TransactionRunner` (ADR 0009)."""

    url: str
    write_engine: AsyncEngine
    reader: AsyncEngine

    @property
    def writer(self) -> AsyncEngine:
        """The old name of `write_engine` (until issue 15), kept while branches that use it
        land; new code says `write_engine`."""
        return self.write_engine

    @property
    def is_sqlite(self) -> bool:
        return self.url.startswith("sqlite")

    async def dispose(self) -> None:
        await self.write_engine.dispose()
        if self.reader is not self.write_engine:
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


def _reason(exc: OSError) -> str:
    return exc.strerror or str(exc)


def check_database_location(url: str) -> None:
    """For a SQLite file: create its directory if needed and make sure files can be written
    there, else raise `DataDirUnusable`. Nothing to check for other databases."""
    parsed = make_url(url)
    name = parsed.database
    if parsed.get_backend_name() != "sqlite" or not name or name == ":memory:":
        return
    path = Path(name)
    directory = path.parent
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DataDirUnusable(
            f"cannot create the data directory {directory}: {_reason(exc)}"
        ) from None
    try:  # SQLite writes the database, its WAL and its shared-memory file there
        with tempfile.TemporaryFile(dir=directory, prefix=".smsgate-probe-"):
            pass
    except OSError as exc:
        raise DataDirUnusable(
            f"the data directory {directory} is not writable: {_reason(exc)}"
        ) from None
    try:
        if path.exists():
            path.open("r+b").close()
    except OSError as exc:
        raise DataDirUnusable(f"the database file {path} is not writable: {_reason(exc)}") from None


def open_database(url: str, *, pool_size: int = 10, null_pool: bool = False) -> Database:
    """Create the engines for `url` (checking a SQLite file's directory first, see above)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        check_database_location(url)
        writer = _sqlite_engine(url, immediate=True, pool_size=1)
        reader = _sqlite_engine(url, immediate=False, pool_size=pool_size)
        return Database(url=url, write_engine=writer, reader=reader)
    if null_pool:
        engine = create_async_engine(url, poolclass=NullPool)
    else:
        engine = create_async_engine(url, pool_size=pool_size, max_overflow=pool_size)
    return Database(url=url, write_engine=engine, reader=engine)
