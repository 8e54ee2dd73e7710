"""What the scale-out changes must keep on a lone gateway (SQLite, or PostgreSQL alone), and
migration 0002 on existing data."""

from sqlalchemy import Connection, insert, inspect, select, text

from smsgate.store import schema as s
from smsgate.store.database import Database
from smsgate.store.migrate import downgrade, upgrade
from smsgate.store.queue import QueueStore
from smsgate.store.transactions import TransactionRunner
from tests.integration.scaleout.conftest import add_realm, queue_messages, statuses


def _table_names(connection: Connection) -> list[str]:
    return inspect(connection).get_table_names()


async def test_polling_claim_without_an_owner(any_db: Database) -> None:
    realm_id = await add_realm(any_db)
    ids = await queue_messages(any_db, realm_id, 7)
    hot = TransactionRunner(any_db)
    try:
        queue = QueueStore(any_db, hot)
        first, _ = await queue.claim_next(5)
        second, _ = await queue.claim_next(5)
        third = await queue.claim_next(5)
    finally:
        await hot.close()
    assert [m.id for m in first + second] == ids
    assert third == ([], [])
    assert set((await statuses(any_db)).values()) == {("sending", None)}


async def test_handoff_claim_without_an_owner_leaves_owner_empty(any_db: Database) -> None:
    realm_id = await add_realm(any_db)
    ids = await queue_messages(any_db, realm_id, 3)
    hot = TransactionRunner(any_db)
    try:
        claimed, _ = await QueueStore(any_db, hot).claim(ids)
    finally:
        await hot.close()
    assert [m.id for m in claimed] == ids
    assert set((await statuses(any_db)).values()) == {("sending", None)}


async def test_migration_0002_up_and_down_keeps_messages_and_parts(any_db: Database) -> None:
    """Down to 0001 must not rebuild `messages` (on SQLite a rebuild would cascade-delete the
    parts), and up again gives existing rows an empty owner."""
    realm_id = await add_realm(any_db)
    [message_id] = await queue_messages(any_db, realm_id, 1)
    async with any_db.write_engine.begin() as conn:
        await conn.execute(
            insert(s.message_parts).values(
                message_id=message_id,
                part_no=1,
                connection="c",
                smsc_message_id="x1",
                status="sent",
                updated_at=0,
            )
        )
    await downgrade(any_db, "0001")
    async with any_db.write_engine.connect() as conn:
        assert (await conn.scalar(text("SELECT count(*) FROM message_parts"))) == 1
        tables = set(await conn.run_sync(_table_names))
    assert "nodes" not in tables and "smpp_binds" not in tables
    await upgrade(any_db)
    async with any_db.write_engine.connect() as conn:
        row = (await conn.execute(select(s.messages.c.owner, s.messages.c.claimed_at))).one()
        assert tuple(row) == (None, None)
        assert (await conn.scalar(text("SELECT count(*) FROM message_parts"))) == 1
