"""The dispatcher's happy path against a real SMPP server on loopback: each queued message is
submitted once, ends `sent` with the SMSC's ids stored, with the right coding and UDH."""

from collections import Counter

from smsgate.constants import DATA_CODING_GSM7, DATA_CODING_UCS2, ESM_CLASS_UDHI
from smsgate.domain.encoding import gsm7_decode, gsm7_encode, split_udh, ucs2_decode, ucs2_encode
from smsgate.domain.receipt import normalise_message_id
from smsgate.smpp.pdu import SubmitSm
from tests.fakes.smsc import HappySMSC
from tests.integration.delivery.conftest import (
    CODE,
    StartGateway,
    StartSmsc,
    add_realm,
    parts,
    send,
    send_many,
    wait_status,
)


async def test_each_message_is_submitted_once_and_sent_with_its_smsc_id(
    start_smsc: StartSmsc, start_gateway: StartGateway, database_url: str
) -> None:
    smsc = await start_smsc(HappySMSC())
    gateway = await start_gateway(smsc, database_url=database_url, request_receipts=False)
    realm_id = await add_realm(gateway)

    messages = await send_many(gateway, realm_id, 25)
    await smsc.wait_for_submits(25)
    found = await wait_status(gateway, messages, "sent")

    assert {r.error for r in found.values()} == {None}
    assert Counter(p.destination_addr for p in smsc.submitted) == Counter(m.phone for m in messages)
    by_phone = {p.destination_addr: (smsc_id, p) for smsc_id, p in smsc.messages.items()}
    for message in messages:
        smsc_id, pdu = by_phone[message.phone]
        assert pdu.short_message == message.text.encode()
        assert pdu.source_addr == CODE
        assert pdu.registered_delivery == 0
        stored = await parts(gateway, message.id)
        assert [(p.part_no, p.connection, p.smsc_message_id, p.status) for p in stored] == [
            (1, "carrier", normalise_message_id(smsc_id), "sent")
        ]
    assert smsc.counters["submit_sm"] == 25  # nothing more was sent afterwards


async def test_gsm_text_goes_as_data_coding_0_and_other_text_as_ucs2(
    start_smsc: StartSmsc, start_gateway: StartGateway
) -> None:
    smsc = await start_smsc(HappySMSC())
    gateway = await start_gateway(smsc)
    realm_id = await add_realm(gateway)

    gsm = await send(gateway, realm_id, "Price: 5€ [ok] {é}")
    ucs2 = await send(gateway, realm_id, "Привет, мир")
    await smsc.wait_for_submits(2)
    by_phone = {p.destination_addr: p for p in smsc.submitted}

    assert by_phone[gsm.phone].data_coding == DATA_CODING_GSM7
    assert by_phone[gsm.phone].short_message == gsm7_encode(gsm.text)
    assert by_phone[gsm.phone].esm_class == 0
    assert by_phone[ucs2.phone].data_coding == DATA_CODING_UCS2
    assert by_phone[ucs2.phone].short_message == ucs2_encode(ucs2.text)
    await wait_status(gateway, [gsm, ucs2], "delivered")


def _check_concatenated(pdus: list[SubmitSm], total: int) -> list[bytes]:
    """Assert the UDH of every part; return the payloads in part order."""
    assert len(pdus) == total
    refs = set()
    payloads: dict[int, bytes] = {}
    for pdu in pdus:
        assert pdu.esm_class == ESM_CLASS_UDHI
        assert pdu.short_message[:3] == b"\x05\x00\x03"
        concat, payload = split_udh(pdu.short_message)
        assert concat is not None
        ref, count, seq = concat
        assert count == total
        refs.add(ref)
        payloads[seq] = payload
    assert len(refs) == 1  # one reference for every part of the message
    assert sorted(payloads) == list(range(1, total + 1))
    return [payloads[seq] for seq in sorted(payloads)]


async def test_three_part_gsm_message_never_splits_an_escape_pair(
    start_smsc: StartSmsc, start_gateway: StartGateway
) -> None:
    smsc = await start_smsc(HappySMSC())
    gateway = await start_gateway(smsc)
    realm_id = await add_realm(gateway)
    text = "a" * 152 + "€" + "b" * 151 + "{" + "c" * 100
    assert gsm7_encode(text)[152] == 0x1B  # a cut every 153 septets would split "€"

    message = await send(gateway, realm_id, text)
    await smsc.wait_for_submits(3)
    payloads = _check_concatenated(list(smsc.submitted), 3)

    assert all(p.data_coding == DATA_CODING_GSM7 for p in smsc.submitted)
    assert all(len(p) <= 153 and not p.endswith(b"\x1b") for p in payloads)
    assert "".join(gsm7_decode(p) for p in payloads) == text
    await wait_status(gateway, [message], "delivered")
    assert [p.part_no for p in await parts(gateway, message.id)] == [1, 2, 3]


async def test_three_part_ucs2_message_never_splits_a_surrogate_pair(
    start_smsc: StartSmsc, start_gateway: StartGateway
) -> None:
    smsc = await start_smsc(HappySMSC())
    gateway = await start_gateway(smsc)
    realm_id = await add_realm(gateway)
    text = "ü" * 66 + "😀" + "ö" * 64 + "🎉" + "ä" * 20
    encoded = ucs2_encode(text)
    assert 0xD800 <= int.from_bytes(encoded[132:134], "big") <= 0xDBFF  # unit 67 is a high half

    message = await send(gateway, realm_id, text)
    await smsc.wait_for_submits(3)
    payloads = _check_concatenated(list(smsc.submitted), 3)

    assert all(p.data_coding == DATA_CODING_UCS2 for p in smsc.submitted)
    assert all(len(p) <= 134 for p in payloads)
    assert [ucs2_decode(p) for p in payloads] == [  # each part decodes on its own
        "ü" * 66,
        "😀" + "ö" * 64,
        "🎉" + "ä" * 20,
    ]
    assert "".join(ucs2_decode(p) for p in payloads) == text
    await wait_status(gateway, [message], "delivered")
