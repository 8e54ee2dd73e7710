"""The SMSC simulator as a server: binding rules, ids, receipts, robustness, lifecycle."""

import asyncio
import itertools
import logging
import struct
import time
from dataclasses import replace

import pytest

from smsgate.smpp.pdu import (
    TLV_MESSAGE_STATE,
    TLV_RECEIPTED_MESSAGE_ID,
    Bind,
    BindResp,
    CommandId,
    CommandStatus,
    DeliverSm,
    EnquireLink,
    EnquireLinkResp,
    GenericNack,
    SubmitSm,
    SubmitSmResp,
    encode,
    get_tlv,
)
from smsgate.smpp.simulator import SmscSimulator
from tests.integration.smpp.support import (
    RECEIPTED,
    SUBMIT,
    EsmeFactory,
    Inbox,
    RawFactory,
    SmscFactory,
    read_pdu,
    send_pdu,
)

S = CommandStatus


async def test_listens_on_loopback_and_says_it_is_a_simulator(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="smsgate.smpp.simulator")
    async with SmscSimulator() as sim:
        assert sim.host == "127.0.0.1" and sim.port > 0
    (record,) = [r for r in caplog.records if r.name == "smsgate.smpp.simulator"]
    assert record.getMessage() == (
        f"SMSC SIMULATOR listening on 127.0.0.1:{sim.port} (not a real carrier)"
    )


async def test_records_submits_and_counts(smsc: SmscFactory, esme: EsmeFactory) -> None:
    sim = await smsc()
    session = await esme(sim)
    pdu = SubmitSm(source_addr="ACME", destination_addr="15550001111", short_message=b"x")
    resp = await session.submit(pdu)
    assert sim.submitted == [replace(pdu, sequence_number=2)]  # bind was 1
    assert sim.messages[resp.message_id].destination_addr == "15550001111"
    assert sim.counters["bind"] == 1 and sim.counters["bound"] == 1
    assert sim.counters["submit_sm"] == 1 and sim.counters["connections"] == 1


async def test_wait_for_times_out_with_a_useful_message(smsc: SmscFactory) -> None:
    sim = await smsc()
    with pytest.raises(TimeoutError, match=r"submit_sm=0, waited for 1"):
        await sim.wait_for_submits(1, timeout=0.01)


async def test_id_styles_are_configurable(smsc: SmscFactory, esme: EsmeFactory) -> None:
    sim = await smsc(message_id_style="decimal", receipt_id_style="hex", first_message_id=255)
    inbox = Inbox()
    session = await esme(sim, on_deliver_sm=inbox)
    resp = await session.submit(RECEIPTED)
    assert resp.message_id == "255"
    (receipt,) = await inbox.wait_for(1)
    assert receipt.short_message.startswith(b"id:ff ")
    assert get_tlv(receipt.tlvs, TLV_RECEIPTED_MESSAGE_ID) == b"ff\0"


async def test_default_ids_differ_between_resp_and_receipt(
    smsc: SmscFactory, esme: EsmeFactory
) -> None:
    sim = await smsc()
    inbox = Inbox()
    session = await esme(sim, on_deliver_sm=inbox)
    resp = await session.submit(RECEIPTED)
    (receipt,) = await inbox.wait_for(1)
    assert resp.message_id == "a1b2c300"  # hex with letters: cannot be mistaken for decimal
    assert receipt.short_message.startswith(f"id:{0xA1B2C300} ".encode())


async def test_receipt_delay_and_stat(smsc: SmscFactory, esme: EsmeFactory) -> None:
    sim = await smsc(receipt_delay=0.05, receipt_stat="EXPIRED", receipt_err="001")
    inbox = Inbox()
    session = await esme(sim, on_deliver_sm=inbox)
    await session.submit(RECEIPTED)
    assert inbox.items == []
    (receipt,) = await inbox.wait_for(1)
    assert b"stat:EXPIRED err:001" in receipt.short_message
    assert get_tlv(receipt.tlvs, TLV_MESSAGE_STATE) == b"\x03"


async def test_no_receipt_unless_requested(smsc: SmscFactory, esme: EsmeFactory) -> None:
    sim = await smsc()
    inbox = Inbox()
    session = await esme(sim, on_deliver_sm=inbox)
    await session.submit(SUBMIT)
    await session.request(EnquireLink())  # a round trip after the submit
    assert inbox.items == [] and sim.counters["receipts_sent"] == 0


class Refusing(Inbox):
    """An ESME that refuses every deliver_sm with `status`, noting when each arrived."""

    def __init__(self, status: int) -> None:
        super().__init__(status)
        self.times: list[float] = []

    def __call__(self, pdu: DeliverSm) -> int | None:
        self.times.append(time.monotonic())
        return super().__call__(pdu)


async def test_a_refused_receipt_is_redelivered_with_backoff_then_dropped(
    smsc: SmscFactory, esme: EsmeFactory
) -> None:
    """Like a real SMSC: the ESME could not store it (ESME_RX_T_APPN), so it comes again,
    after 0.5-1x a delay that doubles up to the maximum, and is given up after the last
    attempt."""
    sim = await smsc(redeliver_delay=0.02, redeliver_max_delay=0.08, redeliver_attempts=4)
    refusing = Refusing(S.ESME_RX_T_APPN)
    session = await esme(sim, on_deliver_sm=refusing)
    await session.submit(RECEIPTED)
    await sim.wait_for("receipts_dropped", 1)

    first, *again = await refusing.wait_for(5)
    assert len(again) == 4 and all(pdu.short_message == first.short_message for pdu in again)
    gaps = [later - earlier for earlier, later in itertools.pairwise(refusing.times)]
    steps = [0.02, 0.04, 0.08, 0.08]  # doubling, capped at redeliver_max_delay
    assert all(gap >= step / 2 for gap, step in zip(gaps, steps, strict=True)), gaps
    assert sim.counters["receipts_redelivered"] == 4
    assert [status for _, status in sim.delivered] == [S.ESME_RX_T_APPN] * 5


