"""Each fake SMSC in tests/fakes/smsc.py behaves as its name says."""

import asyncio

import pytest

from smsgate.smpp.client import connect
from smsgate.smpp.errors import BindFailed, SmppTimeout
from smsgate.smpp.pdu import TLV_MESSAGE_STATE, CommandStatus, DeliverSm, EnquireLink, get_tlv
from tests.fakes.smsc import (
    BindRefusedSMSC,
    DeliveryReceiptSMSC,
    DropConnectionSMSC,
    ErrorOnSubmitSMSC,
    HappySMSC,
    QueueFullSMSC,
    ReceiptBeforeRespSMSC,
    SilentEnquireLinkSMSC,
    SlowResponseSMSC,
    ThrottlingSMSC,
)
from tests.integration.smpp.support import RECEIPTED, SUBMIT, EsmeFactory, Inbox, SmscFactory

S = CommandStatus


async def _statuses(esme: EsmeFactory, sim: object, n: int) -> list[int]:
    session = await esme(sim)
    return [(await session.submit(SUBMIT)).command_status for _ in range(n)]


async def test_happy(smsc: SmscFactory, esme: EsmeFactory) -> None:
    sim = await smsc(HappySMSC)
    assert await _statuses(esme, sim, 3) == [S.ESME_ROK] * 3


async def test_delivery_receipt_smsc_always_sends_its_outcome(
    smsc: SmscFactory, esme: EsmeFactory
) -> None:
    sim = await smsc(DeliveryReceiptSMSC, stat="UNDELIV", err="005")
    inbox = Inbox()
    session = await esme(sim, on_deliver_sm=inbox)
    await session.submit(SUBMIT)  # no registered_delivery asked
    (receipt,) = await inbox.wait_for(1)
    assert b"stat:UNDELIV err:005" in receipt.short_message
    assert get_tlv(receipt.tlvs, TLV_MESSAGE_STATE) == b"\x05"


async def test_throttling_first_n(smsc: SmscFactory, esme: EsmeFactory) -> None:
    sim = await smsc(ThrottlingSMSC, first=2)
    assert await _statuses(esme, sim, 4) == [S.ESME_RTHROTTLED] * 2 + [S.ESME_ROK] * 2


async def test_throttling_every_kth(smsc: SmscFactory, esme: EsmeFactory) -> None:
    sim = await smsc(ThrottlingSMSC, first=0, every=3)
    statuses = await _statuses(esme, sim, 6)
    assert statuses == [0, 0, S.ESME_RTHROTTLED, 0, 0, S.ESME_RTHROTTLED]


async def test_queue_full(smsc: SmscFactory, esme: EsmeFactory) -> None:
    sim = await smsc(QueueFullSMSC, first=1)
    assert await _statuses(esme, sim, 2) == [S.ESME_RMSGQFUL, S.ESME_ROK]


async def test_error_on_submit(smsc: SmscFactory, esme: EsmeFactory) -> None:
    sim = await smsc(ErrorOnSubmitSMSC)
    assert await _statuses(esme, sim, 2) == [S.ESME_RINVDSTADR] * 2
    other = await smsc(ErrorOnSubmitSMSC, status=S.ESME_RSUBMITFAIL)
    assert await _statuses(esme, other, 1) == [S.ESME_RSUBMITFAIL]


async def test_drop_connection_once_then_normal(smsc: SmscFactory, esme: EsmeFactory) -> None:
    sim = await smsc(DropConnectionSMSC, after=2)
    first = await esme(sim)
    assert [(await first.submit(SUBMIT)).command_status for _ in range(2)] == [0, 0]
    with pytest.raises(ConnectionError):
        await first.submit(SUBMIT)
    await first.wait_closed()
    second = await esme(sim)  # what a reconnecting dispatcher would see
    assert (await second.submit(SUBMIT)).command_status == S.ESME_ROK
    assert sim.drops == 1  # type: ignore[attr-defined]


async def test_slow_response(smsc: SmscFactory, esme: EsmeFactory) -> None:
    sim = await smsc(SlowResponseSMSC, delay=0.3)
    session = await esme(sim)
    with pytest.raises(SmppTimeout):
        await session.submit(SUBMIT, timeout=0.02)
    fast = await smsc(SlowResponseSMSC, delay=0.01)
    assert (await (await esme(fast)).submit(SUBMIT)).command_status == S.ESME_ROK


async def test_receipt_before_resp(smsc: SmscFactory, esme: EsmeFactory) -> None:
    sim = await smsc(ReceiptBeforeRespSMSC)
    inbox = Inbox()
    session = await esme(sim, on_deliver_sm=inbox)
    resp = await session.submit(RECEIPTED)
    assert len(inbox.items) == 1  # already there when submit() returned
    assert inbox.items[0].short_message.startswith(f"id:{int(resp.message_id, 16)} ".encode())


async def test_bind_refused(smsc: SmscFactory) -> None:
    sim = await smsc(BindRefusedSMSC)
    with pytest.raises(BindFailed) as caught:
        await connect("127.0.0.1", sim.port, system_id="a", password="b", bind="transmitter")
    assert caught.value.status == S.ESME_RBINDFAIL
    assert "ESME_RBINDFAIL" in str(caught.value)


async def test_silent_enquire_link(smsc: SmscFactory, esme: EsmeFactory) -> None:
    sim = await smsc(SilentEnquireLinkSMSC)
    session = await esme(sim, enquire_link_interval=None)
    with pytest.raises(SmppTimeout):
        await session.request(EnquireLink(), timeout=0.02)


async def test_receipt_callback_sees_every_field(smsc: SmscFactory, esme: EsmeFactory) -> None:
    """The receipt a fake sends decodes into a complete DeliverSm on the client."""
    sim = await smsc(DeliveryReceiptSMSC)
    got: asyncio.Queue[DeliverSm] = asyncio.Queue()
    session = await esme(sim, on_deliver_sm=got.put_nowait)
    await session.submit(SUBMIT)
    receipt = await asyncio.wait_for(got.get(), 5)
    assert receipt.esm_class == 0x04 and receipt.data_coding == 0
