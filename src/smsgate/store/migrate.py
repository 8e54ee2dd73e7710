"""Apply the Alembic migrations shipped inside the package to a database.

The Alembic configuration is built in code (no alembic.ini to find), and the migrations run on a
connection of our own async engine, so the same call works from the CLI, from `serve` at start
and from tests, on SQLite and PostgreSQL alike.
"""

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection

from smsgate.store.database import Database

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def _config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["connection"] = connection
    return config


def head_revision() -> str | None:
    return ScriptDirectory.from_config(_config()).get_current_head()


async def current_revision(db: Database) -> str | None:
    def read(connection: Connection) -> str | None:
        return MigrationContext.configure(connection).get_current_revision()

    async with db.writer.connect() as conn:
        return await conn.run_sync(read)


async def upgrade(db: Database, revision: str = "head") -> None:
    """Bring the schema up to `revision` (idempotent)."""

    def run(connection: Connection) -> None:
        command.upgrade(_config(connection), revision)

    async with db.writer.begin() as conn:
        await conn.run_sync(run)


async def downgrade(db: Database, revision: str) -> None:
    def run(connection: Connection) -> None:
        command.downgrade(_config(connection), revision)

    async with db.writer.begin() as conn:
        await conn.run_sync(run)