@pytest.mark.parametrize("status", [S.ESME_RX_P_APPN, S.ESME_RX_R_APPN])
async def test_a_receipt_refused_for_good_is_not_redelivered(
    smsc: SmscFactory, esme: EsmeFactory, status: int
) -> None:
    sim = await smsc(redeliver_delay=0.01)
    session = await esme(sim, on_deliver_sm=Refusing(status))
    await session.submit(RECEIPTED)
    await sim.wait_for("deliver_sm_nacked", 1)
    assert not sim._timers  # nothing scheduled: decided when the answer came
    assert sim.counters["receipts_redelivered"] == sim.counters["receipts_dropped"] == 0


async def test_no_redelivery_when_told_so(smsc: SmscFactory, esme: EsmeFactory) -> None:
    sim = await smsc(redeliver_attempts=0)
    session = await esme(sim, on_deliver_sm=Refusing(S.ESME_RX_T_APPN))
    await session.submit(RECEIPTED)
    await sim.wait_for("receipts_dropped", 1)
    assert sim.counters["receipts_redelivered"] == 0 and sim.counters["deliver_sm_nacked"] == 1


async def test_submit_needs_a_transmitting_bind(
    smsc: SmscFactory, esme: EsmeFactory, raw: RawFactory
) -> None:
    sim = await smsc()
    reader, writer = await raw(sim)
    send_pdu(writer, SubmitSm(sequence_number=1))
    assert await read_pdu(reader) == SubmitSmResp(sequence_number=1, command_status=4)
    receiver = await esme(sim, bind="receiver")
    resp = await receiver.submit(SUBMIT)
    assert resp.command_status == S.ESME_RINVBNDSTS


async def test_second_bind_is_refused(smsc: SmscFactory, raw: RawFactory) -> None:
    sim = await smsc()
    reader, writer = await raw(sim)
    bind = Bind(command_id=CommandId.BIND_TRANSMITTER, sequence_number=1, system_id="a")
    send_pdu(writer, bind)
    first = await read_pdu(reader)
    assert isinstance(first, BindResp) and first.command_status == S.ESME_ROK
    assert first.command_id == CommandId.BIND_TRANSMITTER_RESP
    send_pdu(writer, Bind(command_id=CommandId.BIND_TRANSMITTER, sequence_number=2))
    second = await read_pdu(reader)
    assert isinstance(second, BindResp) and second.command_status == S.ESME_RALYBND


async def test_malformed_input_is_answered_and_the_simulator_survives(
    smsc: SmscFactory, raw: RawFactory
) -> None:
    sim = await smsc()
    reader, writer = await raw(sim)
    writer.write(struct.pack(">IIII", 16, 0x44, 0, 7))  # unknown command id
    assert await read_pdu(reader) == GenericNack(sequence_number=7, command_status=3)
    body = b"\x00\x00\x00" + b"9" * 80  # submit_sm with an overlong source_addr
    writer.write(struct.pack(">IIII", 16 + len(body), 4, 0, 8) + body)
    assert await read_pdu(reader) == SubmitSmResp(sequence_number=8, command_status=0x0A)
    frame = encode(EnquireLink(sequence_number=9))
    writer.write(frame[:5])  # split across writes: framing must reassemble
    await writer.drain()
    writer.write(frame[5:])
    assert await read_pdu(reader) == EnquireLinkResp(sequence_number=9)


async def test_impossible_command_length_gets_nack_and_close(
    smsc: SmscFactory, raw: RawFactory
) -> None:
    sim = await smsc()
    reader, writer = await raw(sim)
    writer.write(struct.pack(">IIII", 0xFFFFFFFF, 4, 0, 3))
    assert await read_pdu(reader) == GenericNack(sequence_number=3, command_status=2)
    assert await asyncio.wait_for(reader.read(), 5) == b""  # closed
    await sim.wait_for("disconnections", 1)


async def test_stop_closes_client_connections(smsc: SmscFactory, esme: EsmeFactory) -> None:
    sim = await smsc()
    session = await esme(sim)
    await sim.stop()
    await asyncio.wait_for(session.wait_closed(), 5)
    assert not sim.sessions


async def test_inject_mo_without_receiver(smsc: SmscFactory, esme: EsmeFactory) -> None:
    sim = await smsc()
    await esme(sim, bind="transmitter")
    with pytest.raises(LookupError):
        await sim.inject_mo("1", "2", b"hi")


async def test_inject_mo_targets_a_system_id(smsc: SmscFactory, esme: EsmeFactory) -> None:
    sim = await smsc()
    first, second = Inbox(), Inbox()
    await esme(sim, system_id="one", on_deliver_sm=first)
    await esme(sim, system_id="two", on_deliver_sm=second)
    assert await sim.inject_mo("1", "2", b"hi", system_id="two") == S.ESME_ROK
    assert first.items == [] and len(second.items) == 1
