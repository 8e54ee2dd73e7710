"""Mobile-originated messages: stored, STOP/START/HELP acted on and answered, multipart MOs
reassembled first, and acknowledged to the SMSC only once they are on disk."""

from typing import Any

import pytest
from sqlalchemy import select, text

from smsgate.bootstrap import Gateway
from smsgate.constants import ESM_CLASS_UDHI
from smsgate.domain.encoding import concat_udh, gsm7_decode, gsm7_encode
from smsgate.domain.keywords import DEFAULT_HELP_REPLY, DEFAULT_START_REPLY, DEFAULT_STOP_REPLY
from smsgate.smpp.codes import (
    TLV_SAR_MSG_REF_NUM,
    TLV_SAR_SEGMENT_SEQNUM,
    TLV_SAR_TOTAL_SEGMENTS,
    CommandStatus,
)
from smsgate.smpp.simulator import SmscSimulator
from smsgate.store import schema as s
from tests.fakes.smsc import HappySMSC
from tests.integration.delivery.conftest import (
    CODE,
    StartGateway,
    StartSmsc,
    add_realm,
    wait_status,
)

HANDSET = "2065550123"  # as the SMSC gives it: national
PHONE = "12065550123"  # as the gateway stores it


async def table(gateway: Gateway, t: Any) -> list[Any]:
    async with gateway.db.reader.connect() as conn:
        return list(await conn.execute(select(t).order_by(t.c[next(iter(t.c.keys()))])))


async def bound(start_smsc: StartSmsc, start_gateway: StartGateway, **kw: Any) -> Any:
    smsc = await start_smsc(HappySMSC())
    gateway = await start_gateway(smsc, **kw)
    realm_id = await add_realm(gateway)
    await smsc.wait_for("bound", 1)
    return smsc, gateway, realm_id


async def mo(smsc: SmscSimulator, body: str, to: str = CODE, **kw: Any) -> int:
    return await smsc.inject_mo(HANDSET, to, gsm7_encode(body), **kw)


async def test_stop_opts_out_records_the_evidence_and_confirms(
    start_smsc: StartSmsc, start_gateway: StartGateway, database_url: str
) -> None:
    smsc, gateway, realm_id = await bound(start_smsc, start_gateway, database_url=database_url)

    assert await mo(smsc, "STOP") == CommandStatus.ESME_ROK

    # acknowledged, so already stored: no waiting
    [inbound] = await table(gateway, s.inbound_messages)
    assert (inbound.realm_id, inbound.sender_code, inbound.phone, inbound.text) == (
        realm_id,
        CODE,
        PHONE,
        "STOP",
    )
    assert inbound.keyword == "stop"
    [opt_out] = await table(gateway, s.opt_outs)
    assert (opt_out.realm_id, opt_out.phone, opt_out.sender_code, opt_out.source) == (
        realm_id,
        PHONE,
        CODE,
        "mo",
    )
    [event] = await table(gateway, s.opt_out_events)
    assert (event.action, event.source, event.inbound_id) == ("out", "mo", inbound.id)
    [reply] = await table(gateway, s.messages)
    assert (reply.kind, reply.phone, reply.sender_code, reply.text) == (
        "reply",
        PHONE,
        CODE,
        DEFAULT_STOP_REPLY,
    )

    await smsc.wait_for_submits(1)  # sent although the phone has just opted out
    [submit] = smsc.submitted
    assert (submit.destination_addr, submit.source_addr) == (PHONE, CODE)
    assert gsm7_decode(submit.short_message) == DEFAULT_STOP_REPLY
    await wait_status(gateway, [reply.id], "delivered")


@pytest.mark.parametrize("body", ["stop ", "Unsubscribe", " quit\n"])
async def test_stop_keywords_in_any_case_and_spacing(
    start_smsc: StartSmsc, start_gateway: StartGateway, body: str
) -> None:
    smsc, gateway, realm_id = await bound(start_smsc, start_gateway)

    assert await mo(smsc, body) == CommandStatus.ESME_ROK
    assert [(o.realm_id, o.phone) for o in await table(gateway, s.opt_outs)] == [(realm_id, PHONE)]
    await smsc.wait_for_submits(1)
    assert gsm7_decode(smsc.submitted[0].short_message) == DEFAULT_STOP_REPLY


async def test_not_a_keyword_is_stored_and_nothing_else(
    start_smsc: StartSmsc, start_gateway: StartGateway
) -> None:
    smsc, gateway, _ = await bound(start_smsc, start_gateway)

    assert await mo(smsc, "stop please") == CommandStatus.ESME_ROK
    [inbound] = await table(gateway, s.inbound_messages)
    assert inbound.keyword == "none"
    assert await table(gateway, s.opt_outs) == []
    assert await table(gateway, s.messages) == []


