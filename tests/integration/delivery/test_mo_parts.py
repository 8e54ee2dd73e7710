"""Multipart MOs are reassembled from the store: each part is on disk before it is
acknowledged, the set may arrive in any order, twice, or across a restart, and the keyword
(STOP...) is read from the whole text only."""

import asyncio
import logging
import time
from typing import Any

import pytest
from sqlalchemy import insert, select, text

from smsgate.bootstrap import Gateway
from smsgate.constants import ESM_CLASS_UDHI, MO_PARTS_TTL_SECONDS
from smsgate.domain.encoding import concat_udh, gsm7_encode
from smsgate.domain.inbound import MoPart
from smsgate.smpp.codes import CommandStatus
from smsgate.smpp.simulator import SmscSimulator
from smsgate.store import schema as s
from smsgate.store.database import Database, open_database
from smsgate.store.inbound_parts import add_part
from smsgate.store.migrate import upgrade
from tests.fakes.smsc import HappySMSC
from tests.integration.delivery.conftest import (
    CODE,
    CONNECTION,
    STATUS_TIMEOUT,
    StartGateway,
    StartSmsc,
    add_realm,
)
from tests.support.waiting import eventually

HANDSET = "12065550123"
ROK = CommandStatus.ESME_ROK


async def table(gateway: Gateway, t: Any) -> list[Any]:
    async with gateway.db.reader.connect() as conn:
        return list(await conn.execute(select(t)))


async def part(smsc: SmscSimulator, ref: int, total: int, seq: int, text: str) -> int:
    payload = concat_udh(ref, total, seq) + gsm7_encode(text)
    return await smsc.inject_mo(HANDSET, CODE, payload, esm_class=ESM_CLASS_UDHI)


async def test_a_part_is_on_disk_before_it_is_acknowledged(
    start_smsc: StartSmsc, start_gateway: StartGateway, database_url: str
) -> None:
    smsc = await start_smsc(HappySMSC())
    gateway = await start_gateway(smsc, database_url=database_url)
    await add_realm(gateway)
    await smsc.wait_for("bound", 1)

    assert await part(smsc, 0x42, 2, 1, "ST") == ROK
    [stored] = await table(gateway, s.inbound_parts)
    assert (stored.connection, stored.source, stored.destination) == (CONNECTION, HANDSET, CODE)
    assert (stored.ref, stored.total, stored.seq, stored.text) == (0x42, 2, 1, "ST")
    assert await table(gateway, s.inbound_messages) == []  # half a message is not a message
    assert await table(gateway, s.opt_outs) == []


async def test_parts_out_of_order_and_twice_make_one_message(
    start_smsc: StartSmsc, start_gateway: StartGateway
) -> None:
    smsc = await start_smsc(HappySMSC())
    gateway = await start_gateway(smsc)
    await add_realm(gateway)
    await smsc.wait_for("bound", 1)

    for seq, body in [(3, " by"), (1, "STOP"), (1, "STOP"), (3, " by")]:
        assert await part(smsc, 7, 3, seq, body) == ROK
    assert await table(gateway, s.inbound_messages) == []
    assert await part(smsc, 7, 3, 2, "PED") == ROK

    [inbound] = await table(gateway, s.inbound_messages)
    assert inbound.text == "STOPPED by"  # in part order, each part once
    assert await table(gateway, s.inbound_parts) == []
    # A keyword is read from the whole text only: part 1 alone ("STOP") would have opted out.
    assert inbound.keyword == "none" and await table(gateway, s.opt_outs) == []


async def test_parts_across_a_restart_make_the_message_and_its_stop_counts(
    start_smsc: StartSmsc, start_gateway: StartGateway, database_url: str
) -> None:
    smsc = await start_smsc(HappySMSC())
    before = await start_gateway(smsc, database_url=database_url)
    realm_id = await add_realm(before)
    await smsc.wait_for("bound", 1)
    assert await part(smsc, 0x99, 2, 2, "OP") == ROK
    await before.stop()

    after = await start_gateway(smsc, database_url=database_url)
    await smsc.wait_for("bound", 2)
    assert await part(smsc, 0x99, 2, 1, "ST") == ROK

    [inbound] = await table(after, s.inbound_messages)
    assert (inbound.text, inbound.keyword) == ("STOP", "stop")
    assert [(o.realm_id, o.phone) for o in await table(after, s.opt_outs)] == [(realm_id, HANDSET)]


async def test_an_incomplete_set_expires(
    start_smsc: StartSmsc, start_gateway: StartGateway, caplog: pytest.LogCaptureFixture
) -> None:
    smsc = await start_smsc(HappySMSC())
    gateway = await start_gateway(smsc)
    await add_realm(gateway)
    await smsc.wait_for("bound", 1)
    async with gateway.db.write_engine.begin() as conn:  # part 1 of a set, received long ago
        await conn.execute(
            insert(s.inbound_parts).values(
                connection=CONNECTION,
                source=HANDSET,
                destination=CODE,
                ref=5,
                total=2,
                seq=1,
                text="ST",
                received_at=time.time() - MO_PARTS_TTL_SECONDS - 1,
            )
        )

    caplog.set_level(logging.WARNING, logger="smsgate.store.inbound_parts")
    assert await part(smsc, 5, 2, 2, "OP") == ROK

    assert await table(gateway, s.inbound_messages) == []  # part 1 was gone: nothing whole
    [left] = await table(gateway, s.inbound_parts)
    assert (left.seq, left.text) == (2, "OP")
    assert [r.getMessage() for r in caplog.records] == [
        f"dropped 1 parts of multipart MOs still incomplete after {MO_PARTS_TTL_SECONDS}s"
    ]


async def _add_in_own_transaction(db: Database, mo_part: MoPart) -> str | None:
    async with db.write_engine.begin() as conn:
        return await add_part(conn, mo_part, time.time())


async def _until_waiting_for_a_lock(db: Database, task: "asyncio.Task[Any]") -> None:
    """Until a transaction of this database waits for an advisory lock, or `task` is done."""

    async def waiting() -> bool:
        if task.done():
            return True
        async with db.reader.connect() as conn:
            return bool(
                await conn.scalar(
                    text(
                        "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
                        " AND database = (SELECT oid FROM pg_database"
                        " WHERE datname = current_database())"
                    )
                )
            )

    await eventually(waiting, timeout=STATUS_TIMEOUT, what="the second part waits for the first")


@pytest.mark.postgres
async def test_parts_arriving_together_on_postgresql_take_turns(postgres_url: str) -> None:
    """Two dispatchers may receive the two parts of a set at the same moment. The second
    transaction waits for the first (an advisory lock per set), so it sees the other part and
    completes the set; without the lock each would see only its own part, and the set would
    never complete."""
    db = open_database(postgres_url)
    try:
        await upgrade(db)
        one = MoPart(CONNECTION, HANDSET, CODE, 3, 2, 1, "ST")
        two = MoPart(CONNECTION, HANDSET, CODE, 3, 2, 2, "OP")
        async with db.write_engine.begin() as first:
            assert await add_part(first, one, time.time()) is None
            second = asyncio.create_task(_add_in_own_transaction(db, two))
            await _until_waiting_for_a_lock(db, second)
        assert await second == "STOP"
    finally:
        await db.dispose()
