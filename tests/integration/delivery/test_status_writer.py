"""The status writer under the races of at-least-once delivery and several nodes: a part
recorded twice, a receipt parked under another spelling of its id, and a receipt parked while
another node stored its part (found again by the periodic sweep). Both databases."""

import asyncio
import time

from prometheus_client import REGISTRY
from sqlalchemy import func, insert, select

from smsgate.bootstrap import Gateway
from smsgate.domain.delivery_events import MessageFailed, PartSent, ReceiptIn, Sweep
from smsgate.domain.model import Message
from smsgate.domain.receipt import ReceiptState
from smsgate.ids import new_message_id
from smsgate.store import schema as s
from tests.conftest import AddRealm, GatewayFactory
from tests.support.waiting import scaled


async def queued(gateway: Gateway, realm_id: int) -> str:
    message = Message(
        id=new_message_id(),
        realm_id=realm_id,
        sender_code="55501",
        phone="12065550100",
        text="hi",
        encoding="gsm7",
        parts=1,
        created_at=time.time(),
    )
    await gateway.accepter.accept(message)
    return message.id


async def status(gateway: Gateway, message_id: str) -> str:
    async with gateway.db.reader.connect() as conn:
        found = await conn.scalar(select(s.messages.c.status).where(s.messages.c.id == message_id))
    return str(found)


async def parked(gateway: Gateway) -> int:
    async with gateway.db.reader.connect() as conn:
        return int(await conn.scalar(select(func.count()).select_from(s.pending_receipts)) or 0)


def parked_count() -> float:
    """smsgate_receipts_parked so far (the registry is per test process)."""
    return REGISTRY.get_sample_value("smsgate_receipts_parked_total") or 0.0


async def test_a_part_recorded_twice_does_not_stop_later_writes(
    gateway_factory: GatewayFactory, add_realm: AddRealm
) -> None:
    gateway = await gateway_factory()
    realm_id = await add_realm(gateway, "acme")
    first, second = await queued(gateway, realm_id), await queued(gateway, realm_id)
    gateway.statuses.part_sent(PartSent(first, 1, "c1", "a1", last=True))
    await gateway.statuses.flush()
    gateway.statuses.part_sent(PartSent(first, 1, "c1", "b2", last=True))  # sent again
    gateway.statuses.put((MessageFailed(second, "ESME_RINVDSTADR"), None))
    # A duplicate that failed the batch would be retried forever: fail, don't hang.
    async with asyncio.timeout(scaled(30)):
        await gateway.statuses.flush()
    assert await status(gateway, second) == "failed"  # the batch after the duplicate was written
    async with gateway.db.reader.connect() as conn:
        ids = (await conn.execute(select(s.message_parts.c.smsc_message_id))).scalars().all()
    assert ids == ["a1"]  # the first record is kept


async def test_a_receipt_parked_under_its_decimal_id_meets_its_hex_part(
    gateway_factory: GatewayFactory, add_realm: AddRealm
) -> None:
    gateway = await gateway_factory()
    message_id = await queued(gateway, await add_realm(gateway, "acme"))
    await gateway.statuses.receipt(ReceiptIn("c1", str(0xA1B2C3), ReceiptState.DELIVERED, "000"))
    assert await parked(gateway) == 1
    gateway.statuses.part_sent(PartSent(message_id, 1, "c1", "A1B2C3", last=True))
    await gateway.statuses.flush()
    assert (await status(gateway, message_id), await parked(gateway)) == ("delivered", 0)


async def test_the_sweep_matches_a_receipt_whose_part_another_node_stored(
    gateway_factory: GatewayFactory, add_realm: AddRealm
) -> None:
    gateway = await gateway_factory()
    message_id = await queued(gateway, await add_realm(gateway, "acme"))
    await gateway.statuses.receipt(ReceiptIn("c1", "ff01", ReceiptState.UNDELIVERABLE, "00B"))
    async with gateway.db.write_engine.begin() as conn:  # as another node's status writer would
        await conn.execute(
            insert(s.message_parts).values(
                message_id=message_id,
                part_no=1,
                connection="c1",
                smsc_message_id="ff01",
                status="sent",
                updated_at=time.time(),
            )
        )
    assert await status(gateway, message_id) == "queued"  # nothing matched it yet
    gateway.statuses.put((Sweep(), None))
    await gateway.statuses.flush()
    assert (await status(gateway, message_id), await parked(gateway)) == ("undeliverable", 0)


async def test_in_one_batch_the_last_receipt_of_a_part_wins(
    gateway_factory: GatewayFactory, add_realm: AddRealm
) -> None:
    """Receipts are written one UPDATE per state, not per receipt: the order still counts."""
    gateway = await gateway_factory()
    realm_id = await add_realm(gateway, "acme")
    x, y = await queued(gateway, realm_id), await queued(gateway, realm_id)
    gateway.statuses.part_sent(PartSent(x, 1, "c1", "a1", last=True))
    gateway.statuses.part_sent(PartSent(y, 1, "c1", "b2", last=True))
    await gateway.statuses.flush()
    batch = [  # one batch: nothing awaits between the puts
        ReceiptIn("c1", "b2", ReceiptState.DELIVERED, None),
        ReceiptIn("c1", "a1", ReceiptState.ENROUTE, None),
        ReceiptIn("c1", "a1", ReceiptState.DELIVERED, None),
        ReceiptIn("c1", "b2", ReceiptState.ENROUTE, None),  # late, and not final
    ]
    for event in batch:
        gateway.statuses.put((event, None))
    await gateway.statuses.flush()
    async with gateway.db.reader.connect() as conn:
        rows = await conn.execute(select(s.message_parts.c.message_id, s.message_parts.c.status))
        parts = {message_id: state for message_id, state in rows}
    assert parts == {x: "delivered", y: "enroute"}
    assert await status(gateway, x) == "delivered"
    assert await status(gateway, y) == "delivered"  # a later intermediate state does not undo it


async def test_a_receipt_read_after_its_submit_response_is_not_parked(
    gateway_factory: GatewayFactory, add_realm: AddRealm
) -> None:
    """The SMPP session hands over a receipt at once, while the dispatcher records the part
    from a callback of the submit_sm_resp read just before it. A batch taken between the
    two would park the receipt; `store_receipt` queues it behind that callback."""
    gateway = await gateway_factory()
    message_id = await queued(gateway, await add_realm(gateway, "acme"))
    await gateway.statuses.flush()
    gateway.statuses.put((None, None))  # the batcher is woken: it takes a batch next step
    sent = PartSent(message_id, 1, "c1", "a1", last=True)
    asyncio.get_running_loop().call_soon(gateway.statuses.part_sent, sent)  # the resp's callback
    before = parked_count()
    await gateway.statuses.store_receipt(ReceiptIn("c1", "a1", ReceiptState.DELIVERED, None))
    assert parked_count() == before  # not even for one batch
    assert (await status(gateway, message_id), await parked(gateway)) == ("delivered", 0)


async def test_parked_receipts_are_counted(
    gateway_factory: GatewayFactory, add_realm: AddRealm
) -> None:
    gateway = await gateway_factory()
    message_id = await queued(gateway, await add_realm(gateway, "acme"))
    before = parked_count()
    await gateway.statuses.receipt(ReceiptIn("c1", "b7", ReceiptState.DELIVERED, None))
    assert parked_count() == before + 1
    gateway.statuses.part_sent(PartSent(message_id, 1, "c1", "b7", last=True))
    await gateway.statuses.flush()
    assert parked_count() == before + 1  # matched: not parked again
    assert (await status(gateway, message_id), await parked(gateway)) == ("delivered", 0)