async def test_start_removes_the_opt_out_and_help_answers(
    start_smsc: StartSmsc, start_gateway: StartGateway
) -> None:
    smsc, gateway, _ = await bound(start_smsc, start_gateway)

    assert await mo(smsc, "STOP") == CommandStatus.ESME_ROK
    assert len(await table(gateway, s.opt_outs)) == 1
    assert await mo(smsc, "start") == CommandStatus.ESME_ROK
    assert await table(gateway, s.opt_outs) == []
    assert await mo(smsc, "HELP") == CommandStatus.ESME_ROK
    assert await table(gateway, s.opt_outs) == []

    events = await table(gateway, s.opt_out_events)
    inbound = await table(gateway, s.inbound_messages)
    assert [(e.action, e.inbound_id) for e in events] == [
        ("out", inbound[0].id),
        ("in", inbound[1].id),
    ]
    assert [i.keyword for i in inbound] == ["stop", "start", "help"]
    await smsc.wait_for_submits(3)
    replies = {gsm7_decode(p.short_message) for p in smsc.submitted}
    assert replies == {DEFAULT_STOP_REPLY, DEFAULT_START_REPLY, DEFAULT_HELP_REPLY}
    assert {p.destination_addr for p in smsc.submitted} == {PHONE}


async def test_mo_to_an_unknown_code_is_kept_without_a_realm(
    start_smsc: StartSmsc, start_gateway: StartGateway
) -> None:
    smsc, gateway, _ = await bound(start_smsc, start_gateway)

    assert await mo(smsc, "STOP", to="99999") == CommandStatus.ESME_ROK
    [inbound] = await table(gateway, s.inbound_messages)
    assert (inbound.realm_id, inbound.sender_code, inbound.phone) == (None, "99999", PHONE)
    assert await table(gateway, s.opt_outs) == []
    assert await table(gateway, s.opt_out_events) == []
    assert await table(gateway, s.messages) == []


async def test_multipart_mo_with_udh_is_reassembled_before_matching(
    start_smsc: StartSmsc, start_gateway: StartGateway
) -> None:
    smsc, gateway, _ = await bound(start_smsc, start_gateway)

    first = concat_udh(0x42, 2, 1) + gsm7_encode("ST")
    second = concat_udh(0x42, 2, 2) + gsm7_encode("OP")
    assert await smsc.inject_mo(HANDSET, CODE, first, esm_class=ESM_CLASS_UDHI) == 0
    assert await table(gateway, s.inbound_messages) == []  # half a message is not a message
    assert await smsc.inject_mo(HANDSET, CODE, second, esm_class=ESM_CLASS_UDHI) == 0

    [inbound] = await table(gateway, s.inbound_messages)
    assert (inbound.text, inbound.keyword) == ("STOP", "stop")
    assert len(await table(gateway, s.opt_outs)) == 1


async def test_multipart_mo_with_sar_tlvs_out_of_order_is_reassembled(
    start_smsc: StartSmsc, start_gateway: StartGateway
) -> None:
    smsc, gateway, _ = await bound(start_smsc, start_gateway)

    def sar(seq: int) -> list[tuple[int, bytes]]:
        return [
            (TLV_SAR_MSG_REF_NUM, (0x1234).to_bytes(2, "big")),
            (TLV_SAR_TOTAL_SEGMENTS, bytes([3])),
            (TLV_SAR_SEGMENT_SEQNUM, bytes([seq])),
        ]

    assert await smsc.inject_mo(HANDSET, CODE, gsm7_encode("SCR"), tlvs=sar(3)) == 0
    assert await smsc.inject_mo(HANDSET, CODE, gsm7_encode("UN"), tlvs=sar(1)) == 0
    assert await table(gateway, s.inbound_messages) == []
    assert await smsc.inject_mo(HANDSET, CODE, gsm7_encode("SUB"), tlvs=sar(2)) == 0

    [inbound] = await table(gateway, s.inbound_messages)
    assert (inbound.text, inbound.keyword) == ("UNSUBSCR", "none")  # joined in part order


async def test_mo_is_not_acknowledged_when_it_cannot_be_stored(
    start_smsc: StartSmsc, start_gateway: StartGateway
) -> None:
    smsc, gateway, _ = await bound(start_smsc, start_gateway)
    async with gateway.db.writer.begin() as conn:  # the table is gone: every insert fails
        await conn.execute(text("ALTER TABLE inbound_messages RENAME TO inbound_away"))

    status = await mo(smsc, "STOP")

    assert status == CommandStatus.ESME_RX_T_APPN  # temporary: the SMSC delivers it again
    async with gateway.db.writer.begin() as conn:
        await conn.execute(text("ALTER TABLE inbound_away RENAME TO inbound_messages"))
    assert await table(gateway, s.inbound_messages) == []
    assert await table(gateway, s.opt_outs) == []  # nothing half-done
    assert await table(gateway, s.messages) == []

    assert await mo(smsc, "STOP") == CommandStatus.ESME_ROK  # the redelivery
    assert len(await table(gateway, s.inbound_messages)) == 1
    assert len(await table(gateway, s.opt_outs)) == 1


async def test_the_sender_codes_own_reply_is_used(
    start_smsc: StartSmsc, start_gateway: StartGateway
) -> None:
    smsc = await start_smsc(HappySMSC())
    gateway = await start_gateway(smsc)
    await add_realm(gateway, replies={"stop_reply": "Acme: unsubscribed. Text START to rejoin"})
    await smsc.wait_for("bound", 1)

    assert await mo(smsc, "cancel") == CommandStatus.ESME_ROK
    await smsc.wait_for_submits(1)
    assert (
        gsm7_decode(smsc.submitted[0].short_message) == "Acme: unsubscribed. Text START to rejoin"
    )
