"""The shipped migrations build exactly the schema in `store/schema.py`, on both databases."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, inspect, text

from smsgate.bootstrap import SchemaOutOfDate, ensure_schema
from smsgate.store.database import Database
from smsgate.store.migrate import current_revision, downgrade, head_revision, upgrade
from smsgate.store.schema import metadata


def _diff(connection: Connection) -> list[object]:
    # Alembic misreads SQLite's reflected DEFAULT '' as a change, so server defaults are
    # compared on PostgreSQL only (the SQLite DDL carries them: see test_server_default_applies).
    options = {"compare_type": True, "compare_server_default": connection.dialect.name != "sqlite"}
    return list(compare_metadata(MigrationContext.configure(connection, opts=options), metadata))


def _tables(connection: Connection) -> set[str]:
    return set(inspect(connection).get_table_names())


async def test_empty_database_has_no_revision(db: Database) -> None:
    assert await current_revision(db) is None


async def test_migrations_match_metadata(db: Database) -> None:
    await upgrade(db)
    assert await current_revision(db) == head_revision()
    async with db.write_engine.connect() as conn:
        assert await conn.run_sync(_diff) == []
        tables = await conn.run_sync(_tables)
    assert tables == set(metadata.tables) | {"alembic_version"}


async def test_upgrade_is_idempotent_and_keeps_data(db: Database) -> None:
    await upgrade(db)
    async with db.write_engine.begin() as conn:
        await conn.execute(
            text(
                "INSERT INTO realms (name, password_hash, password_version, created_at) "
                "VALUES ('kept', 'h', 1, 0)"
            )
        )
    await upgrade(db)
    await upgrade(db)
    assert await current_revision(db) == head_revision()
    async with db.write_engine.connect() as conn:
        assert await conn.run_sync(_diff) == []
        assert list(await conn.scalars(text("SELECT name FROM realms"))) == ["kept"]


async def test_server_default_applies(db: Database) -> None:
    """opt_outs.sender_code defaults to '' (realm-wide) when an insert leaves it out."""
    await upgrade(db)
    async with db.write_engine.begin() as conn:
        await conn.execute(
            text(
                "INSERT INTO realms (name, password_hash, password_version, created_at) "
                "VALUES ('r', 'h', 1, 0)"
            )
        )
        await conn.execute(
            text(
                "INSERT INTO opt_outs (realm_id, phone, source, created_at) "
                "SELECT id, '12065551212', 'cli', 0 FROM realms"
            )
        )
        assert await conn.scalar(text("SELECT sender_code FROM opt_outs")) == ""


async def test_downgrade_to_base_and_up_again(db: Database) -> None:
    await upgrade(db)
    await downgrade(db, "base")
    assert await current_revision(db) is None
    async with db.write_engine.connect() as conn:
        assert await conn.run_sync(_tables) <= {"alembic_version"}
    await upgrade(db)
    async with db.write_engine.connect() as conn:
        assert await conn.run_sync(_diff) == []


async def test_ensure_schema_creates_then_accepts_then_refuses_an_unknown_revision(
    db: Database,
) -> None:
    await ensure_schema(db)
    assert await current_revision(db) == head_revision()
    await ensure_schema(db)  # second start: nothing to do
    async with db.write_engine.begin() as conn:
        await conn.execute(text("UPDATE alembic_version SET version_num = '0000'"))
    with pytest.raises(SchemaOutOfDate, match="smsgate db upgrade"):
        await ensure_schema(db)
