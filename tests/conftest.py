"""Fixtures shared by the whole suite: databases, gateways, realms and sender codes; and how
the suite is spread over pytest-xdist workers (`pytest_collection_modifyitems`).

`database_url` runs a test once on a SQLite file and once on a fresh PostgreSQL database.
PostgreSQL must be reachable on 127.0.0.1:5432 (user `postgres`, trust authentication); when it
is not, the PostgreSQL cases FAIL, so a missing server is never mistaken for a passing suite.
Set `SMSGATE_TEST_NO_POSTGRES=1` to skip them instead (CI without a PostgreSQL service).
"""

import os
import sqlite3
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import ExitStack, asynccontextmanager
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from argon2 import PasswordHasher

from smsgate.auth.passwords import hash_password
from smsgate.bootstrap import Gateway, build
from smsgate.settings import Settings
from smsgate.store.database import open_database
from smsgate.store.migrate import upgrade
from tests.filesystems import MountTmpfs, tmpfs

PG_HOST = "127.0.0.1"
PG_PORT = 5432
PG_USER = "postgres"
PG_URL_PREFIX = f"postgresql+asyncpg://{PG_USER}@{PG_HOST}:{PG_PORT}/"
NO_POSTGRES_ENV = "SMSGATE_TEST_NO_POSTGRES"

# argon2id with the lowest cost the library accepts: realms made by tests verify in microseconds.
CHEAP_HASHER = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests marked `slow` (several processes under load each) share one xdist group: with
    `--dist loadgroup` (scripts/test) they run one after another on one worker while the
    other workers take the rest, so two of them never compete for the same two cores."""
    for item in items:
        if item.get_closest_marker("slow") is not None:
            item.add_marker(pytest.mark.xdist_group("slow"))


async def _admin_connection() -> asyncpg.Connection:
    """A connection to the `postgres` maintenance database, or fail/skip if there is none."""
    try:
        return await asyncpg.connect(
            host=PG_HOST, port=PG_PORT, user=PG_USER, database="postgres", timeout=5
        )
    except (OSError, TimeoutError, asyncpg.PostgresError) as exc:
        if os.environ.get(NO_POSTGRES_ENV) == "1":
            pytest.skip(f"PostgreSQL not used ({NO_POSTGRES_ENV}=1)")
        pytest.fail(
            f"PostgreSQL is not reachable on {PG_HOST}:{PG_PORT} ({exc!r}); start it, or set "
            f"{NO_POSTGRES_ENV}=1 to skip the PostgreSQL cases",
            pytrace=False,
        )


async def _drop_database(admin: asyncpg.Connection, name: str) -> None:
    await admin.execute(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
        "WHERE datname = $1 AND pid <> pg_backend_pid()",
        name,
    )
    await admin.execute(f'DROP DATABASE IF EXISTS "{name}"')


@asynccontextmanager
async def fresh_postgres_database() -> AsyncIterator[str]:
    """A new, uniquely named PostgreSQL database (its SQLAlchemy URL), dropped afterwards."""
    if os.environ.get(NO_POSTGRES_ENV) == "1":
        pytest.skip(f"PostgreSQL not used ({NO_POSTGRES_ENV}=1)")
    name = f"smsgate_test_{uuid.uuid4().hex[:16]}"
    admin = await _admin_connection()
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        # Commits do not wait for the server's WAL flush: what the tests check is the gateway
        # (its answers, its crashes), not the PostgreSQL server surviving a power cut, and the
        # suite's time must not depend on the disk's fsync latency (10-40x apart between
        # machines). A committed row is visible to every session at once either way.
        await admin.execute(f'ALTER DATABASE "{name}" SET synchronous_commit = off')
        try:
            yield PG_URL_PREFIX + name
        finally:
            await _drop_database(admin, name)
    finally:
        await admin.close()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """An empty database: a SQLite file in tmp_path, or a new uniquely named PostgreSQL one."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'smsgate.db'}"
        return
    async with fresh_postgres_database() as url:
        yield url


@pytest.fixture
async def postgres_url() -> AsyncIterator[str]:
    """An empty PostgreSQL database, for tests about PostgreSQL only (mark them `postgres`)."""
    async with fresh_postgres_database() as url:
        yield url


GatewayFactory = Callable[..., Awaitable[Gateway]]


@pytest.fixture
async def gateway_factory(database_url: str, tmp_path: Path) -> AsyncIterator[GatewayFactory]:
    """Build and start gateways on `database_url` (or another URL); all are stopped at teardown.

    Keyword arguments become `Settings` fields. Defaults: `data_dir` is tmp_path and the
    gateway does not dispatch (no SMSC simulator, messages stay `queued`); pass
    `dispatch=True` for the delivery path (the simulator then listens on an ephemeral port).
    """
    gateways: list[Gateway] = []

    async def make(**overrides: Any) -> Gateway:
        values: dict[str, Any] = {
            "data_dir": tmp_path,
            "database_url": database_url,
            "dispatch": False,
            "simulator_port": 0,
        }
        values.update(overrides)
        gateway = build(Settings(**values))
        gateways.append(gateway)  # before start: a half-started gateway is disposed too
        await gateway.start()
        return gateway

    try:
        yield make
    finally:
        for gateway in reversed(gateways):
            await gateway.stop()


AddRealm = Callable[..., Awaitable[int]]
AddSender = Callable[..., Awaitable[None]]


@pytest.fixture
def add_realm() -> AddRealm:
    """`await add_realm(gateway, name, password="secret")` -> realm id (cheap argon2 hash)."""

    async def add(gateway: Gateway, name: str, password: str = "secret") -> int:
        return await gateway.realms.add_realm(name, hash_password(password, hasher=CHEAP_HASHER))

    return add


@pytest.fixture
def add_sender() -> AddSender:
    """`await add_sender(gateway, realm_name, code, **options)`."""

    async def add(gateway: Gateway, realm: str, code: str, **options: Any) -> None:
        await gateway.realms.add_sender(realm, code, **options)

    return add


@pytest.fixture
def mount_tmpfs(tmp_path: Path) -> Iterator[MountTmpfs]:
    """`mount_tmpfs(name, size="4m", read_only=False)`: a real tmpfs on tmp_path/name (see
    tests/filesystems.py), unmounted at teardown."""
    with ExitStack() as mounts:

        def mount(name: str, **options: Any) -> Path:
            return mounts.enter_context(tmpfs(tmp_path / name, **options))

        yield mount


@pytest.fixture
async def migrated_sqlite(tmp_path: Path) -> AsyncIterator[sqlite3.Connection]:
    """A plain `sqlite3` connection to a new database file at the latest migration (for
    query plans: `EXPLAIN QUERY PLAN` on the statements the hot paths and pages run)."""
    path = tmp_path / "plans.db"
    db = open_database(f"sqlite+aiosqlite:///{path}")
    try:
        await upgrade(db)
    finally:
        await db.dispose()
    connection = sqlite3.connect(path)
    yield connection
    connection.close()
