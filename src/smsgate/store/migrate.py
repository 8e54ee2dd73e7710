"""Apply the Alembic migrations shipped inside the package to a database.

The Alembic configuration is built in code (no alembic.ini to find), and the migrations run on a
connection of our own async engine, so the same call works from the CLI, from `serve` at start
and from tests, on SQLite and PostgreSQL alike.
"""

import logging
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, text

from smsgate.domain.phone import DEFAULT_REGION
from smsgate.store.database import Database

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
log = logging.getLogger(__name__)


class SchemaOutOfDate(RuntimeError):
    """The database has an older schema than this version needs."""


def _config(connection: Connection | None = None, region: str = DEFAULT_REGION) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["connection"] = connection
    config.attributes["default_region"] = region  # phones are normalised in its plan (0004)
    return config


def head_revision() -> str | None:
    return ScriptDirectory.from_config(_config()).get_current_head()


async def current_revision(db: Database) -> str | None:
    def read(connection: Connection) -> str | None:
        return MigrationContext.configure(connection).get_current_revision()

    async with db.write_engine.connect() as conn:
        return await conn.run_sync(read)


async def upgrade(db: Database, revision: str = "head", *, region: str = DEFAULT_REGION) -> None:
    """Bring the schema up to `revision` (idempotent); `region`: the default region for
    phones written without a country code (`Settings.resolved_default_region`)."""

    def run(connection: Connection) -> None:
        command.upgrade(_config(connection, region), revision)

    async with db.write_engine.begin() as conn:
        await conn.run_sync(run)


async def downgrade(db: Database, revision: str) -> None:
    def run(connection: Connection) -> None:
        command.downgrade(_config(connection), revision)

    async with db.write_engine.begin() as conn:
        await conn.run_sync(run)


SCHEMA_LOCK_KEY = 0x736D7367  # "smsg": PostgreSQL advisory lock around creating the schema


async def ensure_schema(db: Database) -> None:
    """Create the schema on an empty database; refuse to run on an outdated one."""
    current = await current_revision(db)
    if current is None:
        if db.is_sqlite:
            log.info("empty database: creating the schema")
            await upgrade(db)
        else:  # several nodes may start at once on an empty database: one creates, all wait
            async with db.write_engine.connect() as lock:
                await lock.execute(text("SELECT pg_advisory_lock(:k)"), {"k": SCHEMA_LOCK_KEY})
                await lock.commit()
                try:
                    current = await current_revision(db)
                    if current is None:
                        log.info("empty database: creating the schema")
                        await upgrade(db)
                        current = head_revision()
                finally:
                    await lock.execute(
                        text("SELECT pg_advisory_unlock(:k)"), {"k": SCHEMA_LOCK_KEY}
                    )
                    await lock.commit()
    if current is not None and current != head_revision():
        raise SchemaOutOfDate(
            f"database schema is at revision {current}, this version needs "
            f"{head_revision()}; run `smsgate db upgrade`"
        )
