"""Mobile-originated messages: stored, STOP/START/HELP acted on and answered, multipart MOs
reassembled first, and acknowledged to the SMSC only once they are on disk."""

import logging
from typing import Any

import pytest
from prometheus_client import REGISTRY
from sqlalchemy import select, text

from smsgate.bootstrap import Gateway
from smsgate.constants import DATA_CODING_GSM7, DATA_CODING_UCS2, ESM_CLASS_UDHI
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


@pytest.mark.parametrize(
    ("body", "coding"),
    [
        ("stop.", DATA_CODING_GSM7),
        ("STOP!", DATA_CODING_GSM7),
        ("STOP ALL", DATA_CODING_GSM7),
        ("Stop please", DATA_CODING_GSM7),
        ("OPT OUT", DATA_CODING_GSM7),
        ("Opt-out", DATA_CODING_GSM7),
        ("\uff33\uff34\uff2f\uff30", DATA_CODING_UCS2),  # fullwidth, as a handset sends it
    ],
)
async def test_stop_phrasings_opt_out(
    start_smsc: StartSmsc, start_gateway: StartGateway, body: str, coding: int
) -> None:
    smsc, gateway, realm_id = await bound(start_smsc, start_gateway)
    payload = gsm7_encode(body) if coding == DATA_CODING_GSM7 else body.encode("utf-16-be")

    assert await smsc.inject_mo(HANDSET, CODE, payload, coding) == CommandStatus.ESME_ROK

    [inbound] = await table(gateway, s.inbound_messages)
    assert (inbound.text, inbound.keyword) == (body, "stop")
    assert [(o.realm_id, o.phone, o.sender_code) for o in await table(gateway, s.opt_outs)] == [
        (realm_id, PHONE, CODE)
    ]


def possible_optouts() -> float:
    return REGISTRY.get_sample_value("smsgate_mo_possible_optout_total") or 0.0


async def test_a_stop_word_later_on_is_stored_counted_and_nothing_else(
    start_smsc: StartSmsc, start_gateway: StartGateway, caplog: pytest.LogCaptureFixture
) -> None:
    smsc, gateway, _ = await bound(start_smsc, start_gateway)
    before = possible_optouts()

    with caplog.at_level(logging.INFO, logger="smsgate.services.inbound"):
        assert await mo(smsc, "please stop") == CommandStatus.ESME_ROK
        assert await mo(smsc, "see you later") == CommandStatus.ESME_ROK

    first, second = await table(gateway, s.inbound_messages)
    assert (first.keyword, second.keyword) == ("none", "none")
    assert possible_optouts() == before + 1
    [logged] = [r.getMessage() for r in caplog.records if "may be an opt-out" in r.getMessage()]
    assert logged == f"MO {first.id} to {CODE} may be an opt-out: review it"
    assert "please" not in logged  # the subscriber's text is not logged
    assert await table(gateway, s.opt_outs) == []
    assert await table(gateway, s.messages) == []


LONG_CODE = "120162701555"  # the WhatCounts example: 12 digits, too long for the NANP


@pytest.mark.parametrize("to", ["+120162701555", " 120162701555", "20162701555"])
async def test_a_stop_to_another_spelling_of_the_sender_code_opts_out(
    start_smsc: StartSmsc, start_gateway: StartGateway, to: str
) -> None:
    smsc = await start_smsc(HappySMSC())
    gateway = await start_gateway(smsc)
    realm_id = await add_realm(gateway, LONG_CODE)
    await smsc.wait_for("bound", 1)

    assert await mo(smsc, "STOP", to=to) == CommandStatus.ESME_ROK

    [inbound] = await table(gateway, s.inbound_messages)
    assert (inbound.realm_id, inbound.sender_code, inbound.keyword) == (realm_id, LONG_CODE, "stop")
    [opt_out] = await table(gateway, s.opt_outs)
    assert (opt_out.phone, opt_out.sender_code) == (PHONE, LONG_CODE)


@pytest.mark.parametrize("source", ["+12065550123", "0012065550123", "01112065550123"])
async def test_every_spelling_of_the_source_is_one_phone(
    start_smsc: StartSmsc, start_gateway: StartGateway, source: str
) -> None:
    smsc, gateway, _ = await bound(start_smsc, start_gateway)

    assert await smsc.inject_mo(source, CODE, gsm7_encode("STOP")) == CommandStatus.ESME_ROK

    [opt_out] = await table(gateway, s.opt_outs)
    assert opt_out.phone == PHONE
    await smsc.wait_for_submits(1)
    assert smsc.submitted[0].destination_addr == PHONE


@pytest.mark.parametrize(
    "source", ["\u00b2\u00b3\u00b92065550123", "2065\u00bd550123", "206-555-0123"]
)
async def test_a_source_that_is_no_number_is_refused_and_not_stored(
    start_smsc: StartSmsc, start_gateway: StartGateway, source: str
) -> None:
    smsc, gateway, _ = await bound(start_smsc, start_gateway)

    status = await smsc.inject_mo(source, CODE, gsm7_encode("STOP"))

    assert status == CommandStatus.ESME_RINVSRCADR
    assert await table(gateway, s.inbound_messages) == []
    assert await table(gateway, s.opt_outs) == []


async def test_an_alphanumeric_source_is_stored_but_never_opted_out_or_answered(
    start_smsc: StartSmsc, start_gateway: StartGateway
) -> None:
    smsc, gateway, realm_id = await bound(start_smsc, start_gateway)

    assert await smsc.inject_mo("Carrier", CODE, gsm7_encode("STOP")) == CommandStatus.ESME_ROK

    [inbound] = await table(gateway, s.inbound_messages)
    assert (inbound.realm_id, inbound.phone, inbound.keyword) == (realm_id, "Carrier", "none")
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
    async with gateway.db.write_engine.begin() as conn:  # the table is gone: every insert fails
        await conn.execute(text("ALTER TABLE inbound_messages RENAME TO inbound_away"))

    status = await mo(smsc, "STOP")

    assert status == CommandStatus.ESME_RX_T_APPN  # temporary: the SMSC delivers it again
    async with gateway.db.write_engine.begin() as conn:
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
