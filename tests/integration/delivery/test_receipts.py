"""Delivery receipts: matched to their part in any id spelling, rolled up over the parts of a
message, and never dropped when they arrive before the submit_sm_resp."""

import pytest
from sqlalchemy import func, select

from smsgate.bootstrap import Gateway
from smsgate.store import schema as s
from tests.fakes.more_smsc import PerPartReceiptSMSC, ReceiptFirstSMSC, TextIdReceiptSMSC
from tests.fakes.smsc import DeliveryReceiptSMSC, ReceiptBeforeRespSMSC
from tests.integration.delivery.conftest import (
    StartGateway,
    StartSmsc,
    add_realm,
    parts,
    rows,
    send,
    send_many,
    wait_status,
)

LONG_TEXT = "x" * 400  # three GSM parts


async def pending_receipts(gateway: Gateway) -> int:
    async with gateway.db.reader.connect() as conn:
        return int(await conn.scalar(select(func.count()).select_from(s.pending_receipts)) or 0)


async def test_receipt_makes_the_message_delivered(
    start_smsc: StartSmsc, start_gateway: StartGateway, database_url: str
) -> None:
    smsc = await start_smsc(DeliveryReceiptSMSC())
    gateway = await start_gateway(smsc, database_url=database_url, request_receipts=False)
    realm_id = await add_realm(gateway)

    messages = await send_many(gateway, realm_id, 10)
    await smsc.wait_for("deliver_sm_acked", 10)
    await wait_status(gateway, messages, "delivered")
    for message in messages:
        assert [p.status for p in await parts(gateway, message.id)] == ["delivered"]
    assert await pending_receipts(gateway) == 0


@pytest.mark.parametrize(
    ("style", "spell"),
    [
        ("hex", str),  # submit_sm_resp "a1b2c300", receipt "2712847104"
        ("decimal", lambda n: f"{n:x}"),  # the other way round
        ("hex", lambda n: f"{n:012X}"),  # upper case with leading zeros
    ],
    ids=["hex-then-decimal", "decimal-then-hex", "hex-then-padded-upper"],
)
async def test_receipt_id_is_matched_in_either_base(
    start_smsc: StartSmsc, start_gateway: StartGateway, style: str, spell: object
) -> None:
    smsc = await start_smsc(TextIdReceiptSMSC(spell, message_id_style=style))  # type: ignore[arg-type]
    gateway = await start_gateway(smsc)
    realm_id = await add_realm(gateway)

    messages = await send_many(gateway, realm_id, 5)
    await smsc.wait_for("deliver_sm_acked", 5)
    await wait_status(gateway, messages, "delivered")
    assert await pending_receipts(gateway) == 0  # none was parked as unmatched


async def test_undeliv_receipt_makes_the_message_undeliverable(
    start_smsc: StartSmsc, start_gateway: StartGateway
) -> None:
    smsc = await start_smsc(DeliveryReceiptSMSC(stat="UNDELIV", err="001"))
    gateway = await start_gateway(smsc)
    realm_id = await add_realm(gateway)

    message = await send(gateway, realm_id)
    await wait_status(gateway, [message], "undeliverable")
    [part] = await parts(gateway, message.id)
    assert (part.status, part.error) == ("undeliverable", "001")


async def test_multipart_is_delivered_only_when_every_part_is(
    start_smsc: StartSmsc, start_gateway: StartGateway, database_url: str
) -> None:
    smsc = await start_smsc(PerPartReceiptSMSC(hold=frozenset({3})))
    gateway = await start_gateway(smsc, database_url=database_url)
    realm_id = await add_realm(gateway)

    message = await send(gateway, realm_id, LONG_TEXT)
    await smsc.wait_for("deliver_sm_acked", 2)
    await wait_status(gateway, [message], "sent")
    assert [p.status for p in await parts(gateway, message.id)] == [
        "delivered",
        "delivered",
        "sent",
    ]
    assert (await rows(gateway, [message.id]))[message.id].status == "sent"

    smsc.release_held()
    await smsc.wait_for("deliver_sm_acked", 3)
    await wait_status(gateway, [message], "delivered")
    assert [p.status for p in await parts(gateway, message.id)] == ["delivered"] * 3


async def test_one_undeliverable_part_makes_the_message_undeliverable(
    start_smsc: StartSmsc, start_gateway: StartGateway
) -> None:
    smsc = await start_smsc(PerPartReceiptSMSC(stats={2: "UNDELIV"}))
    gateway = await start_gateway(smsc)
    realm_id = await add_realm(gateway)

    message = await send(gateway, realm_id, LONG_TEXT)
    await smsc.wait_for("deliver_sm_acked", 3)
    await wait_status(gateway, [message], "undeliverable")
    assert [p.status for p in await parts(gateway, message.id)] == [
        "delivered",
        "undeliverable",
        "delivered",
    ]


async def test_receipt_before_submit_resp_is_parked_then_applied(
    start_smsc: StartSmsc, start_gateway: StartGateway
) -> None:
    smsc = await start_smsc(ReceiptFirstSMSC())
    gateway = await start_gateway(smsc)
    realm_id = await add_realm(gateway)

    message = await send(gateway, realm_id)
    await smsc.wait_for("deliver_sm_acked", 1)  # acknowledged: it is on disk
    assert smsc.delivered[0][1] == 0
    assert await pending_receipts(gateway) == 1
    assert (await rows(gateway, [message.id]))[message.id].status == "sending"

    smsc.release.set()  # now the submit_sm_resp with the id the receipt named
    await wait_status(gateway, [message], "delivered")
    assert await pending_receipts(gateway) == 0


async def test_receipts_racing_their_submit_resp_are_never_dropped(
    start_smsc: StartSmsc, start_gateway: StartGateway
) -> None:
    smsc = await start_smsc(ReceiptBeforeRespSMSC())
    gateway = await start_gateway(smsc)
    realm_id = await add_realm(gateway)

    messages = await send_many(gateway, realm_id, 30)
    await smsc.wait_for("deliver_sm_acked", 30)
    await wait_status(gateway, messages, "delivered")
    assert await pending_receipts(gateway) == 0
